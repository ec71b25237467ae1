"""The page's two steps, so it never waits on the intervals to draw the heatmaps.

Step 1 (`at_once`), in the Compare event with the heatmaps: the verdict and the metrics table from
`Comparison.pending()`: the exact point metrics, "the intervals are being computed" in the note and the
verdict, no brackets and no marks. Step 2 (`filled`), in a `.then` of that event: the bootstrap
(`Comparison.with_intervals()`), then the same views again with every interval, mark and verdict, and
the forest plot. Both give HTML and figures keyed by what they are ("verdict", "metrics", "forest"), for
the page's wiring to map onto its components. Pure builders: a comparison in, views out.
"""

from __future__ import annotations

from ..comparison import Comparison
from .figures import interval_forest
from .views import metrics_html, verdict_html


def at_once(comparison: Comparison) -> dict:
    """The views to show with the heatmaps, before any resample is drawn."""
    shown = comparison.pending()
    return {"verdict": verdict_html(shown), "metrics": metrics_html(shown)}


def filled(comparison: Comparison) -> dict:
    """The views once the intervals are in (computing them here where not yet done)."""
    done = comparison.with_intervals()
    return {"verdict": verdict_html(done), "metrics": metrics_html(done), "forest": interval_forest(done)}
