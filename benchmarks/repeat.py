"""Item 4: a comparison asked for again, against the same comparison with an empty cache.

Both models are loaded once, outside the timings. Cold: a session whose cache is a new, empty folder
computes every text and stores it. Warm: the same session is asked the same comparison again, as a
dashboard visitor pressing the button twice would. Also reported: the same comparison from a new
cache object on the filled folder (a restarted process reading SQLite), and that all three agree.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from embedlab.cache import EmbeddingCache
from embedlab.registry import ModelRegistry
from embedlab.session import Session

from .corpus import pairs
from .timing import interleaved, item, median


def run(base: str, embedder: str, n_pairs: int, repeats: int) -> dict:
    chosen = pairs(n_pairs)
    registry = ModelRegistry(max_models=2)
    for name in (base, embedder):
        registry.get(name, device="cpu")
    scratch = Path(tempfile.mkdtemp(prefix="embedlab-bench-repeat-"))
    session = lambda folder: Session(cache=EmbeddingCache(scratch / folder), registry=registry,  # noqa: E731
                                     device="cpu", max_pairs=None)
    rounds = {"cold": 0}
    warm_session = session("warm")
    first = warm_session.compare(chosen, base, embedder)  # fills the warm cache

    def cold():
        rounds["cold"] += 1
        fresh = session(f"cold-{rounds['cold']}")
        result = fresh.compare(chosen, base, embedder)
        assert all(r.cached == 0 for r in result.sides.values())
        fresh.cache.close()

    def warm():
        result = warm_session.compare(chosen, base, embedder)
        assert all(r.computed == 0 for r in result.sides.values())
        rounds["warm_result"] = result

    def from_disk():
        restarted = session("warm")
        result = restarted.compare(chosen, base, embedder)
        assert all(r.computed == 0 for r in result.sides.values())
        restarted.cache.close()
        rounds["disk_result"] = result

    seconds = interleaved({"cold": cold, "warm": warm, "disk": from_disk}, repeats)
    warm_session.cache.close()
    shutil.rmtree(scratch, ignore_errors=True)
    same = all((rounds[k].sides[side].similarity == first.sides[side].similarity).all()
               for k in ("warm_result", "disk_result") for side in ("base", "embed"))
    record = item(4, f"repeated comparison, {n_pairs} pairs, both models", "cold (models loaded, cache empty)",
                  "warm (same session)", ">= 50x and warm < 0.5 s", False,
                  baseline_s=seconds["cold"], candidate_s=seconds["warm"],
                  checks={"warm_s": round(median(seconds["warm"]), 4),
                          "restart_from_disk_s": round(median(seconds["disk"]), 4),
                          "cold_over_disk": round(median(seconds["cold"]) / median(seconds["disk"]), 1),
                          "same_similarities": same})
    record["holds"] = record["ratio"] >= 50 and median(seconds["warm"]) < 0.5 and same
    return record
