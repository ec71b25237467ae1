"""Item 11: how long the bootstrap behind every interval and paired difference takes.

Two sides of synthetic vectors (questions, and answers = questions + noise, one side noisier) on
`small` and `large` pairs; each timing is one `analysis.intervals.measure` of both sides with the
default resamples (1,000), from the similarity matrices to every interval and difference, as the page,
the CLI and the JSON call it. Targets: under 1 s on 300 pairs and under 5 s on 2,000 pairs. Run alone:
`python -m benchmarks.intervals`.

Large sets (`python -m benchmarks.intervals --large 10000 100000`): above 2,000 pairs the intervals are
linearised (`analysis/linear.py`); they cost a part of the block pass that gives the exact metrics (each
pair's gradient) and the resampling. Each size runs in a fresh process (its peak memory is the child's
max RSS), 2 sides of 384-dimensional vectors. At sizes up to `--whole` the block pass runs whole, with and
without the gradient; above, the pass is timed on its first `--rows` rows (at full width: the same blocks
and the same cells per row) and scaled to all n rows, since it is linear in rows. The resampling
(1,000 resamples of 2 sides) always runs whole.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

from embedlab.analysis.bootstrap import EXACT_PAIRS
from embedlab.analysis.intervals import RESAMPLES, measure
from embedlab.analysis.linear import GradientSums
from embedlab.metrics import METRIC_NAMES, cos_sim, positions, score
from embedlab.metrics_blocks import score_blocks, similarity_blocks

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


def vector_sides(n: int, dim: int = 384) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(n)
    q = rng.standard_normal((n, dim)).astype(np.float32)
    return {name: (q, q + noise * rng.standard_normal((n, dim)).astype(np.float32)) for name, noise in (("a", 2.0), ("b", 2.5))}


def partial_pass(q: np.ndarray, a: np.ndarray, rows: int) -> tuple[float, float, GradientSums]:
    """The block pass over the first `rows` rows, scaled to all n: seconds of the cells' work that the exact
    AUC does anyway (the similarity blocks, each cell's position among the matching scores) together with
    the gradient's sums, and of those sums alone (ranks, top answers and histograms are left out)."""
    n = len(q)
    sums, extra, pos_sorted = GradientSums(n), 0.0, None
    blocks = similarity_blocks(q, a)
    begin = time.perf_counter()
    for start, s, pos in blocks:
        if start >= rows:
            break
        pos_sorted = np.sort(pos) if pos_sorted is None else pos_sorted
        left, right = positions(pos_sorted, s)
        place = n - 0.5 * (left + right)
        place[np.arange(len(s)), np.arange(start, start + len(s))] = 0.0
        t1 = time.perf_counter()
        sums.add(start, s, left, right, place)
        extra += time.perf_counter() - t1
    done = min(n, start) if start >= rows else n
    whole = time.perf_counter() - begin
    return whole * n / done, extra * n / done, sums


def large_one(n: int, whole: int, rows: int) -> dict:
    """One size, in this process: seconds per side of the block pass with and without the gradient, of
    the resampling of both sides, and this process's peak memory."""
    sides = vector_sides(n)
    out: dict = {"pairs": n, "sides": len(sides), "resamples": RESAMPLES}
    gradients, points = {}, {}
    for name, (q, a) in sides.items():
        if n <= whole:
            t0 = time.perf_counter()
            score_blocks(q, a)
            t1 = time.perf_counter()
            summary = score_blocks(q, a, gradient=True)
            t2 = time.perf_counter()
            out[f"pass_{name}_s"], out[f"pass_gradient_{name}_s"] = round(t1 - t0, 2), round(t2 - t1, 2)
            gradients[name], points[name] = summary.gradient, [summary.metrics[m] for m in METRIC_NAMES]
        else:  # the gradient's values do not change the resampling's cost: those of the rows done stand in
            seconds, extra, sums = partial_pass(q, a, rows)
            out[f"cells_{name}_s_scaled"], out[f"gradient_part_{name}_s_scaled"] = round(seconds, 1), round(extra, 1)
            r = np.arange(1, n + 1, dtype=np.float64)
            gradients[name] = sums.gradient(np.zeros(n), np.arange(n), (r == 1).astype(np.float64), 1 / r)
            points[name] = [0.5] * len(METRIC_NAMES)
    t0 = time.perf_counter()
    measure({name: None for name in sides}, points, n, gradients=gradients).difference("a", "b", "auc")
    out["resampling_2_sides_s"] = round(time.perf_counter() - t0, 2)
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def large(sizes: list[int], whole: int = 10_000, rows: int = 2_000) -> list[dict]:
    """Each size in a fresh process (so each peak memory is its own)."""
    found = []
    for n in sizes:
        code = f"import json; from benchmarks.intervals import large_one; print(json.dumps(large_one({n}, {whole}, {rows})))"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        found.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return found


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Item 13: the bootstrap behind the intervals")
    parser.add_argument("repeats", nargs="?", type=int, default=3)
    parser.add_argument("--large", nargs="+", type=int, metavar="PAIRS", help="large sets instead, e.g. 10000 100000")
    parser.add_argument("--whole", type=int, default=10_000, help="up to this many pairs the block pass runs whole")
    parser.add_argument("--rows", type=int, default=2_000, help="rows of the pass timed above --whole")
    args = parser.parse_args()
    if args.large:
        for record in large(args.large, args.whole, args.rows):
            print(record)
    else:
        record = run(300, 2000, args.repeats)
        print({k: record[k] for k in ("what", "holds", "ratio", "checks")})
