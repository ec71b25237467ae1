"""The embedding cache: a bounded in-memory LRU in front of a SQLite store on disk.

Keys are made by `text_keys()` / `cache_key()` from everything that changes a vector (`vector_keys.py`
says what that is). Vectors are stored as float32 with a CRC so a torn or corrupt row is never served,
each beside its `Origin` (the model's name, the key's parts, the role and text) so `cache_check.py` can
recompute it. The store carries a schema version: a store of another version is emptied on opening, so
no row written before a change to the keys or to loading is ever served. If the folder cannot be written,
the cache keeps working in memory and says so once in `disk_error`. A row deleted from the store (by
`cache verify` or `cache clear`, in this process or another) is never served again from any process's
memory tier: a delete bumps a counter in the store, and each read first checks it (SQLite's cheap
`data_version` says when another connection has written at all) and empties its memory tier when it
moved. What to compute and how is the caller's business.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .env import cache_dir

log = logging.getLogger(__name__)

DB_NAME = "embeddings.sqlite3"
# 2: rows keyed on the method's recipe, the device kind and the engine's library versions, each with its
# origin; rows of version 0/1 (written before the concurrent-loading fix) are dropped, never served
SCHEMA_VERSION = 2
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS recipes (
        id INTEGER PRIMARY KEY, model TEXT NOT NULL, parts TEXT NOT NULL, UNIQUE (model, parts))""",
    """CREATE TABLE IF NOT EXISTS vectors (
        key TEXT PRIMARY KEY, dim INTEGER NOT NULL, crc INTEGER NOT NULL, data BLOB NOT NULL,
        nbytes INTEGER NOT NULL, used REAL NOT NULL, recipe INTEGER, role TEXT, text TEXT)""",
    "CREATE INDEX IF NOT EXISTS vectors_used ON vectors(used)",
    "CREATE INDEX IF NOT EXISTS vectors_recipe ON vectors(recipe)",
    # bumped by every `delete` that removed rows, so each process's memory tier can tell (see `_sync`)
    "CREATE TABLE IF NOT EXISTS deletions (generation INTEGER NOT NULL)",
    "INSERT INTO deletions SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM deletions)",
)
OPEN_SECONDS = 30  # how long opening waits for other processes that hold the store


@dataclass(frozen=True)
class Origin:
    """Where a batch of rows came from: enough to compute each again (see cache_check.py)."""

    model: str  # the name the model is loaded by (preset, Hub id, path, URL#MODEL)
    parts: dict  # what `text_keys` was given: everything but each row's role and text
    texts: dict  # key -> (role as keyed, text)


def canonical(parts: dict) -> str:
    """`parts` as one string, the same for equal parts whatever their order: what keys are made from."""
    return json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def text_keys(**parts) -> Callable[[str, str], str]:
    """Keys for many texts that share every part but the text and its role: `keyer(role, text)`.

    The shared parts are serialised and hashed once; each text only extends a copy of that hash, so a
    thousand keys cost a thousand short hashes (a cached re-run of a sweep is mostly key making).
    Role and text are written with their lengths in front, so no text can pass for another role.
    """
    blob = canonical(parts).encode("utf-8")
    shared = hashlib.sha256(b"%d:" % len(blob) + blob)

    def keyer(role: str, text: str) -> str:
        h = shared.copy()
        r, t = role.encode("utf-8"), text.encode("utf-8")
        h.update(b"%d:%s%d:%s" % (len(r), r, len(t), t))
        return h.hexdigest()

    return keyer


def cache_key(role: str = "", text: str = "", **parts) -> str:
    """The key of one text: the same as `text_keys(**parts)(role, text)`."""
    return text_keys(**parts)(role, text)


class StoreVersionError(Exception):
    """The store was written by a newer EmbedLab: left alone (emptying it would undo that one's work)."""


def _retry_while_locked(step: Callable[[], None], seconds: float) -> None:
    """Run `step`, again while another process holds the store. SQLite answers "database is locked" at
    once, without waiting out the busy timeout, where two connections set up a new store together (the
    switch to WAL needs the file to itself): the cause of a flaky two-process test."""
    deadline, pause = time.monotonic() + seconds, 0.005
    while True:
        try:
            return step()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


