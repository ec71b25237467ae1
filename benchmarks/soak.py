"""Issue 22, item 3: the real dashboard under a crowd for minutes, each answer checked.

    nice .venv/bin/python -m benchmarks.soak                         # 50 clients for 10 minutes
    nice .venv/bin/python -m benchmarks.soak --clients 6 --minutes 1 # a quick look

`python app.py` is started on 127.0.0.1 on the offline models (its caches in a fresh folder), warmed up
(its own start-up load, every distinct compare and sweep once, then a fine-tune while every client of
the crowd calls once at the same time: `warm_up_crowd`), then N `gradio_client` clients call it at
once for D minutes, each picking at random: a 2-side `compare_json`, a sweep through `compare_many_json`,
`status`, or a bad request from the catalogue (tests/support/catalogue.py: the error it must give); and, one at
a time by design (the server runs one fine-tune at a time), a short `tune_json` now and then.

Every answer is judged: a result's cosine matrices against a local run of the same request in this
process (fresh models, an in-memory cache, never the server's; computed once per distinct request before
the server starts), a fine-tune's before-matrix on its held-out pairs likewise, `status` by its load
counts, a bad request by the catalogue's words. The server's resident memory (psutil, with any children)
is sampled throughout; the memory check's baseline is the first tenth after the warm-up, that is once
every kind of request, a fine-tune included, has run under the crowd. Printed: p50/p95 latency per kind, wrong results, unexpected errors, loads per
model, memory; written: benchmarks/results/soak-*.json. Exits 1 when a check fails (see `failures`).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
BASE, EMBED = "smollm2-135m-instruct", "all-minilm-l6-v2"
KINDS = ("compare", "sweep", "tune", "status", "bad")
MIX = {"compare": 0.45, "sweep": 0.15, "status": 0.2, "bad": 0.2}  # tune: by the gate below, not by chance
TUNE_SECONDS, TUNE_EVERY = 90, 120.0  # a fine-tune's budget (preparing took 42 s at a load of 12); the pause
# after one ends before the next may start
HTTP_SECONDS = 900  # a client waits this long for an answer (a queue of 50 on a busy CPU takes minutes)
ATOL = 1e-4  # cosines: the same float32 vectors batched differently agree far closer than this
MEMORY_FLAT, MEMORY_LIMIT = 0.10, 16 * 2**30  # drift allowed after warm-up; CPU basic's 16 GB
SAMPLE_SECONDS = 2.0


@dataclass
class Request:
    """One distinct request: what is sent, and how its answer is judged."""

    kind: str
    api: str
    kwargs: dict
    error: str | None = None  # a bad request: the words its refusal must contain
    expected: dict = field(default_factory=dict)  # side name -> cosine matrix (a tune: its held-out split too)

    def judge(self, result: dict) -> str:
        """"ok", or what is wrong with `result`."""
        if self.error:
            return f"unexpected: accepted, where the refusal should say {self.error!r}"
        if self.kind == "status":
            twice = {m: n for m, n in result.get("loads", {}).items() if n != 1}
            return f"wrong: models loaded more than once: {twice}" if twice else "ok"
        if self.kind == "tune":
            if result["split"]["heldout"] != self.expected["heldout"]:
                return "wrong: the tune held out other pairs than a local split"
            return _matrices_differ({"before": result["before"]["similarity"]}, {"before": self.expected["before"]})
        return _matrices_differ({k: v["similarity"] for k, v in result["results"].items()}, self.expected)

    def judge_refusal(self, message: str) -> str:
        if self.error and self.error in message:
            return "refused"
        if self.kind == "tune" and "one at a time" in message:
            return "refused"  # the server's documented answer to a second fine-tune at once
        return f"unexpected: {message[:300]}"


def _matrices_differ(got: dict, expected: dict) -> str:
    if set(got) != set(expected):
        return f"wrong: sides {sorted(got)} where a local run has {sorted(expected)}"
    for side, matrix in expected.items():
        a, b = np.asarray(got[side], dtype=float), np.asarray(matrix, dtype=float)
        if a.shape != b.shape or not np.allclose(a, b, atol=ATOL, rtol=0):
            worst = float(np.max(np.abs(a - b))) if a.shape == b.shape else float("inf")
            return f"wrong: side {side!r} differs from a local run by {worst:.3g} (shape {a.shape} vs {b.shape})"
    return "ok"


# the workload --------------------------------------------------------------------------------------
def _pairs(name: str) -> list[dict]:
    with open(ROOT / "assets" / name, newline="", encoding="utf-8") as f:
        return [{"question": row["question"], "answer": row["answer"]} for row in csv.DictReader(f)]


def workload(small: bool = False) -> dict[str, list[Request]]:
    """The distinct requests of each kind (their expected results not yet filled in); `small`: a few, for CI."""
    qa, near = _pairs("qa-100.csv"), _pairs("examples-30.csv")
    compares = [Request("compare", "/compare_json", {"pairs": qa[start:start + size], "base": BASE, "base_method": method,
                                                     "embed": EMBED, "embed_method": ""})
                for start, size, method in ((0, 2, ""), (2, 8, ""), (10, 16, ""), (26, 30, "mean"), (56, 4, "e5"))]
    compares.append(Request("compare", "/compare_json", {"pairs": near, "base": BASE, "base_method": "", "embed": EMBED,
                                                         "embed_method": ""}))
    sides = [{"name": m, "model": BASE, "method": m} for m in ("logits", "mean", "e5")]
    sides += [{"name": f"minilm-{m}", "model": EMBED, "method": m} for m in ("native", "cls")]
    sweeps = [Request("sweep", "/compare_many_json", {"pairs": qa[start:start + 8], "sides": sides[-n:]})
              for start, n in ((60, 5), (70, 3), (80, 4))]
    if small:
        compares, sweeps = [compares[0], compares[4]], sweeps[1:2]
    tune = Request("tune", "/tune_json", {"pairs": near, "model": BASE, "seconds": TUNE_SECONDS, "method": "e5",
                                          "holdout": 0.2})
    return {"compare": compares, "sweep": sweeps, "tune": [tune], "status": [Request("status", "/status", {})],
            "bad": bad_requests()}


def bad_requests() -> list[Request]:
    """The catalogue's refusals that `compare_json` on a server outside hosted mode must give."""
    from tests.support.catalogue import CASES

    return [Request("bad", "/compare_json", {"pairs": c.pairs, "base": c.base, "base_method": c.base_method,
                                             "embed": c.embed, "embed_method": c.embed_method}, error=c.error)
            for c in CASES if c.error and not c.hosted and not c.file and not c.device]


