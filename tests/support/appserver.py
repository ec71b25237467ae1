"""The real dashboard as a server process: `python app.py` on a free loopback port, on the offline models,
with its caches in a given folder; for the tests' app helpers and the soak benchmark alike."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from tests.support.processes import free_port, stop, wait_until_served

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 180


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
            wait_until_served(proc, url + "config", timeout, log_path, "app.py")
            yield url
        finally:
            stop(proc, 20)
