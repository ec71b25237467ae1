"""The two Mistral presets' code paths on the CPU, with the real Mistral 7B v0.1 tokenizer.

`mistral-7b-instruct-v0.1` (method `logits` with its chat template) and `e5-mistral-7b-instruct`
(method `e5`) cannot be downloaded here, so their stand-ins are tiny random Mistral models that carry
the real tokenizer and the full 32,000-token vocabulary (`tinymodels.mistral_instruct`,
`tinymodels.e5_mistral`). What EmbedLab does around the weights is checked exactly: the token ids it
feeds, against the tokenizer's own chat template and against sentencepiece reading the same file (which
is how Mistral's reference code tokenises v0.1 prompts: BOS, then "[INST] {text} [/INST]" as one
piece of text); the position it reads and the vector it returns, against the model run by hand;
batching, the shared-prefix path, truncation and a whole comparison.
"""

import numpy as np
import pytest
import sentencepiece
import torch
from transformers import AutoTokenizer, LlamaConfig

from tests.support import tinymodels
from tests.support.mistral_tokenizer import VOCAB, tokenizer_model
from embedlab.backends.transformers_backend import MIN_SHARED_PREFIX
from embedlab.cache import EmbeddingCache
from embedlab.embedding import embed
from embedlab.loading import load, save_tokenizer
from embedlab.methods import DEFAULT_TASK, E5_QUERY, Role, get_method
from embedlab.metrics import cos_sim
from embedlab.prompts import Options, encode, encode_many
from embedlab.registry import ModelRegistry
from embedlab.session import Session
from embedlab.settings import Settings
from embedlab.sides import SideSpec

BOS, EOS = 1, 2
QUESTIONS = ["What is GPU?", "Where is the headquarter of OpenAI?", "Wer hat die Glühbirne erfunden?\nKurz, bitte."]
ANSWERS = ["A graphics processing unit is an electronic circuit that can perform calculations quickly.",
           "OpenAI is based at San Francisco.", "Thomas Edison, 1879 (and others before him)."]
