"""A comparison as typed data: what each side gave (`SideResult`) and the whole (`Comparison`: the
pairs and every side's result, in order). What a side is (`SideSpec`) is `sides.py`'s.

`compare_side()` embeds the questions (as queries) and answers (as passages) with one model, builds
the question x answer cosine matrix and scores it, keeping the vectors so later views (the PCA map)
never embed again. `compare()` does that for each side. JSON exists only at the edges:
`Comparison.to_json()` writes the schema the CLI, the API and the exports share, `from_json()` reads it
back (without vectors, and without the whitened step: its words need its matrix). Where there is a raw
GPT side and an embedding model, `compare()` also whitens the GPT side's vectors, for the verdict's
sentence on geometry and training (`analysis/whitening_step.py`).

Pair sets of any size: above OVERVIEW_PAIRS a side is scored in row blocks (`metrics_blocks`), which
also keeps what the large-set figures need; above FULL_MATRIX_PAIRS the n x n matrix is never held, and
the JSON gives each question's top answers instead of the matrix. Every side comes from a source
(`side_sources.py`: a model, or vectors given in a file) and flows on the same way. A side's `post` option (center,
whiten; `analysis/post.py`) acts on its vectors here, fitted on all of them, before they are scored; the
geometry (`analysis/geometry.py`) describes the vectors as scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Sequence

import numpy as np

from .analysis.intervals import RESAMPLES, SEED, Uncertainty, measure, pending
from .analysis.linear import LINEAR_PAIRS
from .analysis.geometry import EXPLAIN as GEOMETRY_EXPLAIN, Geometry, geometry
from .analysis.post import processed
from .analysis.whitening_step import WhitenedStep, measure_step, step_gap, step_json
from .backends import Backend
from .cache import EmbeddingCache
from .embedding import Embedded, Progress, embed
from .methods import Role
from .metrics import METRIC_NAMES, Metrics, cos_sim, rank, score
from .metrics_blocks import BlockSummary, score_blocks
from .pairs import Pair, make_pairs
from .prompts import Options
from .side_sources import ModelSource, SideSource
from .sides import SideSpec
from .tuned import held_out, scored_on, tuned_sides

FULL_MATRIX_PAIRS = LINEAR_PAIRS  # above this the matrix is neither kept nor written to JSON; intervals linearised
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
    # a comparison with a tuned side (`tuned.held_out`): `metrics` are on the pairs no tuned side has seen
    metrics_all: Metrics | None = None  # on every pair, where that differs from `metrics`
    seen_in_training: tuple[int, ...] | None = None  # a tuned model's training pairs; None: not a tuned model
    training_recorded: bool = True  # False: a tuned folder that does not record its training pairs
    geometry: Geometry | None = None  # the shape of the vectors (analysis/geometry.py); None where too large

    def to_json(self) -> dict:
        data = {"model": self.model, "method": self.method, "options": self.options.as_dict(), "dim": self.dim,
                "device": self.device, "dtype": self.dtype, "metrics": self.metrics.as_dict(), "cached": self.cached,
                "computed": self.computed, "truncated": self.truncated, "seconds": round(self.seconds, 4),
                "metrics_all": (self.metrics_all or self.metrics).as_dict(),
                "seen_in_training": None if self.seen_in_training is None else list(self.seen_in_training),
                "geometry": self.geometry and {**self.geometry.as_dict(), "explain": GEOMETRY_EXPLAIN}}
        if self.similarity is not None:
            return {**data, "similarity": self.similarity.round(6).tolist()}
        n = len(self.blocks.top_answers)
        return {**data, "similarity": None,
                "similarity_omitted": f"{n:,} pairs is over the limit of {FULL_MATRIX_PAIRS:,} for the full matrix; "
                                      f"top_answers[i] gives question i's {self.blocks.top_answers.shape[1]} best answers "
                                      "(0-based answer numbers, best first), top_scores[i] their cosine similarities",
                "top_answers": self.blocks.top_answers.tolist(), "top_scores": self.blocks.top_scores.round(6).tolist(),
                "gradient": None if self.blocks.gradient is None else self.blocks.gradient.tolist()}

    @classmethod
    def from_json(cls, data: dict) -> "SideResult":
        similarity, metrics = data.get("similarity"), Metrics(**data["metrics"])
        blocks = None
        if similarity is None:  # a large set: its top answers come back; its block means and histograms do not
            empty = np.zeros(0)
            gradient = data.get("gradient")  # each pair's, behind the intervals (`analysis.linear`)
            blocks = BlockSummary(metrics, np.asarray(data["top_answers"], dtype=np.int64),
                                  np.asarray(data["top_scores"], dtype=np.float64), np.zeros((0, 0)),
                                  np.zeros(0, dtype=np.int64), empty, empty, empty,
                                  None if gradient is None else np.asarray(gradient, dtype=np.float64))
        return cls(model=data["model"], method=data["method"], options=Options(**data["options"]),
                   device=data["device"], dtype=data["dtype"],
                   similarity=None if similarity is None else np.asarray(similarity, dtype=np.float64),
                   metrics=metrics, cached=data["cached"], computed=data["computed"], truncated=data["truncated"],
                   seconds=data["seconds"], dim=data["dim"], blocks=blocks, **_tuned_from_json(data),
                   geometry=Geometry(**{k: data["geometry"][k] for k in ("top_share", "effective_rank")})
                   if data.get("geometry") else None)


def _tuned_from_json(data: dict) -> dict:
    extra = {}
    if data.get("metrics_all") and data["metrics_all"] != data["metrics"]:
        extra["metrics_all"] = Metrics(**data["metrics_all"])
    if data.get("seen_in_training") is not None:
        extra["seen_in_training"] = tuple(data["seen_in_training"])
    return extra


@dataclass(frozen=True, eq=False)
class Comparison:
    pairs: tuple[Pair, ...]
    sides: dict[str, SideResult]  # in the order they were given
    resamples: int = RESAMPLES  # of the bootstrap behind `uncertainty`
    seed: int = SEED
    whitened: WhitenedStep | None = None  # the raw GPT side whitened, beside the embedding model (whitening_step.py)

    def ranking(self) -> list[str]:
        """Side names by their AUC and margin, highest first (see `metrics.rank`): ranked once (`_ranked`),
        read by the verdict, the table and the figures alike."""
        return list(self._ranked)

    @cached_property
    def _ranked(self) -> list[str]:
        return rank({name: side.metrics for name, side in self.sides.items()})

    @property
    def excluded(self) -> tuple[int, ...]:
        """Pairs left out of every side's `metrics`: those some tuned side trained on (`tuned.held_out`)."""
        return tuple(sorted(set().union(*(s.seen_in_training or () for s in self.sides.values()))))

    @cached_property
    def uncertainty(self) -> Uncertainty:
        """Every side's intervals and every two sides' paired differences (`analysis.intervals`), once, on the
        pairs the metrics are on (those no tuned side has seen, see `excluded`)."""
        return measure_sides(self.sides, len(self.pairs), self.resamples, self.seed, excluded=self.excluded)

    @cached_property
    def whitened_gap(self):
        """What whitening closes of the raw GPT's gap to the embedding model (`whitening_step.step_gap`)."""
        return step_gap(self)

    def pending(self) -> "Comparison":
        """A copy to draw at once, before the bootstrap: its `uncertainty` holds no resamples and says the
        intervals are being computed, so every view shows the point metrics, no brackets or marks, and a
        verdict that claims nothing yet. The page draws this first, then `with_intervals()`."""
        shown = replace(self)
        shown.__dict__["uncertainty"] = pending(_points(self.sides), len(self.pairs) - len(self.excluded),
                                                self.resamples, self.seed)
        return shown

    def with_intervals(self) -> "Comparison":
        """This comparison with its bootstrap computed (once; `uncertainty` keeps it)."""
        _ = self.uncertainty
        return self

    def without_vectors(self) -> "Comparison":
        lighter = replace(self, sides={name: replace(side, vectors=None) for name, side in self.sides.items()})
        for measured in ("uncertainty", "_ranked", "whitened_gap"):  # computed already: the lighter copy keeps it
            if measured in self.__dict__:
                lighter.__dict__[measured] = self.__dict__[measured]
        return lighter

    def to_json(self) -> dict:
        """{"pairs": [{"question", "answer"}...], "sides": [name...], "bootstrap": {method, seed, resamples...},
        "results": {name: R}}, each R with its "intervals" and "differences": the CLI's --json schema; with a
        tuned side also "excluded_pairs" and "scored_on" (`tuned.py`)."""
        u = self.uncertainty
        return {"pairs": [p.as_dict() for p in self.pairs], "sides": list(self.sides), "bootstrap": u.settings(),
                "results": {name: {**side.to_json(), **u.side_json(name)} for name, side in self.sides.items()},
                "excluded_pairs": list(self.excluded), "scored_on": scored_on(self),
                "geometry_vs_training": step_json(self)}

    @classmethod
    def from_json(cls, data: dict) -> "Comparison":
        settings = data.get("bootstrap") or {}
        return cls(tuple(make_pairs(data["pairs"], max_pairs=None)),
                   {name: SideResult.from_json(r) for name, r in data["results"].items()},
                   settings.get("resamples", RESAMPLES), settings.get("seed", SEED))


