"""Figures for a large pair set (a side scored in blocks, see `metrics_blocks.py`), where a cell per
pair would be too many to draw or to send.

`block_heatmap` draws the grid of block means (each cell the mean cosine of a block of questions
against a block of answers; the blocks on the diagonal, which hold the matching pairs, outlined);
`zoom_heatmap` draws an exact sub-matrix, rows and columns `start` to `start + size`, from the side's
vectors; `score_histograms` draws the distribution of every matching and non-matching score from the
block pass's histograms (no sampling); `pca_sample` picks the pairs the PCA map shows. `is_large` says
whether a comparison gets these views at all; `page_views`, `export_views` and `zoom_views` put them
together for the page, the exported images and the zoom control (the handlers add the page's PCA maps
and wrap captions). Pure functions from numbers to figures and captions, like `figures.py`, whose colour
scale, outline colour and labels they share; no Gradio, no models.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..comparison import Comparison, SideResult
from ..metrics import cos_sim
from ..metrics_blocks import BlockSummary
from . import side_order
from .figures import (COLORSCALE, MATCH_COLOR, SIDE_TITLE, TEMPLATE, answer_hovers, cell_hover, color_range, escape,
                      question_hovers, side_title)

PCA_SAMPLE = 500  # pairs drawn in the PCA map of a large set (a seeded random sample)
ZOOM_MAX = 200  # rows (and columns) of the exact sub-matrix at most


def is_large(comparison: Comparison) -> bool:
    """Whether the page shows the large-set figures (block means, histograms, a PCA sample)."""
    return any(side.blocks is not None for side in comparison.sides.values())


def pca_sample(n: int, size: int = PCA_SAMPLE, seed: int = 0) -> np.ndarray:
    """The pairs the PCA map of a set of n shows: all of them up to `size`, else a seeded sample, in order."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def grid_range(blocks: list[BlockSummary]) -> tuple[float, float]:
    """One colour scale for every side's block means (`figures.color_range`'s rule)."""
    return color_range([b.grid for b in blocks])


def _cell_label(kind: str, start: int, stop: int) -> str:
    return f"{kind}{start + 1}" if stop - start == 1 else f"{kind}{start + 1}-{kind}{stop}"


def outline_trace(bounds: np.ndarray) -> go.Scatter:
    """The squares bounds[i]..bounds[i+1] on the diagonal as one line trace (one trace draws and validates
    far faster than a layout shape per square)."""
    xs, ys = [], []
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        xs += [lo, hi, hi, lo, lo, None]
        ys += [lo, lo, hi, hi, lo, None]
    return go.Scatter(x=xs, y=ys, mode="lines", line={"color": MATCH_COLOR, "width": 1}, hoverinfo="skip",
                      showlegend=False, name="matching")


def block_heatmap(name: str, side: SideResult, zrange: tuple[float, float], place: str = "") -> go.Figure:
    """One side's block means on the scale `zrange`; cells placed by pair number, the diagonal outlined; its
    title led by its place (`place`, "#1 ")."""
    b = side.blocks
    edges = b.edges
    centres = (edges[:-1] + edges[1:] - 1) / 2.0
    g = len(centres)
    text = [[f"{_cell_label('Q', edges[i], edges[i + 1])} x {_cell_label('A', edges[j], edges[j + 1])}<br>"
             f"mean cosine {b.grid[i, j]:.3f}{' (holds the matching pairs)' if i == j else ''}"
             for j in range(g)] for i in range(g)]
    fig = go.Figure(go.Heatmap(z=b.grid, x=centres, y=centres, zmin=zrange[0], zmax=zrange[1], colorscale=COLORSCALE,
                               colorbar={"title": {"text": "mean cosine"}, "thickness": 14}, text=text,
                               hovertemplate="%{text}<extra></extra>", name=escape(side.model)))
    fig.add_trace(outline_trace(edges - 0.5))
    n = int(edges[-1])
    fig.update_xaxes(title_text="answers (pair number)", range=[-0.5, n - 0.5])
    fig.update_yaxes(title_text="questions (pair number)", autorange="reversed")
    fig.update_layout(template=TEMPLATE, height=480, margin={"l": 10, "r": 10, "t": 50, "b": 10}, showlegend=False,
                      title={"text": f"{side_title(name, side, place)}: means of {g} x {g} blocks", **SIDE_TITLE})
    return fig


def block_heatmaps(comparison: Comparison) -> list[go.Figure]:
    """Every side's block means on one scale, in the page's order (`side_order.shown`)."""
    zrange = grid_range([r.blocks for r in comparison.sides.values()])
    return [block_heatmap(name, comparison.sides[name], zrange, place) for name, place in side_order.shown(comparison)]


def zoom_window(n: int, start: int, size: int) -> tuple[int, int]:
    """Rows start..stop of the exact view, kept inside the set and within ZOOM_MAX."""
    size = max(1, min(int(size), ZOOM_MAX, n))
    start = max(0, min(int(start), n - size))
    return start, start + size


def zoom_matrix(vectors: np.ndarray, start: int, stop: int) -> np.ndarray:
    """The exact cosine matrix of questions start..stop-1 against answers start..stop-1 of [2n, dim] vectors."""
    n = len(vectors) // 2
    return cos_sim(vectors[start:stop], vectors[n + start:n + stop])


