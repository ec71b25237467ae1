"""EmbedLab's dashboard: are GPT models good embedders?

Run `python app.py` (host and port from GRADIO_SERVER_NAME / GRADIO_SERVER_PORT). This file only builds
the page (embedlab/dashboard/layout.py), wires its events (wiring.py) and launches it. Nothing imported
here loads torch: the page is served first, then the default models load in the background.
"""

from __future__ import annotations

import gradio as gr

from embedlab import allocator
from embedlab.dashboard import mcp, visitors
from embedlab.dashboard.compute import PageSession
from embedlab.dashboard.layout import build_layout
from embedlab.dashboard.page_assets import CSS, DROP_TO_UPLOAD, FIT_PLOTS, TITLE
from embedlab.dashboard.wiring import Handlers, wire
from embedlab.dashboard.zerogpu import ON_ZEROGPU, serve, startup_models

allocator.limit_arenas()  # before the server's threads start: a crowd's threads share two malloc arenas
session = PageSession()  # the shared session, made now so the first visitor does not wait
settings = session.settings

with gr.Blocks(title=TITLE, delete_cache=(3600, 6 * 3600)) as demo:
    layout = build_layout(settings)
    handlers = Handlers.build(layout, session)
    wire(demo, layout, handlers)

demo.queue(default_concurrency_limit=1, max_size=64)


def main() -> None:
    if ON_ZEROGPU:  # placed before launch, on the main thread, as ZeroGPU documents (see zerogpu.py)
        session.warm_up(startup_models(settings), background=False)
    demo.launch(theme=gr.themes.Soft(primary_hue="indigo"), css=CSS, head=DROP_TO_UPLOAD + FIT_PLOTS,
                max_file_size=settings.max_upload_bytes, footer_links=["api", "gradio"], prevent_thread_lock=True,
                mcp_server=mcp.available(), state_session_capacity=visitors.SESSIONS_KEPT)
    mcp.keep_tools(demo)
    if not ON_ZEROGPU:
        session.warm_up(startup_models(settings))  # after the page is served: a restart shows the page at once
    serve(demo)  # Gradio's block_thread; on ZeroGPU the main thread also places models chosen later


if __name__ == "__main__":
    main()
