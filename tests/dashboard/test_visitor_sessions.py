"""How much the server keeps per visitor and per API client: Gradio copies the page's configuration into a
session of each (kept after they leave; only its gr.State values expire), so the app caps the sessions it
keeps (`visitors.SESSIONS_KEPT`). Measured on the real page, built but not launched."""

from __future__ import annotations

import gc
import tracemalloc

import pytest
from gradio.state_holder import StateHolder

from embedlab.dashboard import visitors

BUDGET = 1 * 2**30  # what all kept sessions together may hold: CPU basic has 16 GB, the models and caches need most


@pytest.fixture(scope="module")
def app_module():
    import app  # builds the page; loads no model

    return app


def test_the_app_launches_with_the_session_cap(app_module, monkeypatch):
    launched = {}
    monkeypatch.setattr(app_module.demo, "launch", lambda **options: launched.update(options))
    monkeypatch.setattr(app_module.session, "warm_up", lambda *args, **kwargs: None)
    monkeypatch.setattr(app_module, "serve", lambda demo: None)
    monkeypatch.setattr(app_module.mcp, "keep_tools", lambda demo: None)
    app_module.main()
    assert launched["state_session_capacity"] == visitors.SESSIONS_KEPT


def test_the_kept_sessions_fit_the_budget(app_module):
    holder = StateHolder()
    holder.set_blocks(app_module.demo)
    holder["first"]
    gc.collect()
    tracemalloc.start()
    try:
        for i in range(5):
            holder[f"client-{i}"]  # what a visitor's or an API client's first call makes
        per_session = tracemalloc.get_traced_memory()[0] / 5
    finally:
        tracemalloc.stop()
    assert per_session > 50 * 2**10  # a copy of the page's configuration: a real size was measured
    assert visitors.SESSIONS_KEPT * per_session < BUDGET < 10_000 * per_session  # Gradio's default would not fit
    print(f"{per_session / 2**10:.0f} KiB per session; {visitors.SESSIONS_KEPT} kept: "
          f"{visitors.SESSIONS_KEPT * per_session / 2**20:.0f} MiB")