def zoom_heatmap(pairs, name: str, side: SideResult, sim: np.ndarray, start: int,
                 zrange: tuple[float, float], place: str = "") -> go.Figure:
    """Questions and answers start..start+len(sim)-1 exactly: one cell per pair, matching cells outlined,
    the texts on hover, labelled by their pair numbers in the whole set."""
    stop = start + len(sim)
    index = list(range(start, stop))
    questions, answers = question_hovers(pairs, index), answer_hovers(pairs, index)
    text = [[cell_hover(q, a, sim[i, j], index[i] == index[j]) for j, a in enumerate(answers)]
            for i, q in enumerate(questions)]
    fig = go.Figure(go.Heatmap(z=sim, x=index, y=index, zmin=zrange[0], zmax=zrange[1], colorscale=COLORSCALE,
                               colorbar={"title": {"text": "cosine"}, "thickness": 14}, text=text,
                               hovertemplate="%{text}<extra></extra>", xgap=1 if stop - start <= 60 else 0,
                               ygap=1 if stop - start <= 60 else 0))
    fig.add_trace(outline_trace(np.arange(start, stop + 1) - 0.5))
    fig.update_layout(template=TEMPLATE, showlegend=False, height=480, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      title={"text": f"{side_title(name, side, place)}: pairs {start + 1}-{stop} exactly", **SIDE_TITLE})
    fig.update_xaxes(title_text="answers (pair number)")
    fig.update_yaxes(title_text="questions (pair number)", autorange="reversed")
    return fig


def score_histograms(comparison: Comparison) -> go.Figure:
    """Every matching and non-matching score of each side as a share per bin (matching solid,
    non-matching dotted), from the block pass's histograms."""
    fig = go.Figure()
    palette = ("#3366cc", "#dc3912", "#109618", "#ff9900", "#990099", "#0099c6", "#dd4477", "#66aa00")
    for number, (name, r) in enumerate(comparison.sides.items()):
        b = r.blocks
        centres = (b.hist_edges[:-1] + b.hist_edges[1:]) / 2
        for kind, counts, dash in (("matching", b.pos_hist, "solid"), ("non-matching", b.neg_hist, "dot")):
            share = counts / max(1, counts.sum())
            fig.add_trace(go.Scatter(x=centres, y=share, mode="lines", line={"shape": "hv", "dash": dash,
                                                                              "color": palette[number % len(palette)]},
                                     name=escape(f"{name}: {kind} ({int(counts.sum()):,})"),
                                     hovertemplate="cosine %{x:.2f}: %{y:.2%}<extra></extra>"))
    fig.update_layout(template=TEMPLATE, height=400, xaxis_title="cosine similarity", yaxis_title="share of scores",
                      title={"text": "Matching vs non-matching scores (all of them)", "font": {"size": 15}},
                      margin={"l": 10, "r": 10, "t": 50, "b": 10}, legend={"orientation": "h", "y": -0.2})
    return fig


def page_views(comparison: Comparison, sampled: int) -> dict:
    """A large set's heatmaps (block means, one scale), their caption's text, and the score histograms;
    `sampled`: how many pairs the PCA maps show."""
    n = len(comparison.pairs)
    low, high = grid_range([r.blocks for r in comparison.sides.values()])
    caption = (f"{n:,} pairs: each cell is the mean cosine of a block of questions against a block of answers "
               f"(one scale, {low:.2f} to {high:.2f}; the blocks holding the matching pairs outlined). Zoom in for "
               f"exact cells. The PCA maps show "
               + (f"{sampled} pairs drawn at random." if sampled < n else f"all {n} pairs."))
    return {"heatmaps": block_heatmaps(comparison), "caption": caption, "distributions": score_histograms(comparison)}


def export_views(comparison: Comparison) -> dict[str, go.Figure]:
    """A large set's exported figures by file name (the PCA map aside): a block-mean heatmap per side, and
    the score histograms."""
    maps = {f"embedlab-heatmap-{i + 1}": fig for i, fig in enumerate(block_heatmaps(comparison))}
    return {**maps, "embedlab-distributions": score_histograms(comparison)}


def zoom_views(comparison: Comparison, vectors: dict[str, np.ndarray], start: int, size: int) -> tuple[str, list]:
    """The caption's text and each side's exact heatmap of pairs start..start+size-1 (0-based start; the
    window kept inside the set, `zoom_window`), from each side's [2n, dim] `vectors`, on one scale."""
    n = len(comparison.pairs)
    lo, hi = zoom_window(n, start, size)
    matrices = {name: zoom_matrix(vectors[name], lo, hi) for name in comparison.sides}
    zrange = color_range(list(matrices.values()))
    figs = [zoom_heatmap(comparison.pairs, name, comparison.sides[name], matrices[name], lo, zrange, place)
            for name, place in side_order.shown(comparison)]
    return (f"Pairs {lo + 1}-{hi} of {n:,}, every cell exact (one scale, {zrange[0]:.2f} to {zrange[1]:.2f}; "
            "matching pairs outlined). Size 0 shows the whole set again."), figs
