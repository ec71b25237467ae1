"""Item 7: how soon a restarted dashboard serves its page, against a bare Gradio app.

Both are started the same way (`python FILE` with the same environment, a second start, so Python's
bytecode caches and EmbedLab's converted models already exist) and timed from launching the process
until `GET /config` answers 200, which is when a browser can draw the page. The bare app is a Blocks
with one button: what any Gradio app pays. The dashboard's models load after that moment, in the
background (see app.py), so they are not part of this figure; a Compare made sooner waits for them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.support.processes import answers, free_port, stop

from .timing import item, median

ROOT = Path(__file__).resolve().parent.parent
BARE_APP = """import gradio as gr

with gr.Blocks() as demo:
    gr.Button("Press")

demo.launch()
"""


def served_after(script: Path, cache_dir: Path, timeout: float = 300) -> float:
    """Seconds from launching `python script` until its page config is served; the process is then stopped."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "EMBEDLAB_CACHE_DIR": str(cache_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False", "TOKENIZERS_PARALLELISM": "false"}
    began = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(script)], cwd=script.parent, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not answers(f"http://127.0.0.1:{port}/config"):
            if proc.poll() is not None or time.perf_counter() - began > timeout:
                raise RuntimeError(f"{script.name} did not serve its page (exit {proc.poll()})")
            time.sleep(0.05)
        return time.perf_counter() - began
    finally:
        stop(proc, 30)


def run(repeats: int, cache_dir: Path | None = None) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix="embedlab-bench-page-"))
    bare = scratch / "bare_app.py"
    bare.write_text(BARE_APP)
    cache_dir = cache_dir or scratch / "cache"
    app = ROOT / "app.py"
    served_after(bare, cache_dir), served_after(app, cache_dir)  # first starts: bytecode caches, not timed
    bare_s, app_s = [], []
    for _ in range(repeats):  # interleaved, so a busy moment hits both
        bare_s.append(served_after(bare, cache_dir))
        app_s.append(served_after(app, cache_dir))
    ratio = median(app_s) / median(bare_s)
    return item(7, "second start until the dashboard's page is served", "bare Gradio Blocks app, one button",
                "EmbedLab's app.py", "app / bare <= 1.5x", ratio <= 1.5, baseline_s=bare_s, candidate_s=app_s,
                ratio=ratio, checks={"app_s": round(median(app_s), 3), "bare_s": round(median(bare_s), 3)},
                note="ratio here is app / bare seconds (lower is better); models load after the page is served")
