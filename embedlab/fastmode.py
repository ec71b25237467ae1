"""Fast mode: int8 weights and activations for the linear layers of a model on an x86 CPU (opt-in).

`quantize(model)` swaps, in place, every `nn.Linear` of the model body for an int8 one: weights are
rounded once per output channel, activations per call (dynamic quantisation, so no calibration data),
and the product runs in oneDNN's int8 kernel. The rows of a call (its tokens) share one activation
range, except the few whose own range is several times the median row's ([CLS], [SEP], punctuation
carry activations ten times larger than the rest): those are left out of the shared range, so that
they do not leave every other token a handful of codes, and are computed again with a range of their
own. Three things keep the work around the kernel small: sibling layers that read the same input
(query/key/value, a gated MLP's gate and up projections) are merged into one wider product, so the
input is quantised and read once; the activation codes are taken as a view of the quantised tensor,
not copied out of it; and a linear layer followed by an exact GELU, as in BERT's feed-forward block,
gets the GELU fused into the kernel. Attention, normalisation and the LM head stay in float32, so
`logits` vectors keep full-precision vocabulary projections.

Which codes the kernel may take depends on the CPU (`kernel_path()`): with VNNI (or AMX) it sums
u8 x s8 products straight into 32 bits, so activations use 0..255 and weights -127..127; without it
(AVX2, AVX-512 without VNNI) it sums pairs of products in saturating 16-bit lanes, so fast mode keeps
8-bit activations and narrows the weights to -63..63 (2 * 255 * 63 fits in 16 bits; narrowing the
activations to 7 bits instead costs more accuracy). The path is found by running the kernel once on
the worst case, not from the CPU's name, and fast mode refuses to load where no path is exact.

Vectors move a little (cosine to the exact ones ~0.99), so they are cached under their own dtype,
and since the shared activation range is taken per batch, a text's fast vector depends slightly on
the texts it was batched with. GPUs, Apple chips and ARM CPUs are left out: there the mode refuses
to load.
"""

from __future__ import annotations

import functools
import platform
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .errors import DeviceError

# what the backend reports as its dtype, and so part of every cache key; v2: outlier rows get a range of their own
# and, without VNNI, 8-bit activations with 7-bit weights (v1 vectors, 7-bit activations, were less exact)
DTYPE_NAME = "int8-dynamic-v2"
# PyTorch marks its quantised tensor types deprecated (torch is pinned in requirements-local.txt); say it once, here
warnings.filterwarnings("ignore", message=r"torch\.quantize_per_tensor, torch\.quantize_per_channel", category=UserWarning)
SIBLINGS = (("query", "key", "value"), ("q_proj", "k_proj", "v_proj"), ("gate_proj", "up_proj"))
OUTLIER_RATIO = 3.0  # a row (token) whose activation range is over this times the median row's gets its own


@functools.cache
def has_vnni() -> bool:
    """Whether the CPU advertises u8 x s8 products summed straight into 32 bits (AVX512-VNNI, AVX-VNNI or AMX).
    Only reported: `kernel_path()` decides by running the kernel, as oneDNN may not use what the CPU has."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(flag in flags for flag in ("avx512_vnni", "avx_vnni", "amx_int8"))


@dataclass(frozen=True)
class KernelPath:
    """How fast mode feeds oneDNN's int8 product on this CPU: the largest activation code and weight code."""
    name: str
    act_max: int  # activation codes are 0..act_max (uint8)
    weight_max: int  # weight codes are -weight_max..weight_max (int8)


VNNI = KernelPath("vnni", 255, 127)
# without VNNI the kernel sums pairs of u8 x s8 products in saturating 16-bit lanes (vpmaddubsw), so a pair
# must stay within 32767: 2 * 255 * 63 = 32130 fits, 2 * 255 * 127 = 64770 does not. Halving the weight range
# (7-bit weights, 8-bit activations) loses less than halving the activation range (the old `reduce_range`).
AVX2 = KernelPath("avx2 (no vnni): 8-bit activations, 7-bit weights", 255, 63)
NARROW = KernelPath("avx2 (no vnni): 7-bit activations", 127, 127)  # 2 * 127 * 127 = 32258 fits as well


def _exact_at(path: KernelPath) -> bool:
    """Whether oneDNN's int8 product is exact at the path's largest codes, where saturation would show."""
    k, n = 64, 8
    codes = torch.full((4, k), path.act_max, dtype=torch.uint8)
    weight = torch.full((n, k), path.weight_max, dtype=torch.int8)
    weight[1::2] = -path.weight_max  # the most positive and the most negative sums
    try:
        y = torch.ops.onednn.qlinear_pointwise(codes, 1.0, 0, torch.ops.onednn.qlinear_prepack(weight, None),
                                               torch.ones(n), torch.zeros(n, dtype=torch.long), None, 1.0, 0,
                                               torch.float32, "none", [], "none")
    except RuntimeError:
        return False
    expected = (codes[:1].double() @ weight.double().T).expand(4, n)
    return bool(torch.equal(y.double(), expected))


