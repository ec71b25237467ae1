"""`explain`: the base GPT raw, centred, whitened and at its best layer beside an embedding model, on a
tiny random model, against vectors computed one text at a time with `output_hidden_states`, centred and
whitened in plain NumPy, AUC counted pair by pair; the gap shares from those AUCs; the CLI and its JSON."""

import json
from pathlib import Path

import numpy as np
import pytest

from tests.support import tinymodels
from embedlab.analysis.explain import EMBED, explain
from embedlab.analysis.explain_report import explain_json, story
from embedlab.cache import EmbeddingCache
from embedlab.cli import main
from embedlab.loading import load
from embedlab.methods import Role
from embedlab.pairs import read_pairs
from embedlab.registry import ModelRegistry
from embedlab.session import Session
from test_layers import reference
from test_post import whitened_by_hand
from test_tuning import auc_by_hand

ROOT = Path(__file__).resolve().parents[2]
PAIRS = read_pairs(ROOT / "assets" / "examples-30.csv")[:20]

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explain")
    llama = tinymodels.llama_causal(folder / "llama")
    rng = np.random.default_rng(0)
    q = rng.normal(size=(len(PAIRS), 16))
    np.savez(folder / "good.npz", questions=q, answers=q + 0.3 * rng.normal(size=q.shape))  # a clearly better side
    return str(llama), f"vectors:{folder / 'good.npz'}", folder


def by_hand(llama: str, layer: int) -> np.ndarray:
    """[2n, dim]: questions then answers, each one forward pass with output_hidden_states, mean-pooled."""
    backend = load(llama)
    texts = [(p.question, Role.QUERY) for p in PAIRS] + [(p.answer, Role.PASSAGE) for p in PAIRS]
    return np.stack([reference(backend, t, r, "mean", layer, True) for t, r in texts]).astype(np.float64)


def cosines(v: np.ndarray) -> np.ndarray:
    q, a = v[:len(PAIRS)], v[len(PAIRS):]
    return (q / np.linalg.norm(q, axis=1, keepdims=True)) @ (a / np.linalg.norm(a, axis=1, keepdims=True)).T


def auc(v: np.ndarray) -> float:
    return auc_by_hand(v[:len(PAIRS)], v[len(PAIRS):])


def test_each_way_and_each_share_equal_numpy_one_text_at_a_time(setup):
    llama, good, _ = setup
    session = Session(cache=EmbeddingCache(use_disk=False), registry=ModelRegistry(loader=load))
    e = explain(session, PAIRS, llama, good, "mean")
    layers = [by_hand(llama, k) for k in range(e.sweep.layers + 1)]
    raw = layers[-1]
    k = min(64, len(raw) // 2, raw.shape[1])  # whitening's default K over the 2n texts
    margins = [np.mean(np.diag(c)) - np.mean(c[~np.eye(len(c), dtype=bool)]) for c in map(cosines, layers)]
    best = max(range(len(layers)), key=lambda i: (round(auc(layers[i]), 12), margins[i]))
    expected = {"raw": auc(raw), "centred": auc(raw - raw.mean(axis=0)), "whitened": auc(whitened_by_hand(raw, k)),
                f"layer {best}": auc(layers[best]), f"layer {best}, whitened": auc(whitened_by_hand(layers[best], k))}
    rng_vectors = np.load(good.removeprefix("vectors:"))
    expected[EMBED] = auc_by_hand(rng_vectors["questions"], rng_vectors["answers"])
    assert e.best_layer == best and list(e.comparison.sides) == list(expected)
    for name, value in expected.items():
        assert e.comparison.sides[name].metrics.auc == pytest.approx(value, abs=1e-6), name
    assert e.gap.clear  # the vectors side is far ahead of a tiny random model
    for name in list(expected)[1:-1]:
        share = (expected[name] - expected["raw"]) / (expected[EMBED] - expected["raw"])
        assert e.gap.closed[name].share == pytest.approx(share, abs=1e-6), name
    words = story(e)
    assert words.startswith(f"The embedding model is {expected[EMBED] - expected['raw']:.3f} [")
    assert f"whitening closes {e.gap.closed['whitened'].words()}" in words and "transductive" in words
    assert f"the best layer ({best} of {e.sweep.layers}, chosen on these pairs) closes" in words
    assert "whitening at that layer closes" in words
    left = 1 - max(c.share for c in e.gap.closed.values())
    assert (f"leaves {left:.0%} of the gap: that is what contrastive training" in words) == (left > 0)


def test_the_cli_prints_the_table_and_the_story_and_writes_json(setup, capsys):
    llama, good, folder = setup
    out = folder / "explain.json"
    (folder / "pairs.json").write_text(json.dumps([p.as_dict() for p in PAIRS]))
    assert main(["explain", str(folder / "pairs.json"), "--base", llama, "--embed", good, "--no-cache",
                 "--resamples", "200", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["method"] == "mean" and data["pairs"] == 20 and data["layers"] == 2  # mean: llama's default reads no layer
    assert list(data["steps"]) == ["raw", "centred", "whitened", f"layer {data['best_layer']}",
                                   f"layer {data['best_layer']}, whitened", "embedding model"]
    assert data["words"] in printed
    assert data["steps"]["whitened"]["options"]["post"] == "whiten" and data["comparison"]["bootstrap"]["resamples"] == 200
    assert "40 question and answer texts" in data["fit"] and data["layer_sweep"]["methods"]["mean"]["best_layer"] == data["best_layer"]
    assert all(f"{s['auc']:.3f} [" in printed for s in data["steps"].values())


def test_a_wrong_embedding_method_is_one_line_before_any_model_runs(setup, capsys):
    llama, _, folder = setup
    assert main(["explain", str(ROOT / "assets" / "examples-30.csv"), "--base", llama, "--embed", llama,
                 "--embed-method", "native", "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: method 'native' does not apply to") and err.count("\n") == 1  # nothing embedded first
