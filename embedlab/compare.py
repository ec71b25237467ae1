"""Comparing two models on question/answer pairs: the operation behind the CLI and the dashboard.

`compare_side()` embeds the questions (as queries) and answers (as passages) with one model, builds
the question x answer cosine matrix and scores it. `compare()` does that for the base GPT and the
embedding model and returns the JSON-ready result every front end shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from .backends import Backend
from .cache import EmbeddingCache
from .embedding import Progress, embed, resolve
from .methods import Role
from .metrics import cos_sim, score
from .pairs import Pair, check_count
from .prompts import Options

SIDES = ("base", "embed")


@dataclass(frozen=True)
class SideSpec:
    """One side of a comparison: a model, a method (None for its default) and method options."""

    model: str
    method: str | None = None
    options: Options = field(default_factory=Options)


def compare_side(backend: Backend, pairs: Sequence[Pair], method: str | None = None, options: Options | None = None,
                 cache: EmbeddingCache | None = None, progress: Progress | None = None) -> dict:
    texts = [p.question for p in pairs] + [p.answer for p in pairs]
    roles = [Role.QUERY] * len(pairs) + [Role.PASSAGE] * len(pairs)
    result = embed(backend, texts, roles, method, options, cache, progress)
    questions, answers = result.vectors[: len(pairs)], result.vectors[len(pairs):]
    similarity = cos_sim(questions, answers)
    return {
        "model": backend.name,
        "method": result.method,
        "options": result.options.as_dict(),
        "dim": int(result.vectors.shape[1]),
        "device": backend.device,
        "dtype": backend.dtype,
        "similarity": similarity.round(6).tolist(),
        "metrics": score(similarity),
        "cached": result.cached,
        "computed": result.computed,
        "truncated": result.truncated,
        "seconds": round(result.seconds, 4),
    }


def compare(pairs: Sequence[Pair], backends: dict[str, Backend], specs: dict[str, SideSpec],
            cache: EmbeddingCache | None = None, progress: Progress | None = None) -> dict:
    """Both sides on the same pairs: {"pairs": [...], "results": {"base": R, "embed": R}}."""
    check_count(list(pairs), max_pairs=None)
    for side, spec in specs.items():  # a method that does not fit fails before any work is done
        resolve(backends[side], spec.method, spec.options)
    results = {side: compare_side(backends[side], pairs, specs[side].method, specs[side].options, cache, progress)
               for side in SIDES if side in specs}
    return {"pairs": [p.as_dict() for p in pairs], "results": results}
