"""The page's Compare and what acts on its results: zoom and Export.

Each event returns `{component: value}` for the components it changes (the `Layout`'s), never values
matched by position. Compare reads the form into `SideSpec`s once (`sides_form`), places the models
(`compute.PageSession.place`), runs `compute.compute`, keeps a `results.ViewState` in the visitor's
`gr.State` and shows its figures; it writes no files (Export does: the results and every figure).
"""

from __future__ import annotations

from dataclasses import replace

import gradio as gr

from . import choices, exports, interval_steps, overview, sides_form, tables, visitors
from .compute import PageSession, compute
from .layout import Layout
from .page_errors import on_page
from .results import ViewState, figures_for, heatmap_caption, page_figures, slots
from .tsne_section import TsneMaps


class PageEvents:
    """Compare, zoom and Export, for the page laid out in `layout`, in `session`'s session."""

    def __init__(self, layout: Layout, session: PageSession):
        self.layout = layout
        self.session = session
        self.tsne = TsneMaps(layout.state, layout.tsne_caption, layout.tsne_maps)

    def specs(self, rows, base: str, base_method: str | None, embed: str, embed_method: str | None, task: str,
              chat_template: str, max_length: float | None, extra_count: int, values) -> tuple[list, list, str]:
        """The table's pairs, the form's sides (a visitor's tuned model as its folder) and the session
        that may open them; an EmbedLabError for the first thing that is wrong."""
        pairs = tables.rows_to_pairs(rows)
        opts = choices.options(task, chat_template, max_length)
        specs = sides_form.specs_from_form(base, base_method, embed, embed_method, opts,
                                           sides_form.extra_rows(values, int(extra_count or 0)),
                                           sides_form.classic_rows(values))
        specs = [replace(spec, model=visitors.resolve(spec.model)) for spec in specs]
        return pairs, specs, self.session.session_for([spec.model for spec in specs])

    @on_page
    def compare(self, rows, base: str, base_method: str | None, embed_: str, embed_method: str | None,
                task: str, chat_template: str, max_length: float | None, device: str, progress=gr.Progress(),
                extra_count: int = 0, *values) -> dict:
        """Run every side on the table's pairs: the two classic rows and the `extra_count` extra rows
        (`values`: `Layout.form_values`, each extra row's sides_form.ROW_FIELDS values, row after row, then
        the classic rows' CLASSIC_FIELDS). `progress` sits among the positional parameters because Gradio
        only tracks a Progress it finds there."""
        pairs, specs, session = self.specs(rows, base, base_method, embed_, embed_method, task, chat_template,
                                           max_length, extra_count, values)
        request = self.session.request(pairs, specs, session, None if device == "auto" else device)
        comparison = compute(session, request, vectors=True, progress=progress)
        state = ViewState.of(comparison)
        return {self.layout.state: state, **self.result_outputs(state)}

    def result_outputs(self, state: ViewState) -> dict:
        """Every result component for `state` that needs no resample: the verdict and metrics with their point
        estimates ("the intervals are being computed"), the figures, the zoom row (large sets only), the results
        column made visible, no forest plot and no downloads (Export writes them for this result). `intervals`
        follows with the rest."""
        layout = self.layout
        figs, first = page_figures(state), interval_steps.at_once(state.comparison)
        return {layout.verdict: first["verdict"], layout.metrics: first["metrics"],
                layout.heatmap_caption: figs["caption"], **dict(zip(layout.heatmaps, slots(figs["heatmaps"]))),
                layout.distributions: figs["distributions"], layout.forest: None,
                **dict(zip(layout.projections, slots(figs["projections"]))), layout.downloads: None,
                layout.results: gr.Column(visible=True), layout.zoom_row: gr.Row(visible=state.large),
                **self.tsne.at_once(state)}

    @on_page
    def intervals(self, state: ViewState | None) -> dict:
        """The second step of a Compare, once its heatmaps are drawn: the bootstrap (`interval_steps.filled`),
        then the verdict, the metrics with their intervals and marks, and the forest plot; the state keeps the
        comparison with its intervals, so Export and Ask do not draw them again."""
        if not state:
            return {self.layout.verdict: gr.skip()}  # not an empty dict: Gradio refuses one for a list of outputs
        done = replace(state, comparison=state.comparison.with_intervals())
        views = interval_steps.filled(done.comparison)
        return {self.layout.state: done, self.layout.verdict: views["verdict"], self.layout.metrics: views["metrics"],
                self.layout.forest: views["forest"]}

    def zoom(self, state: ViewState | None, start: float | None, size: float | None) -> dict:
        """A large set's heatmaps as the exact sub-matrix of pairs start..start+size-1 (size 0: the block
        means again): the caption and the heatmap plots."""
        if not state:
            raise gr.Error("compare first: there is nothing to zoom into yet", print_exception=False)
        if not state.large:
            raise gr.Error("zoom is for large pair sets; this one shows every cell already", print_exception=False)
        if size:
            caption, figs = overview.zoom_views(state.comparison, state.vectors, int(start or 1) - 1, int(size))
            caption = heatmap_caption(caption)
        else:
            whole = page_figures(state)
            caption, figs = whole["caption"], whole["heatmaps"]
        return {self.layout.heatmap_caption: caption, **dict(zip(self.layout.heatmaps, slots(figs)))}

    def export(self, state: ViewState | None) -> dict:
        """The result files (JSON, CSV, the intervals CSV) plus every figure as PNG (or standalone HTML
        where PNG export cannot run)."""
        if not state:
            raise gr.Error("compare first: there is nothing to export yet", print_exception=False)
        folder = exports.new_folder()
        stem = exports.file_stem(state.comparison)
        files = exports.write_results(state.comparison, folder, stem)
        images, fmt = exports.write_figures(figures_for(state), folder, stem=stem)
        if fmt != "png":
            gr.Warning("PNG export needs Chrome or Chromium on the server; the figures are standalone HTML files")
        return {self.layout.downloads: [str(f) for f in files + images]}
