"""Comparisons of any number of sides (2 to 8 models and methods) on tiny random models: each side equals
the same model and method compared alone, shared model inputs run once, bad sides fail before loading."""

import numpy as np
import pytest

from tests.support import tinymodels
from embedlab.cache import EmbeddingCache
from embedlab.comparison import compare_side
from embedlab.errors import MethodError, SideError, UnknownModelError
from embedlab.loading import load
from embedlab.pairs import Pair
from embedlab.prompts import Options
from embedlab.registry import ModelRegistry
from embedlab.session import Session
from embedlab.sides import MAX_SIDES, SideSpec, parse_side, specs_from_value, sweep, with_side_option

PAIRS = [Pair("What is GPU?", "A chip that does maths quickly."),
         Pair("Where is OpenAI?", "OpenAI is based at San Francisco."),
         Pair("What is the quick brown fox?", "It jumps over the lazy dog.")]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("sides")
    return {"llama": str(tinymodels.llama_causal(root / "llama")), "bert": str(tinymodels.bert_sentence_transformer(root / "bert")),
            "mistral": str(tinymodels.mistral_encoder(root / "mistral"))}


class Spy:
    """A loader that records what it loads (so a test can say: nothing was loaded)."""

    def __init__(self):
        self.loaded = []

    def __call__(self, name, **kwargs):
        self.loaded.append(name)
        return load(name, **kwargs)


def session(loader=None, max_models=2) -> Session:
    return Session(cache=EmbeddingCache(use_disk=False), registry=ModelRegistry(max_models=max_models, loader=loader or load))


def test_each_side_equals_its_model_and_method_compared_alone(folders):
    sides = sweep(folders["llama"], ["logits", "last-token", "mean", "e5", "prompteol", "echo"]) + [
        SideSpec(folders["bert"], "native", name="bert"), SideSpec(folders["mistral"], "mean", name="mistral")]
    spy = Spy()
    result = session(spy).compare(PAIRS, sides=sides)
    assert list(result.sides) == ["logits", "last-token", "mean", "e5", "prompteol", "echo", "bert", "mistral"]
    assert sorted(spy.loaded) == sorted(folders.values())  # each model loaded once for eight sides
    for spec in sides:
        alone = compare_side(load(spec.model), PAIRS, spec.method, spec.options)
        side = result.sides[spec.name]
        assert side.method == (spec.method or alone.method)
        np.testing.assert_allclose(side.similarity, alone.similarity, atol=1e-6)
        np.testing.assert_allclose(side.vectors, alone.vectors, rtol=1e-5, atol=1e-6)


def test_methods_that_read_the_same_input_share_one_forward_pass(folders):
    backend = load(folders["llama"])
    calls = []  # texts run through the model (the shared chat-template prefix, run once and kept, aside)

    def record(module, args, kwargs, out):
        if kwargs.get("attention_mask") is not None:
            calls.extend([1] * kwargs["input_ids"].shape[0])

    hook = backend.encoder.register_forward_hook(record, with_kwargs=True)
    try:
        texts = 2 * len(PAIRS)
        registry = ModelRegistry(loader=lambda name, **_: backend)
        fresh = lambda: Session(cache=EmbeddingCache(use_disk=False), registry=registry)  # noqa: E731 - no cache hits
        fresh().compare(PAIRS, sides=sweep(folders["llama"], ["logits"]))
        alone = len(calls)
        calls.clear()
        result = fresh().compare(PAIRS, sides=[SideSpec(folders["llama"], "logits", Options(chat_template=True), "a")]
                                  + sweep(folders["llama"], ["last-token", "mean"]))
        assert len(calls) == alone == texts  # three methods, the forward passes of one
        assert [s.computed for s in result.sides.values()] == [texts] * 3
    finally:
        hook.remove()


