"""SIGKILL the running app while it writes a large batch into the on-disk cache, then restart it.

The restarted app must open the cache, redo the lost work, and never serve a corrupt vector: every
vector the cache holds for the pairs is compared with one computed afresh in this process.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time

import numpy as np
import pytest
from gradio_client import Client

from tests.support.apphelpers import running_app
from embedlab.cache import DB_NAME, EmbeddingCache
from embedlab.embedding import embed, keys_for, resolve
from embedlab.methods import Role
from embedlab.pairs import read_pairs

pytestmark = pytest.mark.slow
BASE, EMBED = "smollm2-135m-instruct", "all-minilm-l6-v2"


def big_pairs(n: int = 128) -> list[dict]:
    pool = read_pairs(os.path.join(os.path.dirname(__file__), "..", "..", "assets", "qa-100.csv"))
    return [{"question": f"{pool[i % 100].question} (crash test {i})", "answer": pool[i % 100].answer + f" [{i}]"}
            for i in range(n)]


@pytest.mark.timeout(1800)  # 11.5 min measured at load average 6; its own bounds alone add up to 960 s
def test_sigkill_mid_write_then_restart(tmp_path, session_cache_dir, offline_registry):
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    (cache_dir / "converted").symlink_to(session_cache_dir / "converted")  # skip a second GGUF conversion
    offline_registry.get(BASE)  # makes sure the conversion exists
    pairs = big_pairs()
    wal = cache_dir / (DB_NAME + "-wal")
    (tmp_path / "first").mkdir(), (tmp_path / "second").mkdir()

    with running_app(cache_dir, tmp_path / "first") as url:
        from psutil import Process

        server = next(p for p in Process(os.getpid()).children() if "app.py" in " ".join(p.cmdline()))
        client = Client(url, verbose=False)
        ended: list[str] = []  # how the request ended, if it did before the kill
        worker = threading.Thread(target=lambda: _swallow(client, pairs, ended), daemon=True)
        worker.start()
        deadline = time.monotonic() + 600
        while not (wal.exists() and wal.stat().st_size > 4 * 2**20):  # a large batch is being written
            assert time.monotonic() < deadline and worker.is_alive(), \
                (f"the app never wrote a large batch to its cache; the request {ended or ['was still running']}; "
                 f"the app's log ends:\n{(tmp_path / 'first' / 'app.log').read_text(errors='replace')[-2000:]}")
            time.sleep(0.01)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)

    db = sqlite3.connect(cache_dir / DB_NAME)  # the store opens and is consistent
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()

    with running_app(cache_dir, tmp_path / "second") as url:
        result = Client(url, verbose=False).predict(pairs=pairs, base=BASE, base_method="", embed=EMBED,
                                                    embed_method="", api_name="/compare_json")
    assert result["pairs"] == pairs
    assert result["results"]["base"]["computed"] > 0  # the lost work was redone

    cache = EmbeddingCache(cache_dir)
    texts = [p["question"] for p in pairs] + [p["answer"] for p in pairs]
    roles = [Role.QUERY] * len(pairs) + [Role.PASSAGE] * len(pairs)
    checked = 0
    for name in (BASE, EMBED):
        backend = offline_registry.get(name)
        method, options = resolve(backend, None, None)
        keys = keys_for(backend, method, options, texts, roles)
        found = cache.get_many(keys)
        assert len(found) == len(set(keys)), f"{name}: every vector is cached after the second run"
        fresh = embed(backend, texts, roles).vectors  # no cache: computed afresh
        stored = np.stack([found[k] for k in keys])
        np.testing.assert_allclose(stored, fresh, rtol=1e-4, atol=1e-4 * np.abs(fresh).max())
        checked += len(found)
    assert checked == 4 * len(pairs)


def _swallow(client, pairs, ended: list[str]):
    try:
        client.predict(pairs=pairs, base=BASE, base_method="", embed=EMBED, embed_method="", api_name="/compare_json")
        ended.append("finished")
    except Exception as exc:  # noqa: BLE001 - the server is killed under this call on purpose
        ended.append(f"failed: {type(exc).__name__}: {exc}"[:500])
