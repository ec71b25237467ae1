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

ROOT = Path(__file__).resolve().parents[2]


def texts(n: int) -> list[str]:
    words = (ROOT / "assets" / "qa-100.csv").read_text().split()
    rng = random.Random(7)
    return [" ".join(rng.choices(words, k=rng.randint(5, 60))) + f" #{i}" for i in range(n)]


def child(code: str, *args: str, stderr=subprocess.PIPE) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env,
                            stdout=subprocess.PIPE, stderr=stderr, text=True)


# The writer stops for good inside one SQLite write, after `stop_at` rows of its whole run have been
# inserted: in the middle of a transaction, some of whose rows are written and none committed. It says
# "mid-write" there and waits to be killed. (The trace callback runs before each statement, each row of
# an executemany included.)
WRITER = """
    import sqlite3, sys, time
    sys.path.insert(0, sys.argv[3])
    stop_at, inserted = int(sys.argv[4]), [0]

    def trace(statement):
        if statement.lstrip().upper().startswith("INSERT"):
            if inserted[0] == stop_at:
                print("mid-write", flush=True)
                time.sleep(600)  # killed here
            inserted[0] += 1

    def connect(*args, real=sqlite3.connect, **kwargs):
        db = real(*args, **kwargs)
        db.set_trace_callback(trace)
        return db

    sqlite3.connect = connect
    from tests.engine.test_faults import texts
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
KILL_SEED = 20240611


@pytest.mark.slow
def test_sigkill_while_writing_never_serves_a_corrupt_vector(tmp_path, minilm):
    folder, chunks = tmp_path / "cache", 8
    n = 64 * chunks
    rng = random.Random(KILL_SEED)  # a fixed kill point: the same run every time
    stop_chunk, stop_row = rng.randint(1, chunks - 2), rng.randint(1, 63)  # committed chunks before, rows in it
    with open(tmp_path / "writer.log", "w+") as log:
        proc = child(WRITER, str(folder), str(n), str(ROOT), str(64 * stop_chunk + stop_row), stderr=log)
        try:
            reported = []
            for line in proc.stdout:  # every chunk the writer committed, then "mid-write"
                if line.strip() == "mid-write":
                    break
                reported.append(int(line))
            else:
                proc.wait(timeout=30)
                log.seek(0)
                pytest.fail(f"the writer ended (exit {proc.returncode}) before its stop:\n{log.read()[-3000:]}")
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert reported == [64 * (c + 1) for c in range(stop_chunk)]  # killed after these commits, inside the next

    db = sqlite3.connect(folder / DB_NAME)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    cache = EmbeddingCache(folder)
    all_texts = texts(n)
    method, options = resolve(minilm, None, None)
    keys = keys_for(minilm, method, options, all_texts, [Role.PASSAGE] * n)
    found = cache.get_many(keys)
    # every committed chunk is there whole; none of the stop_row rows of the open transaction is
    assert set(found) == set(keys[: 64 * stop_chunk])
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


# Each of 4 processes opens the same 50 new cache folders, one by one, all 4 at the same moment: they
# sleep until a shared start time plus the round's slot. Opening must never fall back to memory.
OPENER = """
    import sys, time
    sys.path.insert(0, sys.argv[3])
    import numpy as np
    from embedlab.cache import EmbeddingCache
    base, start, worker, rounds = sys.argv[1], float(sys.argv[2]), int(sys.argv[4]), int(sys.argv[5])
    for r in range(rounds):
        time.sleep(max(0.0, start + r * 0.15 - time.time()))
        cache = EmbeddingCache(f"{base}/f{r}")
        cache.put_many({f"w{worker}": np.full(8, worker, dtype=np.float32)})
        print(cache.disk_error or "ok", flush=True)
        cache.close()
"""


def test_four_processes_open_one_new_cache_folder_at_once(tmp_path):
    rounds, workers = 50, 4
    start = time.time() + 3  # after every process has imported numpy and the cache
    procs = [child(OPENER, str(tmp_path), str(start), str(ROOT), str(w), str(rounds)) for w in range(workers)]
    outputs = [proc.communicate(timeout=180) for proc in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        failed = [line for line in out.splitlines() if line != "ok"]
        assert not failed and len(out.splitlines()) == rounds, failed[:3]
    for r in range(rounds):  # every process's row reached the disk
        assert len(EmbeddingCache(tmp_path / f"f{r}").get_many([f"w{w}" for w in range(workers)])) == workers


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
