"""Comparisons built from given similarity matrices, for tests of what the page and the reports say about them."""

from __future__ import annotations

import numpy as np

from embedlab.comparison import Comparison, SideResult
from embedlab.metrics import score
from embedlab.pairs import Pair
from embedlab.prompts import Options


def side(model: str, similarity) -> SideResult:
    sim = np.asarray(similarity, dtype=np.float64)
    return SideResult(model=model, method="m", options=Options(), device="cpu", dtype="float32", similarity=sim,
                      metrics=score(sim), cached=1, computed=3, truncated=0, seconds=0.25, dim=4)


def fake_result(models=("gpt", "embedder"), questions=("q1", "q2"), answers=("a1", "a2")) -> Comparison:
    sims = {"base": [[0.30, 0.31], [0.29, 0.30]], "embed": [[0.8, -0.1], [0.2, 0.7]]}
    return Comparison(tuple(Pair(q, a) for q, a in zip(questions, answers)),
                      {name: side(model, sims[name]) for name, model in zip(("base", "embed"), models)})
