"""The offline pair for real: the original experiment's finding, and the engine against reference code."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from sentence_transformers import SentenceTransformer

from embedlab.cache import EmbeddingCache
from embedlab.sides import SideSpec
from embedlab.embedding import embed
from embedlab.methods import Role, valid_methods
from embedlab.pairs import Pair, read_pairs
from embedlab.presets import PRESETS
from embedlab.session import Session

pytestmark = pytest.mark.slow
ASSETS = Path(__file__).resolve().parents[2] / "assets"
SEED = json.loads((ASSETS / "seed-experiment.json").read_text())
SEED_PAIRS = [Pair(q, a) for q, a in zip(SEED["questions"], SEED["answers"])]


def test_original_experiment_finding(offline_registry, tmp_path):
    session = Session(cache=EmbeddingCache(tmp_path), registry=offline_registry)
    result = session.compare(SEED_PAIRS, "smollm2-135m-instruct", "all-minilm-l6-v2").to_json()
    base, emb = result["results"]["base"], result["results"]["embed"]
    assert (base["method"], emb["method"]) == ("logits", "native")
    assert base["dim"] == 49152 and emb["dim"] == 384
    assert emb["metrics"]["margin"] > base["metrics"]["margin"] + 0.3
    assert emb["metrics"]["top1"] == 1.0 and emb["metrics"]["auc"] == 1.0
    # a raw GPT scores every pair about the same: the spread of its four scores is small
    assert np.ptp(base["similarity"]) < 0.2
    again = session.compare(SEED_PAIRS, "smollm2-135m-instruct", "all-minilm-l6-v2").to_json()
    assert [r["computed"] for r in again["results"].values()] == [0, 0]
    assert [r["cached"] for r in again["results"].values()] == [4, 4]
    assert again["results"]["base"]["similarity"] == base["similarity"]


def test_second_run_does_not_call_the_model(offline_registry, tmp_path, monkeypatch):
    backend = offline_registry.get("all-minilm-l6-v2")
    texts = [p.question for p in SEED_PAIRS]
    embed(backend, texts, cache=EmbeddingCache(tmp_path))

    def fail(*args, **kwargs):
        raise AssertionError("the model was called")

    monkeypatch.setattr(backend, "embed_batch", fail)
    again = embed(backend, texts, cache=EmbeddingCache(tmp_path))
    assert again.cached == 2 and again.computed == 0


def test_native_equals_sentence_transformers_encode(minilm):
    pairs = read_pairs(ASSETS / "qa-100.csv")
    texts = [p.question for p in pairs[:40]] + [p.answer for p in pairs[:40]] + ["word " * 400]
    ours = embed(minilm, texts, method="native").vectors
    reference = SentenceTransformer(str(PRESETS["all-minilm-l6-v2"].local_path()), device="cpu").encode(texts)
    np.testing.assert_allclose(ours, reference, atol=1e-5)


def test_logits_equal_the_original_experiment_code(smollm2):
    ours = embed(smollm2, SEED["questions"] + SEED["answers"], method="logits").vectors
    for text, vector in zip(SEED["questions"] + SEED["answers"], ours):
        inputs = smollm2.tokenizer.apply_chat_template([{"role": "user", "content": text}], add_generation_prompt=False,
                                                       return_tensors="pt", return_dict=True)
        with torch.no_grad():
            reference = smollm2.model(**inputs).logits[0, -1]
        np.testing.assert_allclose(vector, reference.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", ["smollm2-135m-instruct", "all-minilm-l6-v2"])
def test_every_method_batched_equals_one_by_one(offline_registry, name):
    backend = offline_registry.get(name)
    pairs = read_pairs(ASSETS / "examples-30.csv")[:4]
    texts = [p.question for p in pairs] + [p.answer for p in pairs]
    roles = [Role.QUERY] * 4 + [Role.PASSAGE] * 4
    for method in valid_methods(backend.traits):
        together = embed(backend, texts, roles, method).vectors
        alone = np.concatenate([embed(backend, [t], [r], method).vectors for t, r in zip(texts, roles)])
        scale = np.abs(alone).max()
        np.testing.assert_allclose(together, alone, atol=2e-5 * max(1.0, scale), err_msg=method)


def test_second_start_loads_the_converted_gguf_without_converting_again(offline_registry, monkeypatch):
    """The GGUF file is dequantised once; a second load reads the converted safetensors copy (counted, not
    timed: a wall-clock bound fails on a busy machine and passes without checking anything on a fast one)."""
    from transformers import AutoModelForCausalLM

    from embedlab.loading import load

    offline_registry.get("smollm2-135m-instruct")  # converted by now
    calls = []
    original = AutoModelForCausalLM.from_pretrained.__func__

    def recording(cls, *args, **kwargs):
        calls.append(kwargs.get("gguf_file"))
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(AutoModelForCausalLM, "from_pretrained", classmethod(recording))
    backend = load("smollm2-135m-instruct")
    assert backend.info["source"] == "gguf"
    assert calls == [None]  # one load, of the converted folder, and no GGUF read


def test_truncation_is_reported_for_cached_texts_too(minilm, tmp_path):
    long = " ".join(["The graphics processing unit renders images."] * 100)
    cache = EmbeddingCache(tmp_path)
    first = embed(minilm, [long, "short"], cache=cache)
    again = embed(minilm, [long, "short"], cache=cache)
    assert (first.truncated, first.computed) == (1, 2)
    assert (again.truncated, again.computed) == (1, 0)


def test_the_readme_python_api_runs_on_the_default_session(smollm2, session_cache_dir):
    """`embedlab.compare_pairs` with no session makes the process's default one (it once deadlocked there)."""
    code = ("import json, embedlab; pairs = embedlab.read_pairs('assets/original-experiment.csv'); "
            "r = embedlab.compare_pairs(pairs, base='smollm2-135m-instruct', embed='all-minilm-l6-v2'); "
            "print(json.dumps(r.sides['embed'].metrics.as_dict()))")
    env = {**os.environ, "EMBEDLAB_CACHE_DIR": str(session_cache_dir), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ASSETS.parent, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    metrics = json.loads(done.stdout.strip().splitlines()[-1])
    assert metrics["top1"] == 1.0 and metrics["auc"] == 1.0
