"""The `layer` option on tiny random models: each layer's vectors equal transformers' `hidden_states`
computed one text at a time, no layer above the one read runs, bad layers fail in one line, and layers
cache apart (the default and -1 alike)."""

import numpy as np
import pytest
import torch

from tests.support import tinymodels
from embedlab.cache import EmbeddingCache
from embedlab.embedding import embed, embed_many, resolve
from embedlab.errors import MethodError
from embedlab.loading import load
from embedlab.methods import METHODS, Role
from embedlab.pairs import Pair
from embedlab.pooling import POOLING
from embedlab.prompts import Options
from embedlab.registry import ModelRegistry
from embedlab.session import Session
from embedlab.sides import SideSpec, specs_from_value, with_side_option

START = "Instruct: Given a question, retrieve passages that answer the question Query: "
TEXTS = ["What is GPU?", START + "Where is OpenAI?", START + "x", "The quick brown fox jumps over the lazy dog."]
ROLES = [Role.QUERY, Role.PASSAGE, Role.QUERY, Role.PASSAGE]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("layers")
    return {"llama": load(str(tinymodels.llama_causal(root / "llama"))),
            "mistral": load(str(tinymodels.mistral_causal(root / "mistral", layers=4))),
            "bert": load(str(tinymodels.bert_sentence_transformer(root / "bert")))}


def reference(backend, text: str, role: Role, method: str, layer: int, chat_template: bool | None = None) -> np.ndarray:
    """hidden_states[layer] from one plain forward of one text with output_hidden_states, pooled here."""
    m, options = resolve(backend, method, Options(layer=layer, chat_template=chat_template))
    encoded = backend.prepare(text, role, m, options).encoded
    ids = torch.tensor([encoded.ids])
    with torch.inference_mode():
        hidden = backend.encoder(input_ids=ids, output_hidden_states=True).hidden_states[layer]
    mask = torch.zeros_like(ids)
    mask[0, encoded.pool_from:] = 1
    return POOLING[m.pooling](hidden, mask)[0].numpy()


@pytest.mark.parametrize("model,method", [("llama", "mean"), ("llama", "last-token"), ("llama", "echo"),
                                          ("llama", "e5"), ("llama", "prompteol"), ("mistral", "mean"),
                                          ("bert", "cls"), ("bert", "mean")])
def test_every_layer_equals_hidden_states_one_text_at_a_time(models, model, method):
    backend = models[model]
    for layer in [*range(backend.layers + 1), -1, -backend.layers - 1]:
        backend._prefix = None
        ours = embed(backend, TEXTS, ROLES, method, Options(layer=layer)).vectors
        expected = np.stack([reference(backend, t, r, method, layer) for t, r in zip(TEXTS, ROLES)])
        np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-5, err_msg=f"layer {layer}")


def test_the_shared_prefix_path_reads_the_same_layers(models):
    llama = models["llama"]
    texts = [START + t for t in ("What is GPU?", "Where is OpenAI?", "x")]
    llama._prefix = None
    ours = embed(llama, texts, method="last-token", options=Options(layer=1)).vectors
    assert llama._prefix is not None and len(llama._prefix[2]) == llama.layers + 1  # the prefix ran once, every layer kept
    expected = np.stack([reference(llama, t, Role.PASSAGE, "last-token", 1) for t in texts])
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-5)


def test_reading_a_layer_runs_no_layer_above_it(models):
    mistral = models["mistral"]
    calls = []
    hooks = [layer.register_forward_hook(lambda *_, i=i: calls.append(i)) for i, layer in enumerate(mistral.tap.stack)]
    try:
        for layer, ran in [(0, set()), (1, {0}), (2, {0, 1}), (4, {0, 1, 2, 3}), (-1, {0, 1, 2, 3})]:
            calls.clear()
            embed(mistral, TEXTS, method="mean", options=Options(layer=layer))
            assert set(calls) == ran, layer
        calls.clear()  # several layers in one pass: each layer runs once, up to the highest one read
        embed_many(mistral, TEXTS, None, [("mean", Options(layer=1)), ("last-token", Options(layer=3))])
        assert calls == [0, 1, 2]
    finally:
        for hook in hooks:
            hook.remove()


