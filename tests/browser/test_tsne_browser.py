"""The t-SNE maps in headless Chromium on the 100-pair example (above the threshold): after Compare one
t-SNE map per side appears under the PCA maps (a step after the heatmaps), its title naming the method
and its caption too, the PCA maps still there; at 1440 and 390 px (no sideways scroll on the phone).
Screenshots go to test-artifacts/. The numbers are checked in tests/dashboard/test_tsne_map.py."""

from __future__ import annotations

import pytest

from embedlab.dashboard import tsne
from tests.support.apphelpers import ARTIFACTS, compare_example, open_dashboard

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(1200)]

COMPARE_MS = 600_000  # the 100 pairs through SmolLM2 on a busy 2-core machine
TSNE_DRAWN = ("[0, 1].every(i => (document.querySelector(`#tsne-${i} .js-plotly-plot`)?.layout?.title?.text || '')"
              ".includes(%r))" % tsne.METHOD)


def test_the_100_pair_example_shows_a_t_sne_map_per_side_beside_pca(browser, app_server):
    page = open_dashboard(browser, app_server, viewport={"width": 1440, "height": 1000})
    compare_example(page, "100 Q&A pairs", "Why is the sky blue?", 100, COMPARE_MS)
    page.wait_for_function(TSNE_DRAWN, timeout=COMPARE_MS)
    caption = page.locator("#tsne-caption").inner_text()
    assert tsne.METHOD in caption and "being computed" not in caption
    maps = page.evaluate("""() => [0, 1].map(i => {
        const plot = document.querySelector(`#tsne-${i} .js-plotly-plot`);
        return {x: plot._fullLayout.xaxis.title.text, traces: plot._fullData.map(t => t.name),
                points: plot._fullData.find(t => t.name === 'question').x.length};
    })""")
    assert all(m["x"] == "t-SNE 1" and m["points"] == 100 and "your question" not in m["traces"] for m in maps), maps
    assert page.evaluate("[0, 1].every(i => document.querySelector(`#projection-${i} .js-plotly-plot`)"
                         "?.layout?.title?.text?.includes('PCA'))")
    page.locator("#tsne-caption").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "browser-tsne-1440.png"), full_page=False)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(500)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("#tsne-0").scroll_into_view_if_needed()
    page.locator("#tsne-0").screenshot(path=str(ARTIFACTS / "browser-tsne-390.png"))
    page.close()
