"""Item 11: a layer sweep (every layer of two methods) against the same methods' last-layer run.

The sweep scores every hidden state (0..N) of `mean` and `last-token` from one forward pass per batch,
pooling each layer as the pass reaches it (`analysis/layers.py`); the baseline compares the two
methods at their last layer only (one `Session.compare`, which shares the same forward pass between
them). Both start from an empty in-memory cache each round, with the model loaded; the target is the
sweep within 1.3x the baseline's time. It also checks that the sweep's last layer scores as the
baseline does.
"""

from __future__ import annotations

from embedlab.analysis.layers import layer_sweep
from embedlab.cache import EmbeddingCache
from embedlab.registry import ModelRegistry
from embedlab.session import Session
from embedlab.sides import sweep

from .corpus import pairs
from .timing import interleaved, item, median

METHODS = ("mean", "last-token")
TARGET = 1.3


def run(model: str, n_pairs: int, repeats: int) -> dict:
    chosen = pairs(n_pairs)
    registry = ModelRegistry(max_models=1)
    registry.get(model, device="cpu")

    def session() -> Session:
        return Session(cache=EmbeddingCache(use_disk=False), registry=registry, device="cpu", max_pairs=None)

    out = {}

    def last_layer():
        out["last"] = session().compare(chosen, sides=sweep(model, METHODS))

    def every_layer():
        out["sweep"] = layer_sweep(session(), chosen, model, METHODS)

    seconds = interleaved({"last": last_layer, "sweep": every_layer}, repeats)
    swept = out["sweep"]
    same = all(abs(swept.metrics[m][-1].auc - out["last"].sides[m].metrics.auc) < 1e-6 for m in METHODS)
    record = item(14, f"layer sweep of {model}: all {swept.layers + 1} hidden states of {', '.join(METHODS)}, "
                      f"{n_pairs} pairs", "the two methods at the last layer", "every layer in one pass",
                  f"sweep within {TARGET}x the last-layer run", False,
                  baseline_s=seconds["last"], candidate_s=seconds["sweep"],
                  ratio=median(seconds["sweep"]) / median(seconds["last"]),
                  checks={"layers": swept.layers, "last_layer_scores_alike": same,
                          "best_layers": {m: swept.best(m) for m in METHODS}},
                  note="ratio = sweep time / last-layer time: what every other layer costs on top")
    record["holds"] = record["ratio"] <= TARGET and same
    return record
