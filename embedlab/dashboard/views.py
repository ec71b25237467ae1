"""The verdict, the run line and the metrics table as escaped HTML, from a `Comparison`.

Which value is best is `metrics.best_of`'s decision and the verdict's words are `report.verdict`'s;
this module only lays them out. Every text that comes from a person (model names) is escaped.
"""

from __future__ import annotations

import html
import math
from typing import Any

from ..analysis.geometry import EXPLAIN
from ..comparison import Comparison, SideResult
from ..metrics import HIGHER_IS_BETTER, METRIC_LABELS, METRIC_NAMES, TIE, best_of
from ..report import reading, verdict


def _e(value: Any) -> str:
    return html.escape(str(value))


def _value(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3f}"


def run_line(comparison: Comparison) -> str:
    """Where each side ran and how long it took, e.g. 'base (m) ran on cpu (float32) in 1.20 s: ...'."""
    parts = []
    for name, r in comparison.sides.items():
        parts.append(f"{name} ({r.model}) ran on {r.device} ({r.dtype}) in {r.seconds:.2f} s: "
                     f"{r.computed} texts embedded, {r.cached} from cache"
                     + (f", {r.truncated} truncated" if r.truncated else ""))
    return "; ".join(parts)


def verdict_html(comparison: Comparison) -> str:
    return (f'<div class="verdict"><p class="verdict-line">{_e(verdict(comparison))}</p>'
            f'<p class="run-line">{len(comparison.pairs)} pairs. {_e(run_line(comparison))}.</p></div>')


def _shape_rows(sides: dict[str, SideResult]) -> list[str]:
    """The geometry of each side's vectors, each row titled with what it means."""
    rows = []
    for key, label, digits in (("top_share", "Top direction share", 2), ("effective_rank", "Effective rank", 1)):
        cells = "".join(f"<td>{getattr(r.geometry, key):.{digits}f}</td>" if r.geometry else "<td>n/a</td>"
                        for r in sides.values())
        rows.append(f"<tr><th scope='row' title='{_e(EXPLAIN[key])}'>{label} ⓘ</th>{cells}</tr>")
    return rows


def metrics_html(comparison: Comparison) -> str:
    """Every side's metrics in one table, a column per side; the best value of each higher-is-better row is
    bold and marked. With more than two sides it is a leaderboard: columns best first (`metrics.rank`)."""
    ranking = comparison.ranking()
    order = ranking if len(ranking) > 2 else list(comparison.sides)
    sides = {name: comparison.sides[name] for name in order}
    place = {name: f"#{ranking.index(name) + 1} " if len(ranking) > 2 else "" for name in sides}
    head = "".join(f"<th>{place[name]}{_e(name)}<br><span class='model'>{_e(r.model)}</span><br>"
                   f"<span class='method'>{_e(reading(r))}, dim {r.dim}</span></th>" for name, r in sides.items())
    rows = []
    for metric in METRIC_NAMES:
        best = best_of({name: r.metrics[metric] for name, r in sides.items()}, metric)
        cells = "".join(f"<td class='best'><b>{_value(r.metrics[metric])}</b> ▲</td>" if name in best
                        else f"<td>{_value(r.metrics[metric])}</td>" for name, r in sides.items())
        hint = " (higher is better)" if metric in HIGHER_IS_BETTER else ""
        rows.append(f"<tr><th scope='row' title='{_e(METRIC_LABELS[metric] + hint)}'>{_e(METRIC_LABELS[metric])}</th>"
                    f"{cells}</tr>")
    rows += _shape_rows(sides)
    rows.append("<tr><th scope='row'>Device</th>" + "".join(
        f"<td>{_e(r.device)} {_e(r.dtype)}</td>" for r in sides.values()) + "</tr>")
    rows.append("<tr><th scope='row'>Seconds</th>" + "".join(
        f"<td>{r.seconds:.2f} ({r.cached}/{r.cached + r.computed} cached)</td>" for r in sides.values()) + "</tr>")
    return (f"<div class='table-box'><table class='metrics'><thead><tr><th>metric</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
            f"<p class='note'>▲ better (a difference under {TIE} is a tie); Top-1, MRR, AUC and margin: "
            "higher is better. Top direction share and effective rank describe the vectors' shape (hover "
            "for what each means): a raw GPT's vectors crowd into a narrow cone.</p>")
