"""Fast mode (int8 on the CPU): what it swaps, what it leaves, and that it keeps a real pair set's ranking."""

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import tinymodels
from benchmarks.timing import spearman
from embedlab import fastmode
from embedlab.embedding import embed
from embedlab.errors import DeviceError
from embedlab.loading import load
from embedlab.metrics import cos_sim
from embedlab.pairs import read_pairs

ASSETS = Path(__file__).resolve().parent.parent / "assets"


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
    assert isinstance(llama.model.model.layers[0].mlp.down_proj, fastmode.Int8Linear)
    assert np.isfinite(embed(llama, ["What is GPU?"], method="logits").vectors).all()


def test_merged_siblings_give_what_separate_int8_layers_give():
    torch.manual_seed(0)
    parent = nn.Module()
    for name, width in (("q_proj", 64), ("k_proj", 16), ("v_proj", 16)):
        setattr(parent, name, nn.Linear(32, width))
    separate = {name: fastmode.Int8Linear(getattr(parent, name)) for name in ("q_proj", "k_proj", "v_proj")}
    fastmode._merge_siblings(parent, head=None)
    assert isinstance(parent.k_proj, fastmode.Int8Slice) and isinstance(parent.merged_q_proj_k_proj_v_proj,
                                                                        fastmode.MergedLinear)
    x, other = torch.randn(3, 5, 32), torch.randn(3, 5, 32) * 4
    with torch.inference_mode():
        for name in ("q_proj", "k_proj", "v_proj"):  # the usual order: one merged product serves all three
            torch.testing.assert_close(getattr(parent, name)(x), separate[name](x), rtol=1e-5, atol=1e-5)
        assert parent.merged_q_proj_k_proj_v_proj._last is None  # nothing held once all three were served
        # a sibling called with another input than the one before it gets its own product, not a stale one
        torch.testing.assert_close(parent.q_proj(x), separate["q_proj"](x), rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(parent.k_proj(other), separate["k_proj"](other), rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(parent.v_proj(x), separate["v_proj"](x), rtol=1e-5, atol=1e-5)


def test_quantised_activation_codes_match_pytorch_dynamic_quantisation():
    x = torch.randn(64, 48) * 3 + 1
    codes, scale, zero = fastmode.quantize_activations(x, reduce_range=False)
    assert codes.dtype == torch.uint8 and codes.shape == x.shape
    restored = (codes.float() - zero) * scale
    assert (restored - x).abs().max() <= scale / 2 + 1e-6  # within half a step everywhere
    codes7, _, _ = fastmode.quantize_activations(x, reduce_range=True)
    assert int(codes7.max()) <= 127


def test_fast_mode_merges_gate_and_up_of_a_llama_mlp(tmp_path):
    folder = str(tinymodels.llama_causal(tmp_path / "llama"))
    exact, fast = load(folder), load(folder, fast=True)
    layer = fast.model.model.layers[0]
    assert isinstance(layer.mlp.gate_proj, fastmode.Int8Slice) and isinstance(layer.self_attn.v_proj, fastmode.Int8Slice)
    assert isinstance(layer.mlp.down_proj, fastmode.Int8Linear)
    texts = ["What is GPU?", "OpenAI is based at San Francisco.", "Which city is OpenAI based in?"]
    a, b = (embed(x, texts, method="last-token").vectors for x in (exact, fast))
    cosine = (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    assert cosine.min() > 0.9


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
    assert spearman(exact, quick) >= 0.99
    assert (quick.argmax(axis=1) == exact.argmax(axis=1)).mean() >= 0.98
