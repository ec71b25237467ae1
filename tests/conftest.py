"""Shared fixtures: every cache and Hugging Face folder points into pytest's temporary folders,
tiny random models are built from configs, and the offline pack is loaded once per session."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def session_cache_dir(tmp_path_factory):
    """One EmbedLab cache folder for the session, so the GGUF model is converted once."""
    return tmp_path_factory.mktemp("embedlab-cache")


@pytest.fixture(autouse=True)
def _isolated_dirs(monkeypatch, session_cache_dir, tmp_path_factory):
    monkeypatch.setenv("EMBEDLAB_CACHE_DIR", str(session_cache_dir))
    hf = tmp_path_factory.getbasetemp() / "hf-home"
    monkeypatch.setenv("HF_HOME", str(hf))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def offline_registry(session_cache_dir):
    """The offline pair, loaded once for every test that needs real models."""
    os.environ["EMBEDLAB_CACHE_DIR"] = str(session_cache_dir)
    from embedlab.registry import ModelRegistry

    return ModelRegistry(max_models=4)


@pytest.fixture(scope="session")
def smollm2(offline_registry):
    return offline_registry.get("smollm2-135m-instruct")


@pytest.fixture(scope="session")
def minilm(offline_registry):
    return offline_registry.get("all-minilm-l6-v2")


@pytest.fixture(scope="module")
def app_server(session_cache_dir, tmp_path_factory):
    """The real dashboard (`python app.py`) on a free port, shared by one module's browser or API tests."""
    from apphelpers import running_app

    with running_app(session_cache_dir, tmp_path_factory.mktemp("app")) as url:
        yield url
