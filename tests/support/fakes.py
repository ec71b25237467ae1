"""A deterministic fake backend that counts its calls, for exact batching and caching tests."""

from __future__ import annotations

import hashlib

import numpy as np

from embedlab.backends import Backend, Item
from embedlab.methods import Traits


class CountingBackend(Backend):
    def __init__(self, name="fake", dim=8, **kwargs):
        kwargs.setdefault("traits", Traits(causal=False, lm_head=False, sentence_transformers=False))
        kwargs.setdefault("fingerprint", f"fake:{name}")
        super().__init__(name=name, **kwargs)
        self.dim = dim
        self.calls: list[list[str]] = []

    def embed_batch(self, items: list[Item], method, options) -> np.ndarray:
        self.calls.append([item.text for item in items])
        rows = []
        for item in items:
            seed = int(hashlib.sha256(f"{method.name.value}|{item.role.value}|{item.text}".encode()).hexdigest()[:8], 16)
            rows.append(np.random.default_rng(seed).normal(size=self.dim))
        return np.asarray(rows, dtype=np.float32)

    @property
    def texts_embedded(self) -> int:
        return sum(len(call) for call in self.calls)