@functools.cache
def kernel_path() -> KernelPath:
    """The widest code ranges that this CPU's oneDNN int8 product sums exactly, found by running it once on
    the worst case (every code at its extreme); `DeviceError` if not even 7-bit activations are exact."""
    for path in (VNNI, AVX2, NARROW):
        if _exact_at(path):
            return path
    raise DeviceError("fast mode (int8): oneDNN's int8 product on this CPU is not exact even with 7-bit codes "
                      "(saturating sums); leave fast mode off here")


def check_supported(device: str) -> None:
    if device != "cpu":
        raise DeviceError(f"fast mode (int8) runs on the CPU only, not on {device!r}; leave fast mode off there")
    if platform.machine().lower() not in ("x86_64", "amd64") or not torch.backends.mkldnn.is_available():
        raise DeviceError("fast mode (int8) needs an x86-64 CPU with PyTorch's oneDNN kernels; leave fast mode off")
    kernel_path()


def quantize_activations(x: torch.Tensor, act_max: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """x (2-D, float32) as uint8 codes 0..act_max with one scale and offset per row: x ~ low + scale * codes."""
    low, high = x.amin(dim=1), x.amax(dim=1)
    scale = ((high - low) / act_max).clamp_(min=1e-12)
    inverse = scale.reciprocal()
    shifted = torch.addcmul((-low * inverse)[:, None], x, inverse[:, None])  # (x - low) / scale, in 0..act_max
    return _codes(torch.quantize_per_tensor(shifted, 1.0, 0, torch.quint8)), scale, low


def _codes(q: torch.Tensor) -> torch.Tensor:
    """The uint8 codes of a quint8 tensor, sharing its memory: int_repr() would copy every byte again."""
    return torch.empty(0, dtype=torch.uint8).set_(q.untyped_storage(), q.storage_offset(), q.shape, q.stride())


class Int8Linear(nn.Module):
    """y = x W^T + b (then GELU where asked) with W in int8 per output channel and x in uint8.

    The rows of x (tokens) share one activation range, taken per call, except the few whose range is over
    OUTLIER_RATIO times the median row's: one of those would stretch the shared range and leave every
    other row a handful of codes, so they are left out of it and computed again with a range of their own."""

    def __init__(self, linear: nn.Linear, gelu: bool = False):
        super().__init__()
        weight = linear.weight.detach().float()
        self.path = kernel_path()
        self.in_features, self.out_features = weight.shape[1], weight.shape[0]
        self.scale = (weight.abs().amax(dim=1) / self.path.weight_max).clamp(min=1e-12)
        self.zero = torch.zeros(self.out_features, dtype=torch.long)
        q = torch.round(weight / self.scale[:, None]).clamp(-self.path.weight_max, self.path.weight_max)
        self.bias = None if linear.bias is None else linear.bias.detach().float().clone()
        self.column_sums = q.sum(dim=1) * self.scale  # for rows with their own offset: see `_own_range`
        self.post = "gelu" if gelu else "none"
        self.packed = torch.ops.onednn.qlinear_prepack(q.to(torch.int8), None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x = x.reshape(-1, shape[-1]).float()
        low, high = x.amin(dim=1), x.amax(dim=1)  # two plain reductions: aminmax(dim=1) is several times slower
        width = high - low
        wide = width > OUTLIER_RATIO * width.median() if len(width) > 1 else torch.zeros_like(width, dtype=bool)
        outliers = wide.nonzero().squeeze(1)
        if len(outliers):
            low, high = low.masked_fill(wide, float("inf")), high.masked_fill(wide, float("-inf"))
        shared_low, shared_high = min(float(low.min()), 0.0), max(float(high.max()), 0.0)  # zero stays exact
        scale = max((shared_high - shared_low) / self.path.act_max, 1e-8)
        zero = int(min(max(round(-shared_low / scale), 0), self.path.act_max))
        codes = _codes(torch.quantize_per_tensor(x, scale, zero, torch.quint8))  # outlier rows clip; redone below
        y = torch.ops.onednn.qlinear_pointwise(codes, scale, zero, self.packed, self.scale, self.zero, self.bias,
                                               1.0, 0, torch.float32, self.post, [], "none")
        if len(outliers):
            y[outliers] = self._own_range(x[outliers])
        return y.reshape(*shape[:-1], self.out_features)

    def _own_range(self, x: torch.Tensor) -> torch.Tensor:
        """The product for rows that each get their own range (x ~ low + scale * codes, per row):
        x W^T + b = scale * (codes W_q^T scale_w) + low * (sum_k W_q scale_w) + b."""
        codes, scale, low = quantize_activations(x, self.path.act_max)
        y = torch.ops.onednn.qlinear_pointwise(codes, 1.0, 0, self.packed, self.scale, self.zero, None,
                                               1.0, 0, torch.float32, "none", [], "none")
        y = torch.outer(low, self.column_sums).addcmul_(y, scale[:, None])
        if self.bias is not None:
            y += self.bias
        return nn.functional.gelu(y) if self.post == "gelu" else y

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, post={self.post}, "
                f"codes=u8 0..{self.path.act_max} x s8 +-{self.path.weight_max}")


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
