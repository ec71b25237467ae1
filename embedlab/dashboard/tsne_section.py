"""The page's t-SNE maps: a caption and one map per side, under the PCA maps.

Compare shows them at once only as a caption (`at_once`): "being computed" where the set has a t-SNE map
(`tsne.TSNE_FROM` pairs up), else a line saying from how many pairs up one is shown. `fill`, a step of its
own after the intervals (off Compare's critical path: a t-SNE of a few hundred texts takes seconds on two
cores), fits them once (`results.ViewState.with_tsne`), keeps them in the visitor's state and draws them.
The asked question's star stays on the PCA maps: t-SNE cannot place a new point without fitting again.
"""

from __future__ import annotations

import html

import gradio as gr

from . import figures, tsne
from .page_errors import on_page
from .results import ViewState, slots

HIDDEN = gr.update(value=None, visible=False)


def caption(text: str) -> str:
    return f"<p class='caption'><b>t-SNE map.</b> {html.escape(text)}</p>"


def caption_text(state: ViewState) -> str:
    """The caption for `state`: the method, or that it is being computed, or why there is none."""
    pairs = len(state.comparison.pairs)
    if not tsne.shown_for(pairs):
        return tsne.why_not(pairs)
    if state.tsne_points is None:
        return f"{tsne.METHOD} of each side's unit vectors: being computed..."
    return (f"Questions and answers in 2-D, {tsne.METHOD} of unit vectors (cosine distance); lines join each "
            "pair. Near neighbours stay near; the distances between groups and "
            "their sizes mean little. The asked question's star is on the PCA maps only: t-SNE cannot place a new "
            "point.")


class TsneMaps:
    """The t-SNE caption and SIDE_SLOTS plots of the page, and the state they read and fill."""

    def __init__(self, state, caption_html, plots: list):
        self.state, self.caption, self.plots = state, caption_html, list(plots)

    def at_once(self, state: ViewState) -> dict:
        """With Compare's other results: the caption, and the plots hidden until `fill` draws them."""
        return {self.caption: caption(caption_text(state)), **{plot: HIDDEN for plot in self.plots}}

    @on_page
    def fill(self, state: ViewState | None) -> dict:
        """The t-SNE maps of the comparison in `state`, fitted once and kept in the state; nothing for a set
        below the threshold (a skip: Gradio refuses an empty dict for a list of outputs)."""
        if not state or not tsne.shown_for(len(state.comparison.pairs)):
            return {self.caption: gr.skip()}
        done = state.with_tsne()
        maps = figures.side_tsne_maps(done.sampled_comparison(), done.tsne_points, tsne.METHOD)
        return {self.state: done, self.caption: caption(caption_text(done)), **dict(zip(self.plots, slots(maps)))}
