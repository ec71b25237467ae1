"""The dashboard's layout on a phone (390 x 844), a projector (1280 x 720) and a desktop (1500 px wide), in
headless Chromium after a real Compare: the page never scrolls sideways, no two result blocks overlap,
on a phone every figure gets the full width (one heatmap per row, short labels, full texts on tap), on
a projector the verdict and both heatmaps are on the first screen, and the exported images keep their
desktop layout whatever the screen.

Screenshots go to test-artifacts/; with EMBEDLAB_SCREENSHOTS=1 they also replace the README's pictures
in assets/ (screenshot-phone.png, screenshot-projector.png, screenshot-original.png,
screenshot-examples-30.png)."""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path

import pytest

from tests.support.apphelpers import INTERVALS_IN, ARTIFACTS, ROOT, open_dashboard

pytestmark = [pytest.mark.slow, pytest.mark.browser]
playwright = pytest.importorskip("playwright.sync_api")

COMPARE_MS = 240_000  # the first compare of a session may convert the GGUF model (~35 s on 2 cores)
EXAMPLE_30 = "Example: 30 pairs with near-misses"
EXAMPLE_ORIGINAL = "Example: Original experiment (2 pairs)"
ASSETS = ROOT / "assets"
RESULT_FILE = "() => document.querySelector(\"#downloads a[download^='embedlab-'][download$='.json']\")?.href"
SAVE_ASSETS = os.environ.get("EMBEDLAB_SCREENSHOTS") == "1"

# Every result block's box in page coordinates, the content column's width and the page's scroll width.
MEASURE = """() => {
  const box = e => { const r = e.getBoundingClientRect();
                     return {x: r.x + scrollX, y: r.y + scrollY, w: r.width, h: r.height}; };
  const all = s => [...document.querySelectorAll(s)].map(box);
  const one = s => { const e = document.querySelector(s); return e ? box(e) : null; };
  return {
    scrollWidth: document.documentElement.scrollWidth, innerWidth: innerWidth, scrollY: scrollY,
    content: document.querySelector('#intro').getBoundingClientRect().width,
    verdict: one('#verdict'), heatmaps: all('#heatmaps .side-plot'), metrics: one('#metrics table.metrics'),
    distributions: one('#distributions'), projections: all('#projections .side-plot'),
  };
}"""


def open_page(browser, url: str, width: int, height: int, touch: bool = False):
    return open_dashboard(browser, url, viewport={"width": width, "height": height}, has_touch=touch)


def load_example(page, name: str, first_question: str):
    page.get_by_role("button", name=name).click()
    page.locator('#pairs [data-testid="cell-0-0"]').get_by_text(first_question).wait_for()


def compare_and_wait(page, pairs: int):
    """Compare; wait for the verdict of `pairs` pairs, one drawn heatmap and PCA plot per side, and for the
    plots to settle in the look their width asks for (the page's script redraws a narrow plot once)."""
    page.get_by_role("button", name="Compare").click()
    page.wait_for_function(
        "n => (document.querySelector('#verdict .run-line') || {}).textContent?.startsWith(n + ' pairs')",
        arg=str(pairs), timeout=COMPARE_MS)
    page.wait_for_function(INTERVALS_IN, timeout=COMPARE_MS)
    page.wait_for_function("""() => {
        const plots = [...document.querySelectorAll('#heatmaps .side-plot, #projections .side-plot')];
        return plots.length === 4 && plots.every(p => {
            const gd = p.querySelector('.js-plotly-plot');
            if (!gd || !gd.layout || !gd.querySelector('.main-svg')) return false;
            const fit = gd.layout.meta.fit, narrow = gd.getBoundingClientRect().width < fit.below;
            return gd.layout.title.text === fit[narrow ? 'narrow' : 'wide'].layout['title.text'];
        });
    }""", timeout=60_000)
    page.wait_for_timeout(500)  # the last redraw's frame


def blocks(m: dict) -> dict[str, dict]:
    named = {"verdict": m["verdict"], "metrics table": m["metrics"], "distributions": m["distributions"]}
    named.update({f"heatmap {i + 1}": b for i, b in enumerate(m["heatmaps"])})
    named.update({f"PCA map {i + 1}": b for i, b in enumerate(m["projections"])})
    return named


def overlaps(named: dict[str, dict]) -> list[str]:
    """Every pair of blocks whose boxes share more than a pixel's sliver."""
    found, items = [], list(named.items())
    for i, (a, p) in enumerate(items):
        for b, q in items[i + 1:]:
            w = min(p["x"] + p["w"], q["x"] + q["w"]) - max(p["x"], q["x"])
            h = min(p["y"] + p["h"], q["y"] + q["h"]) - max(p["y"], q["y"])
            if w > 1 and h > 1:
                found.append(f"{a} and {b} overlap by {w:.0f} x {h:.0f} px")
    return found


