"""How much of a raw GPT's gap to an embedding model is geometry: whitening measured beside a comparison.

Where a comparison has a raw GPT side (`roles.is_raw_gpt`: no post-processing of its own) and an embedding
model, `measure_step` whitens the GPT side's vectors (`post.fit`, K by `post.whiten_dims`'s default rule),
fitted on all the set's question and answer texts without labels, and scores them as a side is scored:
no model call, one SVD of 2n vectors. The verdict then says what share of the AUC gap whitening closes
(`gap.py`, the one rule; paired with the comparison's own bootstrap) and leaves the rest to training.
Transductive: the fit sees the texts it scores, which flatters it a little; `explain` and the fine-tune
lab (fitted on training pairs, scored on held-out ones) give held-out figures.

Skipped where it is not cheap (an SVD above CHEAP multiply-adds, or above LINEAR_PAIRS pairs, where the
matrix is not held), below MIN_PAIRS pairs (no interval, so no share of the gap could be said; a fit on
a handful of texts says nothing), and where a tuned side leaves pairs out of the metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ..metrics import METRIC_NAMES, Metrics, cos_sim, score
from ..numbers import number
from ..roles import gpt_and_embedder, is_raw_gpt, side_name
from .gap import Gap, gap, gap_words
from .intervals import MIN_PAIRS, PENDING, joined, measure
from .linear import LINEAR_PAIRS
from .post import fit

CHEAP = 7e8  # multiply-adds of the SVD (2n texts x dim x min of both): 1,000 pairs of 576-dim vectors, 0.7 s on one core
HELD_OUT = ("The fit sees the texts it scores (transductive), which flatters it a little; the explain command "
            "(python -m embedlab explain) and the fine-tune lab give held-out figures.")


@dataclass(frozen=True, eq=False)
class WhitenedStep:
    """Side `gpt` whitened (`dims` directions, fitted on `texts` texts) and scored; `embed` the embedding model."""
    gpt: str
    embed: str
    dims: int
    texts: int
    metrics: Metrics
    similarity: np.ndarray = field(repr=False)  # [n, n]: question i against answer j, whitened


def measure_step(sides: Mapping, n: int) -> WhitenedStep | None:
    """The best raw GPT side of `sides` (SideResults with their vectors, scored on `n` pairs) whitened and
    scored, beside the best embedding model; None where there is no such pair of sides or it is not cheap."""
    picked = gpt_and_embedder(sides, is_raw_gpt)
    if picked is None or not MIN_PAIRS <= n <= LINEAR_PAIRS or any(s.seen_in_training for s in sides.values()):
        return None
    vectors = sides[picked[0]].vectors
    if vectors is None or len(vectors) * vectors.shape[1] * min(vectors.shape) > CHEAP:
        return None
    fitted = fit(vectors, "whiten")
    whitened = fitted.apply(vectors)
    similarity = cos_sim(whitened[:n], whitened[n:])
    return WhitenedStep(*picked, fitted.basis.shape[1], len(vectors), score(similarity), similarity)


def step_gap(comparison) -> tuple[Gap, str] | None:
    """The gap from the raw GPT side to the embedding model and what whitening closes of it, on the
    comparison's own resamples (so paired), and the whitened side's name in it; None while the intervals
    are pending or where the comparison has no whitened step."""
    step, u = comparison.whitened, comparison.uncertainty
    if step is None or u.reason(step.gpt) == PENDING:
        return None
    key = "whitened"
    while key in comparison.sides:  # never a side's own name
        key += "'"
    mine = measure({key: step.similarity}, {key: [step.metrics[m] for m in METRIC_NAMES]}, u.pairs, u.resamples, u.seed)
    return gap(joined([u, mine]), step.gpt, step.embed, [key]), key


def step_words(comparison) -> str:
    """The verdict's geometry sentence: whitening's AUC beside the raw GPT's and what share of the gap it
    closes; "" where the comparison has no whitened step."""
    step = comparison.whitened
    if step is None:
        return ""
    g, e = comparison.sides[step.gpt], comparison.sides[step.embed]
    head = (f"Whitened without labels ({step.dims} directions, fitted on these {step.texts} texts), {side_name(g)} "
            f"goes from AUC {number(g.metrics.auc)} to {number(step.metrics.auc)}")
    embedder, reference = side_name(e), number(e.metrics.auc)
    measured = comparison.whitened_gap
    if measured is None:
        return f"{head}; {embedder} scores {reference}, and the share of the gap follows with the intervals."
    found, key = measured
    if not found.clear:
        labels = {step.gpt: side_name(g), step.embed: embedder}
        return f"{head}; {embedder} scores {reference}. {gap_words(found, labels, comparison.uncertainty.pairs)} {HELD_OUT}"
    closed = found.closed[key]
    rest = ("on these texts geometry alone closes the gap" if closed.share >= 1 else
            "whitening does not help here" if closed.share < 0 else "the rest is what contrastive training adds")
    return f"{head}, {closed.words()} of the way to {embedder} at {reference}; {rest}. {HELD_OUT}"


def step_json(comparison) -> dict | None:
    """The JSON's `geometry_vs_training`: the sides, the fit, the three AUCs, the gap and its words."""
    step = comparison.whitened
    if step is None:
        return None
    measured = comparison.whitened_gap
    found = None
    if measured is not None:
        found = measured[0].as_dict()
        found["closed"] = {"whitening": c for c in found["closed"].values()}
    return {"gpt": step.gpt, "embedding_model": step.embed, "post": "whiten", "whiten_dims": step.dims,
            "fitted_on": f"all {step.texts} question and answer texts of the set, no labels (transductive)",
            "auc": {"raw": comparison.sides[step.gpt].metrics.auc, "whitened": step.metrics.auc,
                    "embedding_model": comparison.sides[step.embed].metrics.auc},
            "whitened_metrics": step.metrics.as_dict(), "gap": found, "words": step_words(comparison)}
