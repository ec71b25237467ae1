"""The rules conftest.py sets for every test: CPU only unless marked `cuda`, and a fast lane that
cannot load the offline pack or start the app (each refusal is checked here without loading anything)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import conftest
from embedlab.presets import PRESETS

Failed = pytest.fail.Exception


def test_tests_run_as_on_a_cpu_only_machine():
    import torch

    from embedlab import devices
    from embedlab.devices import choose_device

    assert not torch.cuda.is_available() and torch.cuda.device_count() == 0
    assert not torch.backends.mps.is_available()
    assert choose_device() == "cpu" and choose_device("auto") == "cpu"
    if hasattr(devices, "offered"):
        assert devices.offered() == ["auto", "cpu"]
    assert os.environ["CUDA_VISIBLE_DEVICES"] == ""  # for the processes a test starts


@pytest.mark.cuda
def test_a_cuda_test_sees_the_real_gpu():
    import torch

    assert torch.cuda.is_available()  # only runs where there is one


@pytest.mark.parametrize("name", [name for name, preset in PRESETS.items() if preset.package])
def test_the_fast_lane_refuses_to_load_the_offline_pack(name):
    from transformers import AutoModel, PreTrainedModel

    location = PRESETS[name].local_path()
    if location is None:
        pytest.skip(f"the package of {name} is not installed")
    folder, gguf = (location.parent, {"gguf_file": location.name}) if location.is_file() else (location, {})
    with pytest.raises(Failed, match="loads the offline pack"):  # every model class, before it reads a byte
        PreTrainedModel.from_pretrained(str(folder), **gguf)
    with pytest.raises(Failed, match="loads the offline pack"):  # by Hub id too
        PreTrainedModel.from_pretrained(PRESETS[name].hub_id)
    if not gguf:  # the Auto classes go through it (with a GGUF file they first parse it all: seconds)
        with pytest.raises(Failed, match="loads the offline pack"):
            AutoModel.from_pretrained(str(folder))


def test_the_fast_lane_loads_tiny_models(tmp_path):
    from tests.support import tinymodels
    from transformers import AutoModel

    assert AutoModel.from_pretrained(tinymodels.bert_sentence_transformer(tmp_path / "bert")) is not None


def test_the_fast_lane_refuses_to_start_the_app(tmp_path):
    with pytest.raises(Failed, match="starts the app"):
        subprocess.Popen([sys.executable, "app.py"], cwd=tmp_path)
    assert subprocess.run([sys.executable, "-c", "print('other processes run')"], capture_output=True,
                          text=True).stdout == "other processes run\n"


def test_the_fast_lane_finds_what_a_started_process_loaded(tmp_path):
    conftest._GUARD.check_cache_folder(tmp_path, "clean")  # an empty cache folder passes
    (tmp_path / "converted").mkdir()
    with pytest.raises(Failed, match="converted the GGUF preset"):
        conftest._GUARD.check_cache_folder(tmp_path, "converted")
    (tmp_path / "converted").rmdir()
    roots = conftest._GUARD.roots()
    if not roots:
        pytest.skip("the offline pack is not installed")
    (tmp_path / "fingerprints.json").write_text('{"%s/model.safetensors": {}}' % roots[-1])
    with pytest.raises(Failed, match="hashed or loaded the offline pack"):
        conftest._GUARD.check_cache_folder(tmp_path, "hashed")
