"""Words and tables for a comparison: the verdict line and the plain-text metrics table.

Which side is better is `metrics.compare_metrics`' decision (AUC, then margin, ties and NaN aware);
this module only puts it into words.
"""

from __future__ import annotations

import math

from .analysis.geometry import EXPLAIN as GEOMETRY_EXPLAIN
from .comparison import Comparison, SideResult
from .metrics import METRIC_LABELS, METRIC_NAMES, compare_metrics, rank
from .presets import PRESETS

GEOMETRY_NOTE = (f"top share: {GEOMETRY_EXPLAIN['top_share']}.\neffective rank: {GEOMETRY_EXPLAIN['effective_rank']}. "
                 "Mean non-matching: near 1 means every vector points one way.")


def _number(value: float, digits: int = 2) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def reading(side: SideResult) -> str:
    """How a side read its vectors: the method, the layer where one was chosen, the post-processing."""
    layer = f", layer {side.options.layer}" if side.options.layer is not None else ""
    post = {"center": ", centred", "whiten": f", whitened ({side.options.whiten_dims} dims)"}.get(side.options.post, "")
    return f"{side.method}{layer}{post}"


def _name(side: SideResult) -> str:
    return f"{side.model} ({reading(side)})"


def is_embedder(side: SideResult) -> bool:
    """Whether a side is a trained embedding model (its own pipeline, or a preset of that kind) rather
    than a way of reading a GPT without training."""
    preset = PRESETS.get(side.model)
    return side.method == "native" or (preset is not None and preset.side == "embed")


def _gap(sides: dict[str, SideResult]) -> str:
    """How far the best training-free GPT side is from the best embedding model, where both kinds are present."""
    ranked = [sides[n] for n in rank({n: s.metrics for n, s in sides.items()})]
    gpts, embedders = [s for s in ranked if not is_embedder(s)], [s for s in ranked if is_embedder(s)]
    if not gpts or not embedders:
        return ""
    g, e = gpts[0], embedders[0]
    return (f" The best training-free GPT method, {_name(g)}, is {_number(e.metrics.auc - g.metrics.auc)} AUC and "
            f"{_number(e.metrics.margin - g.metrics.margin, 3)} margin behind the best embedding model, {_name(e)}.")


def verdict(comparison: Comparison) -> str:
    """One sentence saying which model separates matching pairs better, and by how much; with more than
    two sides, the best one and how far the best GPT method is from the best embedding model."""
    sides = comparison.sides
    if len(comparison.pairs) < 2:
        return ("One pair has no non-matching pairs to compare it with: add at least one more pair to see "
                "whether matching pairs stand out.")
    parts = "; ".join(f"{_name(s)} separates matching pairs by {_number(s.metrics.margin)}" for s in sides.values())
    if len(sides) < 2:
        return parts + "."
    first, second = (sides[name] for name in comparison.ranking()[:2])
    outcome, decided_by = compare_metrics(first.metrics, second.metrics)
    auc = f"AUC {_number(first.metrics.auc)} vs {_number(second.metrics.auc)}"
    margin = f"margin {_number(first.metrics.margin, 3)} vs {_number(second.metrics.margin, 3)}"
    if len(sides) > 2:
        parts, auc = f"{len(sides)} sides", f"{auc} for the next, {_name(second)}"
    if outcome is None:
        return f"{parts}: the sides cannot be ranked ({auc})."
    many = len(sides) > 2
    gap = _gap(sides) if many else ""
    if outcome == 0:
        return f"{parts}: {'no side' if many else 'neither'} tells matching pairs apart better ({auc}, {margin}).{gap}"
    why = auc if decided_by == "auc" else f"{auc}, {margin}"
    return f"{parts}: {_name(first)} tells matching pairs apart {'the best' if many else 'better'} ({why}).{gap}"


def table(comparison: Comparison) -> str:
    """The metrics of each side in aligned columns, for a terminal."""
    sides = comparison.sides
    rows = [("", *sides), ("model", *(r.model for r in sides.values())),
            ("method", *(r.method for r in sides.values())), ("dim", *(str(r.dim) for r in sides.values()))]
    rows += [(METRIC_LABELS[name], *(_number(r.metrics[name], 3) for r in sides.values())) for name in METRIC_NAMES]
    rows += [("top share", *(_number(r.geometry.top_share) if r.geometry else "n/a" for r in sides.values())),
             ("effective rank", *(_number(r.geometry.effective_rank, 1) if r.geometry else "n/a" for r in sides.values())),
             ("from cache", *(f"{r.cached}/{r.cached + r.computed}" for r in sides.values())),
             ("truncated", *(str(r.truncated) for r in sides.values())),
             ("seconds", *(f"{r.seconds:.2f}" for r in sides.values())),
             ("device", *(f"{r.device} {r.dtype}" for r in sides.values()))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join([f"{len(comparison.pairs)} pairs", *lines, "", verdict(comparison), "", GEOMETRY_NOTE])
