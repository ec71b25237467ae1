"""The page's question box in headless Chromium on the 30-pair example: a table question typed and sent
with Enter shows each side's top 5 answers and the intended rank, the same numbers as the `ask_json`
endpoint (itself checked against the question and answers embedded alone in test_mcp.py), and fits a
390 px phone; each side's PCA map gains the question's star (its place is checked in test_query_map.py). Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest
from gradio_client import Client

from tests.support.apphelpers import ARTIFACTS, compare_example, launch_chromium, open_dashboard

pytestmark = [pytest.mark.slow, pytest.mark.browser]
playwright = pytest.importorskip("playwright.sync_api")

COMPARE_MS = 240_000
QUESTION = "What does a python eat?"  # pair 2 of the 30-pair example


def test_the_question_box_shows_each_sides_answers(app_server):
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = launch_chromium(p)
        page = open_dashboard(browser, app_server, viewport={"width": 1400, "height": 1000})
        compare_example(page, "30 pairs with near-misses", "What is a Python list?", 30, COMPARE_MS)
        page.fill("#ask-question textarea", QUESTION)
        page.press("#ask-question textarea", "Enter")
        page.wait_for_function("document.querySelectorAll('#answers .ask-side').length === 2", timeout=COMPARE_MS)
        shown = page.evaluate("""() => [...document.querySelectorAll('#answers .ask-side')].map(side => ({
            title: side.querySelector('h4').textContent,
            rows: [...side.querySelectorAll('tbody tr')].map(tr => [...tr.children].map(td => td.textContent))}))""")
        page.locator("#answers").screenshot(path=str(ARTIFACTS / "browser-ask.png"))
        page.wait_for_function("[0, 1].every(i => document.querySelector(`#projection-${i} .js-plotly-plot`)"
                               "?.data?.at(-1)?.name === 'your question')", timeout=COMPARE_MS)
        page.locator("#projections").screenshot(path=str(ARTIFACTS / "browser-ask-maps.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        page.locator("#ask-row").scroll_into_view_if_needed()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.locator("#answers").screenshot(path=str(ARTIFACTS / "browser-ask-390.png"))
        browser.close()

    expected = Client(app_server, verbose=False).predict(pairs=pairs_of_the_example(), question=QUESTION, sides=[
        {"name": "base", "model": "smollm2-135m-instruct"}, {"name": "embed", "model": "all-minilm-l6-v2"}],
        api_name="/ask_json")
    assert expected["intended"] == 1
    models = {"base": "smollm2-135m-instruct (logits)", "embed": "all-minilm-l6-v2 (native)"}
    for side, (name, result) in zip(shown, expected["sides"].items()):
        assert side["title"] == f"{name}: {models[name]} · intended answer ranked {result['intended_rank']}"
        assert side["rows"] == [[str(i), f"{a['cosine']:.4f}", str(a["pair"] + 1), a["answer"]]
                                for i, a in enumerate(result["answers"], 1)]


def pairs_of_the_example() -> list[dict]:
    from embedlab.pairs import read_pairs

    from tests.support.apphelpers import ROOT

    return [p.as_dict() for p in read_pairs(ROOT / "assets" / "examples-30.csv")]
