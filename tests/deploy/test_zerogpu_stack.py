"""ZeroGPU's own stack and runtime, on this CPU: Python 3.12 with PyPI's CUDA build of the torch ZeroGPU
installs (2.8.0, its oldest; 2.11.0, its newest), requirements.txt, and the real `spaces` package.

`scripts/setup-zerogpu.sh` builds each environment once (`.venv-zerogpu-<torch>`, reused while its
inputs are unchanged). In it:
- the fast lane (engine, dashboard handlers, the forking imitation of ZeroGPU) runs as it runs here;
- `python app.py` starts as on a ZeroGPU Space: `SPACES_ZERO_GPU=true`, the real `spaces` package
  talking to a stand-in device API on 127.0.0.1 (`zerogpu_api.py`), the Mistral presets preloaded in
  the Hub cache as `preload_from_hub` leaves them (tiny random models of Mistral's shape carrying the
  real v0.1 tokenizer), the Hub unreachable. Every offered model is placed on `cuda` under the
  package's emulation and packed before the page is served, and the start-up is reported. A Compare
  then goes as far as a CPU allows: /schedule for the duration gpu_time.py computes, /allow from the
  forked worker, whose CUDA initialisation fails here (no GPU), /release with fail=true; the visitor
  gets one line naming what failed. A 429 from /schedule (a visitor's quota used up) reaches the visitor
  as the package's one line with the reason and what to do, and the next request goes through again.
Past the worker's CUDA start (the model work itself, on a GPU) needs a GPU: benchmarks/zerogpu_calls.py.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.apphelpers import ROOT, running_app
from tests.support.hubcache import preload
from tests.support.zerogpu_api import QUOTA_LEFT, DeviceAPI
from tests.support.zerogpu_api import space_env
from tests.support.tinymodels import e5_mistral, mistral_instruct

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3000)]

# ZeroGPU's oldest and newest torch (docs of 2026-07); EMBEDLAB_ZEROGPU_TORCH="2.8.0" runs one, where time is short
TORCH_VERSIONS = tuple(os.environ.get("EMBEDLAB_ZEROGPU_TORCH", "2.8.0,2.11.0").split(","))
PAIRS = [{"question": "Where is OpenAI based?", "answer": "OpenAI is based at San Francisco."},
         {"question": "What is a GPU?", "answer": "A circuit that performs calculations quickly."}]


@pytest.fixture(scope="module", params=TORCH_VERSIONS)
def stack(request) -> Path:
    """The Python of `.venv-zerogpu-<torch>`, built (or found up to date) by scripts/setup-zerogpu.sh."""
    start = time.perf_counter()
    done = subprocess.run(["bash", "scripts/setup-zerogpu.sh", request.param], cwd=ROOT, capture_output=True,
                          text=True, timeout=2400)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    print(f"ZEROGPU_STACK_SETUP_SECONDS[{request.param}]={time.perf_counter() - start:.0f}")
    python = ROOT / f".venv-zerogpu-{request.param}" / "bin" / "python"
    versions = subprocess.run([str(python), "-c", "import sys, torch; print(sys.version_info[:2], torch.__version__, "
                               "torch.version.cuda is not None)"], capture_output=True, text=True, check=True)
    assert versions.stdout.split(")")[0] == "(3, 12" and f"{request.param}+cu" in versions.stdout
    assert versions.stdout.strip().endswith("True")  # the CUDA build a Space gets (it runs on this CPU)
    return python


def test_the_fast_lane_passes_on_zerogpus_python_and_torch(stack, tmp_path):
    done = subprocess.run([str(stack), "-m", "pytest", "-q", "-m", "not slow", "-p", "no:cacheprovider",
                           "--basetemp", str(tmp_path / "t")], cwd=ROOT, capture_output=True, text=True, timeout=2400,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    print(done.stdout.strip().splitlines()[-1])


def _visitor_token() -> str:
    """An X-IP-Token as Hugging Face's proxy sends one for a visitor (the package reads its payload only)."""
    payload = base64.urlsafe_b64encode(json.dumps({"user": "visitor"}).encode()).decode().rstrip("=")
    return f"header.{payload}.signature"


def _packed_bytes(log: str) -> float:
    """The size the `spaces` package says it packed at start-up (its progress line, e.g. "321M/321M")."""
    sizes = re.findall(r"ZeroGPU tensors packing: 100%\|[^|]*\| ([\d.]+)([kMG]?)/", log)
    assert sizes, "the spaces package packed no tensors at start-up"
    number, unit = sizes[-1]
    return float(number) * {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}[unit]


