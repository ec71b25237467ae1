"""Every method on tiny random models of real shapes: batched equals one-by-one, the recipes are exact."""

import numpy as np
import pytest
import torch
from sentence_transformers import SentenceTransformer

from tests.support import tinymodels
from embedlab.embedding import embed, resolve
from embedlab.errors import MethodError
from embedlab.loading import load
from embedlab.methods import ECHO, Role, get_method, valid_methods
from embedlab.prompts import Options, encode

TEXTS = ["What is GPU?", "Where is the headquarter of OpenAI?", "OpenAI is based at San Francisco.", "x",
         "A graphics processing unit (GPU) is an electronic circuit that can perform mathematical calculations "
         "quickly, which is why the quick brown fox jumps over the lazy dog 0123456789 times.", "What is GPU?"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    return {
        "llama": load(str(tinymodels.llama_causal(root / "llama"))),
        "mistral": load(str(tinymodels.mistral_encoder(root / "mistral"))),
        "mistral-eos": load(str(tinymodels.mistral_encoder(root / "mistral-eos", append_eos=True))),
        "bert": load(str(tinymodels.bert_sentence_transformer(root / "bert"))),
    }


CASES = [(model, method) for model, methods in [
    ("llama", ["logits", "last-token", "mean", "e5", "prompteol", "echo"]),
    ("mistral", ["last-token", "mean", "e5", "prompteol", "echo"]),
    ("bert", ["native", "mean", "cls", "last-token"]),
] for method in methods]


def test_valid_methods_per_model(tiny):
    assert valid_methods(tiny["llama"].traits) == ["logits", "last-token", "mean", "e5", "prompteol", "echo"]
    assert valid_methods(tiny["mistral"].traits) == ["last-token", "mean", "e5", "prompteol", "echo"]
    assert valid_methods(tiny["bert"].traits) == ["last-token", "mean", "cls", "native"]
    assert tiny["llama"].default_method == "logits" and tiny["bert"].default_method == "native"


@pytest.mark.parametrize("model, method", CASES)
def test_batched_equals_one_by_one(tiny, model, method):
    backend = tiny[model]
    roles = [Role.QUERY, Role.QUERY, Role.PASSAGE, Role.PASSAGE, Role.PASSAGE, Role.PASSAGE]
    together = embed(backend, TEXTS, roles, method).vectors
    alone = np.concatenate([embed(backend, [t], [r], method).vectors for t, r in zip(TEXTS, roles)])
    assert together.shape[0] == len(TEXTS) and np.isfinite(together).all()
    np.testing.assert_allclose(together, alone, rtol=1e-4, atol=1e-5)


def test_logits_equal_the_original_experiment_code(tiny):
    backend = tiny["llama"]
    ours = embed(backend, TEXTS[:3], method="logits").vectors
    for text, vector in zip(TEXTS[:3], ours):
        inputs = backend.tokenizer.apply_chat_template([{"role": "user", "content": text}], add_generation_prompt=False,
                                                       return_tensors="pt", return_dict=True)
        with torch.no_grad():
            reference = backend.model(**inputs).logits[0, -1]
        np.testing.assert_allclose(vector, reference.numpy(), rtol=1e-4, atol=1e-5)
    assert ours.shape[1] == backend.model.config.vocab_size


def test_e5_appends_eos_exactly_once_whatever_the_tokenizer_does(tiny):
    plain, appending = tiny["mistral"], tiny["mistral-eos"]
    method = get_method("e5")
    eos = plain.tokenizer.eos_token_id
    assert appending.tokenizer("hi")["input_ids"][-1] == eos and plain.tokenizer("hi")["input_ids"][-1] != eos
    for role in Role:
        opts = Options().resolved(method, plain.max_length)
        a = encode(plain.tokenizer, TEXTS[0], method, opts, role).ids
        b = encode(appending.tokenizer, TEXTS[0], method, opts, role).ids
        assert a == b and a[-1] == eos and a[-2] != eos
    query = encode(plain.tokenizer, "What is GPU?", method, Options().resolved(method, 256), Role.QUERY)
    assert plain.tokenizer.decode(query.ids).startswith(
        "<s>Instruct: Given a question, retrieve passages that answer the question\nQuery: What is GPU?")
    # same weights (seeded), so the vectors agree too
    np.testing.assert_allclose(embed(plain, TEXTS, method="e5").vectors, embed(appending, TEXTS, method="e5").vectors,
                               rtol=1e-5, atol=1e-6)


def test_e5_truncation_keeps_the_eos(tiny):
    backend = tiny["mistral"]
    method = get_method("e5")
    enc = encode(backend.tokenizer, TEXTS[4], method, Options(max_length=8).resolved(method, 256))
    assert len(enc.ids) == 8 and enc.ids[-1] == backend.tokenizer.eos_token_id and enc.truncated


def test_echo_pools_over_the_second_copy_only(tiny):
    tok = tiny["llama"].tokenizer
    method = get_method("echo")
    text = "OpenAI is based at San Francisco."
    enc = encode(tok, text, method, Options().resolved(method, 256))
    assert tok.decode(enc.ids) == "<s>" + ECHO.format(text=text)
    assert tok.decode(enc.ids[enc.pool_from:]).strip() == text


def test_query_and_passage_differ_only_for_e5(tiny):
    backend = tiny["mistral"]
    q = embed(backend, ["What is GPU?"], [Role.QUERY], "e5").vectors
    p = embed(backend, ["What is GPU?"], [Role.PASSAGE], "e5").vectors
    assert not np.allclose(q, p)
    q = embed(backend, ["What is GPU?"], [Role.QUERY], "mean").vectors
    p = embed(backend, ["What is GPU?"], [Role.PASSAGE], "mean").vectors
    np.testing.assert_array_equal(q, p)


def test_chat_template_option(tiny):
    backend = tiny["llama"]
    with_chat = embed(backend, ["What is GPU?"], method="last-token", options=Options(chat_template=True)).vectors
    without = embed(backend, ["What is GPU?"], method="last-token").vectors
    assert not np.allclose(with_chat, without)
    assert resolve(backend, "logits", None)[1].chat_template is True
    assert resolve(backend, "mean", None)[1].chat_template is False
    assert resolve(backend, "e5", Options(chat_template=True))[1].chat_template is False  # not an e5 option


@pytest.mark.parametrize("pooling", ["mean", "cls", "max", "lasttoken"])
def test_native_equals_sentence_transformers_encode(tmp_path, pooling):
    folder = tinymodels.bert_sentence_transformer(tmp_path / pooling, pooling=pooling, normalize=pooling != "max")
    ours = embed(load(str(folder)), TEXTS, method="native")
    reference = SentenceTransformer(str(folder), device="cpu").encode(TEXTS, convert_to_numpy=True)
    np.testing.assert_allclose(ours.vectors, reference, atol=1e-5)
    assert ours.truncated == 1  # the long text is over max_seq_length=16 tokens, and it is reported


def test_methods_that_do_not_fit_are_refused(tiny):
    with pytest.raises(MethodError, match="method 'logits' does not apply to .*valid methods: last-token, mean, cls, native"):
        embed(tiny["bert"], ["x"], method="logits")
    with pytest.raises(MethodError, match="does not apply"):
        embed(tiny["mistral"], ["x"], method="native")


@pytest.mark.parametrize("model, method", CASES)
def test_one_tokenizer_call_for_many_texts_gives_the_ids_of_one_call_each(tiny, model, method):
    from embedlab.prompts import encode_many

    backend, m = tiny[model], get_method(method)
    roles = [Role.QUERY, Role.PASSAGE] * 3
    for options in (Options(), Options(max_length=8)):
        opts = options.resolved(m, backend.max_length)
        together = encode_many(backend.tokenizer, TEXTS, roles, m, opts)
        assert together == [encode(backend.tokenizer, t, m, opts, r) for t, r in zip(TEXTS, roles)]
