"""The real dashboard in headless Chromium, as a person uses it: load the original example, compare,
read the heatmaps and metrics, export the results, upload a file (its markup shown as text), and see the message for a bad
file. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from tests.support.apphelpers import INTERVALS_IN, ARTIFACTS, launch_chromium, open_dashboard

pytestmark = [pytest.mark.slow, pytest.mark.browser]
playwright = pytest.importorskip("playwright.sync_api")

COMPARE_MS = 240_000  # the first compare of a session may convert the GGUF model (~35 s on 2 cores)
MARKUP = "<b>bold</b> & <i>never</i> run <script>window.pwned=1</script><img src=x onerror='window.pwned=2'>"


@pytest.fixture(scope="module")
def page(app_server):
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = launch_chromium(p)
        yield open_dashboard(browser, app_server, viewport={"width": 1400, "height": 1000})
        browser.close()


def cell(page, row: int, col: int):
    return page.locator(f'#pairs [data-testid="cell-{row}-{col}"]')


def upload(page, path):
    page.locator("input[data-testid^='Upload CSV'][data-testid$='-upload-button']").set_input_files(str(path))


def compare_and_wait(page, pairs: int, sides: int = 2):
    """Compare, then wait for the verdict of `pairs` pairs and for one heatmap plot per side, each with a
    row label per question."""
    page.click("#compare")
    page.wait_for_function(
        "n => (document.querySelector('#verdict .run-line') || {}).textContent?.startsWith(n + ' pairs')",
        arg=str(pairs), timeout=COMPARE_MS)
    page.wait_for_function(INTERVALS_IN, timeout=COMPARE_MS)
    page.wait_for_function("""([n, k]) => {
        const plots = [...document.querySelectorAll('#heatmaps .side-plot')];
        return plots.length === k && plots.every(p => p.querySelectorAll('.ytick').length === n);
    }""", arg=[pairs, sides], timeout=COMPARE_MS)


def test_original_example_compares_side_by_side(page):
    page.get_by_role("button", name="Clear").click()
    page.wait_for_function("!document.querySelector('#pairs').textContent.includes('OpenAI')")
    page.get_by_role("button", name="Example: Original experiment (2 pairs)").click()
    cell(page, 0, 0).get_by_text("Where is the headquarter of OpenAI?").wait_for()
    assert cell(page, 1, 0).inner_text().strip() == "What is GPU?"

    compare_and_wait(page, 2)
    plots = page.locator("#heatmaps .side-plot")  # one plot per side, the unused slots not on the page
    assert plots.count() == 2 and [plots.nth(i).locator("g.hm").count() for i in range(2)] == [1, 1]
    assert [plots.nth(i).locator(".gtitle").text_content() for i in range(2)] == [
        "Base GPT: smollm2-135m-instruct (logits)", "Embedding model: all-minilm-l6-v2 (native)"]
    plain = page.locator("#verdict .verdict-line").inner_text()  # in plain words first, the figures after
    assert plain.startswith("The right answer came first for ") and "smollm2-135m-instruct" in plain
    assert "all-minilm-l6-v2" in plain
    assert "separates" in page.locator("#verdict .verdict-detail").inner_text()
    metrics = page.locator("#metrics table.metrics")
    for label in ("Top-1", "MRR", "AUC", "Mean matching", "Mean non-matching", "Margin"):
        assert metrics.get_by_text(label, exact=True).count() == 1
    assert metrics.locator("td.best").count() == 0  # 2 pairs have no interval: no side is marked better
    assert "No intervals: an interval needs at least 5 pairs" in page.locator("#metrics").inner_text()
    page.locator("#forest .main-svg").first.wait_for()  # the AUC forest plot
    assert page.locator("#downloads a[download]").count() == 0  # a Compare writes no files: Export does
    page.get_by_role("button", name="Export figures as images").click()
    stem = "embedlab-2-pairs-"  # the set, the sides and the time follow (exports.file_stem)
    for suffix in (".json", ".csv", "-intervals.csv"):
        page.locator(f"#downloads a[download^='{stem}'][download*='-base-vs-embed-'][download$='{suffix}']").first.wait_for(
            timeout=120_000)  # with the figures as PNG: Chromium draws them
    page.screenshot(path=str(ARTIFACTS / "browser-original.png"), full_page=True)


def test_uploaded_markup_is_shown_as_text(page, tmp_path):
    pairs = tmp_path / "markup.csv"
    pairs.write_text(f'question,answer\nWhat is GPU?,A chip for maths\nWhere is OpenAI?,San Francisco\n'
                     f'"{MARKUP}",plain answer\n', encoding="utf-8")
    upload(page, pairs)
    cell(page, 2, 0).wait_for()
    assert cell(page, 2, 0).inner_text().strip() == MARKUP
    assert page.locator("#pairs b, #pairs i").count() == 0

    compare_and_wait(page, 3)
    ticks = " ".join(page.locator("#heatmaps .ytick text").all_text_contents())
    assert "Q3 <b>bold</b>" in ticks  # the tags are text in the label, not bold type
    page.locator("#heatmaps .nsewdrag").first.hover()  # show a hover label built from the texts
    assert page.evaluate("window.pwned") is None  # no script from the pairs ever ran
    page.screenshot(path=str(ARTIFACTS / "browser-upload.png"), full_page=True)


def test_a_csv_without_header_gets_a_clear_message(page, tmp_path):
    bad = tmp_path / "no-header.csv"
    bad.write_text("What is <b>GPU</b>?,A chip\n", encoding="utf-8")
    upload(page, bad)
    message = page.get_by_text("line 1: a CSV file needs a header row with 'question' and 'answer' columns")
    message.first.wait_for(timeout=30_000)
    assert message.first.is_visible()
    assert "found 'What is <b>GPU</b>?', 'A chip'" in message.first.inner_text()  # the markup as text
    assert message.first.locator("b").count() == 0
    assert cell(page, 0, 0).inner_text().strip() == "What is GPU?"  # the table keeps what it had
    page.screenshot(path=str(ARTIFACTS / "browser-bad-file.png"), full_page=True)


def test_method_lists_fill_when_the_page_opens(page):
    """The page is served before the engine loads; each method list fills in, its model's default chosen."""
    for side, default in (("base", "logits"), ("embed", "native")):
        page.wait_for_function(f"document.querySelector('#{side}-method input').value === '{default}'",
                               timeout=120_000)


