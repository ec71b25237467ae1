"""The Fine-tune section's words and held-out results, as pure functions: the three held-out sides
(`heldout_comparison`), the status line with its progress bar, the summary of a finished run, and the
note on why "before tuning" can differ from Compare. The section's events are `tune_events.py`.
"""

from __future__ import annotations

import html

from ..comparison import Comparison
from ..pairs import pairs_from_value
from ..report import change_words
from . import figures

SIDE_NAMES = ("before tuning", "after tuning", "embedding model")  # the held-out heatmaps, left to right
DEFAULT_SECONDS = 60
UPDATE_SECONDS = 1.0  # the loss curve is drawn again at most this often


def heldout_comparison(pairs, result, embed_side) -> Comparison:
    """The held-out pairs with three sides: the base GPT before and after tuning, the embedding model."""
    heldout = pairs_from_value([pairs[i] for i in result.split.heldout])
    return Comparison(tuple(heldout), dict(zip(SIDE_NAMES, (result.before, result.after, embed_side))))


def progress_html(text: str, done: float | None = None) -> str:
    """The status line; with `done` (0 to 1), a progress bar above it."""
    bar = f"<progress class='tune-bar' max='1' value='{done:.3f}'></progress>" if done is not None else ""
    return f"<div class='tune-status'>{bar}<p class='run-line'>{html.escape(text)}</p></div>"


def summary(result, comparison: Comparison) -> str:
    """The run and its held-out AUC before and after, with intervals (`heldout_comparison`'s sides)."""
    before, after, embed = SIDE_NAMES
    e = comparison.sides[embed].metrics
    return (f"Done: {result.steps} steps in {result.seconds:.1f} s on {len(result.split.train)} pairs. "
            f"Held-out ({len(result.split.heldout)} pairs) {change_words(comparison.uncertainty, before, after)}, "
            f"top-1 {result.before.metrics.top1:.2f} → {result.after.metrics.top1:.2f} "
            f"(embedding model: AUC {e.auc:.3f}, top-1 {e.top1:.2f}).")


def before_note(method: str) -> str:
    """Why "before tuning" can differ from what Compare shows for the same GPT."""
    return (f"Before tuning reads the base GPT with {method}, the method it is tuned with, so before and after "
            "differ only by the training; Compare reads it with the method chosen there (the model's default "
            "may be another one), so its figures can differ.")


def heatmaps_caption(comparison: Comparison, method: str) -> str:
    """The held-out heatmaps' caption: their shared colour scale, and `before_note`."""
    zrange = figures.color_range([r.similarity for r in comparison.sides.values()])
    return (f"<p class='caption'><b>Held-out pairs.</b> {html.escape(figures.heatmaps_title(zrange))}. "
            f"{html.escape(before_note(method))}</p>")
