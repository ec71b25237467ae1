"""A first visit with many sides and while the server is busy, in headless Chromium on the real dashboard:
the 30-pair example swept over every method of the base GPT fits its leaderboard at 1280, 1440 and 1920
px (never clipped), lays its heatmaps out as small multiples led by the best side, and keeps each extra
side row a card with its ✕ inside; every side row shows its model's whole name at 1440 and 390 px;
results are marked out of date when an input changes or a Compare fails, until the next Compare, and an
edit made while a Compare runs stays, leaving that Compare's results out of date; while a Compare runs or
waits, its progress line stands alone over the verdict (no "Press Compare" under it); editing a cell does
what the table's hint says; a Compare pressed during a fine-tune says it waits for it, with the training
time left.

Screenshots (1440 and 390 px) go to test-artifacts/."""

from __future__ import annotations

import uuid

import pytest

from tests.support.apphelpers import ARTIFACTS, open_dashboard

pytestmark = [pytest.mark.slow, pytest.mark.browser]
playwright = pytest.importorskip("playwright.sync_api")

COMPARE_MS = 480_000  # seven GPT methods and the embedding model on 30 pairs, on 2 busy cores
TUNE_SECONDS = 30  # a short fine-tune: long enough to press Compare during it
TUNE_MS = 480_000  # loading SmolLM2 for training (converted from GGUF on first use), training, measuring
EXAMPLE_30 = "Example: 30 pairs with near-misses"
EXAMPLE_ORIGINAL = "Example: Original experiment (2 pairs)"
CELL = '#pairs [data-testid="cell-0-0"]'
# The leaderboard against its box: its widths and every header cell's right edge against the box's.
TABLE_FIT = """() => {
  const table = document.querySelector('#metrics table.leaderboard'), box = table.parentElement;
  const right = box.getBoundingClientRect().right;
  return {scrollWidth: box.scrollWidth, clientWidth: box.clientWidth, tableWidth: table.getBoundingClientRect().width,
          outside: [...table.querySelectorAll('thead th')].filter(th => th.getBoundingClientRect().right > right + 1)
                   .map(th => th.textContent)};
}"""
# Each shown extra side row: whether its ✕ lies inside the row's own (bordered) box.
ROW_CARDS = """() => [...document.querySelectorAll('.extra-side')].filter(row => row.offsetParent).map(row => {
  const r = row.getBoundingClientRect(), x = row.querySelector('[id$=-remove]').getBoundingClientRect();
  return {border: getComputedStyle(row).borderTopStyle, inside: x.left >= r.left && x.right <= r.right
          && x.top >= r.top && x.bottom <= r.bottom};
})"""
STALE = "() => document.querySelector('#results').classList.contains('stale')"
RUNNING = "() => !!document.querySelector('#verdict .progress-text')"  # Gradio's progress line over the verdict
PLACEHOLDER_SHOWN = "() => getComputedStyle(document.querySelector('#verdict .placeholder')).visibility !== 'hidden'"
# Every shown side row's text fields (model, method, name, chat, post) whose value does not fit what shows of its
# box: the text's width (measured in the field's font) against the box, up to a dropdown's arrow, which lies over it.
CLIPPED = """() => [...document.querySelectorAll('[id$=-model] input, [id$=-method] input, .extra-side input')]
  .filter(i => i.offsetParent && i.type !== 'number' && i.value).map(i => {
    const style = getComputedStyle(i), pen = document.createElement('canvas').getContext('2d');
    pen.font = style.font;
    const box = i.getBoundingClientRect(), arrow = i.closest('.wrap-inner')?.querySelector('.icon-wrap');
    const end = Math.min(box.right - parseFloat(style.paddingRight), arrow ? arrow.getBoundingClientRect().left : Infinity);
    const text = box.left + parseFloat(style.paddingLeft) + pen.measureText(i.value).width;
    return {field: i.closest('[id]').id, value: i.value, over: Math.max(i.scrollWidth - i.clientWidth, text - end)};
  }).filter(f => f.over > 0.5).map(f => `${f.field}: ${f.value} (${f.over.toFixed(0)} px cut)`)"""


def cell_text(page) -> str:
    return page.locator(CELL).inner_text().split("\n")[0]


