"""A session: the model registry, the cache and the settings that the CLI, API and dashboard share,
and the process's sessions by name (the dashboard's ZeroGPU calls find theirs that way).

It runs a Compare as a request built and checked at its edge (`request.py`; `compare` is the Python
API's edge, `run` the engine's entry), serialises model computation (one at a time in the process, so visitors' requests queue rather than
fight over the device) and is what the convenience functions `compare_pairs` and `embed_texts` use.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Callable, Sequence

from .access import Access
from .backends import Backend
from .cache import EmbeddingCache
from .comparison import Comparison, compare
from .embedding import Embedded, Progress, embed
from .methods import Role
from .pairs import Pair
from .prompts import Options
from .registry import ModelRegistry
from .request import CompareRequest, from_python
from .request_bounds import check_request
from .settings import Settings
from .side_sources import ModelSource
from .sides import SideSpec
from .sources import ModelInfo


class Session:
    def __init__(self, cache: EmbeddingCache | None = None, registry: ModelRegistry | None = None,
                 device: str | None = None, dtype: str | None = None, max_pairs: int | None = None,
                 settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        if max_pairs is not None:
            self.settings = replace(self.settings, max_pairs=max_pairs)
        self.cache = cache if cache is not None else EmbeddingCache()
        self.registry = registry if registry is not None else shared_registry(access=self.settings.access)
        self.device = device
        self.dtype = dtype
        self.compute_lock = threading.Lock()

    def inspect(self, name: str) -> ModelInfo:
        """What `name` is and which methods fit it, from its configuration; refused if not allowed here."""
        return self.settings.inspect(name)

    def backend(self, name: str, device: str | None = None) -> Backend:
        """`name` loaded (once per process) on `device`, or on the session's device; refused if not allowed."""
        return self.registry.get(self.settings.check_model(name), device=device or self.device, dtype=self.dtype)

    def compare(self, pairs: Sequence[Pair] | Sequence[dict], base: SideSpec | str | None = None,
                embed: SideSpec | str | None = None, progress: Progress | None = None,
                device: str | None = None, sides: Sequence[SideSpec] | None = None) -> Comparison:
        """The Python API's compare: the sides on `pairs` (anything `pairs_from_value` reads), on `device` or
        the session's: `sides` (each a named SideSpec, up to MAX_SIDES), else the two classic sides `base`
        and `embed`. The request is built and checked (`request.from_python`), then `run`."""
        return self.run(from_python(self.settings, pairs, base, embed, sides, device or self.device), progress)

    def run(self, request: CompareRequest, progress: Progress | None = None) -> Comparison:
        """A request built and checked at its edge (`request.py`): its models loaded (once per process) on
        its device, each side's options resolved against its model (an error names the side), the hosted
        bound on its work checked (`request_bounds`), then the comparison, one at a time in the process."""
        models = {spec.name: spec for spec in request.model_sides()}
        names = [spec.model for spec in models.values()]
        if progress and names:
            where = f" on {request.device}" if request.device else ""
            progress(0, 0, f"loading {', '.join(dict.fromkeys(names))}{where}")
        with self.registry.using(names, request.device, self.dtype) as loaded:
            computed = {name: ModelSource.of(loaded[spec.model], spec) for name, spec in models.items()}
            check_request(request.pairs, [(s.backend, s.spec) for s in computed.values()],
                          self.settings.max_request_tokens)
            sources = {**{g.side: g for g in request.given}, **computed}
            with self.compute_lock:
                return compare(request.pairs, sources, request.specs, self.cache, progress)

    def embed(self, model: str, texts: Sequence[str], method: str | None = None, options: Options | None = None,
              roles: Sequence[Role] | None = None, device: str | None = None) -> Embedded:
        self.inspect(model).method(method)
        backend = self.backend(model, device)
        with self.compute_lock:
            return embed(backend, list(texts), roles, method, options, self.cache)


_registries: dict[tuple[bool, bool], ModelRegistry] = {}
_sessions: dict[str, Session] = {}
_lock = threading.RLock()  # making the default session takes a registry under the same lock


def shared_registry(access: Access | None = None) -> ModelRegistry:
    """The process-wide registry for what `access` may open: sessions made one after another share models."""
    access = access or Access()
    with _lock:
        key = (access.hub, access.paths)
        if key not in _registries:
            _registries[key] = ModelRegistry(access=access)
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
