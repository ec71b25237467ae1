"""File fingerprints are memoised by (path, size, modification time) and never stale."""

import hashlib
import os

from embedlab import fingerprints
from embedlab.loading import Source, fingerprint


def test_digest_is_memoised_until_the_file_changes(tmp_path, monkeypatch):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"a" * 1000)
    hashed = []
    real = fingerprints._sha256
    monkeypatch.setattr(fingerprints, "_sha256", lambda p: hashed.append(p) or real(p))
    first = fingerprints.file_digest(path)
    assert first == hashlib.sha256(b"a" * 1000).hexdigest() and len(hashed) == 1
    assert fingerprints.file_digest(path) == first and len(hashed) == 1  # from the memo
    path.write_bytes(b"b" * 1000)  # same size, new content and time
    os.utime(path, ns=(1, 1))
    assert fingerprints.file_digest(path) == hashlib.sha256(b"b" * 1000).hexdigest() and len(hashed) == 2


def test_folder_fingerprint_is_the_same_with_or_without_the_memo(tmp_path):
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "sub" / "w.bin").write_bytes(b"x" * 10)
    source = Source("m", "folder", str(folder))
    cold = fingerprint(source)
    assert (fingerprints.cache_dir() / fingerprints.MEMO_NAME).exists()
    assert fingerprint(source) == cold
    expected = hashlib.sha256()
    for rel, data in (("config.json", b"{}"), ("sub/w.bin", b"x" * 10)):
        expected.update(f"{rel}={hashlib.sha256(data).hexdigest()};".encode())
    assert cold == f"folder:{expected.hexdigest()}"


def test_unwritable_memo_still_gives_the_digest(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDLAB_CACHE_DIR", str(tmp_path / "missing" / "deeper"))
    monkeypatch.setattr(fingerprints, "_write_memo", lambda *a: None)
    path = tmp_path / "f"
    path.write_bytes(b"z")
    assert fingerprints.file_digest(path) == hashlib.sha256(b"z").hexdigest()
