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

import html

import gradio as gr

from ..errors import EmbedLabError, ShareError
from ..shares import ShareLimits, ShareStore, record
from ..sides import SideSpec
from . import tables, visitors
from .handlers import compute, result_outputs
from .zerogpu import CONCURRENCY_ID

QUERY = "share"  # the page's query parameter
# the link box shows the whole address: this page's, with the query parameter the handler returns
LINK_JS = "(query) => query ? window.location.origin + window.location.pathname + query : ''"


def chat_word(value: bool | None) -> str:
    return {True: "on", False: "off"}.get(value, "default")


class ShareSection:
    def __init__(self, dashboard, store: ShareStore | None = None):
        self.dashboard = dashboard
        self.store = store or ShareStore(limits=ShareLimits.for_settings(dashboard.settings))

    def build(self) -> None:
        """The Share button and the link box (call it inside the results column)."""
        self.opened = gr.State(None)  # an opened link's (pairs, sides), checked; its change runs the comparison
        with gr.Row(elem_id="share-row"):
            self.button = gr.Button("Share", size="sm", scale=0, min_width=80, elem_id="share")
            self.link = gr.Textbox(label="Link to this comparison", interactive=False, buttons=["copy"], scale=4,
                                   placeholder="press Share", elem_id="share-link")

    def wire(self, demo, state, results: list, pairs, classic: list, form: list) -> None:
        """Share from `state`; on page load, open `?share=`: `results` are the Compare's outputs (in
        `result_outputs`'s order), `classic` the base and embed (model, method) dropdowns, `form` the extra
        rows' outputs in `Dashboard._form`'s order. A page without `?share=` runs nothing more (and waits
        behind no other visitor's comparison): only an opened link's State change joins the models' queue."""
        self.results, self.pairs, self.classic, self.form = results, pairs, classic, form
        self.button.click(self.share, state, self.link, api_name=False, concurrency_limit=None
                          ).then(None, self.link, self.link, js=LINK_JS, api_name=False, queue=False)
        demo.load(self.read, None, [self.opened, pairs, *[c for row in classic for c in row], *form], api_name=False,
                  concurrency_limit=None, show_progress="hidden")
        self.opened.change(self.run, self.opened, results, api_name=False, concurrency_id=CONCURRENCY_ID,
                           show_progress_on=results[1])

    def share(self, state: dict | None) -> str:
        """The query that opens the visitor's comparison again (`?share=<id>`)."""
        if not state:
            raise gr.Error("compare first: there is nothing to share yet", print_exception=False)
        comparison = state["comparison"]
        specs = [SideSpec(side.model, side.method, side.options, name) for name, side in comparison.sides.items()]
        try:
            for spec in specs:
                if visitors.session_for(self.dashboard.session_name, [spec.model]) != self.dashboard.session_name:
                    raise ShareError(f"side {spec.name!r} is your own fine-tuned model, which is removed when this "
                                     "page closes; a link cannot hold it")
            sid = self.store.put(record(list(comparison.pairs), specs))  # refuses vectors
        except EmbedLabError as exc:
            raise gr.Error(html.escape(str(exc), quote=False), print_exception=False) from None
        return f"?{QUERY}={sid}"

    def read(self, request: gr.Request) -> dict:
        """Nothing where the page has no `?share=`; else the link's pairs and sides, checked with this
        server's settings, into the table and the sides form (and into `opened`, which runs them)."""
        sid = (request.query_params.get(QUERY) if request is not None else None) or ""
        if not sid.strip():
            return {self.opened: gr.skip()}  # (an empty dict would read as one value)
        try:
            pairs, specs = self.store.open(sid, self.dashboard.settings)
        except EmbedLabError as exc:
            raise gr.Error(html.escape(str(exc), quote=False), print_exception=False) from None
        shown = {self.opened: (pairs, specs), self.pairs: tables.pairs_to_rows(pairs)}
        for (model, method), spec in zip(self.classic, specs):
            shown[model], shown[method] = gr.update(value=spec.model), gr.update(value=spec.method)
        rows = [{"name": s.name, "model": s.model, "method": s.method, "chat_template": chat_word(s.options.chat_template),
                 "layer": s.options.layer, "post": s.options.post} for s in specs[len(self.classic):]]
        shown.update(zip(self.form, self.dashboard._form(len(rows), rows)))
        return shown

    def run(self, opened: tuple | None, progress=gr.Progress()) -> dict:
        """The opened link's comparison (from the cache where it holds the vectors), as a Compare shows it."""
        if not opened:
            return {self.results[0]: gr.skip()}
        pairs, specs = opened
        try:
            self.dashboard.place(specs)
            comparison = compute(self.dashboard.session_name, [p.as_dict() for p in pairs], specs, None,
                                 vectors=True, progress=progress)
        except (EmbedLabError, gr.Error) as exc:
            words = exc.message if isinstance(exc, gr.Error) else str(exc)
            raise gr.Error(html.escape(words, quote=False), print_exception=False) from None
        return dict(zip(self.results, result_outputs(comparison)))