def check_no_sideways_scroll_and_no_overlap(m: dict):
    assert m["scrollWidth"] <= m["innerWidth"], f"the page scrolls sideways: {m['scrollWidth']} > {m['innerWidth']}"
    named = blocks(m)
    assert all(named.values()) and len(named) == 7, named
    assert overlaps(named) == []


def label_boxes(page, plot: str, axis: str) -> list[dict]:
    return page.locator(f"{plot} .{axis}tick text").evaluate_all(
        "ts => ts.map(t => { const r = t.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height,"
        " text: t.textContent}; })")


def png_size(path: Path) -> tuple[int, int]:
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def save(page, name: str, **kwargs):
    page.screenshot(path=str(ARTIFACTS / name), **kwargs)
    if SAVE_ASSETS:
        page.screenshot(path=str(ASSETS / name), **kwargs)


# a phone -------------------------------------------------------------------------------------------
def test_on_a_phone_every_figure_gets_the_full_width(browser, app_server):
    page = open_page(browser, app_server, 390, 844, touch=True)
    load_example(page, EXAMPLE_30, "What is a Python list?")
    compare_and_wait(page, 30)
    m = page.evaluate(MEASURE)
    print(f"\nphone 390 x 844: content {m['content']:.0f} px; page scroll width {m['scrollWidth']}; " + "; ".join(
        f"{name} x={b['x']:.0f} y={b['y']:.0f} {b['w']:.0f} x {b['h']:.0f}" for name, b in blocks(m).items()))
    check_no_sideways_scroll_and_no_overlap(m)

    # one heatmap per row at (nearly) the full width, the metrics table above the distributions, the PCA
    # maps one under the other
    first, second = m["heatmaps"]
    for plot in m["heatmaps"] + m["projections"] + [m["distributions"]]:
        assert plot["w"] >= 0.8 * m["content"], (plot, m["content"])
    assert second["y"] >= first["y"] + first["h"]
    assert m["metrics"]["y"] + m["metrics"]["h"] <= m["distributions"]["y"]
    first_map, second_map = m["projections"]
    assert second_map["y"] >= first_map["y"] + first_map["h"]

    # the verdict and the metrics table fit without scrolling sideways, every model name whole
    for box in ("#verdict", "#metrics .table-box"):
        sizes = page.locator(box).evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert sizes[0] <= sizes[1], (box, sizes)
    table = page.locator("#metrics table.metrics")
    table_box = table.bounding_box()
    for name in ("smollm2-135m-instruct", "all-minilm-l6-v2"):
        cell = table.locator(".model", has_text=name.split("-")[0])
        assert cell.inner_text().replace("\n", "") == name
        b = cell.bounding_box()
        assert table_box["x"] <= b["x"] and b["x"] + b["width"] <= table_box["x"] + table_box["width"] + 0.5

    # each heatmap has its own two-line title; labels are short numbers that do not pile up
    for i in range(2):
        plot = f"#heatmap-{i}"
        assert page.locator(f"{plot} .gtitle tspan").count() == 2  # the side, then the model on its own line
        rows, columns = label_boxes(page, plot, "y"), label_boxes(page, plot, "x")
        assert [r["text"] for r in rows] == [f"Q{k}" for k in range(1, 31)]
        assert all(re.fullmatch(r"A\d+", c["text"]) for c in columns)
        for a, b in zip(rows, rows[1:]):
            assert a["y"] + a["h"] <= b["y"] + 1, (a, b)
        for a, b in zip(columns, columns[1:]):
            assert a["x"] + a["w"] <= b["x"] + 1, (a, b)
        title = page.locator(f"{plot} .gtitle").bounding_box()
        box = page.locator(plot).bounding_box()
        assert box["x"] <= title["x"] and title["x"] + title["width"] <= box["x"] + box["width"]

    last = m["projections"][-1]  # the results, from the verdict to the last PCA map
    save(page, "screenshot-phone.png", full_page=True, clip={
        "x": 0, "y": m["verdict"]["y"] - 16, "width": 390, "height": last["y"] + last["h"] - m["verdict"]["y"] + 32})

    # a tap on a cell shows its full question and answer, inside the plot
    page.locator("#heatmap-1").scroll_into_view_if_needed()
    cells = page.locator("#heatmap-1 .nsewdrag").bounding_box()
    page.touchscreen.tap(cells["x"] + cells["width"] / 60, cells["y"] + cells["height"] / 60)  # Q1 x A1
    hover = page.locator("#heatmap-1 .hoverlayer .hovertext")
    hover.wait_for(timeout=10_000)
    text = hover.text_content()
    assert "What is a Python list?" in text and "A Python list is an ordered, mutable" in text
    label, plot = hover.bounding_box(), page.locator("#heatmap-1").bounding_box()
    assert plot["x"] <= label["x"] and label["x"] + label["width"] <= plot["x"] + plot["width"], (label, plot)

    # the exported images keep the desktop layout: every side in one figure, 1200 px wide
    page.get_by_role("button", name="Export figures as images").click()
    link = page.locator("#downloads a[download*='-heatmaps.']")
    link.wait_for(timeout=120_000)
    if link.get_attribute("download").endswith(".png"):
        image = ARTIFACTS / "phone-export-heatmaps.png"
        image.write_bytes(page.request.get(link.get_attribute("href")).body())
        assert png_size(image) == (1200, 888)  # figures.heatmaps' width and height for 30 pairs, as on a desktop

    page.close()


