"""One settings rule for every entry point: limits from the environment everywhere, hosted mode by
itself only for the dashboard on Spaces."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import embedlab
from embedlab.errors import DeviceError, EmbedLabError
from embedlab.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_space_id_makes_only_the_dashboard_hosted(monkeypatch):
    monkeypatch.delenv("EMBEDLAB_HOSTED", raising=False)
    monkeypatch.setenv("SPACE_ID", "someone/embedlab")
    assert Settings.from_env().hosted is False  # the CLI and the Python API
    assert Settings.from_env(dashboard=True).hosted is True
    monkeypatch.setenv("EMBEDLAB_HOSTED", "1")
    assert Settings.from_env().hosted is True  # said outright, it holds everywhere
    monkeypatch.setenv("EMBEDLAB_HOSTED", "0")
    assert Settings.from_env(dashboard=True).hosted is False


def test_the_command_line_honours_the_pair_limit_from_the_environment(tmp_path, monkeypatch):
    pairs = tmp_path / "three.csv"
    pairs.write_text("question,answer\nq1,a1\nq2,a2\nq3,a3\n")
    env = {"EMBEDLAB_MAX_PAIRS": "2", "EMBEDLAB_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin",
           "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "embedlab", "compare", str(pairs)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "over the limit of 2" in done.stderr, done.stderr[-1000:]
    assert "Traceback" not in done.stderr


def test_device_error_is_exported():
    assert embedlab.DeviceError is DeviceError and issubclass(DeviceError, embedlab.EmbedLabError)
    with pytest.raises(embedlab.DeviceError, match="unknown device"):
        from embedlab.devices import choose_device

        choose_device("tpu")


def test_the_fine_tune_limits_come_from_the_environment_and_bind_in_hosted_mode_only(monkeypatch):
    from embedlab.errors import PairsError
    from embedlab.pairs import Pair
    from embedlab.tuning import MAX_MINUTES, TuneError

    monkeypatch.setenv("EMBEDLAB_MAX_TUNE_SECONDS", "40")
    monkeypatch.setenv("EMBEDLAB_MAX_TUNE_PAIRS", "3")
    monkeypatch.setenv("EMBEDLAB_HOSTED", "1")
    hosted = Settings.from_env()
    assert (hosted.max_tune_seconds, hosted.max_tune_pairs, hosted.tune_seconds_limit) == (40, 3, 40)
    pairs = [Pair(f"q{i}", f"a{i}") for i in range(4)]
    with pytest.raises(TuneError, match="outside \\(0, 40\\] s"):
        hosted.check_tune(pairs[:3], 41)
    with pytest.raises(PairsError, match="fine-tune limit of 3"):
        hosted.check_tune(pairs, 40)
    monkeypatch.setenv("EMBEDLAB_HOSTED", "0")
    local = Settings.from_env()
    assert local.tune_seconds_limit == MAX_MINUTES * 60
    local.check_tune(pairs, 600)  # neither limit binds outside hosted mode
    monkeypatch.setenv("EMBEDLAB_MAX_TUNE_SECONDS", "ten")
    with pytest.raises(EmbedLabError, match="EMBEDLAB_MAX_TUNE_SECONDS='ten'"):
        Settings.from_env()


def test_hosted_mode_refuses_a_gpu_preset_where_there_is_no_gpu_for_it(monkeypatch):
    from embedlab.errors import ModelUnavailableError

    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)
    hosted = Settings(hosted=True)
    with pytest.raises(ModelUnavailableError, match=r"'e5-mistral-7b-instruct' needs a GPU with about 15 GB .*"
                                                    r"presets that run here: smollm2-135m-instruct, all-minilm-l6-v2"):
        hosted.check_model("e5-mistral-7b-instruct")  # this test runs as on a CPU-only machine
    assert hosted.check_model("all-minilm-l6-v2") == "all-minilm-l6-v2"
    monkeypatch.setattr("embedlab.availability.hub_reachable", lambda: True)  # its weights can be fetched
    assert Settings().check_model("e5-mistral-7b-instruct") == "e5-mistral-7b-instruct"  # one's own machine: tried
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    assert hosted.check_model("e5-mistral-7b-instruct") == "e5-mistral-7b-instruct"  # ZeroGPU: placed at start-up


def test_the_pair_limit_is_higher_outside_hosted_mode(monkeypatch):
    from embedlab.settings import LOCAL_MAX_PAIRS, MAX_PAIRS

    monkeypatch.delenv("EMBEDLAB_MAX_PAIRS", raising=False)
    monkeypatch.setenv("EMBEDLAB_HOSTED", "0")
    assert Settings.from_env().max_pairs == LOCAL_MAX_PAIRS > MAX_PAIRS
    monkeypatch.setenv("EMBEDLAB_HOSTED", "1")
    assert Settings.from_env().max_pairs == MAX_PAIRS
    monkeypatch.setenv("EMBEDLAB_MAX_PAIRS", "7")
    assert Settings.from_env().max_pairs == 7  # said outright, it holds hosted or not
    assert Settings().max_pairs == LOCAL_MAX_PAIRS and Settings(hosted=True).max_pairs == MAX_PAIRS


def test_outside_hosted_mode_uploads_fit_a_30000_pair_vectors_file(tmp_path, monkeypatch):
    rows = np.zeros((30_000, 384), dtype=np.float32)  # all-minilm-l6-v2's dimension
    np.savez(tmp_path / "vectors.npz", questions=rows, answers=rows)
    size = (tmp_path / "vectors.npz").stat().st_size
    assert Settings().max_upload_bytes >= size > Settings(hosted=True).max_upload_bytes == 5 * 2**20
    monkeypatch.setenv("EMBEDLAB_HOSTED", "1")
    assert Settings.from_env().max_upload_bytes == 5 * 2**20  # hosted limits stay
    monkeypatch.setenv("EMBEDLAB_HOSTED", "0")
    assert Settings.from_env().max_upload_bytes >= size
