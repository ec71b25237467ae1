"""A session: the model registry, the cache and the settings that the CLI, API and dashboard share,
and the process's sessions by name (the dashboard's ZeroGPU calls find theirs that way).

It checks every side's model and method from the model's configuration before loading any weights,
serialises model computation (one at a time in the process, so visitors' requests queue rather than
fight over the device) and is what the convenience functions `compare_pairs` and `embed_texts` use.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Callable, Sequence

from .backends import Backend
from .backends.vectors import METHOD as VECTORS_METHOD, is_vectors, load_vectors
from .cache import EmbeddingCache
from .comparison import Comparison, compare
from .sides import SideSpec, default_specs, named_specs
from .devices import choose_device
from .embedding import Embedded, Progress, embed
from .errors import EmbedLabError, MethodError
from .methods import Role
from .pairs import Pair, pairs_from_value
from .prompts import Options
from .registry import ModelRegistry
from .request_bounds import capped, check_request
from .settings import Settings
from .sources import ModelInfo, split_remote


class Session:
    def __init__(self, cache: EmbeddingCache | None = None, registry: ModelRegistry | None = None,
                 device: str | None = None, dtype: str | None = None, max_pairs: int | None = None,
                 settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        if max_pairs is not None:
            self.settings = replace(self.settings, max_pairs=max_pairs)
        self.cache = cache if cache is not None else EmbeddingCache()
        allow_hub, allow_paths = self.settings.permissions
        self.registry = registry if registry is not None else shared_registry(allow_hub=allow_hub, allow_paths=allow_paths)
        self.device = device
        self.dtype = dtype
        self.compute_lock = threading.Lock()

    @property
    def max_pairs(self) -> int:
        return self.settings.max_pairs

    def inspect(self, name: str) -> ModelInfo:
        """What `name` is and which methods fit it, from its configuration; refused if not allowed here."""
        return self.settings.inspect(name)

    def backend(self, name: str, device: str | None = None) -> Backend:
        """`name` loaded (once per process) on `device`, or on the session's device; refused if not allowed."""
        return self.registry.get(self.settings.check_model(name), device=device or self.device, dtype=self.dtype)

    def compare(self, pairs: Sequence[Pair] | Sequence[dict], base: SideSpec | str | None = None,
                embed: SideSpec | str | None = None, progress: Progress | None = None,
                device: str | None = None, sides: Sequence[SideSpec] | None = None) -> Comparison:
        """The sides on `pairs` (anything `pairs_from_value` reads), on `device` or the session's: `sides`
        (each a named SideSpec, up to MAX_SIDES), else the two classic sides `base` and `embed`.

        Every side's model and method are checked before any model is loaded; an error names the side."""
        pairs = pairs_from_value(pairs)
        self.settings.check_pairs(pairs)
        specs = named_specs(sides) if sides else default_specs(base, embed)
        specs = {name: capped(spec, self.settings.max_text_tokens) for name, spec in specs.items()}
        given = {}  # sides of precomputed vectors: read and checked here, never through the registry
        for name, spec in specs.items():
            try:
                if is_vectors(spec.model):
                    if spec.method and spec.method != VECTORS_METHOD:
                        raise MethodError(f"precomputed vectors take no method (got {spec.method!r})")
                    given[name] = load_vectors(self.settings.check_vectors(spec.model), len(pairs))
                else:
                    self.inspect(spec.model).method(spec.method)
            except EmbedLabError as exc:
                raise type(exc)(f"side {name!r}: {exc}") from None
        models = [spec.model for name, spec in specs.items() if name not in given]
        local = [model for model in models if not split_remote(model)]
        device = choose_device(device or self.device) if local else None  # vectors and servers need no torch
        if progress and models:
            progress(0, 0, f"loading {', '.join(dict.fromkeys(models))}" + (f" on {device}" if device else ""))
        with self.registry.using(models, device, self.dtype) as loaded:
            check_request(pairs, [(loaded[spec.model], spec) for name, spec in specs.items() if name not in given],
                          self.settings.max_request_tokens)
            with self.compute_lock:
                backends = {name: given.get(name) or loaded[spec.model] for name, spec in specs.items()}
                return compare(pairs, backends, specs, self.cache, progress)

    def embed(self, model: str, texts: Sequence[str], method: str | None = None, options: Options | None = None,
              roles: Sequence[Role] | None = None, device: str | None = None) -> Embedded:
        self.inspect(model).method(method)
        backend = self.backend(model, device)
        with self.compute_lock:
            return embed(backend, list(texts), roles, method, options, self.cache)


_registries: dict[tuple[bool, bool], ModelRegistry] = {}
_sessions: dict[str, Session] = {}
_lock = threading.RLock()  # making the default session takes a registry under the same lock


def shared_registry(allow_hub: bool = True, allow_paths: bool = True) -> ModelRegistry:
    """The process-wide registry for these permissions: sessions made one after another share models."""
    with _lock:
        key = (allow_hub, allow_paths)
        if key not in _registries:
            _registries[key] = ModelRegistry(allow_hub=allow_hub, allow_paths=allow_paths)
        return _registries[key]


def register(name: str, session: Session) -> str:
    """Make `session` findable by `name` in this process (and in ZeroGPU's forks of it)."""
    with _lock:
        _sessions[name] = session
    return name


def forget(name: str) -> None:
    """Unregister the session `name`, if there is one (a dashboard visitor's own, when they leave)."""
    with _lock:
        _sessions.pop(name, None)


def is_registered(name: str) -> bool:
    with _lock:
        return name in _sessions


def get_session(name: str = "default", make: Callable[[], Session] | None = None) -> Session:
    """The session registered as `name`, made by `make` on first use where given; "default" is made on
    first use with settings from the environment (the one the Python API uses)."""
    with _lock:
        if name not in _sessions:
            make = make or (Session if name == "default" else None)
            if make is None:
                raise KeyError(f"no session registered as {name!r}")
            _sessions[name] = make()
        return _sessions[name]


def default_session() -> Session:
    return get_session("default")


def compare_pairs(pairs, base: SideSpec | str | None = None, embed: SideSpec | str | None = None,
                  session: Session | None = None) -> Comparison:
    """Compare a base GPT and an embedding model on pairs (Pair objects or {"question","answer"} dicts)."""
    return (session or default_session()).compare(pairs, base, embed)


def embed_texts(model: Backend | str, texts: Sequence[str], method: str | None = None,
                options: Options | None = None, session: Session | None = None) -> Embedded:
    """Embed texts with a loaded backend or a model name, through the session's cache."""
    session = session or default_session()
    if isinstance(model, Backend):
        return embed(model, list(texts), None, method, options, session.cache)
    return session.embed(model, texts, method, options)
