"""Item 12: the remote backend's throughput against a plain httpx loop, on the same local infinity server.

infinity serves the offline MiniLM on the CPU (`tests.support.infinity`); both clients send the same
mixed-length texts in requests of 32, 4 requests in flight: EmbedLab through `embedding.embed` with no
cache (so every text is sent every round; its own batching, ordering and checks included), the baseline
as the least a client must do (httpx posts from 4 threads, JSON decoded into one float32 array). EmbedLab
sends texts longest first, so the server pads each batch less; the baseline sends them in that same
order, so the two differ only by the client's own work, and the target is judged on it: EmbedLab's time
within 10% of the baseline's. The plain client in the texts' own order is timed too, to show what the
ordering is worth on this server. Rounds are interleaved after one untimed warm-up round; figures are
medians. Both clients' vectors are checked equal (within 1e-5).

    .venv/bin/python -m benchmarks.remote              # item 12, printed as a table and JSON
    .venv/bin/python -m benchmarks.remote --texts 200 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

from .corpus import mixed_texts
from tests.support.infinity import SERVED, running_infinity
from .timing import interleaved, item, median

IN_FLIGHT = 4
BATCH = 32
TARGET = 1.10  # EmbedLab's median time at most this times the plain client's


def plain_client(url: str, texts: list[str], in_flight: int) -> np.ndarray:
    """The least a client does: batches of BATCH posted from `in_flight` threads, rows in the texts' order."""
    batches = [texts[i:i + BATCH] for i in range(0, len(texts), BATCH)]
    with httpx.Client(base_url=url + "/", timeout=120) as client:
        def post(batch: list[str]) -> list[list[float]]:
            response = client.post("embeddings", json={"model": SERVED, "input": batch, "encoding_format": "float"})
            response.raise_for_status()
            return [row["embedding"] for row in sorted(response.json()["data"], key=lambda row: row["index"])]

        with ThreadPoolExecutor(in_flight) as pool:
            rows = [row for part in pool.map(post, batches) for row in part]
    return np.asarray(rows, dtype=np.float32)


def run(n_texts: int, repeats: int, log_dir: Path) -> dict:
    from embedlab.backends.remote import RemoteConfig, open_remote
    from embedlab.embedding import embed
    from embedlab.sources import inspect

    texts = mixed_texts(n_texts, max_words=120)
    with running_infinity(log_dir) as (_, url):
        backend = open_remote(inspect(f"{url}#{SERVED}"), RemoteConfig(in_flight=IN_FLIGHT, batch=BATCH))
        try:
            results = {}
            longest_first = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
            in_order = [texts[i] for i in longest_first]

            def plain() -> None:
                rows = plain_client(url, in_order, IN_FLIGHT)
                vectors = np.empty_like(rows)
                vectors[longest_first] = rows
                results["plain"] = vectors

            cases = {"embedlab": lambda: results.__setitem__("embedlab", embed(backend, texts, method="native").vectors),
                     "plain": plain, "plain-unsorted": lambda: plain_client(url, texts, IN_FLIGHT)}
            interleaved(cases, 1)  # warm-up: the server's first batches are slower
            seconds = interleaved(cases, repeats)
        finally:
            backend.close()
    diff = float(np.abs(results["embedlab"] - results["plain"]).max())
    ratio = median(seconds["plain"]) / median(seconds["embedlab"])
    unsorted = median(seconds["plain-unsorted"])
    return item(12, f"remote side, {n_texts} texts, infinity MiniLM on CPU, {IN_FLIGHT} in flight",
                f"plain httpx x{IN_FLIGHT}, same order", "EmbedLab remote", f"time <= {TARGET:.2f}x the plain client's",
                median(seconds["embedlab"]) <= TARGET * median(seconds["plain"]) and diff <= 1e-5,
                baseline_s=seconds["plain"], candidate_s=seconds["embedlab"], ratio=ratio,
                checks={"max_abs_diff": diff, "texts_per_s_embedlab": round(n_texts / median(seconds["embedlab"]), 1),
                        "texts_per_s_plain": round(n_texts / median(seconds["plain"]), 1),
                        "texts_per_s_plain_unsorted": round(n_texts / unsorted, 1),
                        "plain_unsorted_runs": [round(s, 4) for s in seconds["plain-unsorted"]]},
                note="ratio = plain time / EmbedLab time (1.00 = same speed)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.remote", description=__doc__.split("\n")[0])
    p.add_argument("--texts", type=int, default=400)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="embedlab-bench-remote-") as folder:
        record = run(args.texts, args.repeats, Path(folder))
    c = record["checks"]
    print(f"item 12: {record['what']}\n  plain httpx x{IN_FLIGHT}: {record['baseline_median']:.3f} s "
          f"({c['texts_per_s_plain']} texts/s); EmbedLab: {record['candidate_median']:.3f} s "
          f"({c['texts_per_s_embedlab']} texts/s); plain httpx in the texts' own order: "
          f"{c['texts_per_s_plain_unsorted']} texts/s\n"
          f"  ratio {record['ratio']:.3f}, target {record['target']}: {'holds' if record['holds'] else 'MISSED'}; "
          f"max |diff| {c['max_abs_diff']:.2e}", file=sys.stderr)
    json.dump(record, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
