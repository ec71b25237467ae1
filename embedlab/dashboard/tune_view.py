"""The fine-tune results as the page shows them, pure builders (numbers in, text and sides out): the
held-out comparison of four sides, one heatmap each, and the status line under the loss curve.

The sides, left to right: the base GPT before tuning, its held-out vectors whitened with a fit on the
training texts only (the label-free baseline, `tuning/baseline.py`), after tuning, and the embedding
model. The status line says how much of the held-out AUC gap from before to the embedding model
whitening and tuning each close (`analysis/gap.py`).
"""

from __future__ import annotations

from ..analysis.gap import gap as measure_gap, gap_words
from ..comparison import Comparison
from ..pairs import pairs_from_value
from ..report import change_words, with_interval
from ..tuning.baseline import GAP_LABELS

SIDE_NAMES = ("before tuning", "whitened (no labels)", "after tuning", "embedding model")  # left to right
RESULT_KEYS = ("before", "whitened", "after", "embedding")  # the same sides in `TuneResult.sides`


def heldout_comparison(pairs, result, embed_side) -> Comparison:
    """The held-out pairs with the four sides of SIDE_NAMES."""
    heldout = pairs_from_value([pairs[i] for i in result.split.heldout])
    sides = result.with_embedding(embed_side).sides
    return Comparison(tuple(heldout), {name: sides[key] for name, key in zip(SIDE_NAMES, RESULT_KEYS)})


def summary(result, comparison: Comparison) -> str:
    """The run; held-out AUC before and after, with intervals; the whitened baseline and the embedding
    model; and what share of the gap each closes (`heldout_comparison`'s sides)."""
    before, white, after, embed = SIDE_NAMES
    u, sides = comparison.uncertainty, comparison.sides
    e = sides[embed].metrics
    labels = {name: GAP_LABELS[key] for name, key in zip(SIDE_NAMES, RESULT_KEYS)}
    gap = gap_words(measure_gap(u, before, embed, [white, after]), labels, len(result.split.heldout), "held-out pairs")
    return (f"Done: {result.steps} steps in {result.seconds:.1f} s on {len(result.split.train)} pairs. "
            f"Held-out ({len(result.split.heldout)} pairs) {change_words(u, before, after)}, "
            f"top-1 {result.before.metrics.top1:.2f} → {result.after.metrics.top1:.2f}. "
            f"Whitened without labels (fitted on the training texts only): AUC "
            f"{with_interval(u, white, 'auc', sides[white].metrics.auc)}; embedding model: AUC "
            f"{with_interval(u, embed, 'auc', e.auc)}, top-1 {e.top1:.2f}. {gap}")