def test_a_file_dropped_on_the_table_is_read_by_embedlabs_parser(page):
    """Dropped on the table, a file goes through the Upload button (EmbedLab's reader), not the table's own
    CSV import: a JSONL file, which that import cannot read, fills the table."""
    jsonl = '{"question": "Dropped question one?", "answer": "First answer."}\n' \
            '{"question": "Dropped question two?", "answer": "Second answer."}\n'
    page.evaluate("""text => {
        const files = new DataTransfer();
        files.items.add(new File([text], "dropped.jsonl", {type: "application/jsonl"}));
        const target = document.querySelector('#pairs [data-testid="cell-0-0"]') || document.querySelector('#pairs');
        for (const type of ["dragenter", "dragover", "drop"]) {
            target.dispatchEvent(new DragEvent(type, {dataTransfer: files, bubbles: true, cancelable: true}));
        }
    }""", jsonl)
    cell(page, 1, 0).get_by_text("Dropped question two?").wait_for(timeout=30_000)
    assert cell(page, 0, 1).inner_text().strip() == "First answer."
    assert cell(page, 2, 0).count() == 0  # exactly the file's two pairs


def add_smollm2_side(page, name: str, method: str) -> None:
    """+ Add a model, then the new third row: its name, SmolLM2 (its method list filled) and `method`."""
    page.click("#add-side")
    page.locator("#side-3-name textarea").wait_for()
    page.locator("#side-3-name textarea").fill(name)
    page.locator("#side-3-model input").fill("smollm2-135m-instruct")
    page.locator("#side-3-model input").press("Enter")
    page.wait_for_function("document.querySelector('#side-3-method input').value === 'logits'", timeout=60_000)
    page.locator("#side-3-method input").click()
    page.get_by_role("option", name=method, exact=True).click()