def fill_expected(requests: dict[str, list[Request]]) -> None:
    """Each good request's cosine matrices from a local run: models loaded here, a cache in memory."""
    from embedlab.cache import EmbeddingCache
    from embedlab.pairs import pairs_from_value
    from embedlab.registry import ModelRegistry
    from embedlab.session import Session
    from embedlab.settings import Settings
    from embedlab.sides import SideSpec, specs_from_value
    from embedlab.tuning.split import split_pairs

    session = Session(cache=EmbeddingCache(use_disk=False), registry=ModelRegistry(max_models=2), settings=Settings())
    for request in requests["compare"]:
        k = request.kwargs
        result = session.compare(k["pairs"], SideSpec(k["base"], k["base_method"] or None),
                                 SideSpec(k["embed"], k["embed_method"] or None))
        request.expected = {name: side.similarity.tolist() for name, side in result.sides.items()}
    for request in requests["sweep"]:
        result = session.compare(request.kwargs["pairs"], sides=specs_from_value(request.kwargs["sides"]))
        request.expected = {name: side.similarity.tolist() for name, side in result.sides.items()}
    for request in requests["tune"]:
        k = request.kwargs
        heldout = list(split_pairs(pairs_from_value(k["pairs"]), k["holdout"]).heldout)
        before = session.compare([k["pairs"][i] for i in heldout], sides=[SideSpec(k["model"], k["method"], name="b")])
        request.expected = {"heldout": heldout, "before": before.sides["b"].similarity.tolist()}


