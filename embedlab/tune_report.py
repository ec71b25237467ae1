"""A fine-tune in words for the command line: the held-out metrics of each side (before, whitened, after,
and the embedding model where one was measured), each with its 95% interval, the paired change
after - before, and the gap sentence (what whitening and tuning each close, `analysis/gap.py`).
"""

from __future__ import annotations

from .metrics import METRIC_LABELS, METRIC_NAMES
from .report import difference_words, interval_note, with_interval

COLUMNS = {"before": "before", "whitened": "whitened (train fit)", "after": "after", "embedding": "embedding model"}


def tune_table(u) -> str:
    """Held-out metrics of every side the bootstrap `u` measured, each with its interval, and after - before."""
    sides = [key for key in COLUMNS if key in u.points]
    rows = [("", *(COLUMNS[key] for key in sides), "after - before")]
    for k, metric in enumerate(METRIC_NAMES):
        d = u.difference("after", "before", metric)
        rows.append((METRIC_LABELS[metric], *(with_interval(u, key, metric, u.points[key][k]) for key in sides),
                     difference_words(d).removeprefix("difference ") if d else ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join([*lines, interval_note(u)])


def tune_report(result) -> str:
    """The table, where the whitening was fitted, and the gap sentence where an embedding model was measured."""
    from .tuning.baseline import FITTED_ON

    lines = [tune_table(result.uncertainty)]
    if result.whitened is not None:
        lines.append(f"whitened: the base GPT's held-out vectors whitened (K={result.whitened.options.whiten_dims}), "
                     f"fitted on {FITTED_ON}.")
    if result.gap is not None:
        lines.append(result.gap_words())
    return "\n".join(lines)
