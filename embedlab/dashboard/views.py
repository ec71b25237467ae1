"""The verdict, the run line and the metrics table as escaped HTML, from a `Comparison`.

Which value is clearly best is `analysis.intervals.best_of`'s decision (a paired bootstrap), each
number's interval and the verdict's words are `report`'s; this module only lays them out. Every text
that comes from a person (model names) is escaped.
"""

from __future__ import annotations

import html
from typing import Any

from ..analysis.geometry import EXPLAIN
from ..analysis.intervals import best_of
from ..analysis.whitening_step import step_words
from ..comparison import Comparison, SideResult
from ..glossary import meaning
from ..metrics import HIGHER_IS_BETTER, METRIC_LABELS, METRIC_NAMES, RANK_WORDS
from ..numbers import number
from ..report import bracket, first_answers, interval_note, verdict
from ..roles import reading
from ..tuned import scored_on
from . import side_order


def _e(value: Any) -> str:
    return html.escape(str(value))


def run_line(comparison: Comparison) -> str:
    """Where each side ran and how long it took, e.g. 'base (m) ran on cpu (float32) in 1.20 s: ...'."""
    parts = []
    for name, r in comparison.sides.items():
        parts.append(f"{name} ({r.model}) ran on {r.device} ({r.dtype}) in {r.seconds:.2f} s: "
                     f"{r.computed} texts embedded, {r.cached} from cache"
                     + (f", {r.truncated} truncated" if r.truncated else ""))
    return "; ".join(parts)


def verdict_html(comparison: Comparison) -> str:
    scored = scored_on(comparison)
    return (f'<div class="verdict"><p class="verdict-line">{_e(first_answers(comparison))}</p>'
            f'<p class="verdict-detail">{_e(verdict(comparison))}</p>'
            + (f'<p class="verdict-geometry">{_e(geometry)}</p>' if (geometry := step_words(comparison)) else "")
            + (f'<p class="scored-on">{_e(scored)}</p>' if scored else "")
            + f'<p class="run-line">{len(comparison.pairs)} pairs. {_e(run_line(comparison))}.</p></div>')


def _shape_rows(sides: dict[str, SideResult]) -> list[str]:
    """The geometry of each side's vectors, each row titled with what it means."""
    rows = []
    for key, label, digits in (("top_share", "Top direction share", 2), ("effective_rank", "Effective rank", 1)):
        cells = "".join(f"<td>{getattr(r.geometry, key):.{digits}f}</td>" if r.geometry else "<td>n/a</td>"
                        for r in sides.values())
        rows.append(f"<tr><th scope='row' title='{_e(EXPLAIN[key])}'>{label}</th>{cells}</tr>")
    return rows


def metrics_html(comparison: Comparison) -> str:
    """Every side's metrics in one table, a column per side, each value with its 95% interval; a value
    clearly better than every other side's (paired bootstrap) is bold and marked. With more than two
    sides it is a leaderboard: columns by AUC, highest first (`metrics.rank`)."""
    u, shown = comparison.uncertainty, side_order.shown(comparison)
    sides = {name: comparison.sides[name] for name, _ in shown}
    place = dict(shown)
    head = "".join(f"<th>{place[name]}{_e(side_order.label(name))}<br><span class='model'>{_e(r.model)}</span><br>"
                   f"<span class='method'>{_e(reading(r))}, dim {r.dim}</span></th>" for name, r in sides.items())
    rows = []
    for metric in METRIC_NAMES:
        best = best_of(u, list(sides), metric)
        value = {name: number(r.metrics[metric], 3) for name, r in sides.items()}
        cells = "".join(f"<td class='best'><b>{value[name]}</b> ▲ <span class='ci'>{bracket(u, name, metric)}</span></td>"
                        if name in best else f"<td>{value[name]} <span class='ci'>{bracket(u, name, metric)}</span></td>"
                        for name in sides)
        rows.append(f"<tr><th scope='row' title='{_e(meaning(metric))}'>{_e(METRIC_LABELS[metric])}</th>"
                    f"{cells}</tr>")
    if comparison.excluded:  # the same metrics on every pair, pairs a tuned side trained on included: labelled
        label = f"all {len(comparison.pairs)} pairs, {len(comparison.excluded)} used in training"
        rows += [f"<tr class='all-pairs'><th scope='row'>{_e(METRIC_LABELS[metric])} ({_e(label)})</th>" + "".join(
            f"<td>{number((r.metrics_all or r.metrics)[metric], 3)}</td>" for r in sides.values()) + "</tr>"
            for metric in HIGHER_IS_BETTER]
    rows += _shape_rows(sides)
    rows.append("<tr><th scope='row'>Device</th>" + "".join(
        f"<td>{_e(r.device)} {_e(r.dtype)}</td>" for r in sides.values()) + "</tr>")
    rows.append("<tr><th scope='row'>Seconds</th>" + "".join(
        f"<td>{r.seconds:.2f} ({r.cached}/{r.cached + r.computed} cached)</td>" for r in sides.values()) + "</tr>")
    ranked = side_order.ranked(comparison)
    kind = "metrics leaderboard" if ranked else "metrics"  # the page gives a leaderboard the full width
    return (f"<div class='table-box'><table class='{kind}'><thead><tr><th>metric</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
            + (f"<p class='note ranking-rule'>Ranked by {_e(RANK_WORDS)}.</p>" if ranked else "")
            + f"<p class='note'>{_e(interval_note(u))} ▲ clearly better than every other side: the 95% interval of "
            "the paired difference excludes 0. Top-1, MRR, AUC and margin: higher is better. Top direction share "
            "and effective rank describe the vectors' shape (hover for what each means): a raw GPT's vectors crowd "
            "into a narrow cone.</p>"
            "<details class='note glossary'><summary>What the numbers mean</summary><ul>"
            + "".join(f"<li>{_e(meaning(metric))}</li>" for metric in METRIC_NAMES) + "</ul></details>")
