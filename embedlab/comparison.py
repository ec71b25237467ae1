"""A comparison as typed data: what each side gave (`SideResult`) and the whole (`Comparison`: the
pairs and every side's result, in order). What a side is (`SideSpec`) is `sides.py`'s.

`compare_side()` embeds the questions (as queries) and answers (as passages) with one model, builds
the question x answer cosine matrix and scores it, keeping the vectors so later views (the PCA map)
never embed again. `compare()` does that for each side. JSON exists only at the edges:
`Comparison.to_json()` writes the schema the CLI, the API and the exports share, `from_json()` reads it
back (without vectors).

Pair sets of any size: above OVERVIEW_PAIRS a side is scored in row blocks (`metrics_blocks`), which
also keeps what the large-set figures need; above FULL_MATRIX_PAIRS the n x n matrix is never held, and
the JSON gives each question's top answers instead of the matrix. A side given as precomputed vectors
(`backends.vectors`) skips embedding and flows on like any other. A side's `post` option (center,
whiten; `analysis/post.py`) acts on its vectors here, fitted on all of them, before they are scored; the
geometry (`analysis/geometry.py`) describes the vectors as scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from .analysis.geometry import EXPLAIN as GEOMETRY_EXPLAIN, Geometry, geometry
from .analysis.post import processed, whiten_dims
from .backends import Backend
from .backends.vectors import METHOD as VECTORS_METHOD, VectorsBackend
from .cache import EmbeddingCache
from .embedding import Embedded, Progress, embed, embed_many, resolve
from .errors import EmbedLabError, VectorsError
from .methods import Role
from .metrics import Metrics, cos_sim, rank, score
from .metrics_blocks import BlockSummary, score_blocks
from .pairs import Pair, check_count, make_pairs
from .prompts import Options
from .sides import SideSpec

FULL_MATRIX_PAIRS = 2000  # above this the similarity matrix is neither kept nor written to JSON
OVERVIEW_PAIRS = 300  # above this a side is scored in blocks and the page shows block means, not cells
TOP_K = 5  # answers per question kept (and written) where the matrix is not


@dataclass(frozen=True, eq=False)
class SideResult:
    model: str
    method: str
    options: Options
    device: str
    dtype: str
    similarity: np.ndarray | None  # [n, n] float64: question i against answer j; None above FULL_MATRIX_PAIRS
    metrics: Metrics
    cached: int  # vectors that came from the cache
    computed: int  # vectors the model computed
    truncated: int  # texts cut to the max length
    seconds: float
    dim: int
    vectors: np.ndarray | None = field(default=None, repr=False)  # [2n, dim]: questions, then answers
    blocks: BlockSummary | None = field(default=None, repr=False)  # above OVERVIEW_PAIRS: top answers, block means
    geometry: Geometry | None = None  # the shape of the vectors (analysis/geometry.py); None where too large

    def to_json(self) -> dict:
        data = {"model": self.model, "method": self.method, "options": self.options.as_dict(), "dim": self.dim,
                "device": self.device, "dtype": self.dtype, "metrics": self.metrics.as_dict(), "cached": self.cached,
                "computed": self.computed, "truncated": self.truncated, "seconds": round(self.seconds, 4),
                "geometry": self.geometry and {**self.geometry.as_dict(), "explain": GEOMETRY_EXPLAIN}}
        if self.similarity is not None:
            return {**data, "similarity": self.similarity.round(6).tolist()}
        n = len(self.blocks.top_answers)
        return {**data, "similarity": None,
                "similarity_omitted": f"{n:,} pairs is over the limit of {FULL_MATRIX_PAIRS:,} for the full matrix; "
                                      f"top_answers[i] gives question i's {self.blocks.top_answers.shape[1]} best answers "
                                      "(0-based answer numbers, best first), top_scores[i] their cosine similarities",
                "top_answers": self.blocks.top_answers.tolist(), "top_scores": self.blocks.top_scores.round(6).tolist()}

    @classmethod
    def from_json(cls, data: dict) -> "SideResult":
        similarity, metrics = data.get("similarity"), Metrics(**data["metrics"])
        blocks = None
        if similarity is None:  # a large set: its top answers come back; its block means and histograms do not
            empty = np.zeros(0)
            blocks = BlockSummary(metrics, np.asarray(data["top_answers"], dtype=np.int64),
                                  np.asarray(data["top_scores"], dtype=np.float64), np.zeros((0, 0)),
                                  np.zeros(0, dtype=np.int64), empty, empty, empty)
        return cls(model=data["model"], method=data["method"], options=Options(**data["options"]),
                   device=data["device"], dtype=data["dtype"],
                   similarity=None if similarity is None else np.asarray(similarity, dtype=np.float64),
                   metrics=metrics, cached=data["cached"], computed=data["computed"], truncated=data["truncated"],
                   seconds=data["seconds"], dim=data["dim"], blocks=blocks,
                   geometry=Geometry(**{k: data["geometry"][k] for k in ("top_share", "effective_rank")})
                   if data.get("geometry") else None)


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
    embedded = embed(backend, texts, roles, method, options and options.embedding(), cache, progress)
    return side_result(backend, embedded, len(pairs), options)


def side_result(backend: Backend, result: Embedded, n: int, options: Options | None = None) -> SideResult:
    """A side's result from its vectors, after the post-processing its `options` ask for (none by default)."""
    asked = result.options if options is None else replace(result.options, post=options.post,
                                                           whiten_dims=options.whiten_dims)
    vectors, options = processed(result.vectors, asked)
    q, a = vectors[:n], vectors[n:]
    similarity = cos_sim(q, a) if n <= FULL_MATRIX_PAIRS else None
    blocks = score_blocks(q, a, top_k=TOP_K) if n > OVERVIEW_PAIRS else None
    return SideResult(model=backend.name, method=result.method, options=options, device=backend.device,
                      dtype=backend.dtype, similarity=similarity,
                      metrics=blocks.metrics if blocks else score(similarity), cached=result.cached,
                      computed=result.computed, truncated=result.truncated, seconds=result.seconds,
                      dim=int(vectors.shape[1]), vectors=vectors, blocks=blocks, geometry=geometry(vectors))