def _prepare(db: sqlite3.Connection) -> None:
    """WAL mode, and the tables of this schema version, emptying a store of an older one."""
    if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("BEGIN IMMEDIATE")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreVersionError(f"the store has schema version {version}, written by a newer EmbedLab "
                                    f"(this one writes {SCHEMA_VERSION})")
        if version < SCHEMA_VERSION:
            db.execute("DROP TABLE IF EXISTS vectors")  # rows of an older version are never served
            db.execute("DROP TABLE IF EXISTS recipes")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        for statement in SCHEMA:
            db.execute(statement)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


class EmbeddingCache:
    def __init__(self, folder: str | Path | None = None, memory_bytes: int = 512 * 2**20,
                 disk_bytes: int = 4 * 2**30, use_disk: bool = True):
        self.memory_bytes = memory_bytes
        self.disk_bytes = disk_bytes
        self._memory: OrderedDict[str, np.ndarray] = OrderedDict()
        self._memory_used = 0
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._seen = (None, None)  # the store's (data_version, deletions) when the memory tier last matched it
        self.disk_error: str | None = None
        self.path: Path | None = None
        if use_disk:
            self._open(Path(folder) if folder else cache_dir())

    def _open(self, folder: Path) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.path = folder / DB_NAME
            db = sqlite3.connect(self.path, timeout=OPEN_SECONDS, check_same_thread=False, isolation_level=None)
            _retry_while_locked(lambda: _prepare(db), OPEN_SECONDS)
            self._db = db
            self._sync()  # what the store holds now is what the (empty) memory tier matches
        except (OSError, sqlite3.Error, StoreVersionError) as exc:
            self._disable(f"cannot use the disk cache at {folder}: {exc}; caching in memory only")

    def _disable(self, message: str) -> None:
        if self.disk_error is None:
            log.warning(message)
        self.disk_error = message
        self._db = None

    # memory tier -----------------------------------------------------------------------------------
    def _remember(self, key: str, vector: np.ndarray) -> None:
        if key in self._memory:
            self._memory.move_to_end(key)
            return
        self._memory[key] = vector
        self._memory_used += vector.nbytes
        while self._memory_used > self.memory_bytes and self._memory:
            _, old = self._memory.popitem(last=False)
            self._memory_used -= old.nbytes

    def _sync(self) -> None:
        """Empty the memory tier if rows were deleted from the store since it last matched (another
        process's `delete`; ours forget their keys themselves). Called holding the lock."""
        try:
            version = self._db.execute("PRAGMA data_version").fetchone()[0]
            if version == self._seen[0]:
                return  # nobody else has written to the store since: one pragma, no table read
            generation = self._db.execute("SELECT generation FROM deletions").fetchone()[0]
        except sqlite3.Error as exc:
            self._disable(f"the disk cache failed ({exc}); caching in memory only")
            return
        if generation != self._seen[1]:
            self._memory.clear()
            self._memory_used = 0
        self._seen = (version, generation)

    # public ----------------------------------------------------------------------------------------
    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            if self._db is not None:
                self._sync()
            for key in keys:
                if key in self._memory:
                    self._memory.move_to_end(key)
                    found[key] = self._memory[key]
            missing = [k for k in dict.fromkeys(keys) if k not in found]
            if missing and self._db is not None:
                found.update(self._load(missing))
        return found

    def _load(self, keys: list[str]) -> dict[str, np.ndarray]:
        found = {}
        try:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                rows = self._db.execute(
                    f"SELECT key, dim, crc, data FROM vectors WHERE key IN ({','.join('?' * len(chunk))})",
                    chunk).fetchall()
                for key, dim, crc, data in rows:
                    if len(data) != 4 * dim or zlib.crc32(data) != crc:
                        log.warning("dropping a corrupt cache row")
                        self._db.execute("DELETE FROM vectors WHERE key = ?", (key,))
                        continue
                    vector = np.frombuffer(data, dtype=np.float32).copy()
                    found[key] = vector
                    self._remember(key, vector)
            if found:
                now = time.time()
                self._db.executemany("UPDATE vectors SET used = ? WHERE key = ?", [(now, k) for k in found])
        except sqlite3.Error as exc:
            self._disable(f"the disk cache failed ({exc}); caching in memory only")
        return found

    def put_many(self, items: dict[str, np.ndarray], origin: Origin | None = None) -> None:
        """Store vectors by key; with their `origin`, so a check can compute them again."""
        vectors = {k: np.ascontiguousarray(v, dtype=np.float32).ravel() for k, v in items.items()}
        with self._lock:
            for key, vector in vectors.items():
                self._remember(key, vector)
            if self._db is None or not vectors:
                return
            now = time.time()
            try:
                self._db.execute("BEGIN IMMEDIATE")
                recipe = self._recipe_id(origin) if origin else None
                texts = origin.texts if origin else {}
                rows = [(k, v.size, zlib.crc32(v.tobytes()), v.tobytes(), v.nbytes, now, recipe,
                         *texts.get(k, (None, None))) for k, v in vectors.items()]
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
                self._evict()
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                try:
                    self._db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                self._disable(f"cannot write the disk cache ({exc}); caching in memory only")

    def _recipe_id(self, origin: Origin) -> int:
        parts = canonical(origin.parts)
        self._db.execute("INSERT OR IGNORE INTO recipes (model, parts) VALUES (?, ?)", (origin.model, parts))
        return self._db.execute("SELECT id FROM recipes WHERE model = ? AND parts = ?",
                                (origin.model, parts)).fetchone()[0]

    def _evict(self) -> None:
        """Drop the least recently used rows until the store is back under 90% of its bound."""
        total = self._db.execute("SELECT COALESCE(SUM(nbytes), 0) FROM vectors").fetchone()[0]
        if total <= self.disk_bytes:
            return
        target, drop = int(self.disk_bytes * 0.9), []
        for key, nbytes in self._db.execute("SELECT key, nbytes FROM vectors ORDER BY used"):
            if total <= target:
                break
            drop.append((key,))
            total -= nbytes
        self._db.executemany("DELETE FROM vectors WHERE key = ?", drop)

    def stats(self) -> dict:
        with self._lock:
            rows = disk = 0
            if self._db is not None:
                try:
                    rows, disk = self._db.execute("SELECT COUNT(*), COALESCE(SUM(nbytes), 0) FROM vectors").fetchone()
                except sqlite3.Error:
                    pass
            return {"memory_vectors": len(self._memory), "memory_bytes": self._memory_used,
                    "disk_vectors": rows, "disk_bytes": disk, "path": str(self.path) if self.path else None,
                    "disk_error": self.disk_error}

    def read(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of a query on the disk store; [] where there is none (for `cache_check.py`)."""
        with self._lock:
            return self._db.execute(sql, params).fetchall() if self._db is not None else []

    def delete(self, keys: list[str]) -> int:
        """Forget these keys in memory and on disk; how many rows the disk held."""
        with self._lock:
            for key in keys:
                vector = self._memory.pop(key, None)
                if vector is not None:
                    self._memory_used -= vector.nbytes
            if self._db is None or not keys:
                return 0
            self._db.execute("BEGIN IMMEDIATE")
            self._sync()  # inside the transaction: no other delete can slip between this and ours
            if self._db is None:
                return 0  # the store failed; `disk_error` says so
            before = self._db.total_changes
            self._db.executemany("DELETE FROM vectors WHERE key = ?", [(k,) for k in keys])
            deleted = self._db.total_changes - before
            self._db.execute("DELETE FROM recipes WHERE id NOT IN (SELECT DISTINCT recipe FROM vectors "
                             "WHERE recipe IS NOT NULL)")
            if deleted:
                self._db.execute("UPDATE deletions SET generation = generation + 1")
                self._seen = (self._seen[0], self._seen[1] + 1)  # our own: this memory tier already forgot them
            self._db.execute("COMMIT")
            return deleted

    def clear_memory(self) -> None:
        with self._lock:
            self._memory.clear()
            self._memory_used = 0

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