def test_every_layer_of_two_methods_in_one_forward_pass(models):
    llama = models["llama"]
    passes = []
    hook = llama.encoder.register_forward_hook(lambda m, a, kw, out: passes.append(len(kw["input_ids"])), with_kwargs=True)
    recipes = [(m, Options(layer=k, chat_template=True)) for m in ("mean", "last-token") for k in range(llama.layers + 1)]
    try:
        llama._prefix = None
        together = embed_many(llama, TEXTS, None, recipes)
    finally:
        hook.remove()
    assert passes == [1, len(TEXTS)]  # the shared chat prefix once, then the batch once for every layer of both methods
    for (method, options), result in zip(recipes, together):
        np.testing.assert_allclose(result.vectors, embed(llama, TEXTS, None, method, options).vectors, rtol=1e-5, atol=1e-6)


def test_layers_cache_apart_and_the_default_is_the_last(models):
    llama, cache = models["llama"], EmbeddingCache(use_disk=False)
    last = embed(llama, TEXTS, method="mean", cache=cache)
    assert last.options.layer is None and last.computed == len(TEXTS)  # None: the last layer
    assert embed(llama, TEXTS, method="mean", options=Options(layer=llama.layers), cache=cache).cached == len(TEXTS)
    assert embed(llama, TEXTS, method="mean", options=Options(layer=-1), cache=cache).cached == len(TEXTS)
    first = embed(llama, TEXTS, method="mean", options=Options(layer=1), cache=cache)
    assert first.computed == len(TEXTS) and not np.allclose(first.vectors, last.vectors)


def test_a_bad_layer_fails_in_one_line_naming_the_range(models):
    llama = models["llama"]
    for layer in (3, -4):
        with pytest.raises(MethodError, match=r"layer .* out of range: use 0\.\.2 .* or -3\.\.-1") as info:
            resolve(llama, "mean", Options(layer=layer))
        assert "\n" not in str(info.value)
    with pytest.raises(MethodError, match="'logits' reads no hidden layer"):
        resolve(llama, "logits", Options(layer=1))
    with pytest.raises(MethodError, match="layers cannot be read"):  # a server's model (no layers to read)
        Options(layer=1).resolved(METHODS["e5"], 512, None)
    assert Options().resolved(METHODS["e5"], 512, None).layer is None


def test_layer_reaches_sides_from_the_cli_and_the_api(models, tmp_path):
    folder = str(tinymodels.llama_causal(tmp_path / "llama"))
    specs = with_side_option([SideSpec(folder, "mean", name="gpt")], "gpt.layer=-2")
    assert specs[0].options.layer == -2
    api = specs_from_value([{"name": "a", "model": folder, "method": "mean", "layer": 1},
                            {"name": "b", "model": folder, "method": "mean", "options": {"layer": "0"}}])
    assert [s.options.layer for s in api] == [1, 0]
    pairs = [Pair("What is GPU?", "A chip."), Pair("Where is OpenAI?", "San Francisco.")]
    session = Session(cache=EmbeddingCache(use_disk=False), registry=ModelRegistry(loader=load))
    result = session.compare(pairs, sides=[*specs, *api])
    assert [result.sides[n].options.layer for n in ("gpt", "a", "b")] == [1, 1, 0]  # -2 of 0..2 is 1
    np.testing.assert_allclose(result.sides["gpt"].vectors, result.sides["a"].vectors)
    assert result.to_json()["results"]["b"]["options"]["layer"] == 0
    with pytest.raises(MethodError, match="side 'c'.*out of range"):
        session.compare(pairs, sides=[SideSpec(folder, "mean", Options(layer=9), "c")])
