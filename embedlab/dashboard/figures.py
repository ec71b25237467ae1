"""Figures for a comparison: similarity heatmaps, score distributions and a 2-D PCA map.

Every builder is a pure function from numbers and texts to a Plotly figure; none loads a model. The
two heatmaps share one colour scale so the sides can be compared by eye. Texts from the pairs reach
Plotly's pseudo-HTML only escaped (`<`, `>`, `&`), so a pair that contains markup shows as text.
`pca_2d` is the projection itself, kept apart from the figure that draws its points: the SVD of the
centred rows, taken through their n x n Gram matrix (whose eigenvectors and eigenvalues are the SVD's
U and S squared), since a few hundred rows of 49152 numbers make LAPACK's SVD slow on two cores.
Writing figures to files is `exports.py`'s job; laying them out is `app.py`'s.
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
from ..presets import SIDES
COLORSCALE = "Viridis"
MATCH_COLOR = "#e4572e"  # outline of matching cells; questions and answers in the PCA map
QUESTION_COLOR, ANSWER_COLOR = "#3366cc", "#e4572e"
TEMPLATE = "plotly_white"


def escape(text: str) -> str:
    """Text safe inside Plotly labels: `<`, `>` and `&` escaped, so markup shows as text."""
    return html.escape(str(text), quote=False)


def short_label(text: str, width: int = 24) -> str:
    """A one-line, escaped label of at most `width` characters (an ellipsis marks a cut)."""
    line = " ".join(str(text).split())
    return escape(line if len(line) <= width else line[: width - 1].rstrip() + "…")


def hover_text(text: str, width: int = 60) -> str:
    """The full text, escaped and wrapped onto lines of about `width` characters for a hover box."""
    lines = textwrap.wrap(" ".join(str(text).split()), width) or [""]
    return "<br>".join(escape(line) for line in lines)


def side_title(name: str, side: SideResult) -> str:
    return escape(f"{SIDES.get(name, name)}: {side.model} ({side.method})")


def color_range(matrices: Sequence) -> tuple[float, float]:
    """One (zmin, zmax) covering every matrix, so all heatmaps share a colour scale."""
    values = np.concatenate([np.asarray(m, dtype=np.float64).ravel() for m in matrices])
    low, high = float(values.min()), float(values.max())
    return (low, high) if high > low else (low - 0.5, high + 0.5)


def _height(n: int, base: int = 360, per_row: int = 20, most: int = 900) -> int:
    return min(most, base + per_row * max(0, n - 4))


def heatmaps(comparison: Comparison) -> go.Figure:
    """Question x answer cosine similarity for each side, on one colour scale, matching cells outlined."""
    pairs, sides = comparison.pairs, comparison.sides
    n = len(pairs)
    zmin, zmax = color_range([r.similarity for r in sides.values()])
    questions = [f"Q{i + 1} {short_label(p.question)}" for i, p in enumerate(pairs)]
    answers = [f"A{j + 1} {short_label(p.answer, 16)}" for j, p in enumerate(pairs)]
    fig = make_subplots(rows=1, cols=len(sides), shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[side_title(side, r) for side, r in sides.items()])
    hover_q = [f"<b>Q{i + 1}</b> {hover_text(p.question)}" for i, p in enumerate(pairs)]
    hover_a = [f"<b>A{j + 1}</b> {hover_text(p.answer)}" for j, p in enumerate(pairs)]
    shapes = []
    for col, (side, r) in enumerate(sides.items(), start=1):
        sim = np.asarray(r.similarity, dtype=np.float64)
        text = [[f"{hover_q[i]}<br>{hover_a[j]}<br>cosine {sim[i, j]:.3f}{' (matching pair)' if i == j else ''}"
                 for j in range(n)] for i in range(n)]
        fig.add_trace(go.Heatmap(
            z=sim, x=list(range(n)), y=list(range(n)), zmin=zmin, zmax=zmax, colorscale=COLORSCALE,
            showscale=col == len(sides), colorbar={"title": {"text": "cosine"}, "thickness": 14},
            text=text, hovertemplate="%{text}<extra></extra>", name=escape(r.model),
            texttemplate="%{z:.2f}" if n <= 8 else None, xgap=1, ygap=1), row=1, col=col)
        axis = "" if col == 1 else str(col)
        shapes += [{"type": "rect", "x0": i - 0.5, "x1": i + 0.5, "y0": i - 0.5, "y1": i + 0.5, "xref": f"x{axis}",
                    "yref": f"y{axis}", "line": {"color": MATCH_COLOR, "width": 2.5 if n <= 30 else 1.5}}
                   for i in range(n)]  # set once below: add_shape one by one is quadratic in Plotly
        fig.update_xaxes(tickvals=list(range(n)), ticktext=answers, tickangle=-45 if n > 2 else 0,
                         title_text="answers", row=1, col=col, tickfont={"size": 11 if n <= 10 else 9})
    fig.update_yaxes(tickvals=list(range(n)), ticktext=questions, autorange="reversed",
                     tickfont={"size": 11 if n <= 10 else 9})
    fig.update_yaxes(title_text="questions", row=1, col=1)
    fig.update_layout(shapes=shapes, template=TEMPLATE, height=_height(n, base=420, per_row=18),
                      margin={"l": 10, "r": 10, "t": 60, "b": 10},
                      title={"text": f"Cosine similarity, questions x answers (one scale, {zmin:.2f} to {zmax:.2f}; "
                                     "matching pairs outlined)", "font": {"size": 15}})
    return fig


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
    return fig


def pca_2d(vectors, unit: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Rows projected on their first two principal components, and the share of variance of each.

    With `unit`, rows are scaled to length 1 first, so distances follow cosine similarity. Signs are
    fixed (each component's largest loading is positive) so the same vectors always give the same map.
    """
    x = np.asarray(vectors, dtype=np.float64)
    if unit:
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    centred = x - x.mean(axis=0)
    gram = centred @ centred.T  # n x n: rows are few and vectors long (49152 for logits), so this is fast
    values, vectors = np.linalg.eigh(gram)
    order = np.argsort(values)[::-1]
    values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
    k = int(min(2, np.sum(values > 1e-12 * max(values[0] if len(values) else 0.0, 1e-300))))
    points, explained = np.zeros((len(x), 2)), np.zeros(2)
    if k:
        scale = np.sqrt(values[:k])
        points[:, :k] = vectors[:, :k] * scale
        loadings = centred.T @ vectors[:, :k] / scale  # the principal directions, one column each
        points[:, :k] *= np.sign(loadings[np.abs(loadings).argmax(axis=0), np.arange(k)])
        explained[:k] = values[:k] / values.sum()
    return points, explained


