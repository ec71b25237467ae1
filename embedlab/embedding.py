"""Embedding texts with a backend: cache look-up, token-budget batching, progress; written once.

`embed()` computes only the texts the cache does not hold, in batches of similar length (sorted
longest first, so memory trouble shows on the first batch), and retries a batch in halves when the
device runs out of memory. It reports how many vectors came from the cache.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .backends import Backend, Item
from .cache import EmbeddingCache, Origin, text_keys
from .errors import EmbedLabError
from .methods import Method, Role, check_method
from .prompts import Options
from .vector_keys import key_parts

Progress = Callable[[int, int, str], None]  # (done, total, message)


@dataclass
class Embedded:
    vectors: np.ndarray  # [n, dim] float32
    method: str
    options: Options
    cached: int
    computed: int
    truncated: int
    seconds: float


def resolve(backend: Backend, method: Method | str | None, options: Options | None) -> tuple[Method, Options]:
    """The method (the model's default where None) and its options with defaults filled in. A `Method`
    was resolved already (`side_sources.ModelSource`), with its options: both are taken as they are."""
    if isinstance(method, Method):
        return method, options
    m = check_method(method or backend.default_method, backend.traits, backend.name)
    return m, (options or Options()).resolved(m, backend.max_length, backend.layers)


def keyed_role(method: Method, role: Role) -> str:
    """The role as a key holds it: "" where the method writes queries and passages alike."""
    return role.value if method.roles else ""


def keys_for(backend: Backend, method: Method, options: Options, texts: Sequence[str], roles: Sequence[Role]):
    keyer = text_keys(**key_parts(backend, method, options))
    return [keyer(keyed_role(method, role), text) for text, role in zip(texts, roles)]


def batches(items: list[tuple[int, Item]], batch_size: int, batch_tokens: int) -> list[list[tuple[int, Item]]]:
    """Group (index, item) pairs longest first so that batch size x longest item <= batch_tokens."""
    ordered = sorted(items, key=lambda pair: -pair[1].cost)
    groups: list[list[tuple[int, Item]]] = []
    for pair in ordered:
        group = groups[-1] if groups else None
        if group and len(group) < batch_size and (len(group) + 1) * group[0][1].cost <= batch_tokens:
            group.append(pair)
        else:
            groups.append([pair])
    return groups


Use = tuple[Method, Options, list[tuple[int, int]]]  # a method, its options, (batch row, pool_from) it reads


def _run(backend: Backend, items: list[Item], uses: list[Use]) -> list[np.ndarray]:
    """One forward pass over `items` (distinct model inputs) read by every use; on running out of memory,
    the batch is retried in halves."""
    try:
        return backend.embed_shared(items, uses)
    except Exception as exc:
        torch = sys.modules.get("torch")  # a backend that runs out of memory imported it; a server's never does
        if torch is None or not isinstance(exc, torch.OutOfMemoryError):
            raise
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        if len(items) == 1:
            raise EmbedLabError(f"{backend.name} ran out of memory on {backend.device} for a single text of "
                                f"{items[0].cost} tokens; lower the max length or use a larger device") from None
        half = len(items) // 2
        parts = []
        for lo, hi in ((0, half), (half, len(items))):
            part_uses = [(m, o, [(row - lo, p) for row, p in rows if lo <= row < hi]) for m, o, rows in uses]
            parts.append(_run(backend, items[lo:hi], part_uses))
        return [np.concatenate([a, b]) for a, b in zip(*parts)]


def _truncated_among(backend: Backend, indices: list[int], texts, roles, method: Method, options: Options) -> int:
    """How many of the cached texts at `indices` were truncated when computed. No tokeniser makes more
    tokens than UTF-8 bytes, so only texts whose bytes (with the prompt's) could pass the limit are
    tokenised again."""
    overhead = len(options.task.encode()) + 256  # prompt templates and special tokens, generously
    suspects = [i for i in indices if len(texts[i].encode()) + overhead > options.max_length]
    items = backend.prepare_many([texts[i] for i in suspects], [roles[i] for i in suspects], method, options)
    return sum(bool(item.encoded and item.encoded.truncated) for item in items)


@dataclass
class _Recipe:
    """One method's work within `embed_many`: its keys, what the cache had, what it still needs."""

    method: Method
    options: Options
    keys: list[str]
    found: dict
    todo: dict[str, int]  # key -> first text index with that key
    truncated: int = 0
    seconds: float = 0.0


def embed(backend: Backend, texts: Sequence[str], roles: Sequence[Role] | None = None, method: str | None = None,
          options: Options | None = None, cache: EmbeddingCache | None = None,
          progress: Progress | None = None) -> Embedded:
    """Vectors for `texts` (row i for text i), computing only those not in `cache`."""
    return embed_many(backend, texts, roles, [(method, options)], cache, progress)[0]


def _batches_by_readers(order: list, inputs: dict, needs: dict, backend: Backend) -> list[list[tuple[int, Item]]]:
    """Batches of (index in `order`, item), each from inputs read by the same methods. Inputs of one
    method share its prompt format, so a batch of them keeps the token prefix they have in common (a
    chat template's system prompt, run once per batch); mixed with another method's inputs it would not."""
    families: dict[frozenset, list[tuple[int, Item]]] = {}
    for i, key in enumerate(order):
        families.setdefault(frozenset(r for r, _, _ in needs[key]), []).append((i, inputs[key]))
    groups = [group for family in families.values() for group in batches(family, backend.batch_size, backend.batch_tokens)]
    return sorted(groups, key=lambda group: -group[0][1].cost)  # still the longest first


def _planned(backend: Backend, texts: Sequence[str], roles: list[Role], method: Method | str | None,
             options: Options | None, cache: EmbeddingCache | None) -> tuple[_Recipe, list[Item]]:
    """One method's work: its keys, what the cache holds, and the model inputs of the texts it does not
    (one per distinct key), with how many texts are truncated, computed or cached."""
    m, opts = resolve(backend, method, options)
    keys = keys_for(backend, m, opts, texts, roles)
    found = cache.get_many(keys) if cache is not None else {}
    todo: dict[str, int] = {}
    for index, key in enumerate(keys):
        if key not in found and key not in todo:
            todo[key] = index
    indices = list(todo.values())
    items = backend.prepare_many([texts[i] for i in indices], [roles[i] for i in indices], m, opts)
    recipe = _Recipe(m, opts, keys, found, todo)
    recipe.truncated = sum(item.encoded.truncated for item in items if item.encoded)
    recipe.truncated += _truncated_among(backend, [i for i, key in enumerate(keys) if key not in todo],
                                         texts, roles, m, opts)
    return recipe, items


def embed_many(backend: Backend, texts: Sequence[str], roles: Sequence[Role] | None,
               recipes: Sequence[tuple[Method | str | None, Options | None]], cache: EmbeddingCache | None = None,
               progress: Progress | None = None) -> list[Embedded]:
    """`embed` for several methods of one model at once: a text that gives the same model input under
    several methods (same prompt format, same truncation) runs through the model once, and each method
    pools that one forward pass. A shared pass's time is split among the methods by the rows each read."""
    roles = list(roles) if roles is not None else [Role.PASSAGE] * len(texts)
    work: list[_Recipe] = []
    inputs: dict[object, Item] = {}  # distinct model inputs, in first-seen order
    needs: dict[object, list[tuple[int, str, int]]] = {}  # input -> (recipe, key, pool_from)
    for r, (method, options) in enumerate(recipes):
        start = time.perf_counter()
        recipe, items = _planned(backend, texts, roles, method, options, cache)
        for key, item in zip(recipe.todo, items):
            shared = tuple(item.encoded.ids) if item.encoded else (r, key)  # untokenised inputs are never shared
            inputs.setdefault(shared, item)
            needs.setdefault(shared, []).append((r, key, item.encoded.pool_from if item.encoded else 0))
        recipe.seconds = time.perf_counter() - start
        work.append(recipe)
    order = list(inputs)
    total, done = len(order), 0
    if progress:
        cached = sum(len(texts) - len(w.todo) for w in work)
        progress(0, total, f"{backend.name}: {cached} from cache, embedding {total} model inputs")
    computed: list[dict[str, np.ndarray]] = [{} for _ in work]
    for group in _batches_by_readers(order, inputs, needs, backend):
        start = time.perf_counter()
        shared = [order[i] for i, _ in group]
        readers = sorted({r for k in shared for r, _, _ in needs[k]})
        uses = [(work[r].method, work[r].options,
                 [(row, pool) for row, k in enumerate(shared) for rr, _, pool in needs[k] if rr == r]) for r in readers]
        vectors = _run(backend, [item for _, item in group], uses)
        for r, rows in zip(readers, vectors):
            keys = [key for k in shared for rr, key, _ in needs[k] if rr == r]
            computed[r].update(zip(keys, rows))
        for r, rows in zip(readers, vectors):  # the pass's time, split by how many rows each method read
            work[r].seconds += (time.perf_counter() - start) * len(rows) / sum(len(v) for v in vectors)
        done += len(group)
        if progress:
            progress(done, total, f"{backend.name}: embedded {done}/{total} model inputs")
    results = []
    for w, new in zip(work, computed):
        start = time.perf_counter()
        if cache is not None and new:
            origin = Origin(backend.name, key_parts(backend, w.method, w.options),
                            {key: (keyed_role(w.method, roles[i]), texts[i]) for key, i in w.todo.items()})
            cache.put_many(new, origin)
        w.found.update(new)
        vectors = np.stack([np.asarray(w.found[key], dtype=np.float32) for key in w.keys]) if w.keys else np.zeros((0, 0))
        results.append(Embedded(vectors, w.method.name.value, w.options, cached=len(texts) - len(w.todo),
                                computed=len(w.todo), truncated=w.truncated,
                                seconds=w.seconds + time.perf_counter() - start))
    return results
