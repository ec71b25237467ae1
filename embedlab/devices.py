"""Device and dtype choice: CUDA in bf16, Apple MPS in fp16, else CPU in fp32, each overridable."""

from __future__ import annotations

import torch

from .errors import DeviceError

DEVICES = ("auto", "cpu", "cuda", "mps")
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def cuda_memory_gb() -> float:
    """Total memory of the first CUDA device in GiB, 0 where there is none."""
    if not torch.cuda.is_available():
        return 0.0
    return torch.cuda.get_device_properties(0).total_memory / 2**30


def choose_device(requested: str | None = None) -> str:
    """The device to run on: `requested` checked against this machine, or the best one present."""
    requested = (requested or "auto").strip().lower()
    kind = requested.split(":")[0]
    if kind not in DEVICES:
        raise DeviceError(f"unknown device {requested!r}; use one of: {', '.join(DEVICES)} (or cuda:N)")
    if kind == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"device {requested!r} was asked for, but this machine has no CUDA GPU; use 'cpu' or 'auto'")
        index = requested.partition(":")[2]
        if index and (not index.isdigit() or int(index) >= torch.cuda.device_count()):
            raise DeviceError(f"no CUDA device {requested!r}; this machine has {torch.cuda.device_count()}")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise DeviceError("device 'mps' was asked for, but Apple MPS is not available here; use 'cpu' or 'auto'")
    if kind == "cpu" and ":" in requested:
        raise DeviceError(f"unknown device {requested!r}; use 'cpu'")
    return requested


def choose_dtype(device: str, requested: str | None = None) -> torch.dtype:
    if requested and requested != "auto":
        try:
            return DTYPES[requested]
        except KeyError:
            raise DeviceError(f"unknown dtype {requested!r}; use one of: auto, {', '.join(DTYPES)}") from None
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")
