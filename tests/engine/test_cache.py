"""The on-disk cache: persistence, keys, corruption, eviction and a folder that cannot be written."""

import sqlite3

import numpy as np

from embedlab.cache import DB_NAME, EmbeddingCache, cache_key


def test_round_trip_and_persistence(tmp_path):
    cache = EmbeddingCache(tmp_path)
    vectors = {"a": np.arange(4, dtype=np.float32), "b": np.ones(3, dtype=np.float64)}
    cache.put_many(vectors)
    cache.close()
    reopened = EmbeddingCache(tmp_path)
    found = reopened.get_many(["a", "b", "c"])
    assert set(found) == {"a", "b"}
    np.testing.assert_array_equal(found["a"], vectors["a"])
    assert found["b"].dtype == np.float32
    assert reopened.stats()["disk_vectors"] == 2


def test_key_covers_every_part():
    base = dict(model="m", dtype="float32", method="logits", options={"task": ""}, role="", text="x")
    keys = {cache_key(**base)}
    for part, other in [("model", "m2"), ("dtype", "bfloat16"), ("method", "mean"), ("options", {"task": "t"}),
                        ("role", "query"), ("text", "x ")]:
        keys.add(cache_key(**{**base, part: other}))
    assert len(keys) == 7
    assert cache_key(**base) == cache_key(**dict(reversed(list(base.items()))))


def test_corrupt_row_is_never_served(tmp_path):
    cache = EmbeddingCache(tmp_path)
    cache.put_many({"a": np.arange(4, dtype=np.float32)})
    cache.close()
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute("UPDATE vectors SET data = ? WHERE key = 'a'", (np.zeros(4, dtype=np.float32).tobytes(),))
    db.commit()
    db.close()
    assert EmbeddingCache(tmp_path).get_many(["a"]) == {}


def test_eviction_keeps_the_disk_bound(tmp_path):
    cache = EmbeddingCache(tmp_path, disk_bytes=10 * 400, memory_bytes=0)
    for i in range(30):
        cache.put_many({f"k{i}": np.full(100, i, dtype=np.float32)})
    stats = cache.stats()
    assert stats["disk_bytes"] <= 10 * 400
    assert stats["disk_vectors"] >= 8
    assert "k29" in cache.get_many(["k29"])  # the newest survive
    assert cache.get_many(["k0"]) == {}  # the oldest went


def test_unusable_path_falls_back_to_memory(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = EmbeddingCache(blocker / "cache")
    cache.put_many({"a": np.ones(2)})
    assert "a" in cache.get_many(["a"])
    assert "memory only" in cache.disk_error
