"""A bounded registry of loaded models, shared by every request of the process.

Two requests that ask for the same model at the same moment load it once: the first takes the
model's own lock and loads, the second waits on that lock and gets the loaded backend. The least
recently used model is released when more than `max_models` are held.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from typing import Callable

from .backends import Backend
from .devices import choose_device

Loader = Callable[..., Backend]


def _load(*args, **kwargs) -> Backend:
    from .loading import load  # torch and transformers come with it: imported on the first load, not before

    return load(*args, **kwargs)


class ModelRegistry:
    def __init__(self, max_models: int = 2, loader: Loader = _load, **load_options):
        self.max_models = max_models
        self.loader = loader
        self.load_options = load_options
        self.loads: Counter[str] = Counter()  # how many times each model was actually loaded
        self._models: OrderedDict[tuple, Backend] = OrderedDict()
        self._locks: dict[tuple, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, name: str, device: str | None = None, dtype: str | None = None) -> Backend:
        device = choose_device(device)  # "auto", None and the device they mean share one loaded model
        key = (name, device, dtype or "auto")
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
                while len(self._models) > self.max_models:
                    _, old = self._models.popitem(last=False)
                    old.close()
            return backend

    def loaded(self) -> list[str]:
        with self._lock:
            return [key[0] for key in self._models]