def test_a_sweep_feeds_the_model_no_more_tokens_than_its_methods_alone(folders):
    """Each method's inputs are batched with their own kind: mixed into one batch, the chat template's
    system prompt could no longer run once for the batch, and every row would carry it again."""
    backend = load(folders["llama"])
    fed = []  # tokens in each forward call over a batch (the kept prefix's own run aside)

    def record(module, args, kwargs, out):
        if kwargs.get("attention_mask") is not None:
            fed.append(kwargs["input_ids"].numel())

    hook = backend.encoder.register_forward_hook(record, with_kwargs=True)
    try:
        registry = ModelRegistry(loader=lambda name, **_: backend)
        fresh = lambda: Session(cache=EmbeddingCache(use_disk=False), registry=registry)  # noqa: E731 - no cache hits
        methods = ["logits", "prompteol", "echo"]
        alone = []
        for method in methods:
            fed.clear()
            fresh().compare(PAIRS, sides=sweep(folders["llama"], [method]))
            alone.append(sum(fed))
        fed.clear()
        fresh().compare(PAIRS, sides=sweep(folders["llama"], methods))
        assert len(fed) == len(methods) and sum(fed) == sum(alone)  # one batch per method here, none mixed
    finally:
        hook.remove()


def test_a_bad_side_fails_before_any_model_loads(folders):
    spy = Spy()
    s = session(spy)
    cases = [
        ([SideSpec(folders["llama"], name="a"), SideSpec(folders["bert"], name="a")], SideError, "the name 'a' is used twice"),
        ([SideSpec(folders["llama"], name=" ")], SideError, "side 1 has no name"),
        ([SideSpec(folders["llama"], name=f"s{i}") for i in range(MAX_SIDES + 1)], SideError, "9 sides is more than 8"),
        ([SideSpec(folders["llama"], name="gpt"), SideSpec(folders["bert"], "logits", name="enc")], MethodError,
         "side 'enc': method 'logits' does not apply"),
        ([SideSpec("no-such-model", name="what")], UnknownModelError, "side 'what': unknown model 'no-such-model'"),
    ]
    for sides, error, words in cases:
        with pytest.raises(error, match=words):
            s.compare(PAIRS, sides=sides)
    assert spy.loaded == []


def test_more_models_than_the_registry_keeps_still_compare(folders):
    s = session(max_models=1)
    result = s.compare(PAIRS, sides=[SideSpec(folders["llama"], name="a"), SideSpec(folders["bert"], name="b"),
                                     SideSpec(folders["mistral"], name="c")])
    assert [side.similarity.shape for side in result.sides.values()] == [(3, 3)] * 3
    assert len(s.registry.loaded()) == 1  # afterwards it keeps only what it may


def test_sides_written_as_text():
    assert parse_side("gpt=smollm2-135m-instruct:mean") == SideSpec("smollm2-135m-instruct", "mean", name="gpt")
    assert parse_side("m=/models/a:b/model") == SideSpec("/models/a:b/model", None, name="m")  # ':' in a path
    assert parse_side("r=http://127.0.0.1:7997/v1#m:native").method == "native"
    with pytest.raises(SideError, match="write it as NAME=MODEL"):
        parse_side("no-equals-sign")
    specs = with_side_option([parse_side("gpt=x:mean")], "gpt.max-length=64")
    assert specs[0].options.max_length == 64
    assert with_side_option(specs, "gpt.chat-template=off")[0].options.chat_template is False
    with pytest.raises(SideError, match="no side called 'other'"):
        with_side_option(specs, "other.task=t")
    with pytest.raises(SideError, match="OPTION one of task, chat-template, max-length"):
        with_side_option(specs, "gpt.colour=red")


def test_a_sweep_reads_the_chat_format_where_a_method_can():
    sides = sweep("m", ["logits", "mean", "e5"])
    assert [s.name for s in sides] == ["logits", "mean", "e5"]
    assert [s.options.chat_template for s in sides] == [True, True, None]


def test_sides_from_api_objects():
    specs = specs_from_value([{"name": "g", "model": "m", "method": "mean", "max_length": 32},
                              {"name": "e", "model": "n"}])
    assert specs[0] == SideSpec("m", "mean", Options(max_length=32), "g") and specs[1].method is None
    with pytest.raises(SideError, match="side 1: unknown keys colour"):
        specs_from_value([{"name": "g", "model": "m", "colour": 1}])
    with pytest.raises(SideError, match="must be a list"):
        specs_from_value({"name": "g"})
