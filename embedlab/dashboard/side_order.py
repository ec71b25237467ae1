"""The order the page shows its sides in, and each side's place: one rule for the metrics table and every
per-side figure (heatmaps, block-mean maps, exact zooms, PCA maps).

With more than two sides the page ranks them (a leaderboard, `Comparison.ranking`), and each side is
led by its place, "#1 " first; with two, they keep the order given (base GPT, then the embedding model)
and carry no place. Pure: names in, names out.
"""

from __future__ import annotations

from ..comparison import Comparison


def ranked(comparison: Comparison) -> bool:
    """Whether the page ranks these sides: more than two of them."""
    return len(comparison.sides) > 2


def shown(comparison: Comparison) -> list[tuple[str, str]]:
    """Each side's name and its place ("#1 ", or "" with two sides), in the order the page shows them."""
    if not ranked(comparison):
        return [(name, "") for name in comparison.sides]
    return [(name, f"#{k} ") for k, name in enumerate(comparison.ranking(), 1)]
