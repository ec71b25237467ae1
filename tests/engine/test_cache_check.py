"""The cache proves what it serves: keys cover everything that makes a vector, old stores are never
served, and `cache verify` finds a wrong vector that has a valid CRC (a tiny real model, the real CLI)."""

from __future__ import annotations

import sqlite3
import zlib
from dataclasses import dataclass, replace

import numpy as np
import pytest

from tests.support import tinymodels
from embedlab import cache_check, vector_keys
from embedlab.cache import DB_NAME, SCHEMA_VERSION, EmbeddingCache
from embedlab.cli import main
from embedlab.embedding import embed, keys_for, resolve
from embedlab.loading import load
from embedlab.methods import Role
from embedlab.pairs import Pair
from embedlab.prompts import Options
from embedlab.registry import ModelRegistry
from embedlab.session import Session
from embedlab.settings import Settings
from embedlab.sides import SideSpec

from tests.support.fakes import CountingBackend

PAIRS = [Pair(f"question {i} about {w}?", f"answer {i}: {w} is a word") for i, w in enumerate("red sun old tree sky".split())]


def plant(folder, key: str, vector: np.ndarray) -> None:
    """Replace a row's vector with another that has a valid CRC, as a model loaded wrong would write it."""
    data = np.asarray(vector, dtype=np.float32).tobytes()
    db = sqlite3.connect(folder / DB_NAME)
    assert db.execute("UPDATE vectors SET data = ?, crc = ? WHERE key = ?", (data, zlib.crc32(data), key)).rowcount == 1
    db.commit()
    db.close()


def test_verify_finds_a_planted_wrong_row_and_a_later_compare_recomputes_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EMBEDLAB_CACHE_DIR", str(tmp_path / "cache"))
    model = str(tinymodels.llama_causal(tmp_path / "llama"))
    session = lambda: Session(cache=EmbeddingCache(), registry=ModelRegistry(), settings=Settings())  # noqa: E731
    sides = [SideSpec(model, "mean", name="mean"), SideSpec(model, "last-token", name="last")]
    first = session().compare(PAIRS, sides=sides)
    assert main(["cache", "verify", "--sample", "0"]) == 0  # every row right: nothing deleted
    assert "all right" in capsys.readouterr().out

    backend = load(model)
    method, options = resolve(backend, "mean", None)
    key = keys_for(backend, method, options, [PAIRS[2].question], [Role.QUERY])[0]
    right = first.sides["mean"].vectors[2]
    plant(tmp_path / "cache", key, -right + 0.5)
    served = session().compare(PAIRS, sides=sides)  # the wrong row is served: a CRC cannot tell
    assert served.sides["mean"].cached == 2 * len(PAIRS)
    assert not np.allclose(served.sides["mean"].vectors[2], right)

    assert main(["cache", "verify", "--sample", "0"]) == 1
    out = capsys.readouterr().out
    assert "1 WRONG, deleted" in out and PAIRS[2].question in out
    assert EmbeddingCache().get_many([key]) == {}

    again = session().compare(PAIRS, sides=sides)
    assert (again.sides["mean"].cached, again.sides["mean"].computed) == (2 * len(PAIRS) - 1, 1)
    np.testing.assert_allclose(again.sides["mean"].vectors, first.sides["mean"].vectors, atol=1e-6)
    assert main(["cache", "verify", "--sample", "0"]) == 0


def fake_loader(name, **options):
    return CountingBackend(name)


