"""A comparison as typed data: what each side gave (`SideResult`) and the whole (`Comparison`: the
pairs and every side's result, in order). What a side is (`SideSpec`) is `sides.py`'s.

`compare_side()` embeds the questions (as queries) and answers (as passages) with one model, builds
the question x answer cosine matrix and scores it, keeping the vectors so later views (the PCA map)
never embed again. `compare()` does that for each side. JSON exists only at the edges:
`Comparison.to_json()` writes the schema the CLI, the API and the exports share, `from_json()` reads it
back (without vectors).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from .backends import Backend
from .cache import EmbeddingCache
from .embedding import Progress, embed, embed_many, resolve
from .methods import Role
from .metrics import Metrics, cos_sim, rank, score
from .pairs import Pair, check_count, make_pairs
from .prompts import Options
from .sides import SideSpec


@dataclass(frozen=True, eq=False)
class SideResult:
    model: str
    method: str
    options: Options
    device: str
    dtype: str
    similarity: np.ndarray  # [n, n] float64: question i against answer j
    metrics: Metrics
    cached: int  # vectors that came from the cache
    computed: int  # vectors the model computed
    truncated: int  # texts cut to the max length
    seconds: float
    dim: int
    vectors: np.ndarray | None = field(default=None, repr=False)  # [2n, dim]: questions, then answers

    def to_json(self) -> dict:
        return {"model": self.model, "method": self.method, "options": self.options.as_dict(), "dim": self.dim,
                "device": self.device, "dtype": self.dtype, "similarity": self.similarity.round(6).tolist(),
                "metrics": self.metrics.as_dict(), "cached": self.cached, "computed": self.computed,
                "truncated": self.truncated, "seconds": round(self.seconds, 4)}

    @classmethod
    def from_json(cls, data: dict) -> "SideResult":
        return cls(model=data["model"], method=data["method"], options=Options(**data["options"]),
                   device=data["device"], dtype=data["dtype"], similarity=np.asarray(data["similarity"], dtype=np.float64),
                   metrics=Metrics(**data["metrics"]), cached=data["cached"], computed=data["computed"],
                   truncated=data["truncated"], seconds=data["seconds"], dim=data["dim"])


@dataclass(frozen=True, eq=False)
class Comparison:
    pairs: tuple[Pair, ...]
    sides: dict[str, SideResult]  # in the order they were given

    def ranking(self) -> list[str]:
        """Side names, best first (see `metrics.rank`)."""
        return rank({name: side.metrics for name, side in self.sides.items()})

    def without_vectors(self) -> "Comparison":
        return Comparison(self.pairs, {name: replace(side, vectors=None) for name, side in self.sides.items()})

    def to_json(self) -> dict:
        """{"pairs": [{"question", "answer"}...], "sides": [name...], "results": {name: R}}: the CLI's --json schema."""
        return {"pairs": [p.as_dict() for p in self.pairs], "sides": list(self.sides),
                "results": {name: side.to_json() for name, side in self.sides.items()}}

    @classmethod
    def from_json(cls, data: dict) -> "Comparison":
        return cls(tuple(make_pairs(data["pairs"], max_pairs=None)),
                   {name: SideResult.from_json(r) for name, r in data["results"].items()})


def compare_side(backend: Backend, pairs: Sequence[Pair], method: str | None = None, options: Options | None = None,
                 cache: EmbeddingCache | None = None, progress: Progress | None = None) -> SideResult:
    texts = [p.question for p in pairs] + [p.answer for p in pairs]
    roles = [Role.QUERY] * len(pairs) + [Role.PASSAGE] * len(pairs)
    return _side_result(backend, embed(backend, texts, roles, method, options, cache, progress), len(pairs))


def _side_result(backend: Backend, result, n: int) -> SideResult:
    similarity = cos_sim(result.vectors[:n], result.vectors[n:])
    return SideResult(model=backend.name, method=result.method, options=result.options, device=backend.device,
                      dtype=backend.dtype, similarity=similarity, metrics=score(similarity), cached=result.cached,
                      computed=result.computed, truncated=result.truncated, seconds=result.seconds,
                      dim=int(result.vectors.shape[1]), vectors=result.vectors)


def compare(pairs: Sequence[Pair], backends: dict[str, Backend], specs: dict[str, SideSpec],
            cache: EmbeddingCache | None = None, progress: Progress | None = None) -> Comparison:
    """Every side of `specs` on the same pairs, with the backend of the same name. Sides that share a
    model are embedded together (`embed_many`), so a text they feed the model alike runs once."""
    check_count(list(pairs), max_pairs=None)
    for name, spec in specs.items():  # a method that does not fit fails before any work is done
        resolve(backends[name], spec.method, spec.options)
    texts = [p.question for p in pairs] + [p.answer for p in pairs]
    roles = [Role.QUERY] * len(pairs) + [Role.PASSAGE] * len(pairs)
    by_backend: dict[int, list[str]] = {}
    for name in specs:
        by_backend.setdefault(id(backends[name]), []).append(name)
    results: dict[str, SideResult] = {}
    for names in by_backend.values():
        backend = backends[names[0]]
        embedded = embed_many(backend, texts, roles, [(specs[n].method, specs[n].options) for n in names], cache,
                              progress)
        results.update({n: _side_result(backend, e, len(pairs)) for n, e in zip(names, embedded)})
    return Comparison(tuple(pairs), {name: results[name] for name in specs})
