"""Embedding texts with a backend: cache look-up, token-budget batching, progress; written once.

`embed()` computes only the texts the cache does not hold, in batches of similar length (sorted
longest first, so memory trouble shows on the first batch), and retries a batch in halves when the
device runs out of memory. It reports how many vectors came from the cache.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .backends import Backend, Item
from .cache import EmbeddingCache, cache_key
from .errors import EmbedLabError
from .methods import Method, Role, check_method
from .prompts import Options

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


def resolve(backend: Backend, method: str | None, options: Options | None) -> tuple[Method, Options]:
    """The method (the model's default where None) and its options with defaults filled in."""
    m = check_method(method or backend.default_method, backend.traits, backend.name)
    return m, (options or Options()).resolved(m, backend.max_length)


def keys_for(backend: Backend, method: Method, options: Options, texts: Sequence[str], roles: Sequence[Role]):
    base = {"model": backend.fingerprint, "dtype": backend.dtype, "method": method.name.value,
            "options": options.as_dict()}
    return [cache_key(**base, role=(role.value if method.roles else ""), text=text)
            for text, role in zip(texts, roles)]


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


def _run(backend: Backend, items: list[Item], method: Method, options: Options) -> np.ndarray:
    import torch  # loaded with the backend already; imported here so this module stays light

    try:
        return backend.embed_batch(items, method, options)
    except torch.OutOfMemoryError:
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        if len(items) == 1:
            raise EmbedLabError(f"{backend.name} ran out of memory on {backend.device} for a single text of "
                                f"{items[0].cost} tokens; lower the max length or use a larger device") from None
        half = len(items) // 2
        return np.concatenate([_run(backend, items[:half], method, options),
                               _run(backend, items[half:], method, options)])


def _truncated_among(backend: Backend, indices: list[int], texts, roles, method: Method, options: Options) -> int:
    """How many of the cached texts at `indices` were truncated when computed. No tokeniser makes more
    tokens than UTF-8 bytes, so only texts whose bytes (with the prompt's) could pass the limit are
    tokenised again."""
    overhead = len(options.task.encode()) + 256  # prompt templates and special tokens, generously
    suspects = [i for i in indices if len(texts[i].encode()) + overhead > options.max_length]
    items = backend.prepare_many([texts[i] for i in suspects], [roles[i] for i in suspects], method, options)
    return sum(bool(item.encoded and item.encoded.truncated) for item in items)


def embed(backend: Backend, texts: Sequence[str], roles: Sequence[Role] | None = None, method: str | None = None,
          options: Options | None = None, cache: EmbeddingCache | None = None,
          progress: Progress | None = None) -> Embedded:
    """Vectors for `texts` (row i for text i), computing only those not in `cache`."""
    start = time.perf_counter()
    roles = list(roles) if roles is not None else [Role.PASSAGE] * len(texts)
    m, opts = resolve(backend, method, options)
    keys = keys_for(backend, m, opts, texts, roles)
    found = cache.get_many(keys) if cache is not None else {}
    todo: dict[str, int] = {}
    for index, key in enumerate(keys):
        if key not in found and key not in todo:
            todo[key] = index
    indices = list(todo.values())
    items = list(zip(indices, backend.prepare_many([texts[i] for i in indices], [roles[i] for i in indices], m, opts)))
    truncated = sum(item.encoded.truncated for _, item in items if item.encoded)
    truncated += _truncated_among(backend, [i for i, key in enumerate(keys) if key not in todo], texts, roles, m, opts)
    total, done = len(items), 0
    if progress:
        progress(0, total, f"{backend.name}: {len(texts) - total} from cache, embedding {total} texts")
    computed: dict[str, np.ndarray] = {}
    for group in batches(items, backend.batch_size, backend.batch_tokens):
        vectors = _run(backend, [item for _, item in group], m, opts)
        for (index, _), vector in zip(group, vectors):
            computed[keys[index]] = vector
        done += len(group)
        if progress:
            progress(done, total, f"{backend.name}: embedded {done}/{total} texts")
    if cache is not None and computed:
        cache.put_many(computed)
    found.update(computed)
    vectors = np.stack([np.asarray(found[key], dtype=np.float32) for key in keys]) if keys else np.zeros((0, 0))
    return Embedded(vectors, m.name.value, opts, cached=len(texts) - total, computed=total, truncated=truncated,
                    seconds=time.perf_counter() - start)