def test_verify_samples_each_recipe_and_leaves_rows_it_cannot_reproduce(tmp_path, monkeypatch):
    cache = EmbeddingCache(tmp_path)
    texts = [f"text {i}" for i in range(40)]
    embed(CountingBackend("a"), texts, method="mean", cache=cache)
    embed(CountingBackend("a"), texts, method="cls", cache=cache)
    found = cache_check.verify(cache, sample=5, loader=fake_loader)
    assert [(g.checked, g.rows, g.wrong) for g in found] == [(5, 40, []), (5, 40, [])]
    monkeypatch.setattr(vector_keys, "library_version", lambda name: "9.9")  # as after an upgrade
    found = cache_check.verify(cache, sample=5, loader=fake_loader)
    assert all("libraries" in g.skipped and g.checked == 0 for g in found)
    assert cache.stats()["disk_vectors"] == 80  # left: never served here, and not known to be wrong


def test_clear_one_model_keeps_the_others(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EMBEDLAB_CACHE_DIR", str(tmp_path))
    embed(CountingBackend("a"), ["x", "y"], cache=EmbeddingCache())
    embed(CountingBackend("b"), ["x", "y", "z"], cache=EmbeddingCache())
    assert main(["cache", "clear", "--model", "a"]) == 0
    assert "deleted 2 vectors of a" in capsys.readouterr().out
    main(["cache", "info"])
    out = capsys.readouterr().out
    assert "3 vectors" in out and "b mean" in out and "a mean" not in out
    assert main(["cache", "clear"]) == 0 and EmbeddingCache().stats()["disk_vectors"] == 0


@pytest.mark.parametrize("version", [0, 1])
def test_a_store_of_an_older_schema_is_never_served(tmp_path, version):
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute("CREATE TABLE vectors (key TEXT PRIMARY KEY, dim INTEGER NOT NULL, crc INTEGER NOT NULL, "
               "data BLOB NOT NULL, nbytes INTEGER NOT NULL, used REAL NOT NULL)")
    data = np.ones(4, dtype=np.float32).tobytes()
    db.execute("INSERT INTO vectors VALUES ('a', 4, ?, ?, 16, 0)", (zlib.crc32(data), data))
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.close()
    cache = EmbeddingCache(tmp_path)
    assert cache.disk_error is None and cache.get_many(["a"]) == {}
    assert cache.read("PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_a_store_of_a_newer_schema_is_left_alone(tmp_path):
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute("CREATE TABLE t (x)")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    cache = EmbeddingCache(tmp_path)
    assert "newer EmbedLab" in cache.disk_error
    assert sqlite3.connect(tmp_path / DB_NAME).execute("SELECT name FROM sqlite_master").fetchall() == [("t",)]


@dataclass(frozen=True)
class WiderOptions(Options):
    later_option: int = -1  # an option added later, as another module might


def test_key_parts_cover_weights_numerics_recipe_and_every_option(monkeypatch):
    backend = CountingBackend("a")
    method, options = resolve(backend, "mean", None)
    base = vector_keys.key_parts(backend, method, options)
    variants = [
        vector_keys.key_parts(CountingBackend("b"), method, options),  # other weights
        vector_keys.key_parts(CountingBackend("a", dtype="bfloat16"), method, options),
        vector_keys.key_parts(CountingBackend("a", device="cuda:1"), method, options),
        vector_keys.key_parts(backend, replace(method, template="Say: {text}"), options),  # same name, new recipe
        vector_keys.key_parts(backend, method, replace(options, max_length=7)),
        vector_keys.key_parts(backend, method, WiderOptions(**options.as_dict(), later_option=3)),
    ]
    assert vector_keys.key_parts(CountingBackend("a", device="cuda:0"), method, options) == variants[2]  # the kind
    assert vector_keys.key_parts(backend, method, WiderOptions(**options.as_dict())) != base  # keyed, even at default
    monkeypatch.setattr(vector_keys, "library_version", lambda name: "0.0-other")
    variants.append(vector_keys.key_parts(backend, method, options))
    assert all(v != base for v in variants) and len({repr(sorted(v.items())) for v in variants}) == len(variants)
    assert set(base["libraries"]) == {"torch", "transformers", "tokenizers"}
    assert vector_keys.key_parts(CountingBackend("r", device="remote"), method, options)["libraries"] == {}
