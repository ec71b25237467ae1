"""Fast mode: int8 weights and activations for the linear layers of a model on an x86 CPU (opt-in).

`quantize(model)` swaps, in place, every `nn.Linear` of the model body for an int8 one: weights are
rounded once per output channel, activations per call per tensor (dynamic quantisation, so no
calibration data), and the product runs in oneDNN's int8 kernel. Three things keep the work around
that kernel small: sibling layers that read the same input (query/key/value, a gated MLP's gate and
up projections) are merged into one wider product, so the input is quantised and read once; the
activation codes are taken as a view of the quantised tensor, not copied out of it; and a linear
layer followed by an exact GELU, as in BERT's feed-forward block, gets the GELU fused into the
kernel. Attention, normalisation and the LM head stay in float32, so `logits` vectors keep
full-precision vocabulary projections.

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
# PyTorch marks its quantised tensor types deprecated (torch is pinned in requirements.txt); say it once, here
warnings.filterwarnings("ignore", message=r"torch\.quantize_per_tensor, torch\.quantize_per_channel", category=UserWarning)
SIBLINGS = (("query", "key", "value"), ("q_proj", "k_proj", "v_proj"), ("gate_proj", "up_proj"))


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


def quantize_activations(x: torch.Tensor, reduce_range: bool) -> tuple[torch.Tensor, float, int]:
    """x (2-D, float32) as uint8 codes with one scale and zero point for the whole tensor, range taken from x."""
    qmax = 127 if reduce_range else 255
    low, high = (float(v) for v in torch.aminmax(x))
    low, high = min(low, 0.0), max(high, 0.0)  # zero stays exactly representable
    scale = max((high - low) / qmax, 1e-8)
    zero = int(min(max(round(-low / scale), 0), qmax))
    q = torch.quantize_per_tensor(x, scale, zero, torch.quint8)
    codes = torch.empty(0, dtype=torch.uint8).set_(q.untyped_storage(), q.storage_offset(), q.shape, q.stride())
    return codes, scale, zero  # codes share q's memory: int_repr() would copy every byte again


class Int8Linear(nn.Module):
    """y = x W^T + b (then GELU where asked) with W in int8 per output channel and x in uint8 per call."""

    def __init__(self, linear: nn.Linear, gelu: bool = False):
        super().__init__()
        weight = linear.weight.detach().float()
        self.in_features, self.out_features = weight.shape[1], weight.shape[0]
        self.scale = (weight.abs().amax(dim=1) / 127).clamp(min=1e-12)
        self.zero = torch.zeros(self.out_features, dtype=torch.long)
        self.bias = None if linear.bias is None else linear.bias.detach().float().clone()
        self.reduce_range = not has_vnni()  # 7-bit activations where 8-bit products could saturate
        self.post = "gelu" if gelu else "none"
        q = torch.round(weight / self.scale[:, None]).clamp(-127, 127).to(torch.int8)
        self.packed = torch.ops.onednn.qlinear_prepack(q, None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        codes, x_scale, x_zero = quantize_activations(x.reshape(-1, shape[-1]).float(), self.reduce_range)
        y = torch.ops.onednn.qlinear_pointwise(codes, x_scale, x_zero, self.packed, self.scale, self.zero, self.bias,
                                               1.0, 0, torch.float32, self.post, [], "none")
        return y.reshape(*shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, post={self.post}"


class MergedLinear(nn.Module):
    """Sibling linear layers that read the same input, run as one wider int8 product: the first sibling
    called with an input computes every sibling's output; the others take theirs (`Int8Slice`)."""

    def __init__(self, linears: list[nn.Linear]):
        super().__init__()
        merged = nn.Linear(linears[0].in_features, sum(x.out_features for x in linears), bias=linears[0].bias is not None)
        with torch.no_grad():
            merged.weight.copy_(torch.cat([x.weight for x in linears]))
            if merged.bias is not None:
                merged.bias.copy_(torch.cat([x.bias for x in linears]))
        self.linear = Int8Linear(merged)
        self.siblings = len(linears)
        self._last: list | None = None  # [input, its version, output, siblings served]

    def output(self, x: torch.Tensor) -> torch.Tensor:
        last = self._last
        if last is None or last[0] is not x or last[1] != _version(x):
            last = [x, _version(x), self.linear(x), 0]
        last[3] += 1  # the input stays referenced until every sibling is served, so `is` cannot be fooled
        self._last = None if last[3] >= self.siblings else last
        return last[2]


def _version(x: torch.Tensor) -> int:
    return -1 if x.is_inference() else x._version  # an inference tensor cannot be changed in place afterwards


class Int8Slice(nn.Module):
    """One sibling of a `MergedLinear`: its columns of the merged output."""

    def __init__(self, merged: MergedLinear, start: int, stop: int):
        super().__init__()
        self.merged = [merged]  # in a list, so that the merged layer is not a submodule of every sibling
        self.start, self.stop = start, stop

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.merged[0].output(x)[..., self.start:self.stop]

    def extra_repr(self) -> str:
        return f"columns {self.start}:{self.stop} of a merged int8 product"


def _merge_siblings(parent: nn.Module, head: nn.Module | None) -> None:
    """Replace known sibling sets of `parent` (same input width, all with or all without bias) by slices."""
    for names in SIBLINGS:
        group = [getattr(parent, name, None) for name in names]
        if not all(isinstance(x, nn.Linear) and x is not head for x in group):
            continue
        if len({(x.in_features, x.bias is None) for x in group}) != 1:
            continue
        merged, start = MergedLinear(group), 0
        parent.add_module("merged_" + "_".join(names), merged)
        for name, linear in zip(names, group):
            setattr(parent, name, Int8Slice(merged, start, start + linear.out_features))
            start += linear.out_features


def _exact_gelu(module) -> bool:
    return type(module).__name__ == "GELUActivation" or (isinstance(module, nn.GELU) and module.approximate == "none")


def quantize(model: nn.Module, device: str = "cpu") -> nn.Module:
    """Swap the model's linear layers (not its LM head) for int8 ones, in place; returns the model."""
    check_supported(device)
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    config = getattr(model, "config", None)
    # with cross-attention, key/value read another input than query: merging would compute columns for nothing
    merge = not (getattr(config, "is_encoder_decoder", False) or getattr(config, "add_cross_attention", False))
    for parent in list(model.modules()):
        if merge:
            _merge_siblings(parent, head)
        dense, act = getattr(parent, "dense", None), getattr(parent, "intermediate_act_fn", None)
        if isinstance(dense, nn.Linear) and act is not None and _exact_gelu(act):  # BERT-style feed-forward
            parent.dense, parent.intermediate_act_fn = Int8Linear(dense, gelu=True), nn.Identity()
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Linear) and child is not head:
                setattr(parent, name, Int8Linear(child))
    return model
