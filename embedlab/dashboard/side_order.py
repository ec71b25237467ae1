"""The order the page shows its sides in, and each side's place: one rule for the metrics table and every
per-side figure (heatmaps, block-mean maps, exact zooms, PCA maps).

With more than two sides the page ranks them (a leaderboard, `Comparison.ranking`), and each side is
led by its place, "#1 " first; with two, they keep the order given (base GPT, then the embedding model)
and carry no place. `label` is the name a side is shown by, in the table and the figures alike. Pure:
names in, names out.
"""

from __future__ import annotations

from ..comparison import Comparison
from ..presets import SIDES


def label(name: str) -> str:
    """A side's name as the page shows it: the classic two by their role ("Base GPT", "Embedding model"),
    every other by the name it was given."""
    return SIDES.get(name, name)


def ranked(comparison: Comparison) -> bool:
    """Whether the page ranks these sides: more than two of them."""
    return len(comparison.sides) > 2


def shown(comparison: Comparison) -> list[tuple[str, str]]:
    """Each side's name and its place ("#1 ", or "" with two sides), in the order the page shows them."""
    if not ranked(comparison):
        return [(name, "") for name in comparison.sides]
    return [(name, f"#{k} ") for k, name in enumerate(comparison.ranking(), 1)]
