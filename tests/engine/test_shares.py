"""The share store: a record round-trips through its JSON file (a new store on the same folder, as after
a restart, reopens it, and the reopened sides compare from the cache to the same numbers); its id is the
content's hash; hosted mode bounds the count, the size and the age; and a record is checked when it is
opened, so nothing shared can name a file or a model that the opening server refuses."""

import json
import os
import time
from dataclasses import replace

import numpy as np
import pytest

from tests.support import tinymodels
from embedlab.cache import EmbeddingCache
from embedlab.errors import ShareError
from embedlab.pairs import Pair
from embedlab.session import Session
from embedlab.settings import Settings
from embedlab.shares import (HOSTED_DAYS, HOSTED_MAX_BYTES, HOSTED_MAX_SHARES, ShareLimits, ShareStore, record,
                             share_dir, share_id)
from embedlab.prompts import Options
from embedlab.sides import SideSpec

PAIRS = [Pair("What is GPU?", "A chip that does maths quickly."),
         Pair("Where is OpenAI?", "OpenAI is based at San Francisco."),
         Pair("Who jumps over the dog?", "The quick brown fox.")]
HOSTED = Settings(hosted=True)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("shares")
    return {"llama": str(tinymodels.llama_causal(root / "llama")),
            "bert": str(tinymodels.bert_sentence_transformer(root / "bert"))}


def shared_sides(comparison) -> list[SideSpec]:
    """The sides as the page shares them: what ran, from the comparison."""
    return [SideSpec(side.model, side.method, side.options, name) for name, side in comparison.sides.items()]


def test_a_record_round_trips_across_a_new_store_and_compares_from_the_cache(folders, tmp_path):
    session = Session(cache=EmbeddingCache(tmp_path / "cache"), settings=Settings())
    specs = [SideSpec(folders["llama"], "mean", Options(chat_template=True, max_length=12), "gpt"),
             SideSpec(folders["bert"], None, Options(post="center"), "bert")]
    first = session.compare(PAIRS, sides=specs)
    sid = ShareStore(tmp_path / "shares").put(record(list(first.pairs), shared_sides(first)))
    assert (tmp_path / "shares" / f"{sid}.json").is_file()

    pairs, reopened = ShareStore(tmp_path / "shares").open(sid, Settings())  # a new store: as after a restart
    assert pairs == list(PAIRS) and [s.name for s in reopened] == ["gpt", "bert"]
    assert [(s.model, s.method) for s in reopened] == [(folders["llama"], "mean"), (folders["bert"], first.sides["bert"].method)]
    again = Session(cache=EmbeddingCache(tmp_path / "cache"), settings=Settings()).compare(pairs, sides=reopened)
    for name, side in first.sides.items():
        assert again.sides[name].computed == 0  # every vector from the cache: the same recipe
        np.testing.assert_array_equal(again.sides[name].similarity, side.similarity)
        assert again.sides[name].options == side.options


def test_the_id_is_the_content_hash_and_sharing_again_gives_the_same_link(tmp_path):
    store = ShareStore(tmp_path)
    rec = record(PAIRS, [SideSpec("all-minilm-l6-v2", "mean", name="embed")])
    sid = store.put(rec)
    assert sid == store.put(json.loads(json.dumps(rec))) and len(list(tmp_path.glob("*.json"))) == 1
    import hashlib
    from embedlab.cache import canonical
    assert sid == hashlib.sha256(canonical(rec).encode()).hexdigest()[:len(sid)] == share_id(rec)
    other = store.put(record(PAIRS[:2], [SideSpec("all-minilm-l6-v2", "mean", name="embed")]))
    assert other != sid


