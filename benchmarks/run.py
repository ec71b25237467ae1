"""The benchmark suite's entry point: run the items, print the table, write the JSON.

    .venv/bin/python -m benchmarks                 # every item at full size (about half an hour on 2 cores)
    .venv/bin/python -m benchmarks --size tiny     # every item at toy size, to check the suite runs
    .venv/bin/python -m benchmarks --only 3,4      # some items

Items 5 and 6 run first, in fresh processes; the in-process items then reuse the cache folder that
item 5 filled (so a GGUF model is not converted again) and never touch your own cache. The figures
are whatever this machine gives: nothing is hard-coded, and a target that is missed is reported so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
ITEMS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14)  # 11 (large sets) and 12 (remote) have scripts of their own


@dataclass(frozen=True)
class Size:
    texts: int  # item 1-2: mixed-length texts
    ranking_pairs: int  # item 2: real pairs whose similarity ranking fast mode must keep
    logits_pairs: int  # item 3
    repeat_pairs: int  # item 4
    memory_pairs: int  # item 6
    repeats: int
    interval_pairs: tuple[int, int]  # item 13: the two set sizes


SIZES = {"full": Size(2000, 100, 200, 100, 256, 3, (300, 2000)), "tiny": Size(40, 20, 3, 4, 4, 1, (30, 400))}


def machine() -> dict:
    import torch
    import transformers

    cpu = platform.processor()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
            "platform": platform.platform()}


def table(records: list[dict]) -> str:
    rows = [("#", "what", "baseline", "candidate", "ratio", "target", "holds")]
    for r in records:
        base = f"{r['baseline']} {r['baseline_median']:.3f}s" if "baseline_median" in r else r["baseline"]
        cand = f"{r['candidate']} {r['candidate_median']:.3f}s" if "candidate_median" in r else r["candidate"]
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}x"
        rows.append((str(r["item"]), r["what"], base, cand, ratio, r["target"], "yes" if r["holds"] else "NO"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for r in records:
        checks = ", ".join(f"{k}={v}" for k, v in r["checks"].items() if not isinstance(v, dict))
        lines.append(f"  [{r['item']}] {checks}" + (f"  ({r['note']})" if r["note"] else ""))
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    from embedlab.presets import OFFLINE_PAIR

    p = argparse.ArgumentParser(prog="python -m benchmarks", description="EmbedLab's benchmark suite")
    p.add_argument("--size", choices=list(SIZES), default="full")
    p.add_argument("--only", help=f"comma-separated items (default all: {','.join(map(str, ITEMS))})")
    p.add_argument("--repeats", type=int, help="rounds per timing (default: 3 full, 1 tiny)")
    p.add_argument("--threads", type=int, help="torch threads, here and in the probe processes (default torch's)")
    p.add_argument("--base", default=OFFLINE_PAIR[0], help="base GPT (default %(default)s)")
    p.add_argument("--embed", default=OFFLINE_PAIR[1], help="sentence-transformers model (default %(default)s)")
    p.add_argument("--out", type=Path, help="JSON file to write (default benchmarks/results/run-<time>.json)")
    return p


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = parser().parse_args(argv)
    size = SIZES[args.size]
    repeats = args.repeats or size.repeats
    only = sorted({int(i) for i in args.only.split(",")}) if args.only else list(ITEMS)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from . import intervals, layers, logits, matrix, page, repeat, startup, sweep, throughput, tune

    began = time.perf_counter()
    meta = {"size": args.size, "repeats": repeats, "base": args.base, "embed": args.embed, "items": only,
            "machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    records: list[dict] = []

    def report(record: dict) -> None:
        records.append(record)
        print(f"[bench] item {record['item']}: ratio {record['ratio']}, holds {record['holds']}", file=sys.stderr,
              flush=True)

    converted = None
    if 5 in only or 6 in only:
        record, converted = startup.run_startup(args.base, args.embed, repeats if 5 in only else 1, args.threads)
        if 5 in only:
            report(record)
        os.environ["EMBEDLAB_CACHE_DIR"] = str(converted)  # the in-process items reuse what it converted
    if 6 in only:
        report(startup.run_memory(args.base, args.embed, size.memory_pairs, converted, repeats, args.threads))
    if converted is None:
        import tempfile

        os.environ["EMBEDLAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="embedlab-bench-")
    if 1 in only or 2 in only:
        for record in throughput.run(args.embed, size.texts, repeats, size.ranking_pairs):
            if record["item"] in only:
                report(record)
    if 3 in only:
        report(logits.run(args.base, size.logits_pairs, repeats))
    if 4 in only:
        report(repeat.run(args.base, args.embed, size.repeat_pairs, repeats))
    if 7 in only:
        report(page.run(repeats, converted))
    if 8 in only:
        report(sweep.run(args.base, size.repeat_pairs, repeats))
    if 9 in only:
        report(matrix.run(args.base, size.repeat_pairs, repeats))
    if 10 in only:
        report(tune.run(args.base, 1 if args.size == "tiny" else repeats, steps=2 if args.size == "tiny" else None))
    if 13 in only:
        report(intervals.run(*size.interval_pairs, repeats))
    if 14 in only:
        report(layers.run(args.base, size.repeat_pairs, repeats))
    records.sort(key=lambda r: r["item"])
    meta["seconds"] = round(time.perf_counter() - began, 1)
    meta["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    out = args.out or RESULTS / f"run-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "items": records}, indent=2))
    m = meta["machine"]
    print(f"EmbedLab benchmarks ({args.size}, {repeats} rounds, medians), {m['cores']} cores x {m['cpu']}, "
          f"torch {m['torch']} with {m['torch_threads']} threads, load average {m['load_average']}")
    print(table(records))
    print(f"\n{sum(r['holds'] for r in records)}/{len(records)} targets hold; {meta['seconds']} s; JSON: {out}")
    print("GPU: run `python -m benchmarks.gpu` on a CUDA machine (`--dry-run` checks it on a CPU).")
    return 0
