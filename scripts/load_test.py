"""Load test: many concurrent clients call `compare_json` on a running EmbedLab app, on loopback only.

Each client compares its own pairs (texts marked with its client and request number, so nothing is
served from another client's cache), for a bounded time or number of requests. Afterwards every
result is checked against the same comparison computed in this process, the app is asked how often it
loaded each model, and the latencies are printed (p50/p95). Exit status 1 on any error or mismatch.

    .venv/bin/python scripts/load_test.py --clients 20 --seconds 60            # starts its own app
    .venv/bin/python scripts/load_test.py --url http://127.0.0.1:7860/ --clients 20
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from embedlab.pairs import read_pairs  # noqa: E402

BASE, EMBED = "smollm2-135m-instruct", "all-minilm-l6-v2"


def request_pairs(client: int, number: int, size: int, pool) -> list[dict]:
    rng = random.Random(client * 100_003 + number)
    return [{"question": f"{p.question} [c{client} r{number}]", "answer": p.answer} for p in rng.sample(pool, size)]


def run_clients(url: str, clients: int, seconds: float, requests: int, size: int) -> list[dict]:
    from gradio_client import Client

    pool = read_pairs(ROOT / "assets" / "qa-100.csv")
    records, lock = [], threading.Lock()
    deadline = time.monotonic() + seconds

    def one_client(k: int) -> None:
        client = Client(url, verbose=False)
        for r in range(requests):
            if time.monotonic() > deadline:
                return
            pairs = request_pairs(k, r, size, pool)
            start = time.perf_counter()
            try:
                result, error = client.predict(pairs=pairs, base=BASE, base_method="", embed=EMBED, embed_method="",
                                               api_name="/compare_json"), None
            except Exception as exc:  # noqa: BLE001 - every failure is counted and shown
                result, error = None, f"{type(exc).__name__}: {exc}"
            with lock:
                records.append({"client": k, "request": r, "pairs": pairs, "result": result, "error": error,
                                "seconds": time.perf_counter() - start})

    threads = [threading.Thread(target=one_client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return records


def check(records: list[dict]) -> list[str]:
    """Problems found: errors, results for the wrong pairs, similarities unlike a local recomputation."""
    from embedlab.cache import EmbeddingCache
    from embedlab.session import Session

    local = Session(cache=EmbeddingCache(use_disk=False))
    problems = []
    for rec in records:
        name = f"client {rec['client']} request {rec['request']}"
        if rec["error"]:
            problems.append(f"{name}: {rec['error']}")
            continue
        if rec["result"]["pairs"] != rec["pairs"]:
            problems.append(f"{name}: the result is for other pairs")
            continue
        expected = local.compare(rec["pairs"], BASE, EMBED).to_json()
        for side in ("base", "embed"):
            got, want = np.asarray(rec["result"]["results"][side]["similarity"]), expected["results"][side]["similarity"]
            if not np.allclose(got, want, atol=1e-4):
                problems.append(f"{name}: {side} similarities differ from a local run by {np.abs(got - want).max():.2g}")
    return problems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="a running app (default: start one on a free loopback port)")
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60, help="no new request after this long")
    p.add_argument("--requests", type=int, default=1000, help="at most this many requests per client")
    p.add_argument("--pairs", type=int, default=4, help="pairs per request")
    p.add_argument("--json", help="write the figures here")
    p.add_argument("--no-warmup", dest="warmup", action="store_false",
                   help="do not load the models with one request before the clients start")
    args = p.parse_args(argv)

    def measure(url: str) -> tuple[list[dict], dict]:
        from gradio_client import Client

        if args.warmup:  # load the models first, so the figures are of serving, not of a cold start
            Client(url, verbose=False).predict(pairs=[{"question": "warm-up?", "answer": "warm-up."}], base=BASE,
                                               base_method="", embed=EMBED, embed_method="", api_name="/compare_json")
        start = time.perf_counter()
        records = run_clients(url, args.clients, args.seconds, args.requests, args.pairs)
        wall = time.perf_counter() - start
        status = Client(url, verbose=False).predict(api_name="/status")
        return records, {"wall_seconds": wall, "status": status}

    if args.url:
        records, info = measure(args.url)
    else:
        from tests.support.apphelpers import running_app

        with tempfile.TemporaryDirectory() as tmp:
            with running_app(Path(tmp) / "cache", Path(tmp)) as url:
                print(f"app started at {url}", file=sys.stderr)
                records, info = measure(url)

    problems = check(records)
    latencies = np.array([r["seconds"] for r in records if not r["error"]]) if records else np.zeros(0)
    loads = info["status"]["loads"]
    figures = {
        "clients": args.clients, "requests": len(records), "errors": sum(bool(r["error"]) for r in records),
        "wrong_results": len(problems) - sum(bool(r["error"]) for r in records),
        "p50_seconds": float(np.percentile(latencies, 50)) if latencies.size else None,
        "p95_seconds": float(np.percentile(latencies, 95)) if latencies.size else None,
        "max_seconds": float(latencies.max()) if latencies.size else None,
        "wall_seconds": info["wall_seconds"], "model_loads": loads,
    }
    print(json.dumps(figures, indent=2))
    for problem in problems[:20]:
        print("PROBLEM", problem, file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    loaded_once = all(loads.get(m) == 1 for m in (BASE, EMBED))
    if not loaded_once:
        print(f"PROBLEM a model was loaded more than once: {loads}", file=sys.stderr)
    return 0 if records and not problems and loaded_once else 1


if __name__ == "__main__":
    sys.exit(main())
