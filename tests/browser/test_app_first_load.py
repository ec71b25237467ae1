"""The first page after a start, in headless Chromium. Its method lists fill seconds after it opens (that
first fill waits for the transformers import); what a visitor sets meanwhile must stand: here both
models become files of vectors (which take no method) and a third, uploaded vectors side is added
before the lists fill, and Compare then runs on exactly those sides.

The test starts its own app, so the page it opens is the first one, and makes that app's first import of
transformers IMPORT_DELAY seconds slow (slow_start/sitecustomize.py), as it is on a loaded machine: on a
quiet one the import can end before the test acts, and the race would not be run."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tests.support.apphelpers import ARTIFACTS, READY_MS, ROOT, launch_chromium, open_dashboard, running_app

pytestmark = [pytest.mark.slow, pytest.mark.browser]
playwright = pytest.importorskip("playwright.sync_api")

PAIRS = 2  # the page opens on the original experiment's two pairs
METHOD = "document.querySelector('#{}-method input')"
IMPORT_DELAY = 15  # seconds: the page opens and the test acts within a few
SLOW_START = {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "tests" / "support" / "slow_start"),
                                                          os.environ.get("PYTHONPATH")])),
              "EMBEDLAB_TEST_IMPORT_DELAY": str(IMPORT_DELAY)}


def _vectors(folder, name: str, seed: int):
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((PAIRS, 16))
    np.savez(folder / f"{name}.npz", questions=q, answers=q + 0.5 * rng.standard_normal((PAIRS, 16)))
    return folder / f"{name}.npz"


def _set_model(page, side: str, value: str):
    box = page.locator(f"#{side}-model input")
    box.fill(value)
    box.press("Enter")


def test_what_a_visitor_sets_before_the_method_lists_fill_stands(session_cache_dir, tmp_path):
    theirs, other, mine = (_vectors(tmp_path, name, seed) for seed, name in enumerate(("theirs", "other", "mine")))
    ARTIFACTS.mkdir(exist_ok=True)
    with running_app(session_cache_dir, tmp_path, extra_env=SLOW_START) as url, playwright.sync_playwright() as p:
        browser = launch_chromium(p)
        page = open_dashboard(browser, url, ready=False, viewport={"width": 1400, "height": 1000})
        # at once: the lists are still locked (so the race below is run, not skipped) ...
        assert page.locator("#base-method input").is_disabled() and page.locator("#embed-method input").is_disabled(), \
            "the method lists filled before the test could act"
        assert page.locator("#sweep").is_disabled()  # the sweep sets the base method: not before its list
        # ... and the visitor sets both models to vectors and uploads a third side
        _set_model(page, "base", f"vectors:{theirs}")
        _set_model(page, "embed", f"vectors:{other}")
        page.locator("input[data-testid^='Upload vectors'][data-testid$='-upload-button']").set_input_files(str(mine))
        page.locator("#side-3").wait_for(state="visible")
        # past the first fill and the fills the model changes asked for: both lists open, holding nothing
        page.wait_for_function(f"[{METHOD.format('base')}, {METHOD.format('embed')}].every("
                               "i => i && !i.disabled && i.value === '')", timeout=READY_MS)
        page.locator("#sweep").wait_for(state="visible")
        page.wait_for_function("!document.querySelector('#sweep').disabled", timeout=10_000)
        page.wait_for_timeout(2000)  # a fill landing late would show by now
        for side in ("base", "embed", "side-3"):
            assert page.locator(f"#{side}-method input").input_value() == "", side
        assert page.locator("#base-model input").input_value() == f"vectors:{theirs}"
        assert page.locator("#embed-model input").input_value() == f"vectors:{other}"

        page.click("#compare")
        page.wait_for_function(f"(document.querySelector('#verdict .run-line') || {{}}).textContent?.startsWith("
                               f"'{PAIRS} pairs')", timeout=120_000)
        assert page.locator(".toast-body").count() == 0, page.locator(".toast-body").all_inner_texts()
        metrics = page.locator("#metrics").inner_text()
        for name in (theirs, other, mine):
            assert f"vectors:{name.name}" in metrics, metrics
        page.screenshot(path=str(ARTIFACTS / "browser-first-load.png"), full_page=True)
        browser.close()
