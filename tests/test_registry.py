"""The model registry: concurrent first requests load a model once; the least recently used is released."""

import threading
import time

from embedlab.registry import ModelRegistry

from fakes import CountingBackend


def slow_loader(name, device=None, dtype=None):
    time.sleep(0.2)  # long enough for every thread to arrive while the first is loading
    return CountingBackend(name)


def test_simultaneous_first_requests_load_once():
    registry = ModelRegistry(loader=slow_loader)
    got = []
    threads = [threading.Thread(target=lambda: got.append(registry.get("m"))) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert registry.loads == {"m": 1}
    assert len({id(b) for b in got}) == 1


def test_least_recently_used_is_released():
    closed = []

    class Closing(CountingBackend):
        def close(self):
            closed.append(self.name)

    registry = ModelRegistry(max_models=2, loader=lambda name, **_: Closing(name))
    registry.get("a"), registry.get("b"), registry.get("a"), registry.get("c")
    assert closed == ["b"] and sorted(registry.loaded()) == ["a", "c"]
