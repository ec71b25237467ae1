"""Where a side's vectors come from, behind one interface: a model (`ModelSource`: a loaded backend with
the side's method and options resolved against it) or a file of vectors computed elsewhere
(`GivenVectors`, the side `vectors:FILE.npz`).

`comparison.compare` runs every side the same way: sources with the same `group` are embedded together
by `embed_group` (a model's sides share its forward passes, `embedding.embed_many`; a file's vectors are
simply there), and each gives an `Embedded` plus the `name` (the model), device and dtype its result shows. No
caller tests which kind a side is. A file is read and checked against the number of pairs once, where
the request is built (`request.py`); a model's options are resolved once, when its source is made.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .backends import Backend
from .backends.vectors import METHOD as VECTORS_METHOD, PREFIX, read_vectors, vectors_path
from .cache import EmbeddingCache
from .errors import EmbedLabError
from .embedding import Embedded, Progress, embed_many
from .methods import Method, Role, check_method, get_method
from .prompts import Options
from .sides import SideSpec


@dataclass(frozen=True, eq=False)
class ModelSource:
    """A side computed by a model: its backend, and its method and embedding options resolved for it."""

    backend: Backend
    spec: SideSpec
    method: Method
    options: Options  # resolved (`Options.resolved`), post-processing cleared: what the vectors depend on

    @classmethod
    def of(cls, backend: Backend, spec: SideSpec, side: str | None = None, check: bool = False) -> "ModelSource":
        """`spec` on `backend`: its method as a request resolved it (checked there against the model's
        configuration; with `check`, against the loaded model here, for callers with no request) and its
        options resolved against the loaded model. Where one does not fit (a layer out of range), an
        error that names the side (`side`, else the spec's name)."""
        name = spec.method or backend.default_method
        try:
            method = check_method(name, backend.traits, backend.name) if check else get_method(name)
            options = spec.options.embedding().resolved(method, backend.max_length, backend.layers)
        except EmbedLabError as exc:
            raise type(exc)(f"side {(side or spec.name)!r}: {exc}") from None
        return cls(backend, spec, method, options)

    @property
    def group(self) -> int:
        return id(self.backend)

    name = property(lambda self: self.backend.name)  # the model, as results show it
    device = property(lambda self: self.backend.device)
    dtype = property(lambda self: self.backend.dtype)
    info = property(lambda self: self.backend.info)

    @staticmethod
    def embed_group(sources: Sequence["ModelSource"], texts: list[str], roles: list[Role],
                    cache: EmbeddingCache | None, progress: Progress | None) -> list[Embedded]:
        """The sides of one model, embedded together: a text they feed the model alike runs once."""
        return embed_many(sources[0].backend, texts, roles, [(s.method, s.options) for s in sources], cache, progress)


@dataclass(frozen=True, eq=False)
class GivenVectors:
    """A side whose vectors were computed elsewhere: rows 0..n-1 the questions, n..2n-1 the answers,
    read from a `vectors:FILE.npz` file and checked (`backends.vectors.read_vectors`)."""

    side: str  # the side's name
    name: str  # `vectors:FILE.npz`, the file's name alone (tables and JSON show no server folders)
    vectors: np.ndarray = field(repr=False)
    seconds: float  # reading and checking the file
    location: str = ""
    device: str = "cpu"
    dtype: str = "float32"

    @classmethod
    def read(cls, side: str, name: str, pairs: int) -> "GivenVectors":
        """The side `side` of the file `name` names, read and checked against the number of pairs."""
        start = time.perf_counter()
        path = vectors_path(name)
        vectors = read_vectors(path, pairs)
        return cls(side, f"{PREFIX}{path.name}", vectors, time.perf_counter() - start, str(path))

    @property
    def group(self) -> int:
        return id(self)

    @property
    def info(self) -> dict:
        return {"source": "vectors", "location": self.location}

    @staticmethod
    def embed_group(sources: Sequence["GivenVectors"], texts, roles, cache, progress) -> list[Embedded]:
        return [Embedded(s.vectors, VECTORS_METHOD, Options(), cached=0, computed=0, truncated=0, seconds=s.seconds)
                for s in sources]


SideSource = ModelSource | GivenVectors
