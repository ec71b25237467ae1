"""Item 11: how long the bootstrap behind every interval and paired difference takes.

Two sides of synthetic vectors (questions, and answers = questions + noise, one side noisier) on
`small` and `large` pairs; each timing is one `analysis.intervals.measure` of both sides with the
default resamples (1,000), from the similarity matrices to every interval and difference, as the page,
the CLI and the JSON call it. Targets: under 1 s on 300 pairs and under 5 s on 2,000 pairs. Run alone:
`python -m benchmarks.intervals`.
"""

from __future__ import annotations

import sys

import numpy as np

from embedlab.analysis.bootstrap import EXACT_PAIRS
from embedlab.analysis.intervals import RESAMPLES, measure
from embedlab.metrics import METRIC_NAMES, cos_sim, score

from .timing import interleaved, item, median

TARGETS = {300: 1.0, 2000: 5.0}  # seconds for two sides at the full sizes


def sides(n: int, dim: int = 64) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(n)
    q = rng.standard_normal((n, dim))
    return {name: cos_sim(q, q + noise * rng.standard_normal((n, dim))) for name, noise in (("a", 1.0), ("b", 1.5))}


def bootstrap(sims: dict[str, np.ndarray]):
    n = len(next(iter(sims.values())))
    points = {name: [score(s)[m] for m in METRIC_NAMES] for name, s in sims.items()}
    return lambda: measure(sims, points, n).difference("a", "b", "auc")


def run(small: int, large: int, repeats: int) -> dict:
    cases = {f"{n} pairs": bootstrap(sides(n)) for n in (small, large)}
    seconds = interleaved(cases, repeats)
    s_small, s_large = median(seconds[f"{small} pairs"]), median(seconds[f"{large} pairs"])
    limit_small, limit_large = TARGETS.get(small, 1.0), TARGETS.get(large, 5.0)
    return item(13, f"bootstrap of 2 sides, {RESAMPLES} paired resamples, on {small} and {large} pairs",
                f"target {limit_small:g} s / {limit_large:g} s", "analysis.intervals.measure",
                f"< {limit_small:g} s and < {limit_large:g} s", s_small < limit_small and s_large < limit_large,
                ratio=limit_small / s_small,
                checks={f"seconds_{small}": round(s_small, 3), f"seconds_{large}": round(s_large, 3),
                        "runs": {k: [round(x, 3) for x in v] for k, v in seconds.items()},
                        "scheme_large": "pairs" if large <= EXACT_PAIRS else "blocks"},
                note=f"ratio is the {small}-pair target over its seconds (headroom); above {EXACT_PAIRS} pairs "
                     "blocks of pairs are drawn")


if __name__ == "__main__":
    record = run(300, 2000, int(sys.argv[1]) if len(sys.argv) > 1 else 3)
    print({k: record[k] for k in ("what", "holds", "ratio", "checks")})
