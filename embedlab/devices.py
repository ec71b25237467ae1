"""Device and dtype choice: CUDA in bf16, Apple MPS in fp16, else CPU in fp32, each overridable.

torch is imported on first use, not with this module, so the dashboard can serve its page before
the engine's libraries are loaded; `cuda_memory_gb` answers 0 without importing torch at all on a
machine with no NVIDIA driver, where CUDA cannot be available.
"""

from __future__ import annotations

import os

from . import env
from .errors import DeviceError
from .libraries import import_engine

DEVICES = ("auto", "cpu", "cuda", "mps")
DTYPES = ("float32", "bfloat16", "float16")


def _nvidia_driver() -> bool:
    return os.path.exists("/proc/driver/nvidia") or os.path.exists("/dev/nvidiactl")


def on_zerogpu() -> bool:
    """Whether this is a ZeroGPU Space: the `spaces` package's own test (SPACES_ZERO_GPU=1/t/true), read
    here without importing that package (it imports gradio, and on ZeroGPU torch)."""
    return env.is_on("SPACES_ZERO_GPU", ("1", "t", "true"))


def cuda_memory_gb() -> float:
    """Total memory of the first CUDA device in GiB, 0 where there is none."""
    if not _nvidia_driver():
        return 0.0
    import_engine()
    import torch

    if not torch.cuda.is_available():
        return 0.0
    return torch.cuda.get_device_properties(0).total_memory / 2**30


def offered() -> list[str]:
    """The device kinds worth offering on a page, found without importing torch: CUDA where an NVIDIA
    driver is present, MPS on macOS, always the CPU ("auto" first). `choose_device` checks for real."""
    import sys

    hints = {"cuda": _nvidia_driver(), "mps": sys.platform == "darwin", "cpu": True, "auto": True}
    return [d for d in DEVICES if hints[d]]


def available() -> list[str]:
    """The device kinds this machine has, in the order "auto" prefers them."""
    import_engine()
    import torch

    present = [("cuda", torch.cuda.is_available()), ("mps", torch.backends.mps.is_available()), ("cpu", True)]
    return [kind for kind, ok in present if ok]


def choose_device(requested: str | None = None) -> str:
    """The device to run on: `requested` checked against this machine, or the best one present."""
    requested = (requested or "auto").strip().lower()
    kind = requested.split(":")[0]
    if kind not in DEVICES:
        raise DeviceError(f"unknown device {requested!r}; use one of: {', '.join(DEVICES)} (or cuda:N)")
    present = available()
    if kind == "auto":
        return present[0]
    if kind == "cuda":
        import torch  # imported by available() above

        if kind not in present:
            raise DeviceError(f"device {requested!r} was asked for, but this machine has no CUDA GPU; use 'cpu' or 'auto'")
        index = requested.partition(":")[2]
        if index and (not index.isdigit() or int(index) >= torch.cuda.device_count()):
            raise DeviceError(f"no CUDA device {requested!r}; this machine has {torch.cuda.device_count()}")
    if kind == "mps" and kind not in present:
        raise DeviceError("device 'mps' was asked for, but Apple MPS is not available here; use 'cpu' or 'auto'")
    if kind == "cpu" and ":" in requested:
        raise DeviceError(f"unknown device {requested!r}; use 'cpu'")
    return requested


def choose_dtype(device: str, requested: str | None = None):
    import_engine()
    import torch

    if requested and requested != "auto":
        if requested not in DTYPES:
            raise DeviceError(f"unknown dtype {requested!r}; use one of: auto, {', '.join(DTYPES)}")
        return getattr(torch, requested)
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32


def dtype_name(dtype) -> str:
    return str(dtype).removeprefix("torch.")
