"""A layer sweep in words for the command line: `--layers MODEL[:METHOD,...]` read into a model and
methods, and the sweep as a plain-text table (AUC with its interval and margin by layer and depth, the
best layer marked), and whether the best layer is clearly better than the last (`report.change_words`).
"""

from __future__ import annotations

from ..errors import SideError
from ..methods import METHODS
from .geometry import EXPLAIN
from .layers import LayerSweep
from ..report import change_words, interval_note, with_interval


def parse_layers(text: str) -> tuple[str, list[str] | None]:
    """`MODEL[:METHOD,...]`; a model may itself hold ':' (paths, URLs), so the part after the last ':' is
    methods only when every one names a method. None: every method of the model that reads a layer."""
    model, colon, tail = (text or "").strip().rpartition(":")
    methods = [m.strip() for m in tail.split(",")] if colon else []
    if not colon or not all(m in METHODS for m in methods):
        model, methods = text.strip(), None
    if not model:
        raise SideError(f"--layers {text!r}: write it as MODEL or MODEL:METHOD,METHOD, e.g. "
                        "smollm2-135m-instruct:mean,last-token")
    return model, methods


def depth(layer: int, layers: int) -> int:
    """How deep a hidden state is, in % of the layers (0 the token embeddings, 100 the last layer)."""
    return round(100 * layer / layers)


def sweep_table(sweep: LayerSweep) -> str:
    """AUC / margin of every layer of every swept method, in columns; * marks each method's best layer."""
    methods = list(sweep.metrics)
    best = {m: sweep.best(m) for m in methods}
    rows = [("layer", "depth", *(f"{m} AUC / margin / top share" for m in methods))]
    for k in range(sweep.layers + 1):
        cells = []
        for m in methods:
            x, shape = sweep.metrics[m][k], sweep.geometry[m][k]
            top = f"{shape.top_share:.2f}" if shape else "n/a"
            auc = with_interval(sweep.uncertainty[m], str(k), "auc", x.auc) if m in sweep.uncertainty else f"{x.auc:.3f}"
            cells.append(f"{auc} / {x.margin:.3f} / {top}{' *' if best[m] == k else ''}")
        rows.append((str(k), f"{depth(k, sweep.layers)}%", *cells))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    notes = [interval_note(next(iter(sweep.uncertainty.values())))] if sweep.uncertainty else []
    return "\n".join([f"Layer sweep of {sweep.model} ({sweep.seconds:.1f} s):", *(versus_last(sweep, m) for m in methods),
                      *lines, *notes, f"top share: {EXPLAIN['top_share']}"])


def versus_last(sweep: LayerSweep, method: str) -> str:
    """`mean: best layer 2 of 3, AUC 0.850 [...] at the last -> 0.912 [...] (clearly higher: ...)`; the
    words say "better" only where the paired difference's interval excludes 0."""
    best = sweep.best(method)
    head = f"{method}: best layer {best} of {sweep.layers}"
    if best == sweep.layers:
        return f"{head} (the last layer itself)"
    if method not in sweep.uncertainty:
        return f"{head} (AUC {sweep.metrics[method][best].auc:.3f} vs {sweep.metrics[method][-1].auc:.3f} at the last)"
    return f"{head}; the last layer -> layer {best}: {change_words(sweep.uncertainty[method], str(sweep.layers), str(best))}"
