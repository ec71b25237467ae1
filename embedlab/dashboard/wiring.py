"""Every event of the page in one place: which component triggers which handler, with which inputs and
outputs, its `api_name` (the names a client calls: keep them), its queue and its trigger mode.

`Handlers.build(layout, session)` makes the page's handler objects; `wire(demo, layout, handlers)`
connects them, inside the `gr.Blocks` that `layout` was built in. Handlers return `{component: value}`
for what they change (matched by component, never by position); each event's outputs are listed in
a fixed order only so that an API client reads them in the same order each time. Every event that
runs a model queues in one group (`zerogpu.CONCURRENCY_ID`); the rest run at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import gradio as gr

from . import tables
from .api import Api
from .ask_section import AskSection
from .compare_marks import COMPARE_FAILED, COMPARE_STARTS, RESULTS_CURRENT, RESULTS_STALE
from .compute import PageSession
from .form_events import FormEvents
from .layer_events import LayerEvents
from .layout import Layout
from .page_assets import EXAMPLES, SHOW_RESULTS
from .page_events import PageEvents
from .share_section import LINK_JS, ShareEvents
from .tune_events import TuneEvents
from .zerogpu import CONCURRENCY_ID

AT_ONCE = dict(concurrency_limit=None)  # events that run no model


@dataclass
class Handlers:
    session: PageSession
    page: PageEvents
    form: FormEvents
    ask: AskSection
    api: Api
    tune: TuneEvents
    share: ShareEvents
    layers: LayerEvents

    @classmethod
    def build(cls, layout: Layout, session: PageSession) -> "Handlers":
        page, form = PageEvents(layout, session), FormEvents(layout, session)
        return cls(session, page, form, AskSection(session, layout.answers, layout.projections), Api(session),
                   TuneEvents(layout, session), ShareEvents(layout, session, page, form),
                   LayerEvents(layout, session, page, form))


def _rows_outputs(layout: Layout) -> list:
    """What the extra-row events change: the count, every row's fields and every row."""
    return [layout.extra_count, *layout.side_fields(), *(row.row for row in layout.side_rows)]


def _result_outputs(layout: Layout) -> list:
    """What a Compare (or an opened share link) shows, besides the state: `PageEvents.result_outputs`."""
    return [layout.verdict, layout.metrics, layout.heatmap_caption, *layout.heatmaps, layout.distributions,
            layout.forest, *layout.projections, layout.downloads, layout.results, layout.zoom_row,
            layout.tsne_caption, *layout.tsne_maps]


def then_intervals(event, layout: Layout, page: PageEvents) -> None:
    """After a Compare (or an opened link) has drawn its heatmaps: the intervals, on the CPU and outside the
    models' queue (interval_steps.py), then the t-SNE maps (tsne_section.py)."""
    event.success(page.intervals, layout.state, [layout.state, layout.verdict, layout.metrics, layout.forest],
                  api_name=False, show_progress="hidden", **AT_ONCE
                  ).then(page.tsne.fill, layout.state, [layout.state, layout.tsne_caption, *layout.tsne_maps],
                         api_name=False, show_progress="hidden", **AT_ONCE)


def wire_table(layout: Layout, form: FormEvents) -> None:
    for key, button in layout.examples.items():
        button.click(partial(form.load_file, EXAMPLES[key][1]), None, layout.pairs, api_name=f"load_{key}", **AT_ONCE)
    layout.upload.upload(form.load_file, layout.upload, layout.pairs, api_name="load_file", **AT_ONCE)
    layout.clear.click(form.clear, None, layout.pairs, api_name="clear", **AT_ONCE)
    layout.add_row.click(tables.with_row_added, layout.pairs, layout.pairs, api_name="add_row", **AT_ONCE)
    layout.remove_row.click(tables.without_last_row, layout.pairs, layout.pairs, api_name="remove_row", **AT_ONCE)


def wire_models(demo: gr.Blocks, layout: Layout, form: FormEvents) -> None:
    # One listener per classic row fills the method list when the page opens and again when the model
    # changes: "always_last" holds a model change made while the first fill is pending (the first page
    # after a start waits seconds for the transformers import) and sends it, with the model as it is then,
    # after that fill, so the late list never wins over a newer model (a file of vectors, which takes no method).
    for side, row in layout.classic.items():
        filled = gr.on([demo.load, row.model.change], form.methods, row.model, row.method, api_name=f"{side}_methods",
                       trigger_mode="always_last", **AT_ONCE)
        if side == "base":  # the sweep sets the base method: not before the list that it would race
            filled.then(form.unlock, None, layout.sweep, api_name=False, queue=False)
    rows_in, rows_out = [layout.extra_count, *layout.side_fields()], _rows_outputs(layout)
    layout.add_side.click(form.add_side, rows_in, rows_out, api_name="add_side", **AT_ONCE)
    for i, row in enumerate(layout.side_rows):
        row.remove.click(partial(form.remove_side, i), rows_in, rows_out, api_name=False, **AT_ONCE)
        row.model.input(form.methods, row.model, row.method, api_name=False, **AT_ONCE)
    base = layout.classic["base"]
    layout.sweep.click(form.sweep, base.model, [base.method, *rows_out], api_name="sweep", **AT_ONCE)
    layout.vectors_upload.upload(form.add_vectors, [layout.vectors_upload, layout.pairs, *rows_in], rows_out,
                                 api_name="add_vectors", **AT_ONCE)