def measure_sides(sides: dict[str, SideResult], n: int, resamples: int = RESAMPLES, seed: int = SEED,
                  excluded: Sequence[int] = ()) -> Uncertainty:
    """The bootstrap of sides scored on the same n pairs (`analysis.intervals.measure`), less the pairs
    `excluded` from their metrics (a tuned side's training pairs, `tuned.held_out`)."""
    keep = np.setdiff1d(np.arange(n), np.asarray(excluded, dtype=np.int64))
    similarities = {name: None if side.similarity is None else side.similarity[np.ix_(keep, keep)]
                    for name, side in sides.items()}
    gradients = {name: side.blocks.gradient for name, side in sides.items()
                 if side.similarity is None and side.blocks is not None and side.blocks.gradient is not None}
    why_none = (f"above {FULL_MATRIX_PAIRS:,} pairs the intervals come from each pair's gradient in the block pass, "
                "which a large set with pairs left out (a tuned side's) does not have")
    return measure(similarities, _points(sides), len(keep), resamples, seed, why_none=why_none,
                   gradients=gradients if len(gradients) == len(sides) and not len(excluded) else None)


def _points(sides: dict[str, SideResult]) -> dict[str, list[float]]:
    return {name: [side.metrics[m] for m in METRIC_NAMES] for name, side in sides.items()}


