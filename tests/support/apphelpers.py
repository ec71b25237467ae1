"""Helpers for tests that need the real dashboard: start `python app.py` on a free port, wait until
it answers, stop it; launch the headless Chromium that the browser tests drive, and open the dashboard
in it, ready to use."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.appserver import running_app  # noqa: F401 - one copy, shared with the benchmarks

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
READY_MS = 120_000  # the first page after a start fills its method lists after the transformers import


def launch_chromium(playwright):
    """Debian's Chromium, headless, with nothing that reaches the network."""
    return playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)


def open_dashboard(browser, url: str, ready: bool = True, **page_options):
    """A new page (`page_options`: Playwright's, such as viewport) on the dashboard at `url`, once the
    Compare button is on it; with `ready`, also once both method lists hold their first list (the
    page unlocks them then), so nothing the test does races that fill."""
    page = browser.new_page(**page_options)
    page.goto(url)
    page.wait_for_selector("#compare")
    if ready:
        page.wait_for_function("['base', 'embed'].every(side => "
                               "document.querySelector(`#${side}-method input`)?.disabled === false)", timeout=READY_MS)
    return page


# A page's Compare draws the heatmaps first and its intervals after (dashboard/interval_steps.py): this is true once
# the second step has filled the metrics table.
INTERVALS_IN = "() => { const m = document.querySelector('#metrics'); return m && m.textContent.includes('Top-1') && !m.textContent.includes('being computed'); }"



def compare_example(page, label: str, first_question: str, pairs: int, timeout_ms: int) -> None:
    """Load the example whose button reads "Example: `label`", wait for its first question in the table,
    press Compare and wait until the verdict's run line names its `pairs` pairs (the heatmaps are drawn)."""
    page.get_by_role("button", name=f"Example: {label}").click()
    page.locator('#pairs [data-testid="cell-0-0"]').get_by_text(first_question).wait_for()
    page.click("#compare")
    page.wait_for_function(f"(document.querySelector('#verdict .run-line') || {{}}).textContent?.startsWith('{pairs} pairs')",
                           timeout=timeout_ms)
