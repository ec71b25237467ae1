"""A session: the model registry, the cache and the settings that the CLI, API and dashboard share.

It serialises model computation (one at a time in the process, so visitors' requests queue rather
than fight over the device) and is what the convenience functions `compare_pairs` and `embed_texts`
use by default.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Sequence

from .backends import Backend
from .cache import EmbeddingCache
from .compare import SideSpec, compare
from .devices import choose_device
from .embedding import Embedded, Progress, embed
from .methods import Role
from .pairs import Pair, pairs_from_value
from .presets import default_pair
from .prompts import Options
from .registry import ModelRegistry
from .settings import Settings


class Session:
    def __init__(self, cache: EmbeddingCache | None = None, registry: ModelRegistry | None = None,
                 device: str | None = None, dtype: str | None = None, max_pairs: int | None = None,
                 settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        if max_pairs is not None:
            self.settings = replace(self.settings, max_pairs=max_pairs)
        self.cache = cache if cache is not None else EmbeddingCache()
        self.registry = registry if registry is not None else shared_registry(
            allow_hub=self.settings.free_models or bool(self.settings.allowed_models),
            allow_paths=self.settings.free_models)
        self.device = device
        self.dtype = dtype
        self.compute_lock = threading.Lock()

    @property
    def max_pairs(self) -> int:
        return self.settings.max_pairs

    def backend(self, name: str, device: str | None = None) -> Backend:
        """`name` loaded (once per process) on `device`, or on the session's device; refused if not allowed."""
        return self.registry.get(self.settings.check_model(name), device=device or self.device, dtype=self.dtype)

    def compare(self, pairs: Sequence[Pair] | Sequence[dict], base: SideSpec | str | None = None,
                embed: SideSpec | str | None = None, progress: Progress | None = None,
                device: str | None = None) -> dict:
        """Both sides on `pairs` (anything `pairs_from_value` reads), on `device` or the session's."""
        pairs = pairs_from_value(pairs)
        self.settings.check_pairs(pairs)
        defaults = default_pair()
        specs = {side: (spec if isinstance(spec, SideSpec) else SideSpec(spec or fallback))
                 for side, spec, fallback in (("base", base, defaults[0]), ("embed", embed, defaults[1]))}
        device = choose_device(device or self.device)
        backends = {}
        for side, spec in specs.items():
            if progress:
                progress(0, 0, f"loading {spec.model} on {device}")
            backends[side] = self.backend(spec.model, device)
        with self.compute_lock:
            return compare(pairs, backends, specs, self.cache, progress)

    def embed(self, model: str, texts: Sequence[str], method: str | None = None, options: Options | None = None,
              roles: Sequence[Role] | None = None, device: str | None = None) -> Embedded:
        backend = self.backend(model, device)
        with self.compute_lock:
            return embed(backend, list(texts), roles, method, options, self.cache)


_registries: dict[tuple[bool, bool], ModelRegistry] = {}
_registries_lock = threading.Lock()  # not _default_lock: making the default session takes a registry
_default: Session | None = None
_default_lock = threading.Lock()


def shared_registry(allow_hub: bool = True, allow_paths: bool = True) -> ModelRegistry:
    """The process-wide registry for these permissions: sessions made one after another share models."""
    with _registries_lock:
        key = (allow_hub, allow_paths)
        if key not in _registries:
            _registries[key] = ModelRegistry(allow_hub=allow_hub, allow_paths=allow_paths)
        return _registries[key]


def default_session() -> Session:
    global _default
    with _default_lock:
        if _default is None:
            _default = Session()
        return _default


def compare_pairs(pairs, base: SideSpec | str | None = None, embed: SideSpec | str | None = None,
                  session: Session | None = None) -> dict:
    """Compare a base GPT and an embedding model on pairs (Pair objects or {"question","answer"} dicts)."""
    return (session or default_session()).compare(pairs, base, embed)


def embed_texts(model: Backend | str, texts: Sequence[str], method: str | None = None,
                options: Options | None = None, session: Session | None = None) -> Embedded:
    """Embed texts with a loaded backend or a model name, through the session's cache."""
    session = session or default_session()
    if isinstance(model, Backend):
        return embed(model, list(texts), None, method, options, session.cache)
    return session.embed(model, texts, method, options)
