"""The dashboard's handlers for tests that call them directly: a page laid out (not launched) in a
throwaway `gr.Blocks`, its handlers in the named session, and small readers of their keyed outputs."""

from __future__ import annotations

import gradio as gr

from embedlab.dashboard.compute import PageSession
from embedlab.dashboard.layout import build_layout
from embedlab.dashboard.sides_form import ROW_FIELDS
from embedlab.dashboard.wiring import Handlers, wire


def page(session_name: str) -> Handlers:
    """The handlers of a page built and wired on the registered session `session_name`; `.page.layout`
    names its parts, `.demo` is the (never launched) Blocks."""
    session = PageSession(session_name)
    with gr.Blocks() as demo:
        layout = build_layout(session.settings)
        handlers = Handlers.build(layout, session)
        wire(demo, layout, handlers)
    handlers.demo = demo
    return handlers


def outputs(handlers: Handlers, api_name: str) -> set:
    """The components the event `api_name` is wired to change."""
    return {block for fn in handlers.demo.fns.values() if fn.api_name == api_name for block in fn.outputs}


def rows_read(handlers: Handlers, out: dict) -> list[dict]:
    """The extra side rows an event shows: each shown row's updates by ROW_FIELDS name."""
    rows = []
    for side in handlers.form.layout.side_rows:
        if not out[side.row]["visible"]:
            break
        rows.append(dict(zip(ROW_FIELDS, (out[field] for field in side.fields()))))
    return rows


def triggered(handlers: Handlers, block, event: str) -> set:
    """The components that `block`'s `event` (an event with no API name, such as a click) is wired to change."""
    return {out for fn in handlers.demo.fns.values() if (block._id, event) in [tuple(t) for t in fn.targets]
            for out in fn.outputs}
