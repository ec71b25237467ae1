"""Item 11: pair sets of any size, through the command line as a person runs it.

Part A, 30,000 pairs given as vectors (384 dimensions on both sides, seeded, answers = questions +
noise): `python -m embedlab compare ... --side v=vectors:FILE.npz --json` in a fresh process, its peak
memory (the child's max RSS) against the target of 1.5 GiB; then the same command on the first 3,000
pairs, whose metrics (computed in blocks) must equal a float64 full-matrix computation to 1e-6 (top-1,
MRR, means and margin from the n x n matrix, AUC from scikit-learn's `roc_auc_score` over all 3,000 x
2,999 non-matching scores).

Part B, a real pair set built on this machine from its manual pages: for every page under
/usr/share/man/man1-8 whose NAME line reads `name \\- what it does`, the pair ("What does name do?",
"What it does."), distinct questions and answers only; where those are too few, the standard
library's public functions and classes with the first line of their docstrings. At least 10,000
pairs are run end to end with MiniLM through the command line (load, embed, block metrics; wall time
and the side's figures), and the engine's throughput on the same texts is timed against `SentenceTransformer.encode`, interleaved
in one process at batch size 32 (target: within 10%).

    .venv/bin/python -m benchmarks.large                # item 11, printed as a table and JSON
    .venv/bin/python -m benchmarks.large --pairs 3000 --text-pairs 500   # a quick look
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MAN = Path("/usr/share/man")
NAME_LINE = re.compile(r"^(?P<names>.+?)\s+\\-\s+(?P<what>.+)$")
TROFF = re.compile(r"\\f[BIRP]|\\f\(..|\\\(..|\\[&|^e-]|\\s[-+]?\d|\\\*.|\\")


def _clean(text: str) -> str:
    return " ".join(TROFF.sub(lambda m: "-" if m.group(0) == "\\-" else "", text).replace("\\", "").split())


def man_pairs(limit: int | None = None) -> list[tuple[str, str]]:
    """(question, answer) from the NAME lines of this machine's manual pages, sorted by file name."""
    seen_q, seen_a, pairs = set(), set(), []
    for path in sorted(MAN.glob("man[1-8]/*.gz")):
        try:
            lines = gzip.open(path, "rt", encoding="utf-8", errors="replace").read(20_000).splitlines()
        except (OSError, EOFError):
            continue
        for i, line in enumerate(lines):
            if line.strip().upper() in (".SH NAME", '.SH "NAME"'):
                body = next((raw for raw in lines[i + 1:i + 4] if raw.strip() and not raw.startswith(".")), "")
                match = NAME_LINE.match(body.strip())
                if match:
                    name = _clean(match.group("names")).split(",")[0].strip()
                    what = _clean(match.group("what")).rstrip(".")
                    if name and len(what) > 3 and name not in seen_q and what.lower() not in seen_a:
                        seen_q.add(name)
                        seen_a.add(what.lower())
                        pairs.append((f"What does {name} do?", what[0].upper() + what[1:] + "."))
                break
        if limit and len(pairs) >= limit:
            break
    return pairs


def docstring_pairs(seen_q: set, seen_a: set) -> list[tuple[str, str]]:
    """("What does module.function do?", the first line of its docstring) for the standard library's
    public top-level functions and classes, sorted by file name."""
    import ast
    import sysconfig

    pairs = []
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py")):
        parts = path.relative_to(sysconfig.get_paths()["stdlib"]).with_suffix("").parts
        if any(p.startswith(("_", "test")) or p in ("site-packages", "idlelib", "lib2to3") for p in parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue
        module = ".".join(p for p in parts if p != "__init__")
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                doc = (ast.get_docstring(node) or "").strip().split("\n")[0].strip().rstrip(".")
                name = f"{module}.{node.name}"
                if len(doc) > 10 and name not in seen_q and doc.lower() not in seen_a:
                    seen_q.add(name)
                    seen_a.add(doc.lower())
                    pairs.append((f"What does {name} do?", doc + "."))
    return pairs


def text_pairs(n: int) -> list[tuple[str, str]]:
    """n pairs (or as many as there are): the manual pages', then the standard library's docstrings'."""
    pairs = man_pairs(n)
    if len(pairs) < n:
        seen_q = {q.removeprefix("What does ").removesuffix(" do?") for q, _ in pairs}
        seen_a = {a.rstrip(".").lower() for _, a in pairs}
        pairs += docstring_pairs(seen_q, seen_a)[: n - len(pairs)]
    return pairs


def write_pairs(pairs, path: Path) -> None:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["question", "answer"])
        writer.writerows(pairs)


