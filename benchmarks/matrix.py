"""Item 9: how much of this machine's measured matrix rate the engine turns into embeddings.

The texts: `corpus.mixed_texts` sized so their token counts average about 80 (up to about 190), the
kind of text on which batching pays least. The floor is the arithmetic the model cannot skip, counted
from its own layers: every linear layer of the body once per real token (padding not counted), the
attention products (scores and weighted sum: 4 x position x width per token and layer, causal), and
the LM head once per text (the last position only). The matrix rate is measured here, now: float32
products of the model's own linear shapes on 4,096 rows, best of several. share = floor seconds /
engine seconds for `logits` with no cache.
"""

from __future__ import annotations

import time

import torch
from torch import nn

from embedlab.embedding import embed
from embedlab.loading import load
from embedlab.methods import Role, get_method
from embedlab.prompts import Options

from .corpus import mixed_texts
from .timing import interleaved, item, median


def matrix_rate(shapes: list[tuple[int, int]], rows: int = 4096, rounds: int = 5) -> float:
    """float32 FLOP/s of x @ W^T over the given (in, out) shapes, best of `rounds`."""
    flops = sum(2 * rows * i * o for i, o in shapes)
    pairs = [(torch.randn(rows, i), torch.randn(o, i)) for i, o in shapes]
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        for x, w in pairs:
            torch.mm(x, w.t())
        best = min(best, time.perf_counter() - began)
    return flops / best


def floor_flops(backend, lengths: list[int]) -> float:
    """The arithmetic the model cannot skip for texts of these token lengths (see the module docstring)."""
    body = [m for name, m in backend.encoder.named_modules() if isinstance(m, nn.Linear)]
    per_token = sum(2 * m.in_features * m.out_features for m in body)
    config = backend.model.config
    width = config.num_attention_heads * getattr(config, "head_dim", config.hidden_size // config.num_attention_heads)
    attention = sum(4 * width * (n * (n + 1) // 2) for n in lengths) * config.num_hidden_layers
    head = 2 * backend.head.in_features * backend.head.out_features * len(lengths)
    return per_token * sum(lengths) + attention + head


def run(model: str, n_texts: int, repeats: int) -> dict:
    backend = load(model, device="cpu")
    texts = mixed_texts(n_texts, seed=9, min_words=20, max_words=120)
    method = get_method("logits")
    options = Options().resolved(method, backend.max_length)
    lengths = [len(e.ids) for e in (i.encoded for i in backend.prepare_many(texts, [Role.PASSAGE] * len(texts),
                                                                              method, options))]
    shapes = sorted({(m.in_features, m.out_features) for m in backend.encoder.modules() if isinstance(m, nn.Linear)})
    rate = matrix_rate(shapes)
    floor_s = floor_flops(backend, lengths) / rate
    seconds = interleaved({"engine": lambda: embed(backend, texts, method="logits")}, repeats)
    share = floor_s / median(seconds["engine"])
    return item(9, f"{model} logits on {n_texts} texts of {min(lengths)}-{max(lengths)} tokens "
                   f"(mean {sum(lengths) / len(lengths):.0f})", "floor: the model's arithmetic at the measured rate",
                "engine", "share >= 70%", share >= 0.7, ratio=share,
                checks={"engine_s": round(median(seconds["engine"]), 3), "floor_s": round(floor_s, 3),
                        "matrix_gflops": round(rate / 1e9, 1), "tokens": sum(lengths)},
                note="ratio here is floor / engine seconds: the share of the matrix rate the engine reaches")