def test_editing_a_cell_does_what_the_hint_says(browser, app_server):
    page = open_dashboard(browser, app_server, viewport={"width": 1440, "height": 900})
    hint = page.locator("#pairs").get_by_text("double-click a cell to edit it (typing adds to its text; Enter keeps it)")
    hint.wait_for()
    page.get_by_role("button", name=EXAMPLE_ORIGINAL).click()
    page.locator(CELL).get_by_text("Where is the headquarter of OpenAI?").wait_for()
    page.locator(CELL).dblclick()
    page.locator(f"{CELL} textarea, {CELL} input").first.wait_for()  # keys typed before the editor opens are lost
    page.keyboard.type(" In San Francisco?")
    page.keyboard.press("Enter")
    page.locator(CELL).get_by_text("Where is the headquarter of OpenAI? In San Francisco?").wait_for()
    page.locator(CELL).dblclick()  # replacing the whole text: select it all in the cell's editor first
    editor = page.locator(f"{CELL} textarea, {CELL} input").first
    editor.wait_for()
    editor.press("Control+A")  # on the editor itself, once it is there (a key sent sooner goes nowhere)
    page.keyboard.type("Who founded OpenAI?")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.querySelector('{CELL}').innerText.split('\\n')[0] === 'Who founded OpenAI?'")
    assert cell_text(page) == "Who founded OpenAI?"
    page.close()


def test_every_side_row_shows_its_model_name_whole_at_1440_and_390_px(browser, app_server):
    page = open_dashboard(browser, app_server, viewport={"width": 1440, "height": 900})
    page.click("#sweep")  # five extra cards, each with the base GPT's long name
    page.wait_for_function("[...document.querySelectorAll('.extra-side')].filter(r => r.offsetParent).length >= 4")
    page.wait_for_function("document.querySelector('#side-3-model input').value.length > 0")
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(500)
        names = page.evaluate("[...document.querySelectorAll('[id$=-model] input')].filter(i => i.offsetParent)"
                              ".map(i => i.value)")
        assert len(names) >= 6 and all(names), names  # two classic rows and the cards
        assert page.evaluate(CLIPPED) == [], width
        rows = page.evaluate(ROW_CARDS)
        assert rows and all(r["inside"] for r in rows), (width, rows)
        page.locator("#side-3").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"visit-side-rows-{width}.png"))
    page.close()


