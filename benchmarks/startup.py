"""Items 5 and 6: start-up time and peak memory, each measured in fresh processes (`probe.py`).

Item 5: a start with an empty EMBEDLAB_CACHE_DIR (a GGUF model is converted then) against a second
start with the same folder, each timed from launching the process until both models have embedded one
text (the probe reports that moment; the process's shutdown after it is not counted). Beside them, a
process that only imports torch, transformers and the two model classes: the share of a start that
no code of EmbedLab's can remove. Item 6: a fresh
process that starts the same way and compares N pairs into an empty cache; its peak resident memory
against the bytes of both models' weights.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .timing import item, median

ROOT = Path(__file__).resolve().parent.parent
GIB = 2**30


def start(cache_dir: Path, base: str, embedder: str, pairs: int = 0, threads: int | None = None,
          imports_only: bool = False) -> dict:
    """Launch a probe process; its JSON report plus `exit_s`, the seconds from launch to its exit."""
    env = {**os.environ, "EMBEDLAB_CACHE_DIR": str(cache_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false", "EMBEDLAB_BENCH_LAUNCHED": repr(time.time())}
    command = [sys.executable, "-m", "benchmarks.probe", "--base", base, "--embed", embedder, "--pairs", str(pairs)]
    if threads:
        command += ["--threads", str(threads)]
    if imports_only:
        command += ["--imports-only"]
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"probe failed ({done.returncode}):\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["exit_s"] = round(wall, 3)
    return report


def run_startup(base: str, embedder: str, repeats: int, threads: int | None = None) -> tuple[dict, Path]:
    """Item 5; also returns a cache folder holding the converted models, for the in-process items."""
    scratch = Path(tempfile.mkdtemp(prefix="embedlab-bench-start-"))
    firsts, seconds, floors = [], [], []
    for r in range(repeats):
        folder = scratch / f"round-{r}"
        firsts.append(start(folder, base, embedder, threads=threads))
        seconds.append(start(folder, base, embedder, threads=threads))
        floors.append(start(folder, base, embedder, threads=threads, imports_only=True))
    second_median = median([s["ready_s"] for s in seconds])
    record = item(5, "start-up until both models embedded one text", "first start (empty cache folder)",
                  "second start (same folder)", "second start < 5 s", second_median < 5.0,
                  baseline_s=[f["ready_s"] for f in firsts], candidate_s=[s["ready_s"] for s in seconds],
                  checks={"second_start_s": round(second_median, 3), "phases_first": firsts[-1]["marks"],
                          "phases_second": seconds[-1]["marks"],
                          "second_start_to_exit_s": median([s["exit_s"] for s in seconds]),
                          "imports_only_s": median([f["ready_s"] for f in floors]),
                          "imported_classes": floors[-1]["classes"]},
                  note="imports_only_s: a process that only imports torch, transformers and the two model classes")
    return record, scratch / f"round-{repeats - 1}"


def run_memory(base: str, embedder: str, n_pairs: int, cache_dir: Path, repeats: int,
               threads: int | None = None) -> dict:
    """Item 6, in fresh processes that find the models already converted in `cache_dir`."""
    reports = [start(cache_dir, base, embedder, pairs=n_pairs, threads=threads) for _ in range(repeats)]
    weights = reports[0]["weights_bytes"]
    peak = max(r["rss_peak_bytes"] for r in reports)
    limit = 2 * weights + GIB
    return item(6, f"peak memory, comparison of {n_pairs} pairs", "weights of both models (bytes)",
                "peak RSS of a fresh process", "peak < 2 x weights + 1 GiB", peak < limit, ratio=peak / weights,
                checks={"weights_mib": round(weights / 2**20, 1), "peak_rss_mib": round(peak / 2**20, 1),
                        "limit_mib": round(limit / 2**20, 1), "rss_after_start_mib": round(
                            max(r["rss_ready_bytes"] for r in reports) / 2**20, 1),
                        "compare_s": median([r["compare_s"] for r in reports]),
                        "texts_computed": reports[0]["computed"]},
                note="ratio here is peak RSS / weights (lower is better)")
