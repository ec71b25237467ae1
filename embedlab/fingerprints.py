"""Fingerprints: the identity of a model's weights, which every cached vector is keyed on.

A local model is identified by the SHA-256 of its files (sizes and dates only past 1 GiB of files); a
Hub model by its revision; a remote model by its endpoint, served model name and vectors' dimension (a
server's weights cannot be hashed from here). Hashing 100 MB files takes a second at every start, so
each file's digest is kept in `fingerprints.json` in EmbedLab's cache folder, under its path, size and
modification time: a file that changes in any of those is hashed again. What a model folder holds is
`loading.py`'s business; where the vectors are stored is `cache.py`'s.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path

from .env import cache_dir

MEMO_NAME = "fingerprints.json"
HASH_LIMIT = 2**30  # folders bigger than this are identified by sizes and dates, not hashed
_lock = threading.Lock()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_memo(path: Path) -> dict:
    try:
        memo = json.loads(path.read_text())
        return memo if isinstance(memo, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_memo(path: Path, memo: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, scratch = tempfile.mkstemp(dir=path.parent, prefix=".fingerprints-")
        with os.fdopen(fd, "w") as f:
            json.dump(memo, f)
        os.replace(scratch, path)  # atomic: a reader never sees half a file
    except OSError:
        pass  # a read-only cache folder only costs the hashing next time


def file_digest(path: Path) -> str:
    """SHA-256 of a file, from the memo where the file's path, size and modification time still match."""
    path = Path(path).resolve()
    stat = path.stat()
    stamp = [stat.st_size, stat.st_mtime_ns]
    memo_path = cache_dir() / MEMO_NAME
    with _lock:
        entry = _read_memo(memo_path).get(str(path))
    if isinstance(entry, dict) and entry.get("stamp") == stamp and isinstance(entry.get("sha256"), str):
        return entry["sha256"]
    digest = _sha256(path)
    with _lock:
        memo = _read_memo(memo_path)  # re-read: another process may have added files meanwhile
        memo[str(path)] = {"stamp": stamp, "sha256": digest}
        _write_memo(memo_path, memo)
    return digest


def remote_fingerprint(url: str, served_model: str, dim: int) -> str:
    """Identity of a model behind an embeddings server: never equal to a local model's."""
    return f"remote:{url.rstrip('/')}#{served_model}:{dim}"


def fingerprint(kind: str, location: str, revision: str | None = None) -> str:
    """Identity of the weights at `location` ("hub", "gguf" or "folder")."""
    if kind == "hub":
        return f"hub:{location}@{revision or 'unknown'}"
    path = Path(location)
    if kind == "gguf":
        return f"gguf:{file_digest(path)}"
    files = sorted(p for p in path.rglob("*") if p.is_file() and ".cache" not in p.parts)
    total = sum(p.stat().st_size for p in files)
    digest = hashlib.sha256()
    for p in files:
        stat = p.stat()
        part = file_digest(p) if total <= HASH_LIMIT else f"{stat.st_size}:{stat.st_mtime_ns}"
        digest.update(f"{p.relative_to(path)}={part};".encode())
    return f"folder:{digest.hexdigest()}"