def _given(backend: VectorsBackend, n: int) -> Embedded:
    """A vectors side's vectors as if embedded (they were read and checked against n pairs already)."""
    if len(backend.vectors) != 2 * n:
        raise VectorsError(f"{backend.name}: holds vectors for {len(backend.vectors) // 2:,} pairs but there are "
                           f"{n:,} pairs; row i must be pair i")
    return Embedded(backend.vectors, VECTORS_METHOD, Options(), cached=0, computed=0, truncated=0,
                    seconds=backend.seconds)


def compare(pairs: Sequence[Pair], backends: dict[str, Backend], specs: dict[str, SideSpec],
            cache: EmbeddingCache | None = None, progress: Progress | None = None) -> Comparison:
    """Every side of `specs` on the same pairs, with the backend of the same name. Sides that share a
    model are embedded together (`embed_many`), so a text they feed the model alike runs once."""
    check_count(list(pairs), max_pairs=None)
    for name, spec in specs.items():  # a method or option that does not fit fails before any work is done
        try:
            whiten_dims(spec.options.post, spec.options.whiten_dims, 2 * len(pairs))
            if not isinstance(backends[name], VectorsBackend):
                resolve(backends[name], spec.method, spec.options)
        except EmbedLabError as exc:
            raise type(exc)(f"side {name!r}: {exc}") from None
    texts = [p.question for p in pairs] + [p.answer for p in pairs]
    roles = [Role.QUERY] * len(pairs) + [Role.PASSAGE] * len(pairs)
    by_backend: dict[int, list[str]] = {}
    for name in specs:
        by_backend.setdefault(id(backends[name]), []).append(name)
    results: dict[str, SideResult] = {}
    for names in by_backend.values():
        backend = backends[names[0]]
        if isinstance(backend, VectorsBackend):
            results.update({n: side_result(backend, _given(backend, len(pairs)), len(pairs), specs[n].options)
                            for n in names})
            continue
        embedded = embed_many(backend, texts, roles, [(specs[n].method, specs[n].options.embedding()) for n in names],
                              cache, progress)
        results.update({n: side_result(backend, e, len(pairs), specs[n].options) for n, e in zip(names, embedded)})
    return Comparison(tuple(pairs), {name: results[name] for name in specs})
