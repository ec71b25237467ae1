"""Fast mode: int8 weights and activations for the linear layers of a model on an x86 CPU (opt-in).

`quantize(model)` swaps, in place, every `nn.Linear` of the model body for an int8 one: weights are
rounded once per output channel, activations per call per tensor (dynamic quantisation, so no
calibration data), and the product runs in PyTorch's int8 kernels (oneDNN, and FBGEMM where its
fused activation quantisation is quicker). A linear layer followed by an exact GELU, as in BERT's
feed-forward block, gets the GELU fused into the int8 kernel. Attention, normalisation and the LM
head stay in float32, so `logits` vectors keep full-precision vocabulary projections.

Vectors move a little (cosine to the exact ones ~0.99), so they are cached under their own dtype,
and since activation scales are taken per batch, a text's fast vector depends slightly on the texts
it was batched with. GPUs, Apple chips and ARM CPUs are left out: there the mode refuses to load.
"""

from __future__ import annotations

import functools
import platform
import warnings
from pathlib import Path

import torch
from torch import nn

from .errors import DeviceError

DTYPE_NAME = "int8-dynamic"  # what the backend reports as its dtype, and so part of every cache key
WIDE_INPUT = 1024  # from this input width on, FBGEMM's fused activation quantisation beats ours


@functools.cache
def has_vnni() -> bool:
    """Whether the CPU multiplies u8 x s8 without 16-bit saturation (AVX512-VNNI, AVX-VNNI or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(flag in flags for flag in ("avx512_vnni", "avx_vnni", "amx_int8"))


def check_supported(device: str) -> None:
    if device != "cpu":
        raise DeviceError(f"fast mode (int8) runs on the CPU only, not on {device!r}; leave fast mode off there")
    if platform.machine().lower() not in ("x86_64", "amd64") or not torch.backends.mkldnn.is_available():
        raise DeviceError("fast mode (int8) needs an x86-64 CPU with PyTorch's oneDNN kernels; leave fast mode off")


class Int8Linear(nn.Module):
    """y = x W^T + b (then GELU where asked) with W in int8 per output channel and x in uint8 per call."""

    def __init__(self, linear: nn.Linear, gelu: bool = False):
        super().__init__()
        weight = linear.weight.detach().float()
        self.out_features = weight.shape[0]
        self.scale = (weight.abs().amax(dim=1) / 127).clamp(min=1e-12)
        self.zero = torch.zeros(self.out_features, dtype=torch.long)
        self.bias = None if linear.bias is None else linear.bias.detach().float().clone()
        self.reduce_range = not has_vnni()  # 7-bit activations where 8-bit products could saturate
        self.post = "gelu" if gelu else "none"
        self.fbgemm = not gelu and weight.shape[1] >= WIDE_INPUT
        with warnings.catch_warnings():  # PyTorch marks its quantised tensor types for a future move
            warnings.simplefilter("ignore", UserWarning)
            if self.fbgemm:
                q = torch.quantize_per_channel(weight, self.scale.double(), self.zero, 0, torch.qint8)
                self.packed = torch.ops.quantized.linear_prepack(q, self.bias)
            else:
                q = torch.round(weight / self.scale[:, None]).clamp(-127, 127).to(torch.int8)
                self.packed = torch.ops.onednn.qlinear_prepack(q, None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x = x.reshape(-1, shape[-1]).float()
        if self.fbgemm:
            y = torch.ops.quantized.linear_dynamic(x, self.packed, self.reduce_range)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                qx = torch.quantize_per_tensor_dynamic(x, torch.quint8, self.reduce_range)
            y = torch.ops.onednn.qlinear_pointwise(qx.int_repr(), qx.q_scale(), qx.q_zero_point(), self.packed,
                                                   self.scale, self.zero, self.bias, 1.0, 0, torch.float32,
                                                   self.post, [], "none")
        return y.reshape(*shape[:-1], self.out_features)


def _exact_gelu(module) -> bool:
    return type(module).__name__ == "GELUActivation" or (isinstance(module, nn.GELU) and module.approximate == "none")


def quantize(model: nn.Module, device: str = "cpu") -> nn.Module:
    """Swap the model's linear layers (not its LM head) for int8 ones, in place; returns the model."""
    check_supported(device)
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    for parent in list(model.modules()):
        dense, act = getattr(parent, "dense", None), getattr(parent, "intermediate_act_fn", None)
        if isinstance(dense, nn.Linear) and act is not None and _exact_gelu(act):  # BERT-style feed-forward
            parent.dense, parent.intermediate_act_fn = Int8Linear(dense, gelu=True), nn.Identity()
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Linear) and child is not head:
                setattr(parent, name, Int8Linear(child))
    return model
