"""Shared-prefix reuse in the transformers backend: the prefix runs once and the vectors do not change."""

import numpy as np
import pytest
import torch

from tests.support import tinymodels
from embedlab.backends.transformers_backend import MIN_SHARED_PREFIX, shared_prefix
from embedlab.embedding import embed, resolve
from embedlab.loading import load
from embedlab.methods import Role
from embedlab.pooling import POOLING

START = "Instruct: Given a question, retrieve passages that answer the question Query: "
TEXTS = [START + t for t in ("What is GPU?", "Where is OpenAI?", "x", "The quick brown fox jumps over the lazy dog.")]


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    return load(str(tinymodels.llama_causal(tmp_path_factory.mktemp("prefix") / "llama")))


def test_shared_prefix_leaves_every_row_a_token_of_its_own():
    assert shared_prefix([[1, 2, 3, 4], [1, 2, 3, 5]]) == 3
    assert shared_prefix([[1, 2, 3], [1, 2, 3, 4]]) == 2
    assert shared_prefix([[7, 2], [8, 2]]) == 0


def _plain(backend, text, method):
    """The vector from one plain forward over the whole text, no prefix reuse, computed here."""
    m, options = resolve(backend, method, None)
    encoded = backend.prepare(text, Role.PASSAGE, m, options).encoded
    ids = torch.tensor([encoded.ids])
    with torch.inference_mode():
        hidden = backend.encoder(input_ids=ids).last_hidden_state
        mask = torch.zeros_like(ids)
        mask[0, encoded.pool_from:] = 1
        pooled = POOLING[m.pooling](hidden, mask)
        return (backend.head(pooled) if method == "logits" else pooled)[0].numpy()


@pytest.mark.parametrize("method", ["last-token", "mean", "echo", "logits"])
def test_batches_with_a_shared_prefix_equal_plain_forwards(llama, method):
    calls = []
    record = lambda module, args, kwargs, out: calls.append(kwargs["input_ids"].shape)  # noqa: E731
    hook = llama.encoder.register_forward_hook(record, with_kwargs=True)
    try:
        llama._prefix = None
        ours = embed(llama, TEXTS, method=method).vectors
    finally:
        hook.remove()
    m, options = resolve(llama, method, None)
    rows = [llama.prepare(t, Role.PASSAGE, m, options).encoded.ids for t in TEXTS]
    prefix = shared_prefix(rows)
    assert prefix >= MIN_SHARED_PREFIX
    assert calls[0] == (1, prefix) and calls[1][1] == max(map(len, rows)) - prefix  # the prefix ran once, alone
    reference = np.stack([_plain(llama, t, method) for t in TEXTS])
    np.testing.assert_allclose(ours, reference, rtol=1e-4, atol=1e-5)


def test_kept_prefix_serves_a_single_text_and_is_replaced_by_another(llama):
    llama._prefix = None
    embed(llama, TEXTS, method="last-token")
    kept = llama._prefix[0]
    text = START + "Something else entirely"
    alone = embed(llama, [text], method="last-token").vectors[0]
    assert llama._prefix[0] == kept  # reused, not recomputed
    np.testing.assert_allclose(alone, _plain(llama, text, "last-token"), rtol=1e-4, atol=1e-5)
    other = ["Rewrite the sentence: one", "Rewrite the sentence: two"]
    embed(llama, other, method="last-token")
    assert llama._prefix[0] != kept


def test_encoders_never_take_the_prefix_path(tmp_path):
    bert = load(str(tinymodels.bert_sentence_transformer(tmp_path / "bert")))
    assert bert.cache_arg is None and bert._prefix_length([[1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 7]]) == 0