# the crowd -----------------------------------------------------------------------------------------
class Tally:
    """Every call's kind, seconds and verdict, from every client thread."""

    def __init__(self):
        self.calls: list[tuple[str, float, str]] = []
        self._lock = threading.Lock()

    def add(self, kind: str, seconds: float, verdict: str) -> None:
        with self._lock:
            self.calls.append((kind, seconds, verdict))


class TuneGate:
    """Lets one client at a time start a fine-tune, and not sooner than `every` seconds after the last ended."""

    def __init__(self, every: float):
        self.every, self.free_at = every, 0.0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if time.monotonic() < self.free_at:
                return False
            self.free_at = float("inf")
            return True

    def give_back(self) -> None:
        with self._lock:
            self.free_at = time.monotonic() + self.every

    @property
    def tuning(self) -> bool:
        return self.free_at == float("inf")


def call(client, request: Request) -> tuple[float, str]:
    """Send `request`; its seconds and verdict ("ok", "refused" as documented, "wrong: ...", "unexpected: ...")."""
    from gradio_client.exceptions import AppError

    began = time.perf_counter()
    try:
        result = client.predict(**request.kwargs, api_name=request.api)
        verdict = request.judge(result)
    except AppError as exc:
        verdict = request.judge_refusal(str(exc))
    except Exception as exc:  # noqa: BLE001 - a dropped connection, a full queue: each one is reported
        verdict = f"unexpected: {type(exc).__name__}: {str(exc)[:300]}"
    return time.perf_counter() - began, verdict


def connect(url: str):
    from gradio_client import Client

    return Client(url, verbose=False, download_files=False, httpx_kwargs={"timeout": HTTP_SECONDS})


def crowd_member(client, requests: dict, until: float, tally: Tally, gate: TuneGate, seed: int) -> None:
    rng = random.Random(seed)
    kinds, weights = list(MIX), list(MIX.values())
    while time.monotonic() < until:
        if gate.take():
            try:
                tally.add("tune", *call(client, requests["tune"][0]))
            finally:
                gate.give_back()
            continue
        kind = rng.choices(kinds, weights)[0]
        tally.add(kind, *call(client, rng.choice(requests[kind])))


def server_pid(url: str) -> int:
    """The process of ours (a child) that listens on `url`'s port."""
    import psutil

    port = urlparse(url).port
    for child in psutil.Process().children(recursive=True):
        try:
            if any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in child.net_connections("tcp")):
                return child.pid
        except psutil.Error:
            continue
    raise RuntimeError(f"no process of ours listens on port {port}")


def resident_bytes(pid: int) -> int:
    """Resident memory of `pid` and its children."""
    import psutil

    process = psutil.Process(pid)
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:
            pass
    return total


def sample_memory(pid: int, began: float, gate: TuneGate, stop: threading.Event, samples: list) -> None:
    """(seconds, resident bytes, whether a fine-tune was running) every SAMPLE_SECONDS until `stop`."""
    while not stop.is_set():
        tuning = gate.tuning
        samples.append((round(time.monotonic() - began, 1), resident_bytes(pid), tuning or gate.tuning))
        stop.wait(SAMPLE_SECONDS)


def wait_warm(client, timeout: float = 600) -> dict:
    """The server's status once its start-up load has finished."""
    deadline = time.monotonic() + timeout
    while True:
        status = client.predict(api_name="/status")
        state = status["warm_up"]["state"]
        if state == "ready":
            return status
        if state == "failed" or time.monotonic() > deadline:
            raise RuntimeError(f"the server's warm-up is {state!r}: {status['warm_up']}")
        time.sleep(1)


def warm_up_crowd(client, crowd: list, requests: dict, tally: Tally) -> None:
    """The last of the warm-up, so that "after warm-up" means after every kind of work has run under the
    crowd's conditions: a fine-tune while every client of the crowd makes one call at once (each kind in
    turn, every distinct request among them). Resident memory settles only then (threads, allocator
    arenas, the fine-tune's first training copy); the memory check's baseline starts after it."""
    order = [r for kind in ("compare", "sweep", "status", "bad") for r in requests[kind]]
    tune = threading.Thread(target=lambda: tally.add("tune", *call(client, requests["tune"][0])), daemon=True)
    tune.start()
    threads = [threading.Thread(target=lambda m, r: tally.add(r.kind, *call(m, r)), args=(member, order[i % len(order)]),
                                daemon=True) for i, member in enumerate(crowd)]
    for thread in threads:
        thread.start()
    for thread in threads + [tune]:
        thread.join()


