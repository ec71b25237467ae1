"""Sweep layers in the real dashboard, as a person uses it: on the 30-pair example the button draws
the layer chart and its line, "Add best layer as a side" fills the next row with the best layer, and a
Compare shows that side beside the classic two. Screenshots at 1440 and 390 px go to test-artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.support.apphelpers import ARTIFACTS, open_dashboard

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SWEEP_MS = 240_000  # the first run of a session may convert the GGUF model (~35 s on 2 cores)


def sweep_and_wait(page) -> str:
    """Press Sweep layers and wait for the chart and its line; the line's text."""
    page.click("#sweep-layers")
    page.wait_for_function("(document.querySelector('#layer-line') || {}).textContent?.includes('Best layer:')",
                           timeout=SWEEP_MS)
    page.locator("#layer-chart .main-svg").first.wait_for()
    return page.locator("#layer-line").inner_text()


def test_sweep_layers_adds_the_best_layer_and_compare_shows_it(browser, app_server):
    page = open_dashboard(browser, app_server, viewport={"width": 1440, "height": 1000})
    assert page.locator("#add-best-layer").is_disabled()  # nothing to add before a sweep
    page.get_by_role("button", name="Example: 30 pairs with near-misses").click()
    page.locator('#pairs [data-testid="cell-0-0"]').get_by_text("What is a Python list?").wait_for()
    line = sweep_and_wait(page)
    found = re.search(r"Best layer: (\S+) at layer (\d+) of 30 \(AUC ([\d.]+) \[[\d., ]+\]\); last layer [\d.]+; "
                      r"all-minilm-l6-v2 [\d.]+\.", line)
    assert found, line
    method, layer = found.group(1), int(found.group(2))
    assert method in ("mean", "last-token") and "Swept mean and last-token of smollm2-135m-instruct" in line
    assert page.locator("#layer-chart .scatterlayer .trace").count() >= 4  # two methods, AUC and margin
    page.locator("#layer-sweep").screenshot(path=str(ARTIFACTS / "layers-1440.png"))

    page.click("#add-best-layer")
    page.locator("#side-3").wait_for(state="visible")
    assert page.locator("#side-3-name textarea").input_value() == f"{method}@{layer}"
    assert page.locator("#side-3-model input").input_value() == "smollm2-135m-instruct"
    assert page.locator("#side-3-layer input").input_value() == str(layer)
    page.screenshot(path=str(ARTIFACTS / "layers-added-1440.png"), full_page=True)

    page.click("#compare")
    page.wait_for_function("document.querySelectorAll('#heatmaps .side-plot .main-svg').length >= 3", timeout=SWEEP_MS)
    titles = page.locator("#heatmaps .side-plot .gtitle").all_text_contents()
    assert any(f"{method}@{layer}" in title for title in titles), titles
    page.set_viewport_size({"width": 390, "height": 900})
    page.locator("#layer-sweep").scroll_into_view_if_needed()
    page.locator("#layer-sweep").screenshot(path=str(ARTIFACTS / "layers-390.png"))
