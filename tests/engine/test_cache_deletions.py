"""A row deleted from the store (`cache verify` or `cache clear`, run by another process while the
dashboard runs) is never served again from a memory tier that still held it; writes by others leave
the memory tier alone."""

import sqlite3
import subprocess
import sys

import numpy as np

from embedlab.cache import DB_NAME, EmbeddingCache

WRONG, RIGHT = np.full(4, 9.0, dtype=np.float32), np.arange(4, dtype=np.float32)


def served_from_memory(cache: EmbeddingCache, key: str) -> bool:
    return key in cache.get_many([key]) and cache.stats()["memory_vectors"] > 0


def test_a_row_another_cache_deletes_is_not_served_from_memory(tmp_path):
    dashboard, verify = EmbeddingCache(tmp_path), EmbeddingCache(tmp_path)
    dashboard.put_many({"wrong": WRONG, "right": RIGHT})
    assert served_from_memory(dashboard, "wrong")
    assert verify.delete(["wrong"]) == 1
    found = dashboard.get_many(["wrong", "right"])
    assert "wrong" not in found  # gone from memory too, not only from disk
    np.testing.assert_array_equal(found["right"], RIGHT)  # the rest read back from disk


def test_a_row_another_process_deletes_is_not_served_from_memory(tmp_path):
    dashboard = EmbeddingCache(tmp_path)
    dashboard.put_many({"wrong": WRONG})
    assert served_from_memory(dashboard, "wrong")
    deleted = subprocess.run([sys.executable, "-c", "import sys; from embedlab.cache import DB_NAME, EmbeddingCache; "
                              "print(EmbeddingCache(sys.argv[1]).delete(['wrong']))", str(tmp_path)],
                             capture_output=True, text=True, check=True).stdout
    assert deleted.strip() == "1"
    assert dashboard.get_many(["wrong"]) == {}
    dashboard.put_many({"wrong": RIGHT})  # computed again, as a Compare does after verify
    np.testing.assert_array_equal(dashboard.get_many(["wrong"])["wrong"], RIGHT)


def evicted_elsewhere(folder, key: str) -> None:
    """Drop a row from the store as another process's size bound does: a right vector, no counter bumped."""
    db = sqlite3.connect(folder / DB_NAME)
    db.execute("DELETE FROM vectors WHERE key = ?", (key,))
    db.commit()
    db.close()


def test_writes_evictions_and_empty_deletes_by_others_keep_the_memory_tier(tmp_path):
    dashboard, other = EmbeddingCache(tmp_path), EmbeddingCache(tmp_path)
    dashboard.put_many({"a": RIGHT})
    other.put_many({"b": RIGHT})
    assert other.delete(["not-there"]) == 0
    evicted_elsewhere(tmp_path, "a")
    np.testing.assert_array_equal(dashboard.get_many(["a"])["a"], RIGHT)  # still in memory: nothing wrong was deleted


def test_its_own_delete_keeps_the_rest_of_the_memory_tier(tmp_path):
    cache = EmbeddingCache(tmp_path)
    cache.put_many({"a": RIGHT, "b": RIGHT})
    assert cache.delete(["a"]) == 1
    evicted_elsewhere(tmp_path, "b")
    assert list(cache.get_many(["a", "b"])) == ["b"]  # b from memory; a forgotten there by the delete
