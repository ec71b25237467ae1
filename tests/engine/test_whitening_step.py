"""The verdict's sentence on geometry and training (`analysis/whitening_step.py`): a raw GPT side whitened
and set beside the embedding model. Its numbers against vectors computed one text at a time with
`output_hidden_states` on a tiny random model, whitened in plain NumPy from the covariance (ddof 1), AUC
counted pair by pair; the share of the gap from those AUCs; the CLI table, the JSON and the page saying
the same words; and the cases where there is nothing to say."""

import html
from types import SimpleNamespace

import numpy as np
import pytest

from tests.support import tinymodels
from embedlab.analysis.intervals import MIN_PAIRS
from embedlab.analysis.post import WHITEN_DIMS
from embedlab.analysis import whitening_step
from embedlab.analysis.whitening_step import measure_step, step_words
from embedlab.cache import EmbeddingCache
from embedlab.comparison import Comparison, side_result
from embedlab.dashboard.views import verdict_html
from embedlab.embedding import Embedded
from embedlab.loading import load
from embedlab.methods import Role
from embedlab.pairs import Pair
from embedlab.prompts import Options
from embedlab.registry import ModelRegistry
from embedlab.report import table
from embedlab.session import Session
from embedlab.sides import SideSpec
from test_layers import reference
from test_post import whitened_by_hand
from test_tuning import auc_by_hand

PAIRS = [Pair(f"Question {i}: what is topic {i % 4} like?", f"Answer {i}: topic {i % 4} is like this.")
         for i in range(16)]
N = len(PAIRS)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("whitening-step")
    return str(tinymodels.llama_causal(folder / "llama")), str(tinymodels.bert_sentence_transformer(folder / "bert"))


@pytest.fixture(scope="module")
def by_hand(models):
    """The llama's mean-pooled last layer, one text at a time, and those vectors whitened with the default K."""
    backend = load(models[0])
    texts = [(p.question, Role.QUERY) for p in PAIRS] + [(p.answer, Role.PASSAGE) for p in PAIRS]
    raw = np.stack([reference(backend, t, r, "mean", backend.layers) for t, r in texts]).astype(np.float64)
    k = min(WHITEN_DIMS, len(raw) // 2, raw.shape[1])  # post.whiten_dims's default rule
    return raw, whitened_by_hand(raw, k), k


def session() -> Session:
    return Session(cache=EmbeddingCache(use_disk=False), registry=ModelRegistry(loader=load))


def test_the_sentence_numbers_equal_numpy_whitening_and_aucs_by_hand(models, by_hand):
    raw, white, k = by_hand
    result = session().compare(PAIRS, SideSpec(models[0], "mean"), SideSpec(models[1], "native")).with_intervals()
    step = result.whitened
    assert (step.gpt, step.embed, step.dims, step.texts) == ("base", "embed", k, 2 * N)
    raw_auc, white_auc = auc_by_hand(raw[:N], raw[N:]), auc_by_hand(white[:N], white[N:])
    assert step.metrics.auc == pytest.approx(white_auc, abs=1e-6)
    assert result.sides["base"].metrics.auc == pytest.approx(raw_auc, abs=1e-6)
    words = step_words(result)
    assert words.startswith(f"Whitened without labels ({k} directions, fitted on these {2 * N} texts), ")
    assert f"(mean) goes from AUC {raw_auc:.2f} to {white_auc:.2f}" in words
    assert "transductive" in words and "python -m embedlab explain" in words
    # one source: the JSON, the CLI table and the page say the same words
    data = result.to_json()["geometry_vs_training"]
    assert data["words"] == words and data["whiten_dims"] == k and data["post"] == "whiten"
    assert data["auc"]["raw"] == pytest.approx(raw_auc, abs=1e-6) and data["auc"]["whitened"] == pytest.approx(white_auc, abs=1e-6)
    assert words in table(result).splitlines()
    assert f'<p class="verdict-geometry">{html.escape(words)}</p>' in verdict_html(result.without_vectors())
    # before the intervals: the AUCs already, the share later
    assert "the share of the gap follows with the intervals" in step_words(result.pending())


def test_the_share_of_the_gap_equals_the_aucs_by_hand(by_hand):
    """A clearly better embedding model (a preset's name on vectors made to match) against the GPT's vectors."""
    raw, white, k = by_hand
    rng = np.random.default_rng(1)
    q = rng.normal(size=(N, 8))
    good = np.concatenate([q, q + 0.2 * rng.normal(size=q.shape)]).astype(np.float32)

    def side(model: str, method: str, vectors: np.ndarray):
        source = SimpleNamespace(name=model, device="cpu", dtype="float32")
        return side_result(source, Embedded(vectors.astype(np.float32), method, Options(), 0, len(vectors), 0, 0.0), N)

    sides = {"gpt": side("some-gpt", "mean", raw), "minilm": side("all-minilm-l6-v2", "native", good)}
    result = Comparison(tuple(PAIRS), sides, whitened=measure_step(sides, N))
    aucs = {"raw": auc_by_hand(raw[:N], raw[N:]), "white": auc_by_hand(white[:N], white[N:]),
            "embed": auc_by_hand(good[:N], good[N:])}
    share = (aucs["white"] - aucs["raw"]) / (aucs["embed"] - aucs["raw"])
    found, key = result.whitened_gap
    assert found.clear and found.closed[key].share == pytest.approx(share, abs=1e-6)
    words = step_words(result)
    assert f", {share:.0%} [" in words and f"of the way to all-minilm-l6-v2 (native) at {aucs['embed']:.2f}" in words
    assert ("the rest is what contrastive training adds" in words) == (0 <= share < 1)
    assert result.to_json()["geometry_vs_training"]["gap"]["closed"]["whitening"]["share"] == pytest.approx(share, abs=1e-6)


def test_no_sentence_without_a_raw_gpt_and_an_embedding_model(models, monkeypatch):
    llama, bert = models
    cases = {"the GPT side is whitened already": [SideSpec(llama, "mean", Options(post="whiten"), "base"),
                                                  SideSpec(bert, "native", name="embed")],
             "two GPT sides": [SideSpec(llama, "mean", name="a"), SideSpec(llama, "last-token", name="b")],
             "no GPT side": [SideSpec(bert, "native", name="a"), SideSpec(bert, "mean", Options(post="center"), "b")]}
    for why, sides in cases.items():
        result = session().compare(PAIRS, sides=sides)
        assert result.whitened is None and step_words(result) == "", why
        assert result.to_json()["geometry_vs_training"] is None, why
    # a centred or whitened GPT beside the raw one: the raw one is whitened
    mixed = session().compare(PAIRS, sides=[SideSpec(llama, "mean", Options(post="center"), "c"),
                                            SideSpec(llama, "mean", name="raw"), SideSpec(bert, "native", name="e")])
    assert mixed.whitened.gpt == "raw"
    monkeypatch.setattr(whitening_step, "CHEAP", 2 * N * 32 * 32 - 1)  # just under this SVD's size (dim 32)
    assert session().compare(PAIRS, SideSpec(llama, "mean"), SideSpec(bert, "native")).whitened is None


def test_no_sentence_below_the_pairs_an_interval_needs(models):
    llama, bert = models
    few = PAIRS[:MIN_PAIRS - 1]
    assert session().compare(few, SideSpec(llama, "mean"), SideSpec(bert, "native")).whitened is None
    assert session().compare(PAIRS[:MIN_PAIRS], SideSpec(llama, "mean"), SideSpec(bert, "native")).whitened is not None