def run_cli(args: list[str], env: dict) -> tuple[float, float, str]:
    """Run `python -m embedlab` in a fresh process: wall seconds, its peak RSS in MiB, its stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "embedlab", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"embedlab {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child so far (kB on Linux)
    if peak <= before:
        print("[bench] warning: an earlier child used more memory; the peak below is that child's", file=sys.stderr)
    return seconds, peak / 1024, done.stderr


def full_reference(q: np.ndarray, a: np.ndarray) -> dict[str, float]:
    """Every metric from the whole float64 matrix; AUC by scikit-learn."""
    from sklearn.metrics import roc_auc_score

    from embedlab.metrics import cos_sim, ranks, split_scores

    s = cos_sim(q, a)
    r = ranks(s)
    pos, neg = split_scores(s)
    labels = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    return {"top1": float((r == 1).mean()), "mrr": float((1.0 / r).mean()),
            "auc": float(roc_auc_score(labels, np.r_[pos, neg])), "mean_pos": float(pos.mean()),
            "mean_neg": float(neg.mean()), "margin": float(pos.mean() - neg.mean())}


def part_vectors(n: int, subset: int, dim: int, folder: Path, env: dict) -> dict:
    rng = np.random.default_rng(0)
    q = rng.standard_normal((n, dim)).astype(np.float32)
    a = (q + 2.5 * rng.standard_normal((n, dim))).astype(np.float32)
    results = {}
    for label, count in (("all", n), ("subset", subset)):
        vectors, pairs, out = folder / f"v{count}.npz", folder / f"p{count}.csv", folder / f"o{count}.json"
        np.savez(vectors, questions=q[:count], answers=a[:count])
        write_pairs([(f"question {i}", f"answer {i}") for i in range(count)], pairs)
        seconds, peak, _ = run_cli(["compare", str(pairs), "--side", f"v=vectors:{vectors}", "--no-cache",
                                    "--json", str(out)], env)
        results[label] = {"pairs": count, "seconds": round(seconds, 1), "peak_rss_mib": round(peak, 1),
                          "metrics": json.loads(out.read_text())["results"]["v"]["metrics"]}
    reference = full_reference(q[:subset].astype(np.float64), a[:subset].astype(np.float64))
    diff = max(abs(results["subset"]["metrics"][k] - v) for k, v in reference.items())
    return {"pairs": n, "dim": dim, "seconds": results["all"]["seconds"], "peak_rss_mib": results["all"]["peak_rss_mib"],
            "metrics": results["all"]["metrics"], "subset_pairs": subset, "subset_max_abs_diff": diff,
            "subset_reference": reference}


def part_text(n: int, model: str, folder: Path, env: dict, repeats: int) -> dict:
    from embedlab.embedding import embed
    from embedlab.loading import load
    from embedlab.sources import locate

    from .timing import interleaved, median

    pairs = text_pairs(n)
    if len(pairs) < n:
        print(f"[bench] only {len(pairs)} pairs from the manual pages and docstrings here (asked for {n})", file=sys.stderr)
    path, out = folder / "man-pairs.csv", folder / "man.json"
    write_pairs(pairs, path)
    seconds, peak, _ = run_cli(["compare", str(path), "--side", f"minilm={model}", "--no-cache", "--json", str(out)], env)
    side = json.loads(out.read_text())["results"]["minilm"]
    texts = [q for q, _ in pairs] + [a for _, a in pairs]
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(locate(model).location, device="cpu")
    engine = load(model, device="cpu")
    engine.batch_size = 32
    embed(engine, texts[:64], method="native")  # warm both up
    reference.encode(texts[:64], batch_size=32)
    timed = interleaved({"sentence-transformers": lambda: reference.encode(texts, batch_size=32),
                         "engine": lambda: embed(engine, texts, method="native")}, repeats)
    st, ours = median(timed["sentence-transformers"]), median(timed["engine"])
    return {"pairs": len(pairs), "texts": len(texts), "cli_seconds": round(seconds, 1), "cli_peak_rss_mib": round(peak, 1),
            "embed_seconds_in_cli": side["seconds"], "metrics": side["metrics"],
            "st_texts_per_s": round(len(texts) / st, 1), "engine_texts_per_s": round(len(texts) / ours, 1),
            "throughput_ratio": round(st / ours, 3)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.large", description=__doc__.split("\n")[0])
    p.add_argument("--pairs", type=int, default=30_000, help="vector pairs (default %(default)s)")
    p.add_argument("--subset", type=int, default=3_000, help="pairs checked against the full matrix (default %(default)s)")
    p.add_argument("--text-pairs", type=int, default=10_000, help="manual-page pairs (default %(default)s)")
    p.add_argument("--model", default="all-minilm-l6-v2")
    p.add_argument("--repeats", type=int, default=2, help="timing rounds of part B (default %(default)s)")
    p.add_argument("--threads", type=int, help="torch threads in part B, here and in the CLI process (default torch's)")
    p.add_argument("--skip-text", action="store_true", help="part A only")
    p.add_argument("--out", type=Path, help="also write the record as JSON here")
    args = p.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="embedlab-large-"))
    env = {**os.environ, "EMBEDLAB_CACHE_DIR": str(folder / "cache"), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    env.pop("OMP_NUM_THREADS", None)  # part A's BLAS takes every core
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
        env["OMP_NUM_THREADS"] = str(args.threads)  # the CLI process's torch threads
    try:
        vectors = part_vectors(args.pairs, min(args.subset, args.pairs), 384, folder, env)
        text = None if args.skip_text else part_text(args.text_pairs, args.model, folder, env, args.repeats)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the vector files of a full run take about 100 MB
    record = {"item": 11, "what": "pair sets of any size", "vectors": vectors, "text": text,
              "holds": {"peak_rss_under_1.5_GiB": vectors["peak_rss_mib"] < 1536,
                        "subset_equal_1e-6": vectors["subset_max_abs_diff"] <= 1e-6,
                        **({} if text is None else {"text_pairs_at_least_10000": text["pairs"] >= 10_000,
                                                    "throughput_within_10pct": text["throughput_ratio"] >= 0.9})}}
    v = vectors
    print(f"[11A] {v['pairs']:,} pairs x {v['dim']} dims as vectors, CLI: {v['seconds']} s, peak RSS "
          f"{v['peak_rss_mib']:.0f} MiB (target < 1536); {v['subset_pairs']:,}-pair subset vs float64 full matrix: "
          f"max |diff| {v['subset_max_abs_diff']:.2e} (target <= 1e-6)")
    if text:
        t = text
        print(f"[11B] {t['pairs']:,} manual-page pairs with {args.model}, CLI end to end: {t['cli_seconds']} s "
              f"(embedding {t['embed_seconds_in_cli']} s, peak RSS {t['cli_peak_rss_mib']:.0f} MiB), AUC "
              f"{t['metrics']['auc']:.3f}, top-1 {t['metrics']['top1']:.3f}; engine {t['engine_texts_per_s']} texts/s vs "
              f"SentenceTransformer.encode {t['st_texts_per_s']} texts/s: ratio {t['throughput_ratio']} (target >= 0.9)")
    print("holds: " + ", ".join(f"{k}={v}" for k, v in record["holds"].items()))
    if args.out:
        args.out.write_text(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
