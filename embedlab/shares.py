"""Shared comparisons: a durable, content-addressed store of what a share link reopens.

A record holds the pairs and the sides (each a name, a model, a method and its options), nothing else:
no results, no vectors, no files. Its id is the start of the SHA-256 of its canonical JSON, so sharing
the same comparison twice gives the same link. Records are JSON files in a folder beside the cache
(`share_dir`: $EMBEDLAB_SHARE_DIR, else the cache folder's name + "-shares"), so a link survives a
restart. In hosted mode the store is bounded (`ShareLimits.for_settings`): at most HOSTED_MAX_SHARES
records (the oldest go first), each at most HOSTED_MAX_BYTES, each kept HOSTED_DAYS after it was last
shared; elsewhere it is unbounded. A record is checked when it is OPENED, with the settings of the
server that opens it, exactly as a Compare is (pairs limits, allowed models), so a record written by
a local run cannot make a hosted server open a file or a model it refuses.

What it leaves out: running the comparison (the page does, through the cache) and drawing it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .backends.vectors import is_vectors
from .cache import cache_dir, canonical
from .errors import EmbedLabError, ShareError
from .pairs import Pair, pairs_from_value
from .settings import Settings
from .sides import SideSpec, named_specs, specs_from_value

VERSION = 1
ID_CHARS = 20  # hex digits of the SHA-256: 80 bits
ID_PATTERN = re.compile(f"[0-9a-f]{{{ID_CHARS}}}")
HOSTED_MAX_SHARES = 1000
HOSTED_MAX_BYTES = 1 * 2**20
HOSTED_DAYS = 30


def share_dir() -> Path:
    """Where shared records are kept: $EMBEDLAB_SHARE_DIR, else beside the cache folder (`<cache>-shares`)."""
    if os.environ.get("EMBEDLAB_SHARE_DIR"):
        return Path(os.environ["EMBEDLAB_SHARE_DIR"])
    cache = cache_dir()
    return cache.parent / f"{cache.name}-shares"


@dataclass(frozen=True)
class ShareLimits:
    max_shares: int | None = None  # None: unbounded
    max_bytes: int | None = None
    seconds: float | None = None  # kept this long after it was last shared; None: for ever

    @classmethod
    def for_settings(cls, settings: Settings) -> "ShareLimits":
        return cls(HOSTED_MAX_SHARES, HOSTED_MAX_BYTES, HOSTED_DAYS * 86400.0) if settings.hosted else cls()


def record(pairs: list[Pair], specs: list[SideSpec]) -> dict:
    """What a link reopens: the pairs and each side's name, model, method and options. Precomputed vectors
    are refused: their file lives on the server only while the page that uploaded it is open."""
    for spec in specs:
        if is_vectors(spec.model):
            raise ShareError(f"side {spec.name!r} is a file of precomputed vectors, which a link cannot hold; "
                             "remove that side to share the rest")
    return {"version": VERSION, "pairs": [p.as_dict() for p in pairs],
            "sides": [{"name": s.name, "model": s.model, "method": s.method, "options": asdict(s.options)}
                      for s in specs]}


def share_id(rec: dict) -> str:
    return hashlib.sha256(canonical(rec).encode("utf-8")).hexdigest()[:ID_CHARS]


def opened(rec: dict, settings: Settings) -> tuple[list[Pair], list[SideSpec]]:
    """The pairs and sides of a record, checked as a Compare on this server checks them: the pairs' count
    and lengths, the sides' names, and every model against what this deployment allows."""
    if not isinstance(rec, dict) or rec.get("version") != VERSION:
        raise ShareError("this share link was written by another version of EmbedLab and cannot be opened")
    pairs = pairs_from_value(rec.get("pairs"))
    settings.check_pairs(pairs)
    specs = list(named_specs(specs_from_value(rec.get("sides"))).values())
    for spec in specs:
        if is_vectors(spec.model):
            raise ShareError(f"side {spec.name!r}: a share link cannot name a file of vectors")
        settings.check_model(spec.model)
    return pairs, specs


class ShareStore:
    def __init__(self, folder: str | Path | None = None, limits: ShareLimits = ShareLimits()):
        self.folder = Path(folder) if folder is not None else share_dir()
        self.limits = limits

    def _path(self, sid: str) -> Path:
        if not isinstance(sid, str) or not ID_PATTERN.fullmatch(sid.strip()):
            raise ShareError(f"{str(sid)[:40]!r} is not a share link id ({ID_CHARS} hexadecimal digits)")
        return self.folder / f"{sid.strip()}.json"

    def _expired(self, path: Path, now: float) -> bool:
        return self.limits.seconds is not None and now - path.stat().st_mtime > self.limits.seconds

    def _prune(self, now: float) -> None:
        """Expired records removed, then the oldest until there is room for one more."""
        files = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for path in [p for p in files if self._expired(p, now)]:
            path.unlink(missing_ok=True)
            files.remove(path)
        if self.limits.max_shares is not None:
            for path in files[:max(0, len(files) - self.limits.max_shares + 1)]:
                path.unlink(missing_ok=True)

    def put(self, rec: dict) -> str:
        """Store `rec` (see `record`) and return its id; sharing it again keeps it longer."""
        text = json.dumps(rec, ensure_ascii=False, sort_keys=True)
        size = len(text.encode("utf-8"))
        if self.limits.max_bytes is not None and size > self.limits.max_bytes:
            raise ShareError(f"this comparison is {size / 2**20:.2f} MB as a link record, over this deployment's "
                             f"limit of {self.limits.max_bytes / 2**20:.2f} MB; share fewer or shorter pairs")
        sid = share_id(rec)
        path = self._path(sid)
        self.folder.mkdir(parents=True, exist_ok=True)
        if path.exists():
            os.utime(path)
            return sid
        self._prune(time.time())
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
        return sid

    def get(self, sid: str) -> dict:
        """The record of link `sid`; unknown and expired links are refused in one line."""
        path = self._path(sid)
        if not path.is_file() or self._expired(path, time.time()):
            raise ShareError(f"share link {sid.strip()} is unknown or has expired"
                             + (f" (links are kept {self.limits.seconds / 86400:g} days)" if self.limits.seconds else ""))
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ShareError(f"share link {sid.strip()} cannot be read ({exc})") from None

    def open(self, sid: str, settings: Settings) -> tuple[list[Pair], list[SideSpec]]:
        """Link `sid`'s pairs and sides, checked against `settings` (see `opened`)."""
        try:
            return opened(self.get(sid), settings)
        except ShareError:
            raise
        except EmbedLabError as exc:
            raise ShareError(f"share link {sid.strip()}: {exc}") from None