@pytest.mark.timeout(1500)  # the sweep: seven GPT methods on 30 pairs, 8 min on a busy 2-core machine
def test_a_sweep_fits_its_leaderboard_and_lays_out_its_heatmaps_and_stale_results_are_marked(browser, app_server):
    page = open_dashboard(browser, app_server, viewport={"width": 1440, "height": 900})
    page.get_by_role("button", name=EXAMPLE_30).click()
    page.locator(CELL).get_by_text("What is a Python list?").wait_for()
    page.click("#sweep")
    page.wait_for_function("[...document.querySelectorAll('.extra-side')].filter(r => r.offsetParent).length >= 4")
    rows = page.evaluate(ROW_CARDS)
    assert rows and all(r["inside"] and r["border"] == "solid" for r in rows), rows
    page.click("#compare")
    page.wait_for_function("(document.querySelector('#verdict .run-line') || {}).textContent?.startsWith('30 pairs')",
                           timeout=COMPARE_MS)
    sides = page.locator("#metrics table.leaderboard thead th").count() - 1
    assert sides > 4
    page.wait_for_function("n => document.querySelectorAll('#heatmaps .side-plot g.hm').length === n", arg=sides,
                           timeout=60_000)
    assert not page.evaluate(STALE)
    for width in (1280, 1440, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(500)
        fit = page.evaluate(TABLE_FIT)
        assert fit["scrollWidth"] <= fit["clientWidth"] + 1 and not fit["outside"], (width, fit)
        tops = sorted({round(b["y"]) for b in (p.bounding_box() for p in page.locator("#heatmaps .side-plot").all())})
        assert len(tops) < sides, (width, tops)  # several heatmaps a row: a grid of small multiples
    page.set_viewport_size({"width": 1440, "height": 900})
    titles = page.locator("#heatmaps .side-plot .gtitle").all_text_contents()
    assert titles[0].startswith("#1 ") and any("Base GPT" in t for t in titles), titles
    page.screenshot(path=str(ARTIFACTS / "visit-sweep-1440.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(500)
    rows = page.evaluate(ROW_CARDS)
    assert all(r["inside"] for r in rows), rows
    page.screenshot(path=str(ARTIFACTS / "visit-sweep-390.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})

    page.locator(CELL).dblclick()  # an edited pair: the results no longer match
    page.keyboard.type(" Really?")
    page.keyboard.press("Enter")
    page.wait_for_function(STALE)
    assert "Out of date" in page.evaluate("getComputedStyle(document.querySelector('#results'), '::before').content")
    page.click("#compare")  # cached: quick
    page.wait_for_function(f"() => !({STALE})()", timeout=COMPARE_MS)
    page.get_by_role("button", name="Clear", exact=True).click()
    page.wait_for_function(STALE)
    page.evaluate("document.querySelector('#results').classList.remove('stale')")  # the failure alone marks it
    page.click("#compare")  # no pairs: the Compare fails
    page.locator(".toast-body").first.wait_for(timeout=60_000)
    page.wait_for_function(STALE)
    page.close()


def test_an_edit_made_while_a_compare_runs_stays_and_leaves_its_results_out_of_date(browser, app_server, tmp_path):
    page = open_dashboard(browser, app_server, viewport={"width": 1440, "height": 900})
    pairs = tmp_path / "fresh.csv"  # texts no earlier test embedded: a Compare long enough to edit during it
    stamp = uuid.uuid4().hex[:8]
    pairs.write_text("question,answer\n" + "".join(f"Question {stamp} {i}: what is {i} times {i + 3}?,"
                                                   f"{i} times {i + 3} is {i * (i + 3)} ({stamp})\n" for i in range(60)))
    page.locator("input[data-testid^='Upload CSV'][data-testid$='-upload-button']").set_input_files(str(pairs))
    page.locator(CELL).get_by_text(f"Question {stamp} 0").wait_for()
    page.click("#compare")
    page.wait_for_function(RUNNING, timeout=60_000)
    assert page.evaluate(PLACEHOLDER_SHOWN) is False  # the progress line alone, not over "Press Compare"
    page.screenshot(path=str(ARTIFACTS / "visit-compare-running-1440.png"))
    page.locator(CELL).dblclick()
    page.locator(f"{CELL} textarea, {CELL} input").first.wait_for()
    page.keyboard.type(" Edited")
    page.keyboard.press("Enter")
    page.locator("#embed-method input").click()  # a side's field too (the embedding model: quick to compare again)
    page.get_by_role("option", name="mean", exact=True).click()
    assert page.evaluate(RUNNING), "the Compare ended before the edits: they must be made while it runs"
    page.wait_for_function("(document.querySelector('#verdict .run-line') || {}).textContent?.startsWith('60 pairs')",
                           timeout=COMPARE_MS)
    page.wait_for_timeout(1000)  # the success's own marks are set by now
    assert cell_text(page) == f"Question {stamp} 0: what is 0 times 3? Edited"
    assert page.input_value("#embed-method input") == "mean"
    assert page.evaluate(STALE), "results computed before the edits are shown as current"
    assert "native" in page.locator("#metrics").inner_text()  # they are the results of the method it read
    page.screenshot(path=str(ARTIFACTS / "visit-edited-during-compare-1440.png"))
    page.click("#compare")  # the edits compared: current again
    page.wait_for_function(f"() => !({STALE})()", timeout=COMPARE_MS)
    page.close()


def test_a_compare_pressed_during_a_fine_tune_says_it_waits_with_the_time_left(browser, app_server):
    page = open_dashboard(browser, app_server, viewport={"width": 1440, "height": 900})
    page.get_by_role("button", name=EXAMPLE_30).click()
    page.locator(CELL).get_by_text("What is a Python list?").wait_for()
    page.locator("#tune-seconds input").fill(str(TUNE_SECONDS))
    page.click("#tune-start")
    page.wait_for_function("document.querySelector('#tune-status')?.textContent.includes('step')", timeout=TUNE_MS)
    page.click("#compare")
    page.wait_for_function("document.querySelector('#verdict')?.textContent.includes('Waiting for the fine-tune')",
                           timeout=30_000)
    assert page.evaluate(PLACEHOLDER_SHOWN) is False  # the waiting line alone, not over "Press Compare"
    words = page.locator("#verdict").inner_text()
    left = int(words.split("about ")[1].split(" s")[0]) if "about " in words else 0
    assert 0 <= left <= TUNE_SECONDS, words
    page.screenshot(path=str(ARTIFACTS / "visit-waiting-1440.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#verdict").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "visit-waiting-390.png"))
    page.wait_for_function("(document.querySelector('#verdict .run-line') || {}).textContent?.startsWith('30 pairs')",
                           timeout=TUNE_MS)  # its turn came: the Compare ran after the fine-tune
    page.wait_for_function("document.querySelector('#tune-status')?.textContent.includes('Done:')", timeout=TUNE_MS)
    page.close()
