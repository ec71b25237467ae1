"""A large pair set in the real dashboard, in headless Chromium: upload 400 pairs and three files of
vectors (one through the Upload vectors button, two typed as `vectors:FILE.npz` model names), compare,
see block-mean heatmaps with the zoom control, zoom into an exact window. No model is loaded."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.apphelpers import ARTIFACTS, launch_chromium, open_dashboard

pytestmark = [pytest.mark.slow, pytest.mark.browser]
playwright = pytest.importorskip("playwright.sync_api")

N = 400


def _files(folder):
    rng = np.random.default_rng(0)
    pairs = folder / "large.csv"
    pairs.write_text("question,answer\n" + "".join(f"question {i},answer {i}\n" for i in range(N)))
    paths = []
    for name, noise in (("mine", 1.0), ("theirs", 3.0), ("other", 2.0)):
        q = rng.standard_normal((N, 32))
        np.savez(folder / f"{name}.npz", questions=q, answers=q + noise * rng.standard_normal((N, 32)))
        paths.append(folder / f"{name}.npz")
    return pairs, paths


def _model(page, side: str, value: str):
    box = page.locator(f"#{side}-model input")
    box.fill(value)
    box.press("Enter")


def test_large_set_of_vectors_shows_block_means_and_zooms(app_server, tmp_path):
    pairs, (mine, theirs, other) = _files(tmp_path)
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = launch_chromium(p)
        page = open_dashboard(browser, app_server, viewport={"width": 1400, "height": 1000})
        page.locator("input[data-testid^='Upload CSV'][data-testid$='-upload-button']").set_input_files(str(pairs))
        page.locator("#pairs").get_by_text("question 0", exact=True).wait_for()
        page.locator("input[data-testid^='Upload vectors'][data-testid$='-upload-button']").set_input_files(str(mine))
        page.locator("#side-3").wait_for(state="visible")
        assert page.locator("#side-3-name textarea").input_value() == "mine"
        _model(page, "base", f"vectors:{theirs}")
        _model(page, "embed", f"vectors:{other}")
        for side in ("base", "embed"):  # a vectors side takes no method: its list empties
            page.wait_for_function(f"document.querySelector('#{side}-method input').value === ''")
        page.click("#compare")
        page.wait_for_function("(document.querySelector('#verdict .run-line') || {}).textContent?.startsWith('400 pairs')",
                               timeout=240_000)
        page.locator("#zoom").wait_for(state="visible")
        caption = page.locator("#heatmap-caption").inner_text()
        assert "400 pairs: each cell is the mean cosine of a block" in caption and "show all 400 pairs" in caption
        page.wait_for_function("""() => {
            const plots = [...document.querySelectorAll('#heatmaps .side-plot')];
            return plots.length === 3 && plots.every(p => p.querySelectorAll('g.hm').length === 1);
        }""", timeout=60_000)
        plots = page.locator("#heatmaps .side-plot")
        assert "means of 100 x 100 blocks" in plots.nth(2).locator(".gtitle").text_content()
        assert "vectors:mine.npz" in page.locator("#metrics").inner_text()
        page.screenshot(path=str(ARTIFACTS / "browser-large.png"), full_page=True)
        page.locator("#zoom-start input").fill("11")
        page.locator("#zoom-size input").fill("20")
        page.click("#zoom-button")
        page.wait_for_function("document.querySelector('#heatmap-caption').textContent.includes('Pairs 11-30 of 400')")
        assert "pairs 11-30 exactly" in plots.nth(0).locator(".gtitle").text_content()
        page.screenshot(path=str(ARTIFACTS / "browser-large-zoom.png"), full_page=True)
        browser.close()
