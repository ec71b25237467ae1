"""Measuring helpers shared by the benchmarks: interleaved timing, medians, rank correlation, records.

`interleaved()` runs every case once per round, rotating which goes first, so that a slow minute on a
shared machine lands on all cases alike; figures are medians over rounds. `item()` builds the record
that the report prints and the JSON keeps. Nothing here knows about models.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

import numpy as np

from tests.support.ranks import spearman  # noqa: F401 - the benchmarks' measuring helpers in one import


def interleaved(cases: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Seconds of each case in each of `repeats` rounds; round r starts with case r (mod the count)."""
    names = list(cases)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            cases[name]()
            seconds[name].append(time.perf_counter() - start)
    return seconds


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def item(number: int, what: str, baseline: str, candidate: str, target: str, holds: bool, *,
         baseline_s: list[float] | None = None, candidate_s: list[float] | None = None, ratio: float | None = None,
         checks: dict | None = None, note: str = "") -> dict:
    """One row of the report. `ratio` defaults to median baseline / median candidate seconds."""
    record = {"item": number, "what": what, "baseline": baseline, "candidate": candidate, "target": target,
              "holds": bool(holds), "checks": checks or {}, "note": note}
    if baseline_s is not None and candidate_s is not None:
        record.update(baseline_runs=[round(s, 4) for s in baseline_s],
                      candidate_runs=[round(s, 4) for s in candidate_s],
                      baseline_median=round(median(baseline_s), 4), candidate_median=round(median(candidate_s), 4))
        if ratio is None:
            ratio = median(baseline_s) / median(candidate_s)
    record["ratio"] = None if ratio is None else round(float(ratio), 3)
    return record
