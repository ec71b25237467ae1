"""Which part a side plays in a comparison, and how a sentence names it.

A side is an *embedding model* where it runs its own pipeline (`native`) or is a preset of that kind
(`presets.SIDES`: "Base GPT" / "Embedding model"); a *raw GPT* side is any other model read without
training and without post-processing of its own (no `post`, not a tuned folder, not a file of vectors,
whose origin is unknown). `gpt_and_embedder` picks the best of each kind (`metrics.rank`), for the
verdict's gap sentences. What it leaves out: a model's kind from its configuration (a sentence-transformers
model read with `mean` counts as a GPT read without training).
"""

from __future__ import annotations

from typing import Callable, Mapping

from .backends.vectors import METHOD as VECTORS
from .metrics import rank
from .presets import PRESETS


def is_embedder(side) -> bool:
    """Whether a side is a trained embedding model (its own pipeline, or a preset of that kind) rather
    than a way of reading a GPT without training."""
    preset = PRESETS.get(side.model)
    return side.method == "native" or (preset is not None and preset.side == "embed")


def is_raw_gpt(side) -> bool:
    """A GPT read as it is: not an embedding model, not tuned, no post-processing, not a file of vectors."""
    return (not is_embedder(side) and side.seen_in_training is None and side.options.post == "none"
            and side.method != VECTORS)


def reading(side) -> str:
    """How a side read its vectors: the method, the layer where one was chosen, the post-processing."""
    layer = f", layer {side.options.layer}" if side.options.layer is not None else ""
    post = {"center": ", centred", "whiten": f", whitened ({side.options.whiten_dims} dims)"}.get(side.options.post, "")
    return f"{side.method}{layer}{post}"


def side_name(side) -> str:
    """`smollm2 (mean, layer 11)`: a side as sentences name it."""
    return f"{side.model} ({reading(side)})"


def gpt_and_embedder(sides: Mapping, is_gpt: Callable = lambda s: not is_embedder(s) and s.seen_in_training is None
                     ) -> tuple[str, str] | None:
    """The best-ranked side that `is_gpt` accepts (default: any training-free GPT side) and the best-ranked
    embedding model; None where either kind is missing."""
    ranked = rank({name: side.metrics for name, side in sides.items()})
    gpts = [n for n in ranked if is_gpt(sides[n])]
    embedders = [n for n in ranked if is_embedder(sides[n])]
    return (gpts[0], embedders[0]) if gpts and embedders else None
