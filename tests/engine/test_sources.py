"""One inspection of a model (configuration only) that every entry point checks methods against,
before any weights load."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import tinymodels
from embedlab import sources
from embedlab.cache import EmbeddingCache
from embedlab.sides import SideSpec
from embedlab.errors import MethodError
from embedlab.loading import load
from embedlab.registry import ModelRegistry
from embedlab.session import Session
from embedlab.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bert(tmp_path_factory):
    return tinymodels.bert_sentence_transformer(tmp_path_factory.mktemp("bert") / "bert")


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    return tinymodels.llama_causal(tmp_path_factory.mktemp("llama") / "llama")


def test_a_method_that_does_not_fit_fails_before_any_model_loads(bert, llama):
    """Seen before: `--embed-method logits` on an encoder loaded every model (48.7 s) to print one line."""
    loaded = []

    def loader(name, **kwargs):
        loaded.append(name)
        return load(name, **kwargs)

    session = Session(cache=EmbeddingCache(use_disk=False), registry=ModelRegistry(loader=loader))
    pairs = [{"question": "q", "answer": "a"}]
    with pytest.raises(MethodError, match="method 'logits' does not apply to .*; valid methods: last-token, mean, cls, native"):
        session.compare(pairs, str(llama), SideSpec(str(bert), "logits"))
    assert loaded == []
    with pytest.raises(MethodError):
        session.embed(str(bert), ["x"], "e5")
    assert loaded == []


def test_inspection_and_loading_agree_for_a_sentence_transformers_model_named_by_hub_id(bert, monkeypatch):
    """Seen before: the dashboard offered `mean` (its inspection skipped the Hub model's sentence-transformers
    files) while the CLI used `native`. Both read `sources.inspect` now; the Hub is stood in for by a folder."""
    from transformers import AutoConfig

    monkeypatch.setattr(sources, "read_config", lambda location, name, **_: AutoConfig.from_pretrained(bert))
    monkeypatch.setattr("huggingface_hub.snapshot_download", lambda repo_id, **_: str(bert))
    sources._hub_st_config.cache_clear()
    info = sources.inspect("org/tiny-sentence-model")
    assert info.source.kind == "hub" and info.default_method == "native" and "native" in info.methods
    from embedlab.dashboard.choices import method_choices

    offered, default, note = method_choices("org/tiny-sentence-model", Settings())
    assert (default, note) == ("native", "") and offered == info.methods
    sources._hub_st_config.cache_clear()


def test_gguf_files_are_causal_language_models_without_reading_them(tmp_path):
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"GGUF")
    info = sources.inspect(str(fake))
    assert info.default_method == "logits" and "native" not in info.methods


def test_the_dashboard_modules_import_neither_torch_nor_transformers():
    """The page is laid out and served before the engine's libraries are imported (see app.py)."""
    code = ("import sys; import embedlab, embedlab.dashboard.wiring, embedlab.dashboard.choices, "
            "embedlab.dashboard.tables, embedlab.dashboard.zerogpu, embedlab.session, embedlab.presets; "
            "embedlab.presets.default_pair(); "
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
