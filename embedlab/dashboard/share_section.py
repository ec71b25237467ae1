"""The page's Share control and the opening of a share link (`?share=<id>` on the page's address).

**Share** stores the comparison on the visitor's page (its pairs and each side's model, method and
options, as they ran) in the durable `shares.ShareStore` and shows the link. Opening the page with
`?share=<id>` reads the record, checks it with this server's settings (a hosted server refuses any
file or model it would refuse in a Compare), fills the pairs table and the sides form, and runs the
comparison from the record's own sides, so the result is answered from the cache where the vectors are
there and recomputed otherwise. Handlers return dicts keyed by component.

Why not `gr.DeepLinkButton`: it saves the session's component values in Gradio's temporary folder,
which `delete_cache` empties after hours, and its values would reach the page unchecked; a share
here must outlive a restart and be checked when it is opened.
What it leaves out: the Advanced panel (the result uses each side's recorded options; the panel keeps
its defaults), and a visitor's own fine-tuned model (removed when its page closes), which is refused.
"""

from __future__ import annotations

import gradio as gr

from ..errors import ShareError
from ..shares import ShareLimits, ShareStore, record
from ..sides import SideSpec
from . import choices, sides_form, tables
from .compute import PageSession, compute
from .form_events import FormEvents
from .layout import Layout
from .page_errors import on_page
from .page_events import PageEvents
from .results import ViewState

QUERY = "share"  # the page's query parameter
# the link box shows the whole address: this page's, with the query parameter the handler returns
LINK_JS = "(query) => query ? window.location.origin + window.location.pathname + query : ''"


class ShareEvents:
    """Share from a visitor's results; open a `?share=` link when the page loads."""

    def __init__(self, layout: Layout, session: PageSession, page: PageEvents, form: FormEvents,
                 store: ShareStore | None = None):
        self.layout, self.session, self.page, self.form = layout, session, page, form
        self.store = store or ShareStore(limits=ShareLimits.for_settings(session.settings))

    @on_page
    def share(self, state: ViewState | None) -> str:
        """The query that opens the visitor's comparison again (`?share=<id>`)."""
        if not state:
            raise gr.Error("compare first: there is nothing to share yet", print_exception=False)
        comparison = state.comparison
        specs = [SideSpec(side.model, side.method, side.options, name) for name, side in comparison.sides.items()]
        for spec in specs:
            if self.session.session_for([spec.model]) != self.session.session_name:
                raise ShareError(f"side {spec.name!r} is your own fine-tuned model, which is removed when this "
                                 "page closes; a link cannot hold it")
        return f"?{QUERY}={self.store.put(record(list(comparison.pairs), specs))}"  # refuses vectors

    @on_page
    def read(self, request: gr.Request) -> dict:
        """Nothing where the page has no `?share=`; else the link's pairs and sides, checked with this
        server's settings, into the table and the sides form (and into `opened`, which runs them)."""
        layout = self.layout
        sid = (request.query_params.get(QUERY) if request is not None else None) or ""
        if not sid.strip():
            return {layout.opened: gr.skip()}  # (an empty dict would read as one value)
        pairs, specs = self.store.open(sid, self.session.settings)
        return {layout.opened: (pairs, specs), layout.pairs: tables.pairs_to_rows(pairs), **self.sides_shown(specs)}

    def sides_shown(self, specs: list[SideSpec]) -> dict:
        """The sides form showing `specs`: the classic rows' models, methods (each method list that
        model's), layers and post-processing, then the extra rows."""
        layout, shown = self.layout, {}
        for row, spec in zip(layout.classic.values(), specs):
            offered = choices.method_choices(*self.session.owner(spec.model))[0]
            shown[row.model], shown[row.method] = gr.update(value=spec.model), gr.update(choices=offered,
                                                                                      value=spec.method)
            shown[row.layer] = gr.update(value=sides_form.layer_text(spec.options.layer))
            shown[row.post] = gr.update(value=spec.options.post)
        return shown | self.form.rows_shown([sides_form.spec_row(s) for s in specs[len(layout.classic):]])

    @on_page
    def run(self, opened: tuple | None, progress=gr.Progress()) -> dict:
        """The opened link's comparison (from the cache where it holds the vectors), as a Compare shows it."""
        if not opened:
            return {self.layout.state: gr.skip()}
        pairs, specs = opened
        comparison = compute(self.session.session_name, self.session.request(pairs, specs), vectors=True,
                             progress=progress)
        state = ViewState.of(comparison)
        # the sides form again, as the result ran: the page's own method lists, filled when it opened, may
        # have put each model's default method back after `read` set the link's
        return {self.layout.state: state, **self.page.result_outputs(state), **self.sides_shown(specs)}
