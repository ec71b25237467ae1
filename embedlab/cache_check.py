"""Looking after the disk cache: what it holds (`info`), whether it holds the right vectors (`verify`),
and emptying it (`clear`); the CLI's `python -m embedlab cache ...`.

A CRC shows that a row's bytes are the ones written, not that they were the right vector to write (a
model loaded wrong once gives wrong vectors with valid CRCs). `verify` recomputes a sample of each
recipe's rows from their stored origin (model, method, options, role, text), with no cache, and deletes
every row further from its recomputation than the dtype's tolerance (relative L2 error). Rows whose
recipe this install cannot reproduce (other weights, libraries or device) are never served here
either, since those are part of the key: they are reported and left. Keys and storage are `cache.py`'s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .cache import EmbeddingCache, canonical, text_keys
from .devices import DTYPES
from .methods import Role, get_method
from .prompts import Options
from .vector_keys import key_parts

TOLERANCE = {"float32": 1e-3, "float16": 3e-2, "bfloat16": 3e-2}
OTHER_TOLERANCE = 0.1  # int8 fast mode: its vectors move with the texts they were batched with
DEFAULT_SAMPLE = 32


def tolerance(dtype: str) -> float:
    """The largest relative L2 error between a row and its recomputation that `verify` accepts."""
    return TOLERANCE.get(dtype, OTHER_TOLERANCE)


@dataclass
class Group:
    """One recipe's rows: a model under one method, options, dtype and device."""

    recipe: int
    model: str
    parts: dict
    rows: int
    nbytes: int
    checked: int = 0
    worst: float = 0.0
    wrong: list[str] = field(default_factory=list)  # texts of the rows deleted
    skipped: str = ""

    @property
    def label(self) -> str:
        p = self.parts
        return f"{self.model} {p['method']['name']} ({p['dtype']}, {p['device']})"


def groups(cache: EmbeddingCache) -> list[Group]:
    rows = cache.read("SELECT r.id, r.model, r.parts, COUNT(v.key), COALESCE(SUM(v.nbytes), 0) FROM recipes r "
                      "JOIN vectors v ON v.recipe = r.id GROUP BY r.id ORDER BY r.model, r.id")
    return [Group(recipe, model, json.loads(parts), n, nbytes) for recipe, model, parts, n, nbytes in rows]


def info(cache: EmbeddingCache) -> str:
    stats = cache.stats()
    lines = [f"cache: {stats['path'] or 'memory only'}" + (f" ({stats['disk_error']})" if stats["disk_error"] else ""),
             f"{stats['disk_vectors']:,} vectors, {stats['disk_bytes'] / 2**20:.1f} MB"]
    for g in groups(cache):
        libs = ", ".join(f"{k} {v}" for k, v in g.parts["libraries"].items()) or "the server's"
        lines.append(f"  {g.label}: {g.rows:,} vectors, {g.nbytes / 2**20:.1f} MB; libraries: {libs}")
    orphans = cache.read("SELECT COUNT(*) FROM vectors WHERE recipe IS NULL")
    if orphans and orphans[0][0]:
        lines.append(f"  {orphans[0][0]:,} vectors stored without their origin (cannot be verified)")
    return "\n".join(lines)


def _load_options(parts: dict) -> dict:
    if parts["dtype"] in DTYPES:
        return {"device": parts["device"], "dtype": parts["dtype"]}
    return {"device": parts["device"], "fast": True}  # int8 fast mode: its own dtype name


def _differs(parts: dict, now: dict) -> list[str]:
    return [name for name in sorted(set(parts) | set(now)) if canonical({0: parts.get(name)}) != canonical({0: now.get(name)})]


def _check(cache: EmbeddingCache, group: Group, backend, sample: int) -> None:
    method, options = get_method(group.parts["method"]["name"]), Options(**group.parts["options"])
    differ = _differs(group.parts, key_parts(backend, method, options))
    if differ:
        group.skipped = f"written with another {', '.join(differ)} than this install has (never served here)"
        return
    rows = cache.read("SELECT key, role, text, data FROM vectors WHERE recipe = ? ORDER BY random()"
                      + (" LIMIT ?" if sample else ""), (group.recipe, sample) if sample else (group.recipe,))
    keyer = text_keys(**group.parts)
    roles = [Role(role) if role else Role.PASSAGE for _, role, _, _ in rows]
    from .embedding import embed

    fresh = embed(backend, [text for _, _, text, _ in rows], roles, method.name.value, options).vectors
    limit, wrong = tolerance(group.parts["dtype"]), []
    for (key, role, text, data), new in zip(rows, fresh):
        stored = np.frombuffer(data, dtype=np.float32)
        error = float(np.linalg.norm(stored - new) / max(float(np.linalg.norm(new)), 1e-12)) \
            if stored.shape == new.shape else float("inf")
        group.worst = max(group.worst, error)
        if error > limit or keyer(role or "", text) != key:
            wrong.append((key, text))
    group.checked = len(rows)
    cache.delete([key for key, _ in wrong])
    group.wrong = [text for _, text in wrong]


def verify(cache: EmbeddingCache, sample: int = DEFAULT_SAMPLE, loader: Callable | None = None) -> list[Group]:
    """Each recipe's sample of rows recomputed (every row where `sample` is 0); wrong rows deleted."""
    from .registry import _load

    loader, loaded, found = loader or _load, {}, groups(cache)
    try:
        for group in found:
            options = _load_options(group.parts)
            where = (group.model, *sorted(options.items()))
            try:
                if where not in loaded:
                    loaded[where] = loader(group.model, **options)
            except Exception as exc:  # noqa: BLE001 - a model that is gone or will not load: say so, go on
                group.skipped = f"cannot load {group.model!r} here: {str(exc).splitlines()[0]}"
                continue
            _check(cache, group, loaded[where], sample)
    finally:
        for backend in loaded.values():
            backend.close()
    return found


def report(found: list[Group]) -> str:
    lines = []
    for g in found:
        if g.skipped:
            lines.append(f"{g.label}: {g.rows:,} vectors, not checked: {g.skipped}")
            continue
        lines.append(f"{g.label}: checked {g.checked:,} of {g.rows:,} vectors, largest relative error "
                     f"{g.worst:.2g} (tolerance {tolerance(g.parts['dtype']):g}); "
                     + (f"{len(g.wrong)} WRONG, deleted" if g.wrong else "all right"))
        lines += [f"  deleted: {text[:70]!r}" for text in g.wrong[:10]]
    return "\n".join(lines) or "the cache holds no vectors with an origin to check"


def clear(cache: EmbeddingCache, model: str | None = None) -> int:
    """Delete every row, or every row of `model` (by the name it was loaded by); how many."""
    if model is None:
        keys = cache.read("SELECT key FROM vectors")
    else:
        keys = cache.read("SELECT v.key FROM vectors v JOIN recipes r ON v.recipe = r.id WHERE r.model = ?", (model,))
    return cache.delete([key for (key,) in keys])
