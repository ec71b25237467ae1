"""Fast mode (int8 on the CPU): what it swaps, what it leaves, and that it keeps a real pair set's ranking."""

from pathlib import Path

import numpy as np
import pytest
from torch import nn

import tinymodels
from embedlab import fastmode
from embedlab.embedding import embed
from embedlab.errors import DeviceError
from embedlab.loading import load
from embedlab.metrics import cos_sim
from embedlab.pairs import read_pairs

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def _spearman(a, b):
    rank = lambda x: np.argsort(np.argsort(x.ravel())).astype(float)  # noqa: E731 - no ties in float similarities
    return float(np.corrcoef(rank(a), rank(b))[0, 1])


def test_fast_mode_swaps_linear_layers_and_fuses_gelu(tmp_path):
    folder = str(tinymodels.bert_sentence_transformer(tmp_path / "bert"))
    fast = load(folder, fast=True)
    assert fast.dtype == fastmode.DTYPE_NAME and fast.info["fast"] and fast.info["parameters"] > 0
    layer = fast.model.encoder.layer[0]
    assert not any(isinstance(m, nn.Linear) for m in fast.model.encoder.modules())
    assert layer.intermediate.dense.post == "gelu" and isinstance(layer.intermediate.intermediate_act_fn, nn.Identity)
    exact = load(folder)
    texts = ["What is GPU?", "OpenAI is based at San Francisco."]
    a, b = (embed(x, texts, method="native").vectors for x in (exact, fast))
    assert (a * b).sum(axis=1).min() > 0.9  # normalised vectors, close to the exact ones


def test_fast_mode_keeps_the_lm_head_in_float32(tmp_path):
    llama = load(str(tinymodels.llama_causal(tmp_path / "llama")), fast=True)
    assert isinstance(llama.head, nn.Linear) and llama.head is llama.model.get_output_embeddings()
    assert isinstance(llama.model.model.layers[0].mlp.up_proj, fastmode.Int8Linear)
    assert np.isfinite(embed(llama, ["What is GPU?"], method="logits").vectors).all()


def test_fast_mode_refuses_a_gpu():
    with pytest.raises(DeviceError, match="CPU only"):
        fastmode.check_supported("cuda")


@pytest.mark.slow
def test_fast_mode_keeps_the_ranking_of_qa_100(minilm, offline_registry):
    fast = load("all-minilm-l6-v2", fast=True)
    pairs = read_pairs(ASSETS / "qa-100.csv")
    texts = [p.question for p in pairs] + [p.answer for p in pairs]
    n = len(pairs)
    exact_vectors, fast_vectors = embed(minilm, texts).vectors, embed(fast, texts).vectors
    exact, quick = cos_sim(exact_vectors[:n], exact_vectors[n:]), cos_sim(fast_vectors[:n], fast_vectors[n:])
    assert _spearman(exact, quick) >= 0.99
    assert (quick.argmax(axis=1) == exact.argmax(axis=1)).mean() >= 0.98
