"""The page's layer sweep events: **Sweep layers** (every layer of the base GPT row's model, beside the
embedding model row's AUC) and **Add best layer as a side** (the best layer filled into the next free
extra row).

The sweep reads the form as Compare does (`PageEvents.specs`), builds one request of the two classic
sides (`PageSession.request`: pairs, allowed models and methods, text caps, checked once) and runs it
through `compute.compute_layers`, the same GPU entry point, queue and lock as Compare; the sweep itself
is bounded as a Compare of its methods (`request_bounds`). Each event returns `{component: value}`.
"""

from __future__ import annotations

import gradio as gr

from ..backends.vectors import is_vectors
from ..errors import MethodError
from ..presets import default_pair
from ..session import get_session
from . import layer_view
from .compute import PageSession, compute_layers
from .form_events import FormEvents
from .layer_chart import layer_chart
from .layout import Layout
from .page_errors import on_page
from .page_events import PageEvents


class LayerEvents:
    """Sweep layers and Add best layer, for the page laid out in `layout`."""

    def __init__(self, layout: Layout, session: PageSession, page: PageEvents, form: FormEvents):
        self.layout, self.session, self.page, self.form = layout, session, page, form

    @on_page
    def sweep(self, rows, base: str, base_method: str | None, embed: str, embed_method: str | None, task: str,
              chat_template: str, max_length: float | None, progress=gr.Progress()) -> dict:
        """Every layer of the base row's model, with the methods `layer_view.sweep_methods` picks, on the
        table's pairs, and the embedding model row compared on them for the reference line."""
        pairs, specs, session_name = self.page.specs(rows, base, base_method, embed, embed_method, task,
                                                     chat_template, max_length, 0, [])
        if is_vectors(specs[0].model):
            raise MethodError("the base row holds vectors from a file: it has no layers to sweep; choose a GPT")
        request = self.session.request(pairs, specs, session_name)
        swept = request.sides[0]
        methods = layer_view.sweep_methods(swept.model, get_session(session_name).settings.inspect(swept.model).methods,
                                           swept.method)
        sweep, references = compute_layers(session_name, request, methods, progress)
        layers = self.layout.layers
        model = (base or "").strip() or default_pair()[0]  # as the page names it (a tuned model too)
        return {layers.best: layer_view.best_row(sweep, model), layers.chart: layer_chart([sweep], references),
                layers.line: layer_view.sweep_line(sweep, references, swept.method, len(request.pairs)),
                layers.section: gr.Column(visible=True), layers.add_best: gr.Button(interactive=True)}

    @on_page
    def add_best(self, best: dict | None, extra_count: int, *values) -> dict:
        """The last sweep's best layer as the next extra side row."""
        if not best:
            raise gr.Error("press Sweep layers first: there is no best layer yet", print_exception=False)
        return self.form.append_row(best, extra_count, values)
