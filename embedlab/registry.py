"""A bounded registry of loaded models, shared by every request of the process.

Two requests that ask for the same model at the same moment load it once: the first takes the
model's own lock and loads, the second waits on that lock and gets the loaded backend. The least
recently used model is released when more than `max_models` are loaded, but never one that a
comparison is using (`using()` holds its models until it is done), so a comparison of more models
than `max_models` works, and keeps only what it needs afterwards.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter, OrderedDict
from typing import Callable, Iterator, Sequence

from .access import Access
from .backends import Backend
from .devices import choose_device
from .sources import inspect, split_remote

Loader = Callable[..., Backend]
REMOTE = "remote"  # the device of a model behind a server


def _load(name: str, **kwargs) -> Backend:
    if split_remote(name):  # a server computes the vectors: no local engine to import
        from .backends.remote import open_remote

        return open_remote(inspect(name, allow_hub=kwargs.get("allow_hub", True),
                                   allow_paths=kwargs.get("allow_paths", True)))
    from .libraries import import_engine

    import_engine()  # torch and transformers: imported on the first load, not before, and by one thread
    from .loading import load

    return load(name, **kwargs)


class ModelRegistry:
    def __init__(self, max_models: int = 2, loader: Loader = _load, access: Access | None = None, **load_options):
        """`access`: what may be opened (`access.Access`; None: anything); `load_options` go to the loader."""
        self.max_models = max_models
        self.loader = loader
        self.load_options = load_options if access is None else {**load_options, "allow_hub": access.hub,
                                                                   "allow_paths": access.paths}
        self.loads: Counter[str] = Counter()  # how many times each model was actually loaded
        self._models: OrderedDict[tuple, Backend] = OrderedDict()
        self._locks: dict[tuple, threading.Lock] = {}
        self._held: Counter[tuple] = Counter()  # models in use by a running comparison: never released
        self._lock = threading.Lock()

    @staticmethod
    def _key(name: str, device: str | None, dtype: str | None, chosen: bool = False) -> tuple:
        """(name, device, dtype): "auto", None and the device they mean are one model; `chosen`: the device
        was chosen already (a request's), so it is taken as it is."""
        if split_remote(name):
            return name, REMOTE, "auto"  # runs on its server, whatever device was asked for
        return name, device if chosen else choose_device(device), dtype or "auto"

    def get(self, name: str, device: str | None = None, dtype: str | None = None) -> Backend:
        return self._get(self._key(name, device, dtype), dtype)

    def _get(self, key: tuple, dtype: str | None) -> Backend:
        name, device = key[0], key[1]
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            model_lock = self._locks.setdefault(key, threading.Lock())
        with model_lock:
            with self._lock:
                if key in self._models:
                    return self._models[key]
            backend = self.loader(name, device=device, dtype=dtype, **self.load_options)
            with self._lock:
                self.loads[name] += 1
                self._models[key] = backend
                self._release_extra()
            return backend

    def _release_extra(self) -> None:
        """Close least recently used models beyond `max_models`, skipping held ones (call under _lock)."""
        for key in [k for k in self._models if k not in self._held][: max(0, len(self._models) - self.max_models)]:
            self._models.pop(key).close()

    @contextlib.contextmanager
    def using(self, names: Sequence[str], device: str | None = None, dtype: str | None = None) -> Iterator[dict[str, Backend]]:
        """Each distinct model of `names` loaded (once) on `device`, as a request chose it, and held until
        the block ends: {name: backend}."""
        keys = {name: self._key(name, device, dtype, chosen=True) for name in dict.fromkeys(names)}
        with self._lock:
            self._held.update(keys.values())
        try:
            yield {name: self._get(key, dtype) for name, key in keys.items()}
        finally:
            with self._lock:
                self._held.subtract(keys.values())
                self._held += Counter()  # drop the zero counts
                self._release_extra()

    def loaded(self) -> list[str]:
        with self._lock:
            return [key[0] for key in self._models]