def test_the_app_starts_under_the_real_spaces_package_and_a_compare_goes_as_far_as_a_cpu_allows(stack, tmp_path):
    from gradio_client import Client

    from embedlab.dashboard import gpu_time
    from embedlab.presets import GPU_PAIR, PRESETS

    home = tmp_path / "home"
    hub = home / ".cache" / "huggingface" / "hub"
    tiny = [preload(hub, PRESETS[GPU_PAIR[0]].hub_id, mistral_instruct(tmp_path / "instruct")),
            preload(hub, PRESETS[GPU_PAIR[1]].hub_id, e5_mistral(tmp_path / "e5"))]
    tiny_bytes = sum(f.stat().st_size for folder in tiny for f in folder.glob("*.safetensors")) / 2  # fp32 -> bf16
    with DeviceAPI() as api:
        started = time.perf_counter()
        with running_app(tmp_path / "cache", tmp_path, timeout=900, extra_env=space_env(api.url, home),
                         python=stack) as url:
            print(f"ZEROGPU_STARTUP_SECONDS={time.perf_counter() - started:.0f} (python app.py to page served)")
            assert api.paths() == ["/startup-report"]  # reported once, before any GPU call
            log = (tmp_path / "app.log").read_text(errors="replace")
            assert _packed_bytes(log) > tiny_bytes  # the 7B stand-ins and the others were on (emulated) cuda
            client = Client(url, verbose=False, headers={"x-ip-token": _visitor_token()})
            status = client.predict(api_name="/status")
            assert status["zerogpu"] is True and status["warm_up"]["state"] == "ready"
            assert sorted(status["loaded"]) == sorted(PRESETS)  # every offered model, loaded once, before serving

            for attempt in (1, 2):  # the same each time: a failed call leaves nothing behind
                with pytest.raises(Exception) as caught:
                    client.predict(PAIRS, "", "", "", "", api_name="/compare_json")  # the default Mistral pair
                message = str(caught.value)
                assert ("the comparison could not start: ZeroGPU's GPU worker failed with RuntimeError while taking "
                        "the GPU (CUDA initialisation)") in message and "\n" not in message
                schedule, allow, release = api.calls[-3:]
                specs = [type("Side", (), {"model": name}) for name in GPU_PAIR]
                asked = gpu_time.compare_seconds(list(dict.fromkeys([*GPU_PAIR, *PRESETS])), PAIRS, specs)
                assert schedule[0] == "/schedule" and schedule[1]["durationSeconds"] == str(asked)
                assert allow[0] == "/allow" and int(allow[1]["pid"]) != 0  # from the forked worker
                assert release == ("/release", {"allowToken": allow[1]["allowToken"], "fail": "true"})
            assert api.paths().count("/schedule") == 2

            api.refuse_next()
            with pytest.raises(Exception) as caught:
                client.predict(PAIRS, "", "", "", "", api_name="/compare_json")
            message = str(caught.value)
            assert f"You have exceeded your free ZeroGPU quota ({asked}s requested vs. {QUOTA_LEFT}s left). " \
                   "Try again in 0:10:00." in message and "\n" not in message
            assert api.paths()[-1] == "/schedule"  # refused: no worker, nothing to release

            with pytest.raises(Exception, match="the comparison could not start"):  # the next request goes through
                client.predict(PAIRS, "", "", "", "", api_name="/compare_json")
            assert api.paths()[-3:] == ["/schedule", "/allow", "/release"]

            tune_pairs = [{"question": f"Question number {i}?", "answer": f"Answer number {i}."} for i in range(20)]
            with pytest.raises(Exception) as caught:
                client.predict(tune_pairs, GPU_PAIR[0], 30, "e5", 0.2, api_name="/tune_json")
            message = str(caught.value)
            assert "the fine-tune could not start: ZeroGPU's GPU worker failed with RuntimeError" in message
            asked = gpu_time.tune_seconds(list(dict.fromkeys([*GPU_PAIR, *PRESETS])), tune_pairs, GPU_PAIR[0], 30,
                                          None, 0.2)
            assert api.calls[-3][1]["durationSeconds"] == str(asked)


@pytest.mark.parametrize("stack", TORCH_VERSIONS[:1], indirect=True)
def test_the_gpu_script_dry_run_starts_the_space_and_reaches_each_calls_worker(stack, tmp_path):
    """benchmarks/zerogpu_calls.py, which a GPU session runs in one go, on this CPU with tiny models: the
    app starts under the real `spaces` package and each of its four calls stops at the worker's CUDA start."""
    out = tmp_path / "calls.json"
    done = subprocess.run([str(stack), "-m", "benchmarks.zerogpu_calls", "--dry-run", "--pairs", "4", "--tune-seconds",
                           "2", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["startup_s"] > 0 and [c["call"].split(" (")[0] for c in report["calls"]] == \
        ["default compare", "compare", "sweep", "fine-tune"]
    assert all(c["asked_s"] and "could not start" in c["outcome"] for c in report["calls"])