TEXTS = QUESTIONS + ANSWERS
ROLES = [Role.QUERY] * len(QUESTIONS) + [Role.PASSAGE] * len(ANSWERS)
TOL = dict(rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("mistral")
    return {"instruct": tinymodels.mistral_instruct(root / "instruct"), "e5": tinymodels.e5_mistral(root / "e5"),
            "e5-eos": tinymodels.e5_mistral(root / "e5-eos", append_eos=True)}


@pytest.fixture(scope="module")
def instruct(folders):
    return load(str(folders["instruct"]))


@pytest.fixture(scope="module")
def instruct_unshared(folders):
    """The same model with the shared-prefix path turned off: every row runs whole."""
    backend = load(str(folders["instruct"]))
    backend.cache_arg = None
    return backend


@pytest.fixture(scope="module")
def e5(folders):
    return load(str(folders["e5"]))


@pytest.fixture(scope="module")
def e5_eos(folders):
    return load(str(folders["e5-eos"]))


@pytest.fixture(scope="module")
def sp():
    return sentencepiece.SentencePieceProcessor(model_proto=tokenizer_model())


def chat_ids(tokenizer, text: str) -> list[int]:
    """The tokenizer's own chat template on one user message (transformers 5 returns a BatchEncoding)."""
    out = tokenizer.apply_chat_template([{"role": "user", "content": text}], add_generation_prompt=False)
    return list(out["input_ids"])


@torch.no_grad()
def hidden_at_last(backend, ids: list[int]) -> torch.Tensor:
    """The model run by hand on one row, no padding: the last position's last hidden state."""
    body = backend.model.model if hasattr(backend.model, "lm_head") else backend.model
    return body(input_ids=torch.tensor([ids])).last_hidden_state[0, -1]


def test_the_folders_carry_the_real_tokenizer(instruct, e5, sp):
    for backend in (instruct, e5):
        tok = backend.tokenizer
        assert len(tok) == VOCAB == backend.model.config.vocab_size == sp.get_piece_size()
        assert (tok.bos_token_id, tok.eos_token_id) == (BOS, EOS) == (sp.bos_id(), sp.eos_id())
        assert tok("Hello world")["input_ids"] == [BOS, 22557, 1526] == [BOS] + sp.encode("Hello world")
    assert instruct.default_method == "logits" and e5.traits.lm_head is False


def test_logits_feeds_the_chat_templates_ids(instruct, sp):
    tok, method = instruct.tokenizer, get_method("logits")
    opts = Options().resolved(method, instruct.max_length)
    assert opts.chat_template
    batched = [enc.ids for enc in encode_many(tok, TEXTS, ROLES, method, opts)]
    for text, ours in zip(TEXTS, batched):
        assert ours == encode(tok, text, method, opts).ids == chat_ids(tok, text)
        assert ours == [BOS] + sp.encode(f"[INST] {text} [/INST]")  # Mistral's reference tokenisation
        assert ours[:4] == [BOS] + sp.encode("[INST]") and ours.count(BOS) == 1
        assert tok.decode(ours).endswith(f"{text} [/INST]")  # the last position, the one read, closes the turn
    with pytest.raises(Exception, match="roles must alternate"):  # the v0.1 template has no system role
        tok.apply_chat_template([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
                                tokenize=False)


def test_logits_vector_is_the_lm_head_at_the_last_position(instruct):
    vectors = embed(instruct, TEXTS, ROLES, "logits").vectors
    assert vectors.shape == (len(TEXTS), VOCAB)
    for text, vector in zip(TEXTS, vectors):
        ids = chat_ids(instruct.tokenizer, text)
        with torch.no_grad():
            expected = hidden_at_last(instruct, ids) @ instruct.model.lm_head.weight.T
            whole = instruct.model(input_ids=torch.tensor([ids])).logits[0, -1]  # the original experiment's way
        np.testing.assert_allclose(vector, expected.numpy(), **TOL)
        np.testing.assert_allclose(vector, whole.numpy(), **TOL)


def test_logits_batched_shared_prefix_equals_one_at_a_time_unshared(instruct, instruct_unshared, sp):
    instruct._prefix = None
    together = embed(instruct, TEXTS, ROLES, "logits").vectors
    kept = instruct._prefix[0] if instruct._prefix is not None else ()
    assert len(kept) >= MIN_SHARED_PREFIX and list(kept[:4]) == [BOS] + sp.encode("[INST]")  # the path ran
    unshared = embed(instruct_unshared, TEXTS, ROLES, "logits").vectors
    alone = np.concatenate([embed(instruct_unshared, [t], [r], "logits").vectors for t, r in zip(TEXTS, ROLES)])
    assert instruct_unshared._prefix is None
    np.testing.assert_allclose(together, unshared, **TOL)
    np.testing.assert_allclose(together, alone, **TOL)


def test_e5_writes_queries_and_passages_token_by_token(e5, e5_eos, sp):
    method = get_method("e5")
    assert e5_eos.tokenizer("hi")["input_ids"][-1] == EOS != e5.tokenizer("hi")["input_ids"][-1]
    for backend in (e5, e5_eos):  # whether or not the tokenizer appends EOS itself
        opts = Options().resolved(method, backend.max_length)
        for text in TEXTS:
            query = encode(backend.tokenizer, text, method, opts, Role.QUERY).ids
            passage = encode(backend.tokenizer, text, method, opts, Role.PASSAGE).ids
            assert query == [BOS] + sp.encode(E5_QUERY.format(task=DEFAULT_TASK, text=text)) + [EOS]
            assert passage == [BOS] + sp.encode(text) + [EOS]
            assert query.count(EOS) == passage.count(EOS) == 1 and query.count(BOS) == passage.count(BOS) == 1


def test_e5_truncation_keeps_eos_last(e5, e5_eos):
    method = get_method("e5")
    for backend in (e5, e5_eos):
        full = encode(backend.tokenizer, QUESTIONS[1], method, Options().resolved(method, backend.max_length),
                      Role.QUERY)
        cut = encode(backend.tokenizer, QUESTIONS[1], method, Options(max_length=8).resolved(method, backend.max_length),
                     Role.QUERY)
        assert len(full.ids) > 8 and not full.truncated
        assert cut.truncated and len(cut.ids) == 8 and cut.ids[:7] == full.ids[:7] and cut.ids[-1] == EOS
        assert cut.ids.count(EOS) == 1
    vector = embed(e5, [QUESTIONS[1]], [Role.QUERY], "e5", Options(max_length=8)).vectors[0]
    np.testing.assert_allclose(vector, hidden_at_last(e5, cut.ids).numpy(), **TOL)


def test_e5_pools_the_hidden_state_at_eos(e5):
    method = get_method("e5")
    opts = Options().resolved(method, e5.max_length)
    vectors = embed(e5, TEXTS, ROLES, "e5").vectors  # one batch of rows of different lengths, padded
    assert vectors.shape == (len(TEXTS), e5.model.config.hidden_size)
    for text, role, vector in zip(TEXTS, ROLES, vectors):
        ids = encode(e5.tokenizer, text, method, opts, role).ids
        assert ids[-1] == EOS
        np.testing.assert_allclose(vector, hidden_at_last(e5, ids).numpy(), **TOL)
    e5._prefix = None
    queries = embed(e5, QUESTIONS, [Role.QUERY] * len(QUESTIONS), "e5").vectors  # they share the instruction
    assert e5._prefix is not None and len(e5._prefix[0]) > 10
    np.testing.assert_allclose(queries, vectors[:len(QUESTIONS)], **TOL)


def test_a_comparison_of_the_two_mistral_sides(folders, e5):
    session = Session(cache=EmbeddingCache(use_disk=False), registry=ModelRegistry(max_models=2), settings=Settings())
    pairs = [{"question": q, "answer": a} for q, a in zip(QUESTIONS, ANSWERS)]
    result = session.compare(pairs, base=str(folders["instruct"]), embed=SideSpec(str(folders["e5"]), "e5"))
    base, embedder = result.sides["base"], result.sides["embed"]
    assert (base.method, base.dim) == ("logits", VOCAB) and (embedder.method, embedder.dim) == ("e5", 32)
    n = len(pairs)
    queries = embed(e5, QUESTIONS, [Role.QUERY] * n, "e5").vectors
    np.testing.assert_allclose(embedder.vectors[:n], queries, **TOL)
    for side in (base, embedder):
        assert side.similarity.shape == (n, n) and side.computed == 2 * n and side.truncated == 0
        np.testing.assert_allclose(side.similarity, cos_sim(side.vectors[:n], side.vectors[n:]), rtol=1e-6, atol=1e-9)
        assert 0 <= side.metrics.auc <= 1 and 0 <= side.metrics.top1 <= 1



def test_a_saved_legacy_tokenizer_loads_back_alike(tmp_path):
    """`save_tokenizer` (a fine-tune's output, a converted GGUF model) keeps `legacy`. It matters where
    AutoTokenizer rebuilds a LlamaTokenizer from its settings: a model_type "llama" folder with Mistral's
    tokenizer, as SOLAR-10.7B is. (A model_type "mistral" folder, like the stand-ins above, is read from
    tokenizer.json as it is.) Saved the plain way, the copy would begin "<s>[INST]" with "[", not "▁["."""
    tok = tinymodels.mistral_tokenizer(chat=True)
    LlamaConfig(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                num_attention_heads=4).save_pretrained(tmp_path)
    save_tokenizer(tok, tmp_path)
    copy = AutoTokenizer.from_pretrained(tmp_path)
    assert type(copy).__name__ == type(tok).__name__ == "LlamaTokenizer"
    method = get_method("logits")
    opts = Options().resolved(method, 512)
    for text in TEXTS:
        assert encode(copy, text, method, opts).ids == encode(tok, text, method, opts).ids
