"""How much of the gap between a raw GPT and an embedding model a step closes, from the bootstrap.

The gap is the embedding model's AUC minus the raw GPT's, on the same pairs; a step (centring,
whitening, a better layer, a fine-tune) closes `(step - raw) / (embed - raw)` of it: 0 where it does
nothing, 1 where it reaches the embedding model, above 1 where it passes it, below 0 where it hurts.
The share has an interval only where the gap is above 0 on every resample (the ratio of the same
resamples' differences, so paired); it has no value at all where the gap itself is not clearly above 0
(the paired interval of embed - raw holds 0): there is then nothing to share out, and the words say so.
This is the one place the rule and its words live; the fine-tune lab and `explain` both use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..metrics import METRIC_NAMES
from ..numbers import number, span
from .intervals import Difference, Uncertainty


@dataclass(frozen=True)
class Closed:
    """The share of the gap one step closes; `low`/`high` its interval (None where there is none)."""
    step: str
    share: float
    low: float | None = None
    high: float | None = None

    def words(self) -> str:
        """`91% [80%, 99%]`."""
        interval = f" [{self.low:.0%}, {self.high:.0%}]" if self.low is not None else ""
        return f"{self.share:.0%}{interval}"

    def as_dict(self) -> dict:
        return {"share": self.share, "interval": None if self.low is None else [self.low, self.high]}


@dataclass(frozen=True)
class Gap:
    """The gap `end - start` (a paired difference) and what each step closes of it (none where it is not clear)."""
    start: str
    end: str
    difference: Difference | None
    closed: dict[str, Closed]

    @property
    def clear(self) -> bool:
        return self.difference is not None and self.difference.clear() == 1

    def as_dict(self) -> dict:
        return {"from": self.start, "to": self.end, "metric": "auc",
                "gap": self.difference.as_dict() if self.difference else None, "clear": self.clear,
                "closed": {step: c.as_dict() for step, c in self.closed.items()}}


def gap(u: Uncertainty, start: str, end: str, steps: list[str], metric: str = "auc") -> Gap:
    """What each of `steps` closes of the gap from side `start` (the raw GPT) to side `end` (the embedding model)."""
    d = u.difference(end, start, metric)
    if d is None or d.clear() != 1:
        return Gap(start, end, d, {})
    k = METRIC_NAMES.index(metric)
    width = d.value
    closed = {}
    for step in steps:
        share = float((u.points[step][k] - u.points[start][k]) / width)
        low = high = None
        if step in u.draws:
            below = u.draws[end][:, k] - u.draws[start][:, k]
            if (below > 0).all():
                ratios = (u.draws[step][:, k] - u.draws[start][:, k]) / below
                q = (1 - u.level) / 2
                low, high = (float(x) for x in np.quantile(ratios, [q, 1 - q]))
        closed[step] = Closed(step, share, low, high)
    return Gap(start, end, d, closed)


def gap_words(g: Gap, labels: dict[str, str], pairs: int, noun: str = "pairs") -> str:
    """One plain sentence: how far apart the two ends are and what share of that each step closes."""
    a, b = labels.get(g.start, g.start), labels.get(g.end, g.end)
    if g.difference is None:
        return f"No gap to share out between {a} and {b}: there is no interval on these {pairs} {noun}."
    d = g.difference
    size = f"{number(d.value, 3)} {span(d.low, d.high)}"
    if not g.clear:
        return _capital(f"{b} is not clearly ahead of {a} on these {pairs} {noun} (AUC difference {size}), so there "
                        "is no gap to share out.")
    parts = []
    for step, c in g.closed.items():
        what = labels.get(step, step)
        tail = f" (it ends above {b})" if c.share > 1 else " (it falls further behind)" if c.share < 0 else ""
        parts.append(f"{what} closes {c.words()}{tail}")
    return _capital(f"{b} is {size} AUC ahead of {a} on these {pairs} {noun}; " + "; ".join(parts) + " of that gap.")


def _capital(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]