def projection(comparison: Comparison, points: dict[str, np.ndarray], explained: dict[str, np.ndarray]) -> go.Figure:
    """Each side's PCA map: questions (rows 0..n-1 of `points`) and answers (n..2n-1), pairs joined."""
    pairs, sides = comparison.pairs, comparison.sides
    n = len(pairs)
    titles = [f"{side_title(side, r)}, PCA ({100 * sum(explained[side]):.0f}% of variance)"
              for side, r in sides.items()]
    fig = make_subplots(rows=1, cols=len(sides), subplot_titles=titles, horizontal_spacing=0.08)
    labelled = n <= 12
    for col, side in enumerate(sides, start=1):
        p = np.asarray(points[side], dtype=np.float64)
        q, a = p[:n], p[n:]
        xs = [v for i in range(n) for v in (q[i, 0], a[i, 0], None)]
        ys = [v for i in range(n) for v in (q[i, 1], a[i, 1], None)]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#b0b0b0", "width": 1},
                                 hoverinfo="skip", name="pair", showlegend=col == 1), row=1, col=col)
        for kind, xy, color, symbol, texts in (
                ("question", q, QUESTION_COLOR, "circle", [p_.question for p_ in pairs]),
                ("answer", a, ANSWER_COLOR, "diamond", [p_.answer for p_ in pairs])):
            tag = kind[0].upper()
            fig.add_trace(go.Scatter(
                x=xy[:, 0], y=xy[:, 1], mode="markers+text" if labelled else "markers", name=kind,
                legendgroup=kind, showlegend=col == 1, marker={"color": color, "symbol": symbol, "size": 10},
                text=[f"{tag}{i + 1}" for i in range(n)], textposition="top center",
                hovertext=[f"<b>{tag}{i + 1}</b> {hover_text(t)}" for i, t in enumerate(texts)],
                hovertemplate="%{hovertext}<extra></extra>"), row=1, col=col)
    fig.update_xaxes(title_text="PC 1", zeroline=False)
    fig.update_yaxes(title_text="PC 2", zeroline=False)
    fig.update_layout(template=TEMPLATE, height=440, margin={"l": 10, "r": 10, "t": 60, "b": 10},
                      title={"text": "Questions and answers in 2-D (PCA of unit vectors); lines join each pair",
                             "font": {"size": 15}}, legend={"orientation": "h", "y": -0.15})
    return fig
