"""Fast mode (int8 on the CPU): what it swaps, what it leaves, and that it keeps a real pair set's ranking."""

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from tests.support import tinymodels
from tests.support.ranks import spearman
from embedlab import fastmode
from embedlab.embedding import embed
from embedlab.errors import DeviceError
from embedlab.loading import load
from embedlab.metrics import cos_sim
from embedlab.pairs import read_pairs

ASSETS = Path(__file__).resolve().parents[2] / "assets"


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


def test_quantised_activation_codes_are_within_half_a_step_of_each_row():
    x = torch.randn(64, 48) * 3 + 1
    x[5] *= 40  # an outlier token: its range must not coarsen the other rows' codes
    codes, scale, low = fastmode.quantize_activations(x, act_max=255)
    assert codes.dtype == torch.uint8 and codes.shape == x.shape and scale.shape == low.shape == (64,)
    restored = low[:, None] + scale[:, None] * codes.float()
    assert ((restored - x).abs() <= scale[:, None] / 2 + 1e-5).all()
    assert scale[5] > 20 * scale[4]
    codes7, _, _ = fastmode.quantize_activations(x, act_max=127)
    assert int(codes7.max()) == 127


def test_kernel_path_sums_exactly_at_its_extreme_codes(record_property):
    """The path chosen on this CPU: the int8 product is exact at its largest codes (and on random codes at a
    real layer's shape), and the next wider range is not, else fast mode would not have narrowed it."""
    path = fastmode.kernel_path()
    print(f"\nfast mode kernel path on this CPU: {path.name} (u8 0..{path.act_max} x s8 +-{path.weight_max}), "
          f"cpuinfo advertises VNNI: {fastmode.has_vnni()}")
    record_property("kernel_path", path.name)
    assert fastmode._exact_at(path), path.name
    if path is not fastmode.VNNI:
        assert not fastmode._exact_at(fastmode.VNNI), path.name
    torch.manual_seed(0)
    codes = torch.randint(0, path.act_max + 1, (300, 384), dtype=torch.uint8)
    weight = torch.randint(-path.weight_max, path.weight_max + 1, (1152, 384), dtype=torch.int8)
    y = torch.ops.onednn.qlinear_pointwise(codes, 1.0, 0, torch.ops.onednn.qlinear_prepack(weight, None),
                                           torch.ones(1152), torch.zeros(1152, dtype=torch.long), None, 1.0, 0,
                                           torch.float32, "none", [], "none")
    assert torch.equal(y.double(), codes.double() @ weight.double().T), path.name


@pytest.mark.parametrize("exact, expected", [
    ((fastmode.VNNI, fastmode.AVX2, fastmode.NARROW), fastmode.VNNI),
    ((fastmode.AVX2, fastmode.NARROW), fastmode.AVX2),  # saturating 16-bit pair sums: 7-bit weights first
    ((fastmode.NARROW,), fastmode.NARROW),
    ((), None),
], ids=["vnni", "avx2", "avx2-7-bit-activations", "none-refused"])
def test_kernel_path_is_the_widest_range_the_product_sums_exactly(monkeypatch, exact, expected):
    """The rule, on CPUs this machine may not be: each case says which code ranges the product sums exactly."""
    monkeypatch.setattr(fastmode, "_exact_at", lambda path: path in exact)
    fastmode.kernel_path.cache_clear()
    try:
        if expected is None:
            with pytest.raises(DeviceError, match="not exact even with 7-bit codes"):
                fastmode.check_supported("cpu")
        else:
            assert fastmode.kernel_path() is expected
    finally:
        fastmode.kernel_path.cache_clear()


def test_an_outlier_row_gets_its_own_range_and_leaves_the_others_theirs():
    torch.manual_seed(0)
    linear = nn.Linear(48, 20)
    x = torch.randn(64, 48)
    x[5] *= 40  # one token with activations far larger than the rest, as [CLS] or [SEP] in BERT
    layer = fastmode.Int8Linear(linear)
    with torch.inference_mode():
        exact, quick = linear(x), layer(x)
        error = (quick - exact).norm(dim=1) / exact.norm(dim=1)
        assert error.max() < 0.03  # every row, the outlier included, close to exact
        shared = layer(torch.cat([x[:5], x[6:]]))  # without the outlier the others come out nearly the same
        torch.testing.assert_close(torch.cat([quick[:5], quick[6:]]), shared, rtol=0.02, atol=0.02)


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
def test_fast_mode_keeps_the_ranking_of_qa_100(minilm, offline_registry, record_property):
    path = fastmode.kernel_path().name
    print(f"\nfast mode kernel path checked: {path}")
    record_property("kernel_path", path)
    fast = load("all-minilm-l6-v2", fast=True)
    pairs = read_pairs(ASSETS / "qa-100.csv")
    texts = [p.question for p in pairs] + [p.answer for p in pairs]
    n = len(pairs)
    exact_vectors, fast_vectors = embed(minilm, texts).vectors, embed(fast, texts).vectors
    exact, quick = cos_sim(exact_vectors[:n], exact_vectors[n:]), cos_sim(fast_vectors[:n], fast_vectors[n:])
    rho, top1 = spearman(exact, quick), (quick.argmax(axis=1) == exact.argmax(axis=1)).mean()
    print(f"kernel path {path}: Spearman {rho:.4f}, top-1 agreement {top1:.2f}")
    assert rho >= 0.99, f"kernel path {path}: Spearman {rho:.4f} < 0.99"
    assert top1 >= 0.98, f"kernel path {path}: top-1 agreement {top1:.2f} < 0.98"
