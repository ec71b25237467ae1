"""Figures for a comparison: similarity heatmaps, score distributions and 2-D maps (PCA, t-SNE).

Every builder is a pure function from numbers and texts to a Plotly figure; none loads a model. Every
side's heatmap is on one colour scale (`color_range`) so the sides can be compared by eye. The heatmaps
and PCA maps come two ways, built from the same per-side traces (`heatmap_trace`, `projection_traces`):
one figure per side for the page (`side_heatmaps`, `side_projections`; each carries a narrow variant for
a phone-sized box, `with_narrow_variant`), and one figure with every side in it for the exported images
(`heatmaps`, `projection`), whose layout does not depend on anyone's screen. Texts from the pairs reach
Plotly's pseudo-HTML only escaped (`<`, `>`, `&`), so a pair that contains markup shows as text.
The PCA itself is `pca.py` and the t-SNE `tsne.py`, kept apart from the figures that draw their points
(`side_map`, `maps_figure`: one drawing for both, the method named in each title).
`interval_forest` draws each side's AUC with its bootstrap interval (a forest plot).
`loss_curve` draws a fine-tune's loss per step. Writing figures to files is `exports.py`'s job; laying them out is `app.py`'s.
"""

from __future__ import annotations

import html
import textwrap
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..comparison import Comparison, SideResult
from ..metrics import split_scores
from ..roles import reading
from . import side_order

COLORSCALE = "Viridis"
MATCH_COLOR = "#e4572e"  # outline of matching cells; questions and answers in the PCA map
QUESTION_COLOR, ANSWER_COLOR = "#3366cc", "#e4572e"
TEMPLATE = "plotly_white"
NARROW_BELOW = 520  # px: a plot narrower than this takes its narrow variant (`with_narrow_variant`)
# a side's own figure: its title at the left, clear of the tool bar that Plotly shows at the top right
SEEN_NOTE = "<br><i>this model trained on this question or answer</i>"
SIDE_TITLE = {"font": {"size": 14}, "x": 0.02, "xanchor": "left", "xref": "container"}


def escape(text: str) -> str:
    """Text safe inside Plotly labels: `<`, `>` and `&` escaped, so markup shows as text."""
    return html.escape(str(text), quote=False)


def short_label(text: str, width: int = 24) -> str:
    """A one-line, escaped label of at most `width` characters (an ellipsis marks a cut)."""
    line = " ".join(str(text).split())
    return escape(line if len(line) <= width else line[: width - 1].rstrip() + "…")


def hover_text(text: str, width: int = 40) -> str:
    """The full text, escaped and wrapped onto lines of about `width` characters for a hover box."""
    lines = textwrap.wrap(" ".join(str(text).split()), width) or [""]
    return "<br>".join(escape(line) for line in lines)


def side_title(name: str, side: SideResult, place: str = "") -> str:
    """A side's plot title: its place on the leaderboard (`place`, e.g. "#1 ", with more than two sides),
    its page name, model and reading."""
    trained = f"; dotted: {len(side.seen_in_training)} pairs it trained on" if side.seen_in_training else ""
    return escape(f"{place}{side_order.label(name)}: {side.model} ({reading(side)}){trained}")


def color_range(matrices: Sequence) -> tuple[float, float]:
    """One (zmin, zmax) covering every matrix, so all heatmaps share a colour scale."""
    values = np.concatenate([np.asarray(m, dtype=np.float64).ravel() for m in matrices])
    low, high = float(values.min()), float(values.max())
    return (low, high) if high > low else (low - 0.5, high + 0.5)


def _height(n: int, base: int = 360, per_row: int = 20, most: int = 900) -> int:
    return min(most, base + per_row * max(0, n - 4))


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def with_narrow_variant(fig: go.Figure, layout: dict, data: dict | None = None, below: int = NARROW_BELOW) -> go.Figure:
    """Attach to `fig` the look it takes in a box narrower than `below` px, as `layout.meta.fit`: the
    `narrow` layout (Plotly relayout paths -> values) and trace attributes (restyle paths -> a value for
    every trace), and `wide`, the figure's own values of the same paths. The page's script (app.py's
    FIT_PLOTS) switches between the two; an exported figure is drawn as built, that is wide."""
    data = data or {}
    wide = {"layout": {path: _plain(fig.layout[path]) for path in layout},
            "data": {path: [_plain(trace[path]) for trace in fig.data] for path in data}}
    narrow = {"layout": layout, "data": {path: [value] * len(fig.data) for path, value in data.items()}}
    fig.update_layout(meta={"fit": {"below": below, "narrow": narrow, "wide": wide}})
    return fig


