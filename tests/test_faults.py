"""Faults the on-disk cache must survive: SIGKILL mid-write, two processes, a read-only or full folder."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from embedlab.cache import DB_NAME, EmbeddingCache
from embedlab.embedding import embed, keys_for, resolve
from embedlab.methods import Role

ROOT = Path(__file__).resolve().parent.parent


def texts(n: int) -> list[str]:
    words = (ROOT / "assets" / "qa-100.csv").read_text().split()
    rng = random.Random(7)
    return [" ".join(rng.choices(words, k=rng.randint(5, 60))) + f" #{i}" for i in range(n)]


def child(code: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


WRITER = """
    import sys
    sys.path.insert(0, sys.argv[3])
    from tests.test_faults import texts
    from embedlab.cache import EmbeddingCache
    from embedlab.embedding import embed
    from embedlab.loading import load
    backend = load("all-minilm-l6-v2")
    cache = EmbeddingCache(sys.argv[1])
    all_texts = texts(int(sys.argv[2]))
    for start in range(0, len(all_texts), 64):
        embed(backend, all_texts[start:start + 64], cache=cache)
        print(start + 64, flush=True)
"""


@pytest.mark.slow
def test_sigkill_while_writing_never_serves_a_corrupt_vector(tmp_path, minilm):
    folder, n = tmp_path / "cache", 1536
    proc = child(WRITER, str(folder), str(n), str(ROOT))
    first = proc.stdout.readline()  # one chunk committed: the child is writing from now on
    assert first.strip(), proc.stderr.read()
    time.sleep(random.uniform(0.0, 1.5))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the writer finished before it was killed; make n larger"

    db = sqlite3.connect(folder / DB_NAME)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    cache = EmbeddingCache(folder)
    all_texts = texts(n)
    method, options = resolve(minilm, None, None)
    keys = keys_for(minilm, method, options, all_texts, [Role.PASSAGE] * n)
    found = cache.get_many(keys)
    assert 64 <= len(found) < n
    cached = [i for i, key in enumerate(keys) if key in found]
    recomputed = embed(minilm, [all_texts[i] for i in cached]).vectors  # no cache: computed afresh
    np.testing.assert_allclose(np.stack([found[keys[i]] for i in cached]), recomputed, atol=1e-5)
    again = embed(minilm, all_texts, cache=cache)  # the lost work is redone, the rest is served
    assert again.cached == len(found) and again.computed == n - len(found)


SHARER = """
    import sys, numpy as np
    sys.path.insert(0, sys.argv[3])
    from embedlab.cache import EmbeddingCache
    cache = EmbeddingCache(sys.argv[1])
    offset = int(sys.argv[2])
    for start in range(offset, offset + 600, 20):
        cache.put_many({f"k{i}": np.full(512, i, dtype=np.float32) for i in range(start, start + 20)})
        cache.clear_memory()
        got = cache.get_many([f"k{i}" for i in range(0, 1000, 7)])
        assert all((v == int(k[1:])).all() for k, v in got.items())
    print("ok", flush=True)
"""


def test_two_processes_share_one_cache_folder(tmp_path):
    procs = [child(SHARER, str(tmp_path), str(offset), str(ROOT)) for offset in (0, 300)]  # overlapping keys
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and out.strip() == "ok", err
    db = sqlite3.connect(tmp_path / DB_NAME)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    found = EmbeddingCache(tmp_path).get_many([f"k{i}" for i in range(900)])
    assert len(found) == 900 and all((v == int(k[1:])).all() for k, v in found.items())


def _mount_tmpfs(path: Path, options: str) -> bool:
    if os.geteuid() != 0:
        return False
    path.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True).returncode == 0


def _umount(path: Path) -> None:
    subprocess.run(["umount", "--lazy", str(path)], capture_output=True)  # lazy: a test's open handle may linger


def test_read_only_cache_folder_keeps_working_in_memory(tmp_path, caplog):
    folder = tmp_path / "ro"
    if not _mount_tmpfs(folder, "ro,size=1m"):  # root ignores file modes, so use a read-only mount
        folder.mkdir()
        folder.chmod(0o500)
    try:
        cache = EmbeddingCache(folder)
        cache.put_many({"a": np.ones(3)})
        cache.put_many({"b": np.ones(3)})
        assert set(cache.get_many(["a", "b"])) == {"a", "b"}
        assert "memory only" in cache.disk_error
        assert sum("memory only" in r.message for r in caplog.records) == 1  # said once
        cache.close()
    finally:
        _umount(folder)
        folder.chmod(0o700)


def test_full_cache_folder_keeps_working_in_memory(tmp_path, caplog):
    folder = tmp_path / "full"
    mounted = _mount_tmpfs(folder, "size=256k")
    try:
        cache = EmbeddingCache(folder)
        assert cache.disk_error is None
        if not mounted:  # a page limit gives SQLite the same SQLITE_FULL a full disk does
            cache._db.execute("PRAGMA max_page_count = 40")
        big = {f"k{i}": np.random.default_rng(i).normal(size=4096) for i in range(40)}  # ~640 kB
        cache.put_many(big)
        assert cache.disk_error and "memory only" in cache.disk_error
        assert len(cache.get_many(list(big))) == 40  # still served, from memory
        cache.put_many({"more": np.ones(3)})
        assert sum("memory only" in r.message for r in caplog.records) == 1
        cache.close()
    finally:
        if mounted:
            _umount(folder)
