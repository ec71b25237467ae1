"""Backends: a loaded model behind one small interface.

A backend knows how to turn a batch of prepared items into vectors (`embed_batch`, the only abstract
method) and, optionally, how to tokenise items first (`prepare_many`, for all of a call's texts at
once) so batches can be formed by token count. Caching, batching and progress are written once above it, in `embedlab.embedding`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from ..methods import Method, Role, Traits
from ..prompts import Encoded, Options


@dataclass(frozen=True)
class Item:
    text: str
    role: Role = Role.PASSAGE
    encoded: Encoded | None = None

    @property
    def cost(self) -> int:
        """Tokens this item costs in a batch (an estimate from its length where not tokenised)."""
        return len(self.encoded.ids) if self.encoded else max(1, len(self.text) // 4)


@dataclass
class Backend(ABC):
    name: str  # what the person asked for (preset, Hub id, path)
    fingerprint: str  # identity of the weights: Hub revision or file hash
    traits: Traits
    device: str = "cpu"
    dtype: str = "float32"
    max_length: int = 512
    default_method: str = "mean"
    batch_size: int = 32
    batch_tokens: int = 16384
    info: dict = field(default_factory=dict)
    layers: int | None = None  # hidden layers a method can read (0..layers); None where they cannot be read

    def prepare_many(self, texts: list[str], roles: list[Role], method: Method, options: Options) -> list[Item]:
        """Turn texts into items ready for `embed_batch` (tokenised, where the backend can)."""
        return [Item(text, role) for text, role in zip(texts, roles)]

    def prepare(self, text: str, role: Role, method: Method, options: Options) -> Item:
        return self.prepare_many([text], [role], method, options)[0]

    @abstractmethod
    def embed_batch(self, items: list[Item], method: Method, options: Options) -> np.ndarray:
        """Vectors for a batch of prepared items, one float32 row each, in the same order."""

    def embed_shared(self, items: list[Item], uses: list[tuple[Method, Options, list[tuple[int, int]]]]) -> list[np.ndarray]:
        """For a batch of distinct model inputs, the vectors of each use: (method, options, the rows it reads
        with the position to pool from). A backend that can runs the batch once for every use (see the
        transformers backend); this default runs each use on its own rows."""
        return [self.embed_batch([items[row] for row, _ in rows], method, options) for method, options, rows in uses]

    def close(self) -> None:
        """Release the model's memory."""
