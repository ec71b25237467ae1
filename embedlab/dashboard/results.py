"""What a visitor's page keeps of a comparison (`ViewState`) and the figures drawn from it.

`ViewState.of` runs once per Compare: it drops the vectors from the comparison and keeps each side's
2-D PCA points (of a sample of pairs for a large set, whose vectors it also keeps for the exact zoom).
From `tsne.TSNE_FROM` pairs up it also keeps the rows the PCA maps show, until `with_tsne` (a later
step of the page, off Compare's critical path) turns them into each side's t-SNE points, once.
`page_figures` gives the page's figures (one heatmap and one PCA map per side), `figures_for` the
exported ones (every side in one figure), `slots` lays a list of per-side figures onto the page's
SIDE_SLOTS plots. Pure: no models, no files, no settings.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace

import gradio as gr
import numpy as np

from ..comparison import Comparison
from . import figures, overview, pca, tsne

SIDE_SLOTS = 8  # heatmap and PCA plots on the page: one per side, the rest hidden (layout.py lays them out)


@dataclass(frozen=True)
class ViewState:
    """A visitor's results: the comparison without its vectors; each side's PCA points and variance shares
    (`projections[name] = (points, explained)`); the pair numbers the PCA maps show (`sample`, every pair
    for a small set); and for a large set each side's vectors (`vectors`, for the zoom; else None)."""
    comparison: Comparison
    projections: dict
    sample: np.ndarray
    vectors: dict | None
    pca: dict  # each side's `pca.Pca`, which places a new point (an asked question) on its map
    tsne_rows: dict | None = None  # each side's rows that the t-SNE map will show, until `with_tsne` fits it
    tsne_points: dict | None = None  # each side's t-SNE points (the rows of `projections`), once fitted

    @classmethod
    def of(cls, comparison: Comparison) -> "ViewState":
        """The state of a comparison that carries its vectors; the projections are computed here, once."""
        n = len(comparison.pairs)
        large = overview.is_large(comparison)
        sample = overview.pca_sample(n) if large else np.arange(n)
        rows = np.concatenate([sample, n + sample])
        bases = {name: pca.fit(side.vectors[rows]) for name, side in comparison.sides.items()}
        projections = {name: (bases[name].project(side.vectors[rows]), bases[name].explained)
                       for name, side in comparison.sides.items()}
        vectors = {name: side.vectors for name, side in comparison.sides.items()} if large else None
        rows_kept = ({name: side.vectors[rows] for name, side in comparison.sides.items()}
                     if tsne.shown_for(n) else None)
        return cls(comparison.without_vectors(), projections, sample, vectors, bases, rows_kept)

    def with_tsne(self) -> "ViewState":
        """This state with each side's t-SNE points, fitted here where the set has a t-SNE map and they are
        not in yet; the rows they came from are dropped."""
        if self.tsne_points is not None or self.tsne_rows is None:
            return self
        return replace(self, tsne_points={name: tsne.fit(rows) for name, rows in self.tsne_rows.items()}, tsne_rows=None)

    @property
    def large(self) -> bool:
        return overview.is_large(self.comparison)

    def points(self) -> tuple[dict, dict]:
        """Each side's 2-D points and each side's variance shares."""
        return ({name: p[0] for name, p in self.projections.items()},
                {name: p[1] for name, p in self.projections.items()})

    def sampled_comparison(self) -> Comparison:
        """The comparison as the PCA maps draw it: its pairs cut to the sample they show."""
        comparison = self.comparison
        if len(self.sample) == len(comparison.pairs):
            return comparison
        return Comparison(tuple(comparison.pairs[i] for i in self.sample), comparison.sides)


def figures_for(state: ViewState) -> dict:
    """The result figures to export, each side beside the others in one figure: what "Export figures as
    images" writes, in this desktop layout whatever the visitor's screen. A large set exports its
    block-mean heatmaps one figure per side."""
    comparison = state.comparison
    pca = figures.projection(state.sampled_comparison(), *state.points())
    rest = {"embedlab-auc-intervals": figures.interval_forest(comparison), **tsne_export(state)}
    if state.large:
        return {**overview.export_views(comparison), "embedlab-pca": pca, **rest}
    return {"embedlab-heatmaps": figures.heatmaps(comparison),
            "embedlab-distributions": figures.score_distributions(comparison), "embedlab-pca": pca, **rest}


def tsne_export(state: ViewState) -> dict:
    """The exported t-SNE figure (every side in one), fitted now if the page's step has not yet; none below
    `tsne.TSNE_FROM` pairs."""
    points = state.with_tsne().tsne_points
    if points is None:
        return {}
    methods = {name: tsne.METHOD for name in points}
    return {"embedlab-tsne": figures.maps_figure(state.sampled_comparison(), points, methods, figures.TSNE_TITLE,
                                                 figures.TSNE_AXES)}


def slots(figs: list) -> list[dict]:
    """Updates for the SIDE_SLOTS plots of a row: one figure per side shown, the other plots hidden."""
    if len(figs) > SIDE_SLOTS:
        raise ValueError(f"{len(figs)} sides is more than the page's {SIDE_SLOTS} plots")
    return [gr.update(value=fig, visible=True) for fig in figs] + \
        [gr.update(value=None, visible=False)] * (SIDE_SLOTS - len(figs))


def heatmap_caption(text: str) -> str:
    return f"<p class='caption'><b>Similarity heatmaps.</b> {html.escape(text)}</p>"


def page_figures(state: ViewState) -> dict:
    """The result figures for the page: one heatmap and one PCA map per side (all heatmaps on one colour
    scale), the score distributions, and the heatmaps' caption (their shared scale). A large set shows block
    means, histograms of every score and a PCA map of a sample. Nothing here draws a resample: the AUC
    forest plot comes with the intervals, after these (`interval_steps.filled`)."""
    comparison = state.comparison
    projections = figures.side_projections(state.sampled_comparison(), *state.points())
    if state.large:
        views = overview.page_views(comparison, len(state.sample))
        return {**views, "caption": heatmap_caption(views["caption"]), "projections": projections}
    zrange = figures.color_range([r.similarity for r in comparison.sides.values()])
    return {"heatmaps": figures.side_heatmaps(comparison, ranked=True),
            "caption": heatmap_caption(f"{figures.heatmaps_title(zrange)}. Tap or hover a cell for its question "
                                       "and answer."),
            "distributions": figures.score_distributions(comparison), "projections": projections}