def test_a_third_side_added_on_the_page_gets_its_own_heatmap(page):
    """+ Add a model shows a row for a third side (name, model, method); Compare draws three heatmaps on
    one scale and the metrics table gets a third column."""
    page.get_by_role("button", name="Example: Original experiment (2 pairs)").click()
    cell(page, 0, 0).get_by_text("Where is the headquarter of OpenAI?").wait_for()
    add_smollm2_side(page, "gpt-echo", "echo")
    compare_and_wait(page, 2, sides=3)
    titles = page.locator("#heatmaps .side-plot .gtitle").all_text_contents()
    assert sorted(t.split(" ", 1)[0] for t in titles) == ["#1", "#2", "#3"], titles  # leaderboard order, places first
    # three maps a row: each in its narrow look, the side's name over its model and reading
    assert any(t.startswith("#") and "gpt-echo" in t and t.endswith("smollm2-135m-instruct (echo)") for t in titles), titles
    assert page.locator("#metrics table.metrics thead th").count() == 4  # the metric column and three sides
    page.screenshot(path=str(ARTIFACTS / "browser-three-sides.png"), full_page=True)
    page.click("#side-3-remove")
    page.locator("#side-3-name").wait_for(state="hidden")


def test_a_side_row_reads_a_layer_and_whitens(page, app_server):
    """A side row's Layer and Post reach the comparison: the metrics table names the layer and the
    whitening, and shows each side's top direction share and effective rank. (A page of its own: a row
    added after another test removed one can briefly show that row's old values.)"""
    own = open_dashboard(page.context.browser, app_server, viewport={"width": 1400, "height": 1000})
    try:
        _layer_and_whiten(own)
    finally:
        own.close()


def _layer_and_whiten(page):
    page.get_by_role("button", name="Example: Original experiment (2 pairs)").click()
    cell(page, 0, 0).get_by_text("Where is the headquarter of OpenAI?").wait_for()
    add_smollm2_side(page, "gpt-mid", "mean")
    page.locator("#side-3-layer input").fill("10")
    page.locator("#side-3-post input").click()
    page.get_by_role("option", name="whiten", exact=True).click()
    compare_and_wait(page, 2, sides=3)
    table = page.locator("#metrics table.metrics").inner_text()
    assert "mean, layer 10, whitened (2 dims)" in table and "Top direction share" in table, table
    assert "Effective rank" in table
    titles = page.locator("#heatmaps .side-plot .gtitle").all_text_contents()
    assert any("gpt-mid" in t and t.endswith("smollm2-135m-instruct (mean, layer 10, whitened (2 dims))")
               for t in titles), titles
    page.screenshot(path=str(ARTIFACTS / "browser-layer-whiten.png"), full_page=True)
    page.click("#side-3-remove")
    page.locator("#side-3-name").wait_for(state="hidden")


def test_the_base_row_reads_a_layer_and_the_verdict_weighs_geometry_against_training(page, app_server):
    """The base GPT row's own Layer reaches the comparison (its heatmap titled with it), and the verdict
    says what whitening that raw GPT side does beside the embedding model. Screenshots at 1440 and 390 px
    wide. (A page of its own, so the other tests' rows stay as they left them.)"""
    own = open_dashboard(page.context.browser, app_server, viewport={"width": 1440, "height": 1000})
    try:
        own.get_by_role("button", name="Example: 30 pairs with near-misses").click()
        cell(own, 0, 0).get_by_text("What is a Python list?").wait_for()
        own.wait_for_function("document.querySelector('#base-method input').value === 'logits'", timeout=60_000)
        own.locator("#base-method input").click()
        own.get_by_role("option", name="mean", exact=True).click()
        own.locator("#base-layer input").fill("10")
        compare_and_wait(own, 30)
        titles = own.locator("#heatmaps .side-plot .gtitle").all_text_contents()
        assert "Base GPT: smollm2-135m-instruct (mean, layer 10)" in titles, titles
        geometry = own.locator("#verdict .verdict-geometry").inner_text()
        assert geometry.startswith("Whitened without labels ("), geometry
        assert "smollm2-135m-instruct (mean, layer 10) goes from AUC " in geometry, geometry
        assert "all-minilm-l6-v2 (native)" in geometry and "transductive" in geometry, geometry
        own.screenshot(path=str(ARTIFACTS / "browser-classic-layer-1440.png"), full_page=True)
        own.set_viewport_size({"width": 390, "height": 844})
        own.locator("#base-layer input").scroll_into_view_if_needed()
        own.screenshot(path=str(ARTIFACTS / "browser-classic-layer-390.png"), full_page=True)
    finally:
        own.close()
