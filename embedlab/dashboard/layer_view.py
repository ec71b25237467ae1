"""The page's layer sweep in words and as a side row: which methods **Sweep layers** reads, the plain
line under its chart, and the best layer as the values of an extra side row.

Pure functions of a `LayerSweep` and its reference AUCs: every figure they write is one the sweep
holds (its metrics, its intervals, `best`, `best_method`); nothing here computes a metric, runs a
model or touches Gradio. The chart itself is `layer_chart.py`'s.
"""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Mapping, Sequence

from ..analysis.layer_report import versus_last
from ..analysis.layers import LayerSweep, layer_methods
from ..errors import MethodError
from ..report import interval_note, with_interval
from .sides_form import spec_row

BESIDE = ("mean", "last-token")  # swept beside the base row's method, the first of these that differs


def sweep_methods(model: str, offered: Sequence[str], chosen: str | None) -> list[str]:
    """The two methods a page sweep of `model` reads: the base row's method where it reads a layer, then
    mean, then last-token; only those of `offered` (the model's methods) that read a layer. A MethodError
    where there is none."""
    readable = layer_methods(offered)
    methods = [m for m in dict.fromkeys([chosen, *BESIDE]) if m in readable][:2]
    if not methods:
        raise MethodError(f"{model}: none of its methods reads a hidden layer, so there is nothing to sweep")
    return methods


def swept_words(methods: Sequence[str], chosen: str | None) -> str:
    """`prompteol (the base row's method) and mean`: what was swept, and why."""
    named = [f"{m} (the base row's method)" if m == chosen else m for m in methods]
    return " and ".join(named)


def sweep_line(sweep: LayerSweep, references: Mapping[str, float], chosen: str | None, pairs: int) -> str:
    """The plain-words line under the chart, as HTML: the best layer of the best method with its AUC,
    that method's last layer, the reference models; then whether the best layer is clearly better than the
    last (`layer_report.versus_last`) and what was swept."""
    method = sweep.best_method()
    best, aucs = sweep.best(method), [m.auc for m in sweep.metrics[method]]
    u = sweep.uncertainty.get(method)
    auc = with_interval(u, str(best), "auc", aucs[best]) if u else f"{aucs[best]:.3f}"
    parts = [f"Best layer: {method} at layer {best} of {sweep.layers} (AUC {auc})", f"last layer {aucs[-1]:.3f}",
             *(f"{name} {value:.3f}" for name, value in references.items())]
    notes = [versus_last(sweep, method),
             f"Swept {swept_words(list(sweep.metrics), chosen)} of {sweep.model}, every layer (0: the token "
             f"embeddings, {sweep.layers}: the last), on {pairs} pairs in {sweep.seconds:.1f} s.",
             *([interval_note(u)] if u else [])]
    best_words = html.escape("; ".join(parts), quote=False)
    return (f"<p class='layer-best'><b>{best_words}.</b></p>"
            + "".join(f"<p class='caption'>{html.escape(note, quote=False)}</p>" for note in notes))


def best_row(sweep: LayerSweep, model: str) -> dict:
    """The best layer of the best method as an extra side row's values (sides_form.ROW_FIELDS), `model`
    being the base row's model as the page names it."""
    return spec_row(replace(sweep.side(sweep.best_method()), model=model))
