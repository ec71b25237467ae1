"""The bound on one comparison's work: tokens counted as a plain tokenizer counts them, a request at the
limit runs, one token over it is refused before any model runs, with the limit named."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from tests.support import tinymodels
from embedlab.cache import EmbeddingCache
from embedlab.errors import PairsError
from embedlab.pairs import Pair
from embedlab.prompts import Options
from embedlab.registry import ModelRegistry
from embedlab.session import Session
from embedlab.settings import MAX_REQUEST_TOKENS, MAX_TEXT_TOKENS, Settings
from embedlab.sides import SideSpec

PAIRS = [Pair(f"what is {w} number {i}?", f"{w} is the {i}th word") for i, w in enumerate("red sun old tree sky".split())]


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    return str(tinymodels.llama_causal(tmp_path_factory.mktemp("llama")))


def tokens_by_hand(folder: str) -> int:
    """The mean method writes a text as it is, with no chat template: one tokenizer call per distinct text."""
    tok = AutoTokenizer.from_pretrained(folder)
    texts = {t for p in PAIRS for t in (p.question, p.answer)}
    return sum(len(tok(t)["input_ids"]) for t in texts)


def session(limit: int) -> Session:
    return Session(cache=EmbeddingCache(use_disk=False), registry=ModelRegistry(), settings=Settings(max_request_tokens=limit))


def test_a_request_at_the_limit_runs_and_one_token_over_is_refused(llama):
    need = tokens_by_hand(llama)
    sides = [SideSpec(llama, "mean", name="mean"), SideSpec(llama, "last-token", name="last")]  # one pass, counted once
    result = session(need).compare(PAIRS, sides=sides)
    assert result.sides["mean"].computed == 2 * len(PAIRS)
    over = session(need - 1)
    with pytest.raises(PairsError, match=f"would run {need:,} tokens .* limit of {need - 1:,} per request"):
        over.compare(PAIRS, sides=sides)
    assert over.cache.stats()["memory_vectors"] == 0  # refused before any model ran


def test_a_method_that_writes_the_text_twice_counts_it_twice(llama):
    need = tokens_by_hand(llama)
    with pytest.raises(PairsError, match="limit of"):
        session(2 * need).compare(PAIRS, sides=[SideSpec(llama, "echo", name="echo")])  # echo: twice, plus its prompt


def test_hosted_mode_bounds_requests_and_elsewhere_nothing_does(monkeypatch):
    assert Settings(hosted=True).max_request_tokens == MAX_REQUEST_TOKENS
    assert Settings().max_request_tokens is None
    monkeypatch.setenv("EMBEDLAB_MAX_REQUEST_TOKENS", "1234")
    assert Settings.from_env().max_request_tokens == 1234
    monkeypatch.setenv("EMBEDLAB_HOSTED", "1")
    monkeypatch.delenv("EMBEDLAB_MAX_REQUEST_TOKENS")
    assert Settings.from_env().max_request_tokens == MAX_REQUEST_TOKENS


def test_texts_are_cut_to_the_token_cap_and_counted_as_truncated(llama):
    tok = AutoTokenizer.from_pretrained(llama)
    long = sum(len(tok(t)["input_ids"]) > 6 for p in PAIRS for t in (p.question, p.answer))
    capped = Session(cache=EmbeddingCache(use_disk=False), registry=ModelRegistry(),
                     settings=Settings(max_text_tokens=6)).compare(PAIRS, sides=[SideSpec(llama, "mean", name="m")])
    side = capped.sides["m"]
    assert side.options.max_length == 6 and side.truncated == long > 0
    assert Settings(hosted=True).max_text_tokens == MAX_TEXT_TOKENS and Settings().max_text_tokens is None


def test_a_servers_side_is_not_cut():
    from embedlab.request_bounds import capped

    remote = SideSpec("http://127.0.0.1:9/v1#m", name="r")
    assert capped(remote, 512) is remote
    assert capped(SideSpec("smollm2-135m-instruct", name="s"), 512).options.max_length == 512
    assert capped(SideSpec("x", options=Options(max_length=100), name="s"), 512).options.max_length == 100
