"""How sure each number is: a 95% interval on every metric of every side, and a paired difference with
an interval and a p-value between every two sides, all from one seeded bootstrap over pairs
(`bootstrap.py`, which states the duplicate-pair rule).

The rule behind every "better" lives here, once: side A is better than side B on a metric only when the
interval of A - B (from the same resamples, so paired) excludes 0 (`Difference.clear`). The p-value is
the paired bootstrap's: the share of resampled differences on the far side of 0, doubled (two-sided),
counted as (1 + k) / (1 + resamples), so the smallest at 1,000 resamples is 0.002. Intervals are
percentile intervals. Large sets (above LINEAR_PAIRS, where the block pass gives each pair's
gradient) are resampled by the linearised scheme of `linear.py`, from the same stream. No interval where
it would say nothing: under MIN_PAIRS pairs (at 2 pairs the only resample that holds both pairs is the
set itself), and for a side whose scores hold NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

import numpy as np

from ..metrics import HIGHER_IS_BETTER, METRIC_NAMES, RANK_BY
from .bootstrap import BLOCKS, EXACT_PAIRS, Resampler, counts, units_of
from .linear import LINEAR_PAIRS, linear_draws

RESAMPLES = 1000
SEED = 0
LEVEL = 0.95
MIN_PAIRS = 5  # below this a bootstrap has too few distinct resamples (10 at 3 pairs, 35 at 4) to say anything
NOISE = 1e-12  # resampled differences this close to 0 are 0
PENDING = "the intervals are being computed; the marks and the verdict follow"
POWER_Z = 0.8416  # z of 80% power: "the N at which it would likely show" is where a test finds it 4 times in 5


@dataclass(frozen=True)
class Difference:
    """`value` = A - B on one metric (point estimates), its interval and the paired p-value."""
    value: float
    low: float
    high: float
    p: float

    @property
    def identical(self) -> bool:
        """No difference at all: 0 on the pairs and an interval of [0, 0] (identical sides, both perfect)."""
        return self.value == 0.0 and self.low == 0.0 and self.high == 0.0

    def clear(self) -> int:
        """1 where A is clearly the higher (the interval is above 0), -1 where B is, 0 where the interval
        holds 0: THE rule behind every "better", table mark and verdict."""
        return 1 if self.low > 0 else -1 if self.high < 0 else 0

    def pairs_to_show(self, n: int) -> int | None:
        """About how many pairs would likely (80% power) show this difference as clear if it held: the
        interval narrows as 1/sqrt(pairs). None where the observed difference is 0."""
        if self.value == 0 or self.high <= self.low:
            return None
        spread = (self.high - self.low) / (2 * 1.959964)  # the standard error the interval implies
        return max(n + 1, math.ceil(n * ((1.959964 + POWER_Z) * spread / abs(self.value)) ** 2))

    def negated(self) -> "Difference":
        return Difference(-self.value, -self.high, -self.low, self.p)

    def as_dict(self) -> dict:
        return {"difference": self.value, "low": self.low, "high": self.high, "p": self.p}


@dataclass(frozen=True, eq=False)
class Uncertainty:
    pairs: int
    resamples: int
    seed: int
    level: float
    points: dict[str, np.ndarray]  # each side's metrics on the pairs themselves, METRIC_NAMES order
    draws: dict[str, np.ndarray] = field(repr=False)  # [resamples, 6] of each side that has intervals
    missing: dict[str, str] = field(default_factory=dict)  # side -> why it has no interval
    linear: bool = False  # a large set: resamples from each pair's gradient (`linear.py`)

    @property
    def scheme(self) -> str:
        if self.linear:
            return (f"linearised: above {LINEAR_PAIRS:,} pairs each resample's metrics are their first-order value "
                    "from each pair's gradient, collected in the block pass; exact for top-1, MRR and mean matching")
        if self.pairs <= EXACT_PAIRS:
            return "pairs"
        return f"blocks: above {EXACT_PAIRS} pairs, {BLOCKS} blocks of about {self.pairs // BLOCKS} pairs (a seeded shuffle) are drawn instead of pairs"

    @property
    def method(self) -> str:
        return (f"percentile bootstrap over pairs, {self.resamples} resamples, seed {self.seed}, {self.level:.0%} "
                "intervals; a question meeting another copy of its own answer is neither matching nor non-matching; "
                "top-1 and MRR rank each drawn question among all the set's answers; paired differences from the "
                "same resamples, two-sided paired-bootstrap p-value")

    def interval(self, side: str, metric: str) -> tuple[float, float] | None:
        if side not in self.draws:
            return None
        q = (1 - self.level) / 2
        values = self.draws[side][:, METRIC_NAMES.index(metric)]
        if np.isnan(values).all():
            return None
        low, high = np.nanquantile(values, [q, 1 - q])
        return float(low), float(high)

    def difference(self, a: str, b: str, metric: str) -> Difference | None:
        """A - B on `metric` (paired); None where either side has no interval."""
        if a not in self.draws or b not in self.draws:
            return None
        k = METRIC_NAMES.index(metric)
        d = self.draws[a][:, k] - self.draws[b][:, k]
        d = d[~np.isnan(d)]
        d[np.abs(d) <= NOISE] = 0.0  # float noise: two equal sums added in another order
        value = float(self.points[a][k] - self.points[b][k])
        if not d.size or math.isnan(value):
            return None
        q = (1 - self.level) / 2
        low, high = (float(x) for x in np.quantile(d, [q, 1 - q]))
        far = min(int((d <= 0).sum()), int((d >= 0).sum()))
        return Difference(value, low, high, min(1.0, 2 * (1 + far) / (1 + d.size)))

    def reason(self, side: str) -> str | None:
        return self.missing.get(side)

    def settings(self) -> dict:
        return {"method": self.method, "scheme": self.scheme, "resamples": self.resamples, "seed": self.seed,
                "level": self.level, "pairs": self.pairs}

    def side_json(self, side: str) -> dict:
        """A side's "intervals" ({metric: [low, high] or null}, and "none" saying why where it has none)
        and "differences" (this side minus each other side, per metric)."""
        intervals: dict = {m: (list(self.interval(side, m)) if self.interval(side, m) else None) for m in METRIC_NAMES}
        if side in self.missing:
            intervals["none"] = self.missing[side]
        differences = {}
        for other in self.points:
            if other != side:
                per = {m: self.difference(side, other, m) for m in METRIC_NAMES}
                differences[other] = {m: d.as_dict() if d else None for m, d in per.items()}
        return {"intervals": intervals, "differences": differences}


def measure(similarities: Mapping[str, np.ndarray | None], points: Mapping[str, np.ndarray], n: int,
            resamples: int = RESAMPLES, seed: int = SEED, level: float = LEVEL, why_none: str = "",
            gradients: Mapping[str, np.ndarray] | None = None) -> Uncertainty:
    """Every side's resampled metrics, from the same resamples. `similarities`: each side's question x
    answer matrix (None where it is not kept: `why_none` says why); `points`: each side's metrics. Given
    `gradients` (a large set's, from the block pass: every side's or none), the linearised scheme."""
    missing: dict[str, str] = {}
    draws: dict[str, np.ndarray] = {}
    if n < MIN_PAIRS:
        why = f"an interval needs at least {MIN_PAIRS} pairs; add pairs"  # why: the module docstring
        missing = {name: why for name in similarities}
    elif gradients:
        finite = {name: g for name, g in gradients.items() if np.isfinite(g).all()}
        missing = {name: "its similarity scores include NaN or infinity" for name in gradients if name not in finite}
        draws = linear_draws(finite, points, resamples, seed) if finite else {}
    else:
        unit = units_of(n, seed)
        v = counts(int(unit.max()) + 1, resamples, seed)
        for name, s in similarities.items():
            if s is None:
                missing[name] = why_none
            elif not np.isfinite(s).all():
                missing[name] = "its similarity scores include NaN or infinity"
            else:
                draws[name] = Resampler(s, unit).metrics(v)
    return Uncertainty(n, resamples, seed, level, {k: np.asarray(p, dtype=np.float64) for k, p in points.items()},
                       draws, missing, linear=bool(gradients))


def pending(points: Mapping[str, np.ndarray], n: int, resamples: int = RESAMPLES, seed: int = SEED) -> Uncertainty:
    """What to show before the resamples are drawn: no interval yet, every side saying PENDING, so the
    tables carry no brackets or marks and the verdict claims nothing (`Comparison.pending`)."""
    return Uncertainty(n, resamples, seed, LEVEL, {k: np.asarray(p, dtype=np.float64) for k, p in points.items()},
                       {}, {name: PENDING for name in points})


def joined(parts: Sequence[Uncertainty]) -> Uncertainty:
    """Sides measured in separate calls on the same pairs, with the same resamples and seed, as one (their
    resamples are the same, so differences between them stay paired)."""
    first = parts[0]
    if any((u.pairs, u.resamples, u.seed, u.linear) != (first.pairs, first.resamples, first.seed, first.linear)
           for u in parts):
        raise ValueError("only sides measured on the same pairs with the same resamples can be joined")
    return replace(first, points={k: v for u in parts for k, v in u.points.items()},
                   draws={k: v for u in parts for k, v in u.draws.items()},
                   missing={k: v for u in parts for k, v in u.missing.items()})


def decide(u: Uncertainty, a: str, b: str) -> tuple[int | None, str | None, Difference | None]:
    """Whether side A tells matching pairs apart better than B: (1, -1, 0 or None, the metric, its
    difference A - B). AUC decides; the margin only where the AUCs agree on every resample (both
    perfect, say). 1 or -1 only where that difference is clear; None where there is no interval."""
    d = None
    for metric in RANK_BY:
        d = u.difference(a, b, metric)
        if d is None:
            return None, metric, None
        if not d.identical:
            return d.clear(), metric, d
    return 0, RANK_BY[0], u.difference(a, b, RANK_BY[0])


def best_of(u: Uncertainty, names: list[str], metric: str) -> set[str]:
    """The sides to mark as best on `metric`: each side clearly above every other side (none where the
    metric has no better direction or a side has no interval)."""
    if metric not in HIGHER_IS_BETTER or len(names) < 2:
        return set()
    return {a for a in names if all((d := u.difference(a, b, metric)) is not None and d.clear() == 1
                                    for b in names if b != a)}