def question_labels(pairs, width: int = 24) -> list[str]:
    return [f"Q{i + 1} {short_label(p.question, width)}" for i, p in enumerate(pairs)]


def answer_labels(pairs, width: int = 16) -> list[str]:
    return [f"A{j + 1} {short_label(p.answer, width)}" for j, p in enumerate(pairs)]


def _tick_font(n: int) -> dict:
    return {"size": 11 if n <= 10 else 9}


def question_hovers(pairs, index) -> list[str]:
    """The hover line of each question numbered in `index` (counted from 0; shown from 1)."""
    return [f"<b>Q{i + 1}</b> {hover_text(pairs[i].question)}" for i in index]


def answer_hovers(pairs, index) -> list[str]:
    return [f"<b>A{j + 1}</b> {hover_text(pairs[j].answer)}" for j in index]


def cell_hover(question: str, answer: str, cosine: float, matching: bool) -> str:
    """A heatmap cell's hover: its question and answer lines (`question_hovers`, `answer_hovers`) and cosine."""
    return f"{question}<br>{answer}<br>cosine {cosine:.3f}{' (matching pair)' if matching else ''}"


def heatmap_trace(comparison: Comparison, name: str, zrange: tuple[float, float], colorbar: bool = True) -> go.Heatmap:
    """One side's question x answer similarities on the colour scale `zrange`; the full texts on hover."""
    pairs, r = comparison.pairs, comparison.sides[name]
    n = len(pairs)
    sim = np.asarray(r.similarity, dtype=np.float64)
    questions, answers = question_hovers(pairs, range(n)), answer_hovers(pairs, range(n))
    seen = set(r.seen_in_training or ())
    text = [[cell_hover(q, a, sim[i, j], i == j) + (SEEN_NOTE if i in seen or j in seen else "")
             for j, a in enumerate(answers)] for i, q in enumerate(questions)]
    return go.Heatmap(
        z=sim, x=list(range(n)), y=list(range(n)), zmin=zrange[0], zmax=zrange[1], colorscale=COLORSCALE,
        showscale=colorbar, colorbar={"title": {"text": "cosine"}, "thickness": 14},
        text=text, hovertemplate="%{text}<extra></extra>", name=escape(r.model),
        texttemplate="%{z:.2f}" if n <= 8 else None, xgap=1, ygap=1)


def match_outlines(n: int, xref: str = "x", yref: str = "y", seen: Sequence[int] = ()) -> list[dict]:
    """A rectangle around each matching (diagonal) cell, dotted for the pairs `seen` in training. Set all
    at once (`layout.shapes`): `add_shape` one by one is quadratic in Plotly."""
    seen = set(seen)
    return [{"type": "rect", "x0": i - 0.5, "x1": i + 0.5, "y0": i - 0.5, "y1": i + 0.5, "xref": xref,
             "yref": yref, "line": {"color": MATCH_COLOR, "width": 2.5 if n <= 30 else 1.5,
                                    "dash": "dot" if i in seen else "solid"}} for i in range(n)]


def answer_axis(pairs) -> dict:
    n = len(pairs)
    return {"tickvals": list(range(n)), "ticktext": answer_labels(pairs), "tickangle": -45 if n > 2 else 0,
            "title_text": "answers", "tickfont": _tick_font(n)}


def question_axis(pairs) -> dict:
    n = len(pairs)
    return {"tickvals": list(range(n)), "ticktext": question_labels(pairs), "autorange": "reversed",
            "tickfont": _tick_font(n)}


def heatmaps_title(zrange: tuple[float, float]) -> str:
    return (f"Cosine similarity, questions x answers (one scale, {zrange[0]:.2f} to {zrange[1]:.2f}; "
            "matching pairs outlined)")


def heatmaps(comparison: Comparison) -> go.Figure:
    """Every side's heatmap in one figure, side by side on one colour scale (the exported image)."""
    pairs, sides = comparison.pairs, comparison.sides
    n = len(pairs)
    zrange = color_range([r.similarity for r in sides.values()])
    fig = make_subplots(rows=1, cols=len(sides), shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[side_title(side, r) for side, r in sides.items()])
    shapes = []
    for col, side in enumerate(sides, start=1):
        fig.add_trace(heatmap_trace(comparison, side, zrange, colorbar=col == len(sides)), row=1, col=col)
        axis = "" if col == 1 else str(col)
        shapes += match_outlines(n, f"x{axis}", f"y{axis}", sides[side].seen_in_training or ())
        fig.update_xaxes(**answer_axis(pairs), row=1, col=col)
    fig.update_yaxes(**question_axis(pairs))
    fig.update_yaxes(title_text="questions", row=1, col=1)
    fig.update_layout(shapes=shapes, template=TEMPLATE, height=_height(n, base=420, per_row=18),
                      margin={"l": 10, "r": 10, "t": 60, "b": 10},
                      title={"text": heatmaps_title(zrange), "font": {"size": 15}})
    return fig


