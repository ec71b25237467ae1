"""One settings rule for every entry point: limits from the environment everywhere, hosted mode by
itself only for the dashboard on Spaces."""

import subprocess
import sys
from pathlib import Path

import pytest

import embedlab
from embedlab.errors import DeviceError
from embedlab.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


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
