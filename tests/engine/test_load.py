"""The load test script, run small: 20 concurrent clients, one request each, every result checked."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(1200)  # about 4 minutes here; its load test process may take up to 900 s
def test_twenty_concurrent_clients_get_their_own_results(tmp_path, session_cache_dir):
    out = tmp_path / "load.json"
    env = {**os.environ, "EMBEDLAB_CACHE_DIR": str(session_cache_dir)}
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "load_test.py"), "--clients", "20", "--requests", "1",
                           "--pairs", "2", "--seconds", "300", "--json", str(out)],
                          capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures["requests"] == 20 and figures["errors"] == 0 and figures["wrong_results"] == 0
    assert figures["model_loads"] == {"smollm2-135m-instruct": 1, "all-minilm-l6-v2": 1}