def wire_results(layout: Layout, handlers: Handlers) -> None:
    page, classic = handlers.page, layout.classic
    results = _result_outputs(layout)
    # first: the browser runs a click's listeners in turn, each waiting for the one before it to end
    layout.compare.click(None, None, None, js=COMPARE_STARTS, api_name=False, queue=False)
    compared = layout.compare.click(
        page.compare, [layout.pairs, classic["base"].model, classic["base"].method, classic["embed"].model,
                       classic["embed"].method, layout.task, layout.chat_template, layout.max_length, layout.device,
                       layout.extra_count, *layout.form_values()],
        [layout.state, *results], api_name="compare", concurrency_id=CONCURRENCY_ID, show_progress_on=layout.verdict)
    compared.success(None, js=SHOW_RESULTS, api_name=False, queue=False)
    then_intervals(compared, layout, page)
    wire_staleness(layout, compared)
    layout.zoom.click(page.zoom, [layout.state, layout.zoom_start, layout.zoom_size],
                      [layout.heatmap_caption, *layout.heatmaps], api_name="zoom", **AT_ONCE)
    layout.export.click(page.export, layout.state, layout.downloads, api_name="export_figures")
    gr.on([layout.ask.click, layout.question.submit], handlers.ask.ask, [layout.state, layout.question],
          [layout.answers, *layout.projections], api_name="ask", concurrency_id=CONCURRENCY_ID)


def wire_layers(layout: Layout, layers: LayerEvents) -> None:
    """Sweep layers queues with Compare (it runs the models) and shows its progress where Compare does;
    adding its best layer changes the extra rows as "+ Add a model" does."""
    shown, base, embed = layout.layers, layout.classic["base"], layout.classic["embed"]
    shown.sweep.click(layers.sweep, [layout.pairs, base.model, base.method, embed.model, embed.method, layout.task,
                                     layout.chat_template, layout.max_length],
                      [shown.best, shown.line, shown.chart, shown.section, shown.add_best], api_name="sweep_layers",
                      concurrency_id=CONCURRENCY_ID, show_progress_on=layout.verdict)
    shown.add_best.click(layers.add_best, [shown.best, layout.extra_count, *layout.side_fields()],
                         _rows_outputs(layout), api_name="add_best_layer", **AT_ONCE)


def wire_staleness(layout: Layout, compared) -> None:
    """The results are out of date once the pairs or any side's field change, or when a Compare fails;
    current again when a Compare succeeds, unless an input changed while it ran (all in the browser:
    compare_marks.py)."""
    inputs = [layout.pairs, layout.task, layout.chat_template, layout.max_length, layout.device, layout.extra_count,
              *layout.classic_fields(), *layout.side_fields()]
    gr.on([c.change for c in inputs], None, None, None, js=RESULTS_STALE, api_name=False, queue=False)
    compared.success(None, js=RESULTS_CURRENT, api_name=False, queue=False)
    compared.failure(None, js=COMPARE_FAILED, api_name=False, queue=False)


def wire_tune(demo: gr.Blocks, layout: Layout, tune: TuneEvents) -> None:
    t, classic = layout.tune, layout.classic
    changed = [t.status, t.loss, t.results, t.caption, *t.heatmaps, t.metrics, classic["base"].model,
               *(row.model for row in layout.side_rows), *([t.zip] if t.zip is not None else [])]
    # not queued behind another fine-tune: a second visitor is told at once that the server is busy
    t.start.click(tune.start, [layout.pairs, classic["base"].model, classic["embed"].model, classic["embed"].method,
                               t.seconds, t.holdout, t.method], changed, api_name=False, show_progress="hidden", **AT_ONCE)
    t.cancel.click(tune.cancel, None, t.status, api_name=False, **AT_ONCE)
    if t.zip is not None:
        t.zip.click(tune.download, None, t.file, api_name=False)
    demo.unload(tune.end_session)


def wire_api(handlers: Handlers) -> None:
    api = handlers.api
    gr.api(api.compare_json, api_name="compare_json", concurrency_id=CONCURRENCY_ID)
    gr.api(api.compare_many_json, api_name="compare_many_json", concurrency_id=CONCURRENCY_ID)
    gr.api(api.layers_json, api_name="layers_json", concurrency_id=CONCURRENCY_ID)
    gr.api(api.status, api_name="status", **AT_ONCE)
    gr.api(api.ask_json, api_name="ask_json", concurrency_id=CONCURRENCY_ID)
    gr.api(api.models, api_name="models", **AT_ONCE)
    gr.api(handlers.tune.tune_json, api_name="tune_json", **AT_ONCE)


def wire_share(demo: gr.Blocks, layout: Layout, handlers: Handlers) -> None:
    """Share gives a link; a page opened with `?share=` fills the table and the sides on load (not queued),
    and only an opened link's State change joins the models' queue to run them, then draws the intervals.
    A page without a link runs nothing more and waits behind no other visitor."""
    share, page = handlers.share, handlers.page
    layout.share.click(share.share, layout.state, layout.share_link, api_name=False, **AT_ONCE
                       ).then(None, layout.share_link, layout.share_link, js=LINK_JS, api_name=False, queue=False)
    sides = layout.classic_fields() + _rows_outputs(layout)
    demo.load(share.read, None, [layout.opened, layout.pairs, *sides], api_name=False, show_progress="hidden",
              **AT_ONCE)
    ran = layout.opened.change(share.run, layout.opened, [layout.state, *_result_outputs(layout), *sides],
                               api_name=False, concurrency_id=CONCURRENCY_ID, show_progress_on=layout.verdict)
    then_intervals(ran, layout, page)


def wire(demo: gr.Blocks, layout: Layout, handlers: Handlers) -> None:
    """Every event of the page, inside `demo` (the Blocks `layout` was built in)."""
    wire_table(layout, handlers.form)
    wire_models(demo, layout, handlers.form)
    wire_results(layout, handlers)
    wire_layers(layout, handlers.layers)
    wire_tune(demo, layout, handlers.tune)
    wire_share(demo, layout, handlers)
    wire_api(handlers)