def compare_side(backend: Backend, pairs: Sequence[Pair], method: str | None = None, options: Options | None = None,
                 cache: EmbeddingCache | None = None, progress: Progress | None = None) -> SideResult:
    texts = [p.question for p in pairs] + [p.answer for p in pairs]
    roles = [Role.QUERY] * len(pairs) + [Role.PASSAGE] * len(pairs)
    embedded = embed(backend, texts, roles, method, options and options.embedding(), cache, progress)
    return side_result(backend, embedded, len(pairs), options)


def side_result(source, result: Embedded, n: int, options: Options | None = None) -> SideResult:
    """A side's result from its vectors, after the post-processing its `options` ask for (none by default);
    `source` (a backend or a `side_sources` source) gives the model's name, device and dtype."""
    asked = result.options if options is None else replace(result.options, post=options.post,
                                                           whiten_dims=options.whiten_dims)
    vectors, options = processed(result.vectors, asked)
    q, a = vectors[:n], vectors[n:]
    similarity = cos_sim(q, a) if n <= FULL_MATRIX_PAIRS else None
    blocks = score_blocks(q, a, top_k=TOP_K, gradient=n > FULL_MATRIX_PAIRS) if n > OVERVIEW_PAIRS else None
    return SideResult(model=source.name, method=result.method, options=options, device=source.device,
                      dtype=source.dtype, similarity=similarity,
                      metrics=blocks.metrics if blocks else score(similarity), cached=result.cached,
                      computed=result.computed, truncated=result.truncated, seconds=result.seconds,
                      dim=int(vectors.shape[1]), vectors=vectors, blocks=blocks, geometry=geometry(vectors))


def compare(pairs: Sequence[Pair], sources: dict[str, SideSource], specs: dict[str, SideSpec],
            cache: EmbeddingCache | None = None, progress: Progress | None = None) -> Comparison:
    """Every side of `specs` on the same pairs, from the source of the same name, as a request built them
    (`request.py`: pairs counted, methods resolved, vector files read and checked; nothing is checked
    again here). Sources of one group (the sides of one model) are embedded together, so a text they
    feed the model alike runs once."""
    texts = [p.question for p in pairs] + [p.answer for p in pairs]
    roles = [Role.QUERY] * len(pairs) + [Role.PASSAGE] * len(pairs)
    groups: dict[int, list[str]] = {}
    for name in specs:
        groups.setdefault(sources[name].group, []).append(name)
    results: dict[str, SideResult] = {}
    for names in groups.values():
        members = [sources[n] for n in names]
        embedded = members[0].embed_group(members, texts, roles, cache, progress)
        results.update({n: side_result(sources[n], e, len(pairs), specs[n].options) for n, e in zip(names, embedded)})
    tuned = tuned_sides(sources)  # fine-tuned folders: named, their training pairs marked and left out of metrics
    sides = held_out(pairs, {name: results[name] for name in specs}, tuned)
    return Comparison(tuple(pairs), sides, whitened=measure_step(sides, len(pairs)))


def compare_backends(pairs: Sequence[Pair], backends: dict[str, Backend], specs: dict[str, SideSpec],
                     cache: EmbeddingCache | None = None, progress: Progress | None = None) -> Comparison:
    """`compare` with loaded backends (one per side name) and no request: each side's method is checked and
    its options resolved against its model first, so one that does not fit fails before any work is done;
    the error names the side."""
    sources = {name: ModelSource.of(backends[name], spec, name, check=True) for name, spec in specs.items()}
    return compare(pairs, sources, specs, cache, progress)