def _narrow_ticks(n: int, most: int) -> list[int]:
    """The rows (or columns) labelled in a narrow heatmap: every one up to `most`, else every k-th."""
    return list(range(0, n, -(-n // most)))


def side_heatmap(comparison: Comparison, name: str, zrange: tuple[float, float], place: str = "") -> go.Figure:
    """One side's heatmap as a figure of its own (one per plot on the page): its title, its colour bar on
    the shared scale `zrange`, matching cells outlined. Narrower than NARROW_BELOW px, its labels shrink
    to Q1/A1 numbers (the full texts stay on hover) and its title takes two lines."""
    pairs, r = comparison.pairs, comparison.sides[name]
    n = len(pairs)
    fig = go.Figure(heatmap_trace(comparison, name, zrange))
    fig.update_xaxes(**answer_axis(pairs))
    fig.update_yaxes(**question_axis(pairs), title_text="questions")
    height = _height(n, base=360, per_row=18)  # 360 for a few pairs: the verdict and the maps fit 720 px
    fig.update_layout(shapes=match_outlines(n, seen=r.seen_in_training or ()), template=TEMPLATE, height=height,
                      margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      title={"text": side_title(name, r, place), **SIDE_TITLE})
    rows, columns = _narrow_ticks(n, 30), _narrow_ticks(n, 15)
    few = n <= 4
    return with_narrow_variant(fig, {
        "title.text": f"{escape(place + side_order.label(name))}<br>{escape(f'{r.model} ({reading(r)})')}",
        "yaxis.tickvals": rows,
        "yaxis.ticktext": question_labels(pairs, 10) if few else [f"Q{i + 1}" for i in rows],
        "xaxis.tickvals": columns,
        "xaxis.ticktext": answer_labels(pairs, 10) if few else [f"A{j + 1}" for j in columns],
        "xaxis.tickangle": 0 if n <= 2 else -45 if few else -90,
        "height": 420 if few else 480,
        "margin.t": 60, "margin.b": 70,
    }, {  # the colour bar under the map, so the map gets the box's width; hover labels in smaller type
        "hoverlabel.font.size": 11, "colorbar.orientation": "h", "colorbar.thickness": 10, "colorbar.len": 1, "colorbar.lenmode": "fraction",
        "colorbar.x": 0.5, "colorbar.xanchor": "center", "colorbar.yref": "container", "colorbar.y": 0,
        "colorbar.yanchor": "bottom", "colorbar.title.side": "left",
    })


def side_heatmaps(comparison: Comparison, ranked: bool = False) -> list[go.Figure]:
    """One heatmap figure per side, all on one colour scale (`color_range` over every side), in the sides'
    order. `ranked` (the results'): in the page's order (`side_order.shown`: with more than two sides the
    leaderboard's, each title led by its place, "#1 ..."), so the best side's map is the first and every map
    is found by its place."""
    zrange = color_range([r.similarity for r in comparison.sides.values()])
    if not ranked:
        return [side_heatmap(comparison, name, zrange) for name in comparison.sides]
    return [side_heatmap(comparison, name, zrange, place) for name, place in side_order.shown(comparison)]


def score_distributions(comparison: Comparison) -> go.Figure:
    """Matching (diagonal) against non-matching (off-diagonal) scores, one pair of boxes per side."""
    n = len(comparison.pairs)
    fig = go.Figure()
    first = next(iter(comparison.sides), None)
    for side, r in comparison.sides.items():
        pos, neg = split_scores(r.similarity)
        x = escape(f"{side}: {r.model}")
        off = [(i, j) for i in range(n) for j in range(n) if i != j]  # split_scores' off-diagonal order
        for kind, scores, labels, color in (
                ("matching", pos, [f"Q{i + 1} ↔ A{i + 1}" for i in range(n)], MATCH_COLOR),
                ("non-matching", neg, [f"Q{i + 1} ↔ A{j + 1}" for i, j in off], "#7f7f7f")):
            fig.add_trace(go.Box(y=scores, x=[x] * len(scores), name=kind, legendgroup=kind,
                                 showlegend=side == first, marker_color=color, boxpoints="all", jitter=0.4,
                                 pointpos=0, text=labels, hovertemplate="%{text}: %{y:.3f}<extra></extra>"))
    fig.update_layout(template=TEMPLATE, boxmode="group", height=400, yaxis_title="cosine similarity",
                      title={"text": "Matching vs non-matching scores", "font": {"size": 15}},
                      margin={"l": 10, "r": 10, "t": 50, "b": 10}, legend={"orientation": "h", "y": -0.12})
    names = list(comparison.sides.items())
    if len(names) > 2:  # many sides: a tick is the side's name alone, so the names do not run into each other
        fig.update_xaxes(tickmode="array", tickvals=[escape(f"{side}: {r.model}") for side, r in names],
                         ticktext=[escape(side) for side, _ in names], tickangle=-30)
    return with_narrow_variant(fig, {  # each model's name on a line of its own, under its side's name
        "xaxis.tickmode": "array", "xaxis.tickvals": [escape(f"{side}: {r.model}") for side, r in names],
        "xaxis.ticktext": [f"{escape(side)}<br>{escape(r.model)}" for side, r in names],
        "legend.y": -0.2})


def interval_forest(comparison: Comparison, metric: str = "auc") -> go.Figure:
    """Each side's `metric` as a point with its 95% interval as whiskers, one row per side in rank order
    (a forest plot); a side without an interval is a point alone, its hover saying why. For AUC, a
    dashed line marks chance (0.5)."""
    u, names = comparison.uncertainty, comparison.ranking()
    values = [comparison.sides[name].metrics[metric] for name in names]
    intervals = [u.interval(name, metric) for name in names]
    low = [v - i[0] if i else 0.0 for v, i in zip(values, intervals)]
    high = [i[1] - v if i else 0.0 for v, i in zip(values, intervals)]
    hover = [f"{escape(name)}: {v:.3f} " + (f"[{i[0]:.3f}, {i[1]:.3f}]" if i else f"(no interval: {escape(u.reason(name) or '')})")
             for name, v, i in zip(names, values, intervals)]
    labels = [escape(f"{name}: {comparison.sides[name].model}") for name in names]
    fig = go.Figure(go.Scatter(x=values, y=labels, mode="markers", marker={"size": 10, "color": QUESTION_COLOR},
                               error_x={"type": "data", "symmetric": False, "array": high, "arrayminus": low,
                                        "thickness": 2, "width": 6}, text=hover, hovertemplate="%{text}<extra></extra>"))
    if metric == "auc":
        fig.add_vline(x=0.5, line={"dash": "dash", "color": "#7f7f7f", "width": 1})
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_layout(template=TEMPLATE, height=max(220, 90 + 44 * len(names)), showlegend=False,
                      xaxis_title=f"{metric.upper() if metric == 'auc' else metric} (95% interval, {u.resamples} "
                                  f"bootstrap resamples over {u.pairs} pairs)",
                      title={"text": f"{'AUC' if metric == 'auc' else metric} of each side, with its 95% interval",
                             **SIDE_TITLE}, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig


def loss_curve(losses: Sequence[float], title: str = "Training loss (InfoNCE) per step") -> go.Figure:
    """The fine-tune's loss at each step so far (drawn again as each step ends)."""
    fig = go.Figure(go.Scatter(x=list(range(1, len(losses) + 1)), y=[float(x) for x in losses], mode="lines+markers",
                               marker={"size": 4}, line={"color": QUESTION_COLOR},
                               hovertemplate="step %{x}: loss %{y:.4f}<extra></extra>"))
    fig.update_layout(template=TEMPLATE, height=300, title={"text": escape(title), **SIDE_TITLE},
                      xaxis_title="step", yaxis_title="loss", margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig


def projection_traces(pairs, points, legend: bool = True) -> list[go.Scatter]:
    """One side's PCA map: questions (rows 0..n-1 of `points`) and answers (n..2n-1), each pair joined
    by a line; Q1/A1 tags beside the points up to 12 pairs, the full texts on hover."""
    n = len(pairs)
    p = np.asarray(points, dtype=np.float64)
    q, a = p[:n], p[n:]
    xs = [v for i in range(n) for v in (q[i, 0], a[i, 0], None)]
    ys = [v for i in range(n) for v in (q[i, 1], a[i, 1], None)]
    traces = [go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#b0b0b0", "width": 1}, hoverinfo="skip",
                         name="pair", showlegend=legend)]
    for kind, xy, color, symbol, texts in (
            ("question", q, QUESTION_COLOR, "circle", [p_.question for p_ in pairs]),
            ("answer", a, ANSWER_COLOR, "diamond", [p_.answer for p_ in pairs])):
        tag = kind[0].upper()
        traces.append(go.Scatter(
            x=xy[:, 0], y=xy[:, 1], mode="markers+text" if n <= 12 else "markers", name=kind,
            legendgroup=kind, showlegend=legend, marker={"color": color, "symbol": symbol, "size": 10},
            text=[f"{tag}{i + 1}" for i in range(n)], textposition="top center",
            hovertext=[f"<b>{tag}{i + 1}</b> {hover_text(t)}" for i, t in enumerate(texts)],
            hovertemplate="%{hovertext}<extra></extra>"))
    return traces


PROJECTION_TITLE = "Questions and answers in 2-D (PCA of unit vectors); lines join each pair"
PCA_AXES = ("PC 1", "PC 2")
TSNE_TITLE = "Questions and answers in 2-D (t-SNE of unit vectors, cosine distance); lines join each pair"
TSNE_AXES = ("t-SNE 1", "t-SNE 2")


def pca_method(explained) -> str:
    """How a PCA map's points were found, for its title: "PCA (41% of variance)"."""
    return f"PCA ({100 * sum(explained):.0f}% of variance)"


def maps_figure(comparison: Comparison, points: dict[str, np.ndarray], methods: dict[str, str], title: str,
                axes: tuple[str, str] = PCA_AXES) -> go.Figure:
    """Every side's map in one figure, side by side (the exported image); `methods[side]` names how that
    side's points were found, in its subplot's title."""
    sides = comparison.sides
    titles = [f"{side_title(side, r)}, {methods[side]}" for side, r in sides.items()]
    fig = make_subplots(rows=1, cols=len(sides), subplot_titles=titles, horizontal_spacing=0.08)
    for col, side in enumerate(sides, start=1):
        for trace in projection_traces(comparison.pairs, points[side], legend=col == 1):
            fig.add_trace(trace, row=1, col=col)
    fig.update_xaxes(title_text=axes[0], zeroline=False)
    fig.update_yaxes(title_text=axes[1], zeroline=False)
    fig.update_layout(template=TEMPLATE, height=440, margin={"l": 10, "r": 10, "t": 60, "b": 10},
                      title={"text": escape(title), "font": {"size": 15}}, legend={"orientation": "h", "y": -0.15})
    return fig


def projection(comparison: Comparison, points: dict[str, np.ndarray], explained: dict[str, np.ndarray]) -> go.Figure:
    """Every side's PCA map in one figure, side by side (the exported image)."""
    return maps_figure(comparison, points, {side: pca_method(explained[side]) for side in comparison.sides},
                       PROJECTION_TITLE)


def side_map(comparison: Comparison, name: str, points, method: str, axes: tuple[str, str] = PCA_AXES,
             place: str = "") -> go.Figure:
    """One side's map as a figure of its own (one per plot on the page), its title led by its place
    (`place`, as the heatmaps') and naming `method` (how its points were found); the title takes two lines
    in a box narrower than NARROW_BELOW px."""
    r = comparison.sides[name]
    fig = go.Figure(projection_traces(comparison.pairs, points))
    fig.update_xaxes(title_text=axes[0], zeroline=False)
    fig.update_yaxes(title_text=axes[1], zeroline=False)
    fig.update_layout(template=TEMPLATE, height=440, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      title={"text": f"{side_title(name, r, place)}, {escape(method)}", **SIDE_TITLE},
                      legend={"orientation": "h", "y": -0.18})
    return with_narrow_variant(fig, {"title.text": f"{side_title(name, r, place)}<br>{escape(method)}",
                                     "margin.t": 60})


def side_projection(comparison: Comparison, name: str, points, explained, place: str = "") -> go.Figure:
    """One side's PCA map as a figure of its own."""
    return side_map(comparison, name, points, pca_method(explained), place=place)


def side_projections(comparison: Comparison, points: dict[str, np.ndarray],
                     explained: dict[str, np.ndarray]) -> list[go.Figure]:
    """One PCA map figure per side, in the page's order (`side_order.shown`, as the heatmaps)."""
    return [side_projection(comparison, name, points[name], explained[name], place)
            for name, place in side_order.shown(comparison)]


def side_tsne_maps(comparison: Comparison, points: dict[str, np.ndarray], method: str) -> list[go.Figure]:
    """One t-SNE map figure per side, in the page's order, `method` ("t-SNE (perplexity 30, seed 0)") in each
    title."""
    return [side_map(comparison, name, points[name], method, TSNE_AXES, place)
            for name, place in side_order.shown(comparison)]
