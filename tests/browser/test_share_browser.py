"""A share link across a server restart, in headless Chromium: a comparison of the 30-pair example (the
base GPT with a method other than its default) is shared, the server stops, a new server process starts
on the same share and cache folders (with EMBEDLAB_MCP=0, so it also shows the MCP switch), and a fresh
browser context at 390 px opens the link: the table holds the same pairs, the sides the same models and
methods, and every heatmap the same numbers. The screenshot goes to test-artifacts/."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request

import numpy as np
import pytest

from tests.support.apphelpers import ARTIFACTS, launch_chromium, open_dashboard, running_app

pytestmark = [pytest.mark.slow, pytest.mark.browser]
playwright = pytest.importorskip("playwright.sync_api")

COMPARE_MS = 240_000
DONE = ("(document.querySelector('#verdict .run-line') || {}).textContent?.startsWith('30 pairs') && "
        "[0, 1].every(i => document.querySelector(`#heatmap-${i} .js-plotly-plot`)?.data?.[0]?.z)")
HEATMAPS = "() => [0, 1].map(i => document.querySelector(`#heatmap-${i} .js-plotly-plot`).data[0].z)"
TABLE = "() => [...document.querySelectorAll('#pairs tbody tr')].map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent.trim()))"
SIDES = "() => ['base', 'embed'].map(side => [`#${side}-model`, `#${side}-method`].map(id => document.querySelector(`${id} input`).value))"


def matrix(z) -> np.ndarray:
    """A heatmap's z as Plotly holds it: a typed array ({"dtype", "bdata", "shape"}) or nested lists."""
    if isinstance(z, dict):
        shape = [int(n) for n in str(z.get("shape", "")).split(",") if n.strip()] or -1
        return np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(shape)
    return np.array(z, dtype=float)


def mcp_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url + "gradio_api/mcp/", timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_shared_link_reopens_the_same_comparison_after_a_restart(session_cache_dir, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    env = {"EMBEDLAB_SHARE_DIR": str(tmp_path / "shares")}
    with playwright.sync_playwright() as p:
        browser = launch_chromium(p)
        (tmp_path / "first").mkdir()
        with running_app(session_cache_dir, tmp_path / "first", extra_env=env) as url:
            mcp_on = mcp_status(url)
            page = open_dashboard(browser, url, viewport={"width": 1400, "height": 1000})
            page.get_by_role("button", name="Example: 30 pairs with near-misses").click()
            page.locator('#pairs [data-testid="cell-0-0"]').get_by_text("What is a Python list?").wait_for()
            page.locator("#base-method input").click()
            page.get_by_role("option", name="mean", exact=True).click()
            page.click("#compare")
            page.wait_for_function(DONE, timeout=COMPARE_MS)
            before = {"heatmaps": page.evaluate(HEATMAPS), "table": page.evaluate(TABLE), "sides": page.evaluate(SIDES)}
            page.click("#share")
            page.wait_for_function("document.querySelector('#share-link textarea, #share-link input').value.includes('?share=')")
            link = page.evaluate("document.querySelector('#share-link textarea, #share-link input').value")
            page.locator("#share-row").screenshot(path=str(ARTIFACTS / "browser-share-link.png"))
            page.context.close()
        assert link.startswith(url + "?share=")
        assert len(list((tmp_path / "shares").glob("*.json"))) == 1

        (tmp_path / "second").mkdir()
        with running_app(session_cache_dir, tmp_path / "second", extra_env={**env, "EMBEDLAB_MCP": "0"}) as url2:
            context = browser.new_context(viewport={"width": 390, "height": 844})  # fresh: no cookies, no storage
            page = context.new_page()
            page.goto(url2 + link[len(url):])
            page.wait_for_function(DONE, timeout=COMPARE_MS)
            after = {"heatmaps": page.evaluate(HEATMAPS), "table": page.evaluate(TABLE), "sides": page.evaluate(SIDES)}
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            page.screenshot(path=str(ARTIFACTS / "browser-share-390.png"), full_page=False)
            page.locator("#heatmaps").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "browser-share-390-heatmaps.png"))
            mcp_off = mcp_status(url2)
        browser.close()

    for log in ("first", "second"):  # no event failed on either page (a plain page load opens no link)
        assert "Traceback" not in (tmp_path / log / "app.log").read_text(errors="replace")
    assert before["sides"] == [["smollm2-135m-instruct", "mean"], ["all-minilm-l6-v2", "native"]]
    assert after == before
    base, embed = (matrix(z) for z in before["heatmaps"])
    assert base.shape == embed.shape == (30, 30) and not np.allclose(base, embed)
    assert mcp_on != 404 and mcp_off == 404  # EMBEDLAB_MCP=0: no MCP server
