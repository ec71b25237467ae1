"""The engine above the backend: caching, batching and method checks, measured on a counting fake."""

import numpy as np
import pytest
import torch

from embedlab.backends import Item
from embedlab.cache import EmbeddingCache
from embedlab.comparison import compare_backends as compare
from embedlab.sides import SideSpec
from embedlab.embedding import batches, embed
from embedlab.errors import EmbedLabError, MethodError
from embedlab.methods import Role
from embedlab.pairs import Pair
from embedlab.prompts import Options

from tests.support.fakes import CountingBackend


def test_second_run_is_served_from_cache_without_calling_the_model(tmp_path):
    backend, cache = CountingBackend(), EmbeddingCache(tmp_path)
    texts = ["a", "bb", "ccc"]
    first = embed(backend, texts, cache=cache)
    assert (first.cached, first.computed, backend.texts_embedded) == (0, 3, 3)
    second = embed(backend, texts, cache=EmbeddingCache(tmp_path))  # a new process: the disk store answers
    assert (second.cached, second.computed, backend.texts_embedded) == (3, 0, 3)
    np.testing.assert_array_equal(first.vectors, second.vectors)


def test_only_new_texts_are_computed_and_duplicates_once(tmp_path):
    backend, cache = CountingBackend(), EmbeddingCache(tmp_path)
    embed(backend, ["a", "b"], cache=cache)
    result = embed(backend, ["b", "c", "c", "a", "d"], cache=cache)
    assert sorted(backend.calls[-1]) == ["c", "d"]
    assert result.computed == 2 and result.cached == 3
    np.testing.assert_array_equal(result.vectors[1], result.vectors[2])


def test_method_and_role_change_the_key(tmp_path):
    backend, cache = CountingBackend(), EmbeddingCache(tmp_path)
    embed(backend, ["a"], method="mean", cache=cache)
    embed(backend, ["a"], method="cls", cache=cache)
    assert backend.texts_embedded == 2
    # roles only matter to methods that format queries differently: not to mean
    embed(backend, ["a"], roles=[Role.QUERY], method="mean", cache=cache)
    assert backend.texts_embedded == 2


def test_batches_respect_size_and_token_budget():
    items = [(i, Item("x" * (4 * n))) for i, n in enumerate([1, 50, 3, 40, 2, 8, 30, 1])]
    groups = batches(items, batch_size=3, batch_tokens=60)
    assert sorted(i for g in groups for i, _ in g) == list(range(8))
    for group in groups:
        assert len(group) <= 3
        assert len(group) == 1 or len(group) * group[0][1].cost <= 60
        costs = [item.cost for _, item in group]
        assert costs == sorted(costs, reverse=True)


def test_order_of_results_follows_the_input_not_the_batches(tmp_path):
    backend = CountingBackend(batch_size=2)
    texts = ["short", "a much longer text than the others", "mid length", "x"]
    together = embed(backend, texts).vectors
    alone = np.concatenate([embed(backend, [t]).vectors for t in texts])
    np.testing.assert_array_equal(together, alone)


def test_out_of_memory_retries_in_halves():
    class Flaky(CountingBackend):
        def embed_batch(self, items, method, options):
            if len(items) > 1:
                raise torch.OutOfMemoryError("fake")
            return super().embed_batch(items, method, options)

    backend = Flaky(batch_size=4)
    result = embed(backend, ["a", "b", "c", "d"])
    assert result.vectors.shape == (4, 8) and backend.texts_embedded == 4


def test_out_of_memory_on_one_text_is_a_clear_error():
    class AlwaysOOM(CountingBackend):
        def embed_batch(self, items, method, options):
            raise torch.OutOfMemoryError("fake")

    with pytest.raises(EmbedLabError, match="ran out of memory"):
        embed(AlwaysOOM(), ["a"])


def test_method_that_does_not_apply_names_the_valid_ones():
    with pytest.raises(MethodError, match="valid methods: last-token, mean, cls"):
        embed(CountingBackend(), ["a"], method="logits")
    with pytest.raises(MethodError, match="unknown method 'nope'; choose one of: logits"):
        embed(CountingBackend(), ["a"], method="nope")


def test_compare_checks_methods_before_any_work(tmp_path):
    base, emb = CountingBackend("base"), CountingBackend("embed")
    pairs = [Pair("q1", "a1"), Pair("q2", "a2")]
    with pytest.raises(MethodError):
        compare(pairs, {"base": base, "embed": emb}, {"base": SideSpec("base", "mean"), "embed": SideSpec("embed", "e5")})
    assert base.calls == [] and emb.calls == []
    result = compare(pairs, {"base": base, "embed": emb},
                     {"base": SideSpec("base", "mean"), "embed": SideSpec("embed", "cls", Options(max_length=8))})
    assert list(result.sides) == ["base", "embed"]
    r = result.sides["embed"]
    assert r.similarity.shape == (2, 2) and r.options.max_length == 8 and r.computed == 4
    assert r.vectors.shape == (4, 8)  # questions then answers, kept for the views that need them
