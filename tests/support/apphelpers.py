"""Helpers for tests that need the real dashboard: start `python app.py` on a free port, wait until
it answers, stop it; launch the headless Chromium that the browser tests drive, and open the dashboard
in it, ready to use."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.support.processes import answers, free_port, stop  # one copy of the start-up probes

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
START_SECONDS = 180
READY_MS = 120_000  # the first page after a start fills its method lists after the transformers import


@contextlib.contextmanager
def running_app(cache_dir: Path, work_dir: Path, timeout: float = START_SECONDS, extra_env: dict | None = None,
                python: str | Path = sys.executable):
    """Yield the URL of `python app.py` (this interpreter's, or `python`) running with its caches in
    `cache_dir`, logging to `work_dir`."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "EMBEDLAB_CACHE_DIR": str(cache_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "HF_HOME": str(work_dir / "hf-home"), "GRADIO_ANALYTICS_ENABLED": "False",
           "GRADIO_TEMP_DIR": str(work_dir / "gradio"), "TOKENIZERS_PARALLELISM": "false", **(extra_env or {})}
    log_path = work_dir / "app.log"
    url = f"http://127.0.0.1:{port}/"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(python), "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while not answers(url + "config"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"app.py did not start (exit {proc.poll()}):\n{tail}")
                time.sleep(0.5)
            yield url
        finally:
            stop(proc, 20)


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

