"""The layer option, the sweep and whitening on the offline models (slow): SmolLM2's layers equal its
`hidden_states` one text at a time, a sweep's layers score as those do, and whitening MiniLM's and
SmolLM2's vectors scores as plain NumPy does."""

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
