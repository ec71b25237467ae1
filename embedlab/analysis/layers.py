"""A layer sweep: the metrics of every layer of a model's methods, from one forward pass per text.

`layer_sweep()` asks the engine for one recipe per (method, layer), all of one model: they read the
same model input (a method sweep's options, so last-token and mean share it too), so `embed_many` runs
each batch once and the transformers backend pools every layer as the pass reaches it (`backends/layers.py`);
no batch's hidden states are held for every layer. Each layer is then scored and its vectors dropped;
the pooled vectors of every layer are held until then (layers x methods x texts x dim floats).
A side option `post` applies to every layer alike. `best()` is `metrics.rank`'s choice.
A sweep is bounded as a Compare of its methods is (`request_bounds`): each text cut to the deployment's
`max_text_tokens`, and the tokens its one pass runs counted against `max_request_tokens`.

Each layer's metrics come with their intervals, and the best layer's difference from the last with its
paired interval: every layer is resampled by the same seeded resamples (`analysis.intervals`, scored one
layer at a time and joined, so only [resamples, 6] per layer is held), so "layer K is better than the
last" is said only where that difference's interval excludes 0 (`best_vs_last`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Sequence

from ..comparison import measure_sides, side_result
from ..embedding import Progress, embed_many
from ..errors import MethodError
from .geometry import Geometry
from .intervals import RESAMPLES, SEED, Difference, Uncertainty, joined
from ..methods import METHODS, Role
from ..metrics import Metrics, rank
from ..pairs import Pair, pairs_from_value
from ..prompts import Options
from ..request_bounds import capped, check_request
from ..sides import SideSpec, sweep


def layer_methods(methods: Sequence[str]) -> list[str]:
    """The methods among `methods` that read a hidden layer."""
    return [m for m in methods if "layer" in METHODS[m].options]


@dataclass(frozen=True)
class LayerSweep:
    model: str
    layers: int  # hidden states 0..layers
    options: dict[str, Options]  # method -> its options (layer aside)
    metrics: dict[str, list[Metrics]]  # method -> metrics of layer 0..layers
    geometry: dict[str, list[Geometry | None]]
    seconds: float
    uncertainty: dict[str, Uncertainty] = field(default_factory=dict)  # method -> its layers' ("0", "1", ...)

    def best(self, method: str) -> int:
        """The layer whose vectors tell matching pairs apart best (AUC, then margin)."""
        return int(rank({str(k): m for k, m in enumerate(self.metrics[method])})[0])

    def best_method(self) -> str:
        """The swept method whose best layer ranks first (AUC, then margin), as `best()` ranks layers."""
        return rank({m: self.metrics[m][self.best(m)] for m in self.metrics})[0]

    def side(self, method: str, name: str | None = None) -> SideSpec:
        """The best layer of `method` as a side of a comparison."""
        layer = self.best(method)
        return SideSpec(self.model, method, replace(self.options[method], layer=layer), name or f"{method}@{layer}")

    def interval(self, method: str, layer: int, metric: str = "auc") -> tuple[float, float] | None:
        u = self.uncertainty.get(method)
        return u and u.interval(str(layer), metric)

    def best_vs_last(self, method: str, metric: str = "auc") -> Difference | None:
        """The best layer minus the last on `metric`, paired (the same resamples); None without intervals."""
        u = self.uncertainty.get(method)
        return u and u.difference(str(self.best(method)), str(self.layers), metric)

    def to_json(self) -> dict:
        def method_json(m: str) -> dict:
            u, d = self.uncertainty.get(m), self.best_vs_last(m)
            return {"options": self.options[m].as_dict(), "best_layer": self.best(m),
                    "metrics": [x.as_dict() for x in self.metrics[m]],
                    "geometry": [g and g.as_dict() for g in self.geometry[m]],
                    "intervals": [u and u.side_json(str(k))["intervals"] for k in range(self.layers + 1)],
                    "best_minus_last": d and {**d.as_dict(), "clear": d.clear()}}

        any_u = next(iter(self.uncertainty.values()), None)
        return {"model": self.model, "layers": self.layers, "seconds": round(self.seconds, 4),
                "bootstrap": any_u and any_u.settings(), "methods": {m: method_json(m) for m in self.metrics}}


def layer_sweep(session, pairs: Sequence[Pair] | Sequence[dict], model: str, methods: Sequence[str] | None = None,
                options: Options | None = None, progress: Progress | None = None, resamples: int = RESAMPLES,
                seed: int = SEED) -> LayerSweep:
    """Every layer of `methods` (default: every method of `model` that reads a layer) on `pairs`, each
    with its intervals from `resamples` seeded resamples."""
    pairs = pairs_from_value(pairs)
    session.settings.check_pairs(pairs)
    info = session.inspect(model)
    methods = list(methods or layer_methods(info.methods))
    for method in methods:
        info.method(method)
        if method not in layer_methods([method]):
            raise MethodError(f"method {method!r} reads no hidden layer; sweep one of: "
                              f"{', '.join(layer_methods(info.methods)) or 'none (this model has none)'}")
    backend = session.backend(model)
    if backend.layers is None:
        raise MethodError(f"{model}: its layers cannot be read (a server or precomputed vectors)")
    specs = [capped(s, session.settings.max_text_tokens) for s in sweep(model, methods, options)]
    check_request(pairs, [(backend, s) for s in specs], session.settings.max_request_tokens, "layer sweep", "method")
    recipes = [(s.method, replace(s.options.embedding(), layer=k)) for s in specs for k in range(backend.layers + 1)]
    texts = [p.question for p in pairs] + [p.answer for p in pairs]
    roles = [Role.QUERY] * len(pairs) + [Role.PASSAGE] * len(pairs)
    start = time.perf_counter()
    with session.compute_lock:
        embedded = embed_many(backend, texts, roles, recipes, session.cache, progress)
    metrics: dict[str, list[Metrics]] = {s.method: [] for s in specs}
    shapes: dict[str, list] = {s.method: [] for s in specs}
    measured: dict[str, list[Uncertainty]] = {s.method: [] for s in specs}
    for (method, _), spec in zip(recipes, [s for s in specs for _ in range(backend.layers + 1)]):
        result = side_result(backend, embedded.pop(0), len(pairs), spec.options)
        metrics[method].append(result.metrics)
        shapes[method].append(result.geometry)
        measured[method].append(measure_sides({str(len(metrics[method]) - 1): result}, len(pairs), resamples, seed))
    return LayerSweep(backend.name, backend.layers, {s.method: s.options for s in specs}, metrics, shapes,
                      time.perf_counter() - start, {m: joined(parts) for m, parts in measured.items()})
