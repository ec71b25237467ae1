"""The Fine-tune section of the real dashboard, in headless Chromium and through gradio_client: a short
fine-tune of the offline SmolLM2 on the 30-pair example draws its loss curve and the three held-out
heatmaps, the tuned model becomes a model choice that Compare scores on the pairs it has not seen, and
closing the page removes the visitor's folder;
`tune_json` returns the command line's JSON."""

from __future__ import annotations

import time

import pytest
from gradio_client import Client

from tests.support.apphelpers import ARTIFACTS, ROOT, launch_chromium
from embedlab.dashboard import visitors
from embedlab.pairs import read_pairs


pytestmark = pytest.mark.slow
playwright = pytest.importorskip("playwright.sync_api")

BUDGET_SECONDS = 60  # the preparing pass counts too: 34 s for 24 pairs on a busy 2-core machine
TUNE_MS = 480_000  # loading SmolLM2 (converted from GGUF on first use; 2 min on a busy machine), measuring, training


def folders() -> set:
    return set(visitors.ROOT.glob("*/model-*")) if visitors.ROOT.exists() else set()


@pytest.mark.browser
def test_a_short_fine_tune_draws_its_curve_and_heatmaps_and_offers_the_model(app_server):
    ARTIFACTS.mkdir(exist_ok=True)
    before = folders()
    with playwright.sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(app_server)
        page.get_by_role("button", name="Example: 30 pairs with near-misses").click()
        page.locator('#pairs [data-testid="cell-0-0"]').get_by_text("What is a Python list?").wait_for(timeout=30_000)
        page.locator("#tune-seconds input").fill(str(BUDGET_SECONDS))
        assert page.locator("#tune-loss").bounding_box() is None  # no empty chart before any fine-tune
        page.click("#tune-start")
        drawn = False  # the loss curve, drawn while it trains
        deadline = time.monotonic() + TUNE_MS / 1000
        while "Done:" not in page.locator("#tune-status").inner_text() and time.monotonic() < deadline:
            toasts = page.locator(".toast-body").all_inner_texts()
            assert not toasts, toasts
            drawn = drawn or page.locator("#tune-loss .scatterlayer .trace").count() == 1 and \
                page.locator("#tune-status progress").count() == 1 and "step" in page.locator("#tune-status").inner_text()
            time.sleep(0.5)
        assert drawn and "Done:" in page.locator("#tune-status").inner_text()
        status = page.locator("#tune-status").inner_text()
        assert "Held-out (6 pairs) AUC" in status and "top-1" in status
        plots = page.locator("#tune-heatmaps .side-plot")
        page.wait_for_function("document.querySelectorAll('#tune-heatmaps .side-plot g.hm').length === 4")
        titles = plots.locator(".gtitle").all_text_contents()
        assert [t.split(":")[0] for t in titles] == ["before tuning", "whitened (no labels)", "after tuning",
                                                   "embedding model"], titles
        assert "tuned smollm2-135m-instruct" in titles[2] and "of that gap" in status  # what each closes
        assert page.locator("#tune-metrics table.metrics thead th").count() == 5
        page.click("#tune-zip")  # outside hosted mode the folder can be downloaded
        page.locator("#tune-file a[download='embedlab-tuned-model.zip']").wait_for(timeout=120_000)
        page.screenshot(path=str(ARTIFACTS / "browser-finetune.png"), full_page=True)
        page.locator("#finetune").screenshot(path=str(ARTIFACTS / "browser-finetune-section.png"))

        page.locator("#base-model input").click()
        option = page.get_by_role("option", name="tuned smollm2-135m-instruct (e5,", exact=False)
        option.first.wait_for(timeout=10_000)
        option.first.click()  # the tuned model compared on the 30 pairs it was tuned on: scored on the 6 unseen
        page.wait_for_function("document.querySelector('#base-method input')?.value === 'e5'", timeout=60_000)
        page.click("#compare")
        page.wait_for_function("(document.querySelector('#verdict .run-line') || {}).textContent?.startsWith('30 pairs')",
                               timeout=480_000)
        scored = page.locator("#verdict .scored-on").inner_text()
        assert scored.startswith("Metrics on 6 unseen pairs; 24 used in training excluded"), scored
        header = page.locator("#metrics table.metrics thead").inner_text()
        assert "tuned smollm2-135m-instruct (e5," in header
        assert page.locator("#metrics tr.all-pairs").count() == 4  # the all-pairs figures, labelled
        assert str(visitors.ROOT) not in page.content()  # names, not server paths
        page.screenshot(path=str(ARTIFACTS / "browser-tuned-compared-1440.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.locator("#verdict").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "browser-tuned-compared-390.png"))
        made = folders() - before
        assert len(made) == 1
        page.close()  # the visitor leaves: their folder goes
        deadline = time.monotonic() + 90
        while any(folder.exists() for folder in made) and time.monotonic() < deadline:
            time.sleep(1)
        assert not any(folder.exists() for folder in made)
        browser.close()


def test_tune_json_returns_the_command_lines_json(app_server):
    client = Client(app_server, verbose=False, download_files=False)
    pairs = [p.as_dict() for p in read_pairs(ROOT / "assets" / "examples-30.csv")]
    result = client.predict(pairs=pairs, model="smollm2-135m-instruct", seconds=BUDGET_SECONDS, method="e5",
                            holdout=0.2, api_name="/tune_json")
    assert result["out"] is None and result["model"] == "smollm2-135m-instruct" and result["method"] == "e5"
    assert result["steps"] == len(result["loss"]) >= 1 and result["seconds"] <= BUDGET_SECONDS + 5
    assert len(result["split"]["heldout"]) == 6 and len(result["after"]["similarity"]) == 6
    assert {"auc", "top1"} <= set(result["before"]["metrics"]) and result["config"]["method"] == "e5"
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="too few to fine-tune"):
        client.predict(pairs=pairs[:10], model="smollm2-135m-instruct", seconds=10, method="e5", holdout=0.2,
                       api_name="/tune_json")