# a projector ---------------------------------------------------------------------------------------
def test_on_a_projector_the_verdict_and_both_heatmaps_are_on_the_first_screen(browser, app_server):
    page = open_page(browser, app_server, 1280, 720)  # the page opens on the original experiment
    assert page.locator('#pairs [data-testid="cell-1-0"]').inner_text().strip() == "What is GPU?"
    compare_and_wait(page, 2)
    m = page.evaluate(MEASURE)
    print(f"\nprojector 1280 x 720: scrollY {m['scrollY']}; " + "; ".join(
        f"{name} x={b['x']:.0f} y={b['y']:.0f} {b['w']:.0f} x {b['h']:.0f}" for name, b in blocks(m).items()))
    check_no_sideways_scroll_and_no_overlap(m)
    assert m["scrollY"] == 0
    first, second = m["heatmaps"]
    assert first["y"] == second["y"] and first["x"] + first["w"] <= second["x"]  # side by side
    for block in (m["verdict"], first, second):
        assert block["y"] >= 0 and block["y"] + block["h"] <= 720, block
    assert "all-minilm-l6-v2" in page.locator("#verdict .verdict-line").inner_text()
    page.mouse.move(0, 0)  # Plotly shows its tool bar under the mouse; let it fade
    page.wait_for_timeout(1500)
    save(page, "screenshot-projector.png")

    # the pairs and models come after the results here; a Compare pressed down there shows the new
    # result from the top. The new result is told by the last export's files going (a Compare clears
    # them), not by the verdict: a repeat from the cache gives the very same verdict HTML ("0.00 s"),
    # which Gradio leaves in place, marks and all.
    page.get_by_role("button", name="Export figures as images").click()
    page.wait_for_function(f"() => !!({RESULT_FILE})()", timeout=COMPARE_MS)
    page.locator("#compare").scroll_into_view_if_needed()
    assert page.evaluate("scrollY") > 720
    page.get_by_role("button", name="Compare").click()
    page.wait_for_function(f"() => !({RESULT_FILE})()", timeout=COMPARE_MS)
    assert page.locator("#verdict .run-line").inner_text().startswith("2 pairs")
    page.wait_for_function("scrollY === 0", timeout=10_000)
    page.close()


# a desktop -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("example, question, pairs, name", [
    (EXAMPLE_ORIGINAL, "Where is the headquarter of OpenAI?", 2, "screenshot-original.png"),
    (EXAMPLE_30, "What is a Python list?", 30, "screenshot-examples-30.png"),
])
def test_on_a_desktop_the_figures_stand_side_by_side(browser, app_server, example, question, pairs, name):
    page = open_page(browser, app_server, 1500, 1000)
    load_example(page, example, question)
    compare_and_wait(page, pairs)
    m = page.evaluate(MEASURE)
    check_no_sideways_scroll_and_no_overlap(m)
    for row in (m["heatmaps"], m["projections"]):
        assert row[0]["y"] == row[1]["y"] and row[0]["x"] + row[0]["w"] <= row[1]["x"]
    assert m["metrics"]["x"] + m["metrics"]["w"] <= m["distributions"]["x"]  # the table left of the distributions
    # the wide look: one-line titles, questions labelled with their text
    assert page.locator("#heatmap-0 .gtitle tspan").count() == 0
    assert label_boxes(page, "#heatmap-0", "y")[0]["text"].startswith("Q1 ")
    page.mouse.move(0, 0)
    page.wait_for_timeout(1500)
    save(page, name, full_page=True)
    page.close()
