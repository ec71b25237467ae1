"""The layer option, the sweep and whitening on the offline models (slow): SmolLM2's layers equal its
`hidden_states` one text at a time, a sweep's layers score as those do, whitening MiniLM's and
SmolLM2's vectors scores as plain NumPy does, and the fine-tune lab's whitened baseline and gap shares
equal NumPy's on held-out pairs."""

import numpy as np
import pytest

from embedlab.analysis.layers import layer_sweep
from embedlab.cache import EmbeddingCache
from embedlab.comparison import compare_side
from embedlab.embedding import embed
from embedlab.metrics import cos_sim, score
from embedlab.pairs import read_pairs
from embedlab.prompts import Options
from embedlab.session import Session
from test_layers import reference
from test_post import whitened_by_hand

pytestmark = pytest.mark.slow
PAIRS = read_pairs("assets/examples-30.csv")[:8]


def test_smollm2_layers_equal_hidden_states_one_text_at_a_time(smollm2):
    texts = [p.question for p in PAIRS[:3]]
    for method, layer in (("mean", 0), ("mean", 10), ("last-token", 15), ("echo", -5)):
        chat = True if method != "echo" else None  # the chat template's shared system prompt: the prefix path
        smollm2._prefix = None
        ours = embed(smollm2, texts, method=method, options=Options(layer=layer, chat_template=chat)).vectors
        expected = np.stack([reference(smollm2, t, "passage", method, layer, chat) for t in texts])
        np.testing.assert_allclose(ours, expected, rtol=1e-3, atol=1e-4, err_msg=f"{method} layer {layer}")


def test_a_smollm2_sweep_scores_each_layer_as_that_layer_alone(smollm2, offline_registry):
    session = Session(cache=EmbeddingCache(use_disk=False), registry=offline_registry, device="cpu")
    swept = layer_sweep(session, PAIRS, "smollm2-135m-instruct", ["mean"])
    assert swept.layers == 30
    for layer in (0, 11, 30):
        alone = compare_side(smollm2, PAIRS, "mean", Options(layer=layer, chat_template=True))
        assert swept.metrics["mean"][layer].auc == pytest.approx(alone.metrics.auc, abs=1e-6)


@pytest.mark.parametrize("fixture,method", [("minilm", "native"), ("smollm2", "mean")])
def test_whitening_offline_vectors_equals_numpy(request, fixture, method):
    backend = request.getfixturevalue(fixture)
    raw = compare_side(backend, PAIRS, method)
    white = compare_side(backend, PAIRS, method, Options(post="whiten", whiten_dims=5))
    done = whitened_by_hand(raw.vectors.astype(np.float64), 5)
    n = len(PAIRS)
    np.testing.assert_allclose(white.similarity, cos_sim(done[:n], done[n:]), atol=1e-4)
    assert white.metrics.auc == pytest.approx(score(cos_sim(done[:n], done[n:])).auc, abs=1e-6)


@pytest.mark.timeout(1800)  # a real fine-tune, three passes over the held-out texts and sixty one at a time
def test_the_lab_on_smollm2_whitens_on_training_texts_and_shares_the_gap_to_minilm(smollm2, minilm, tmp_path):
    """The fine-tune lab's four held-out sides on the offline models: "whitened" is SmolLM2's held-out vectors
    (one text at a time) whitened in NumPy with a fit on the training texts only; the gap shares follow from
    AUCs counted pair by pair."""
    from embedlab.methods import Role
    from embedlab.tuning import TuneConfig, tune
    from test_tuning import auc_by_hand

    pairs = read_pairs("assets/examples-30.csv")
    config = TuneConfig(method="mean", steps=1, holdout=0.5, minutes=30)  # one step ends it; a busy CPU prepares slowly
    result = tune(pairs, "smollm2-135m-instruct", str(tmp_path / "tuned"), config)
    train, held = ([pairs[i] for i in ids] for ids in (result.split.train, result.split.heldout))
    one = lambda some: np.stack([reference(smollm2, t, r, "mean", -1) for p in some  # noqa: E731 - one text at a time
                                 for t, r in ((p.question, Role.QUERY), (p.answer, Role.PASSAGE))]).astype(np.float64)
    fitted = one(train)
    k = min(64, len(fitted) // 2)
    white = whitened_by_hand(one(held), k, fitted)
    assert result.whitened.options.whiten_dims == k
    np.testing.assert_allclose(result.whitened.similarity, cos_sim(white[0::2], white[1::2]), atol=2e-3)
    result = result.with_embedding(compare_side(minilm, held))
    auc = {key: auc_by_hand(*((side.vectors[:len(held)], side.vectors[len(held):]) if key != "whitened"
                              else (white[0::2], white[1::2]))) for key, side in result.sides.items()}
    for key, side in result.sides.items():
        assert side.metrics.auc == pytest.approx(auc[key], abs=2e-3), key
    assert result.gap.clear  # MiniLM is far ahead of raw SmolLM2 even on 15 held-out pairs
    for key in ("whitened", "after"):
        share = (auc[key] - auc["before"]) / (auc["embedding"] - auc["before"])
        assert result.gap.closed[key].share == pytest.approx(share, abs=0.02), key
    assert "whitening (fitted on the training texts, no labels) closes" in result.gap_words()