def test_hosted_limits_count_size_and_age(tmp_path):
    limits = ShareLimits.for_settings(HOSTED)
    assert limits == ShareLimits(HOSTED_MAX_SHARES, HOSTED_MAX_BYTES, HOSTED_DAYS * 86400.0)
    assert ShareLimits.for_settings(Settings()) == ShareLimits()
    store = ShareStore(tmp_path, replace(limits, max_shares=3))
    ids = []
    for i in range(4):
        ids.append(store.put(record([Pair(f"q{i}", "a")], [SideSpec("all-minilm-l6-v2", name="embed")])))
        os.utime(tmp_path / f"{ids[-1]}.json", (time.time() - 100 + i, time.time() - 100 + i))
    assert sorted(p.stem for p in tmp_path.glob("*.json")) == sorted(ids[1:])  # the oldest went
    with pytest.raises(ShareError, match="unknown or has expired"):
        store.open(ids[0], HOSTED)
    big = record([Pair("q" * 600_000, "a"), Pair("q", "a" * 600_000)], [SideSpec("all-minilm-l6-v2", name="embed")])
    with pytest.raises(ShareError, match=r"over this deployment's limit of 1\.00 MB"):
        store.put(big)
    old = ids[1]
    stale = time.time() - HOSTED_DAYS * 86400 - 60
    os.utime(tmp_path / f"{old}.json", (stale, stale))
    with pytest.raises(ShareError, match=f"{old} is unknown or has expired \\(links are kept {HOSTED_DAYS} days\\)"):
        store.open(old, HOSTED)
    assert store.open(ids[2], HOSTED)[0] == [Pair("q2", "a")]


@pytest.mark.parametrize("model, words", [("SOMEFOLDER", "this deployment only offers these models"),
                                          ("someone/any-hub-model", "this deployment only offers these models"),
                                          ("http://10.0.0.1:8080#m", "this deployment only offers these models")])
def test_opening_in_hosted_mode_refuses_what_a_hosted_compare_refuses(tmp_path, folders, model, words):
    model = folders["llama"] if model == "SOMEFOLDER" else model
    store = ShareStore(tmp_path / "shares")
    sid = store.put(record(PAIRS, [SideSpec("all-minilm-l6-v2", name="embed"), SideSpec(model, name="mine")]))
    assert store.open(sid, Settings())[1][1].model == model  # a local server may open it
    with pytest.raises(ShareError, match=words) as refused:
        store.open(sid, HOSTED)
    assert sid in str(refused.value) and "\n" not in str(refused.value)


def test_a_hand_written_record_is_checked_when_opened(tmp_path):
    store = ShareStore(tmp_path)
    rec = record(PAIRS, [SideSpec("all-minilm-l6-v2", name="embed")])
    files = dict(rec, sides=[{"name": "v", "model": "vectors:/etc/passwd.npz"}])
    long = dict(rec, pairs=[{"question": "x" * 50, "answer": "y"}])
    for bad, words in ((files, "cannot name a file of vectors"), (long, "over the limit of 40")):
        sid = share_id(bad)
        (tmp_path / f"{sid}.json").write_text(json.dumps(bad))
        with pytest.raises(ShareError, match=words):
            store.open(sid, Settings(hosted=True, max_text_chars=40))
    with pytest.raises(ShareError, match="cannot hold"):
        record(PAIRS, [SideSpec("vectors:mine.npz", name="v")])
    for bad_id in ("../../etc/passwd", "ABC", ""):
        with pytest.raises(ShareError, match="is not a share link id"):
            store.get(bad_id)


def test_the_folder_is_beside_the_cache_unless_set(monkeypatch, tmp_path):
    monkeypatch.delenv("EMBEDLAB_SHARE_DIR", raising=False)
    monkeypatch.setenv("EMBEDLAB_CACHE_DIR", str(tmp_path / "cache"))
    assert share_dir() == tmp_path / "cache-shares"
    monkeypatch.setenv("EMBEDLAB_SHARE_DIR", str(tmp_path / "elsewhere"))
    assert share_dir() == tmp_path / "elsewhere" and ShareStore().folder == tmp_path / "elsewhere"