def soak(url: str, pid: int, requests: dict, clients: int, seconds: float) -> dict:
    """Warm the server at `url` up, set the crowd on it for `seconds`; the figures (see `summary`)."""
    from concurrent.futures import ThreadPoolExecutor

    began = time.monotonic()
    stop, samples, gate = threading.Event(), [], TuneGate(TUNE_EVERY)
    gate.take()  # held through the warm-up, which ends with a fine-tune under the crowd
    sampler = threading.Thread(target=sample_memory, args=(pid, began, gate, stop, samples), daemon=True)
    sampler.start()
    try:
        client = connect(url)
        wait_warm(client)
        warm_tally = Tally()
        for kind in ("compare", "sweep"):
            for request in requests[kind]:
                warm_tally.add(kind, *call(client, request))
        with ThreadPoolExecutor(8) as pool:  # each client reads the app's API first: not on the clock
            crowd = list(pool.map(lambda _: connect(url), range(clients)))
        warm_up_crowd(client, crowd, requests, warm_tally)
        warmed = time.monotonic() - began
        tally = Tally()
        gate.give_back()  # the first fine-tune of the crowd waits TUNE_EVERY after the warm-up's
        until = time.monotonic() + seconds
        threads = [threading.Thread(target=crowd_member, args=(member, requests, until, tally, gate, seed), daemon=True)
                   for seed, member in enumerate(crowd)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ended = time.monotonic() - began
        final = client.predict(api_name="/status")
    finally:
        stop.set()
        sampler.join()
    return summary(warm_tally, tally, samples, warmed, ended, final, clients, seconds)


def summary(warm: Tally, tally: Tally, samples: list, warmed: float, ended: float, status: dict,
            clients: int, seconds: float) -> dict:
    """The figures: per kind calls, p50/p95 seconds and verdicts; loads; memory after warm-up. A fine-tune
    holds a training copy of its model for its minute: the drift is measured on the samples taken while
    none runs, the peak on all of them."""
    kinds = {}
    by_kind = defaultdict(list)
    for kind, secs, verdict in tally.calls:
        by_kind[kind].append((secs, verdict))
    for kind, calls in by_kind.items():
        times = np.array([s for s, _ in calls])
        verdicts = [v for _, v in calls]
        kinds[kind] = {"calls": len(calls), "p50_s": float(np.percentile(times, 50)),
                       "p95_s": float(np.percentile(times, 95)), "max_s": float(times.max()),
                       "ok": verdicts.count("ok"), "refused": verdicts.count("refused"),
                       "wrong": sum(v.startswith("wrong") for v in verdicts),
                       "unexpected": sum(v.startswith("unexpected") for v in verdicts)}
    problems = sorted({v for _, _, v in warm.calls + tally.calls if v not in ("ok", "refused")})
    after = [rss for t, rss, tuning in samples if warmed <= t <= ended and not tuning]
    tenth = max(1, len(after) // 10)
    memory = {"samples": len(after), "after_warm_up_bytes": int(np.median(after[:tenth])) if after else 0,
              "at_end_bytes": int(np.median(after[-tenth:])) if after else 0,
              "min_bytes": min(after, default=0), "peak_bytes": max(after, default=0),
              "peak_tuning_bytes": max((rss for t, rss, tuning in samples if warmed <= t and tuning), default=0),
              "peak_overall_bytes": max((rss for _, rss, _ in samples), default=0)}
    memory["drift"] = memory["at_end_bytes"] / memory["after_warm_up_bytes"] - 1 if after else 0.0
    return {"clients": clients, "seconds": seconds, "warm_up_seconds": round(warmed, 1),
            "warm_up_calls": len(warm.calls), "warm_up_problems": [v for _, _, v in warm.calls if v not in ("ok", "refused")],
            "kinds": kinds, "loads": status["loads"], "memory": memory, "problems": problems[:50],
            "memory_samples": samples}


def failures(figures: dict) -> list[str]:
    """The checks that failed, in words (none: the soak passed)."""
    kinds, memory = figures["kinds"].values(), figures["memory"]
    out = []
    if figures["warm_up_problems"]:
        out.append(f"warm-up: {figures['warm_up_problems'][:3]}")
    wrong, unexpected = sum(k["wrong"] for k in kinds), sum(k["unexpected"] for k in kinds)
    if wrong:
        out.append(f"{wrong} wrong results")
    if unexpected:
        out.append(f"{unexpected} unexpected errors")
    missing = [k for k in ("compare", "sweep", "status", "bad") if k not in figures["kinds"]]
    if missing:
        out.append(f"no calls of kind {missing}")
    if set(figures["loads"]) != {BASE, EMBED} or any(n != 1 for n in figures["loads"].values()):
        out.append(f"loads {figures['loads']}: each offline model should load once")
    if abs(memory["drift"]) > MEMORY_FLAT:
        out.append(f"resident memory moved {memory['drift']:+.1%} after warm-up (allowed {MEMORY_FLAT:.0%})")
    if memory["peak_overall_bytes"] > MEMORY_LIMIT:
        out.append(f"resident memory peaked at {memory['peak_overall_bytes'] / 2**30:.2f} GB, over 16 GB")
    return out


def table(figures: dict) -> str:
    rows = [("kind", "calls", "p50 s", "p95 s", "max s", "ok", "refused", "wrong", "unexpected")]
    for kind in KINDS:
        if kind in figures["kinds"]:
            k = figures["kinds"][kind]
            rows.append((kind, k["calls"], f"{k['p50_s']:.2f}", f"{k['p95_s']:.2f}", f"{k['max_s']:.2f}", k["ok"],
                         k["refused"], k["wrong"], k["unexpected"]))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(v).rjust(w) for v, w in zip(r, widths)) for r in rows]
    m, gb = figures["memory"], 2**30
    lines += [f"loads: {figures['loads']}",
              f"resident memory after warm-up {m['after_warm_up_bytes'] / gb:.2f} GB, at the end "
              f"{m['at_end_bytes'] / gb:.2f} GB ({m['drift']:+.1%}), range {m['min_bytes'] / gb:.2f}-"
              f"{m['peak_bytes'] / gb:.2f} GB (no fine-tune running); while fine-tuning up to "
              f"{m['peak_tuning_bytes'] / gb:.2f} GB; peak overall {m['peak_overall_bytes'] / gb:.2f} GB"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10)
    args = parser.parse_args(argv)
    from tests.support.appserver import running_app
    from benchmarks.run import machine

    requests = workload()
    with tempfile.TemporaryDirectory(prefix="embedlab-soak-") as scratch:
        scratch = Path(scratch)
        os.environ["EMBEDLAB_CACHE_DIR"] = str(scratch / "cache")  # a GGUF model converted here serves both
        began = time.perf_counter()
        fill_expected(requests)
        print(f"expected results computed locally in {time.perf_counter() - began:.0f} s", flush=True)
        before = machine()
        with running_app(scratch / "cache", scratch) as url:
            figures = soak(url, server_pid(url), requests, args.clients, args.minutes * 60)
    figures["machine"] = before
    figures["load_average_end"] = list(os.getloadavg())
    figures["failures"] = failures(figures)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"soak-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(figures, indent=1))
    print(f"{args.clients} clients for {args.minutes:g} min on {before['cpu']} ({before['cores']} cores); load "
          f"average {before['load_average'][0]:.2f} at the start, {figures['load_average_end'][0]:.2f} at the end")
    print(table(figures))
    for problem in figures["problems"]:
        print("  ", problem)
    print("FAILED: " + "; ".join(figures["failures"]) if figures["failures"] else "all checks hold", f"({out})")
    return 1 if figures["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
