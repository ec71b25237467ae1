"""The Fine-tune section's words, as pure functions: the status line with its progress bar, the held-out
heatmaps' caption, and the note on why "before tuning" can differ from Compare. The held-out sides and the
summary of a finished run are `tune_view.py`'s; the section's events are `tune_events.py`.
"""

from __future__ import annotations

import html

from ..comparison import Comparison
from . import figures

DEFAULT_SECONDS = 60


def progress_html(text: str, done: float | None = None) -> str:
    """The status line; with `done` (0 to 1), a progress bar above it."""
    bar = f"<progress class='tune-bar' max='1' value='{done:.3f}'></progress>" if done is not None else ""
    return f"<div class='tune-status'>{bar}<p class='run-line'>{html.escape(text)}</p></div>"


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
