"""The model registry: concurrent first requests load a model once; the least recently used is released."""

import sys
import threading
import time

from embedlab.registry import ModelRegistry

from tests.support.fakes import CountingBackend

THREADS = 12


def _threads_inside(method, threads) -> int:
    """How many of `threads` are running `method` now (at any depth of their stacks)."""
    frames = sys._current_frames()
    inside = 0
    for thread in threads:
        frame = frames.get(thread.ident)
        while frame is not None and frame.f_code is not method.__code__:
            frame = frame.f_back
        inside += frame is not None
    return inside


def test_simultaneous_first_requests_load_once():
    loading, release = threading.Event(), threading.Event()

    def blocking_loader(name, device=None, dtype=None):
        loading.set()
        assert release.wait(timeout=60), "the test never released the loader"
        return CountingBackend(name)

    registry = ModelRegistry(loader=blocking_loader)
    got = []
    first = threading.Thread(target=lambda: got.append(registry.get("m")))
    first.start()
    assert loading.wait(timeout=60)  # the first request is loading, and stays there until released
    others = [threading.Thread(target=lambda: got.append(registry.get("m"))) for _ in range(THREADS - 1)]
    for t in others:
        t.start()
    # release the loader only once every other request is inside the registry, waiting on the first
    deadline = time.monotonic() + 60  # a bound against a hang, not a timing assumption
    while _threads_inside(ModelRegistry.get, others) < len(others):
        assert time.monotonic() < deadline, "the other requests never reached the registry"
        time.sleep(0.001)
    assert not got  # nobody got a model before the one load finished
    release.set()
    for t in [first, *others]:
        t.join(timeout=60)
    assert registry.loads == {"m": 1}
    assert len(got) == THREADS and len({id(b) for b in got}) == 1


def test_least_recently_used_is_released():
    closed = []

    class Closing(CountingBackend):
        def close(self):
            closed.append(self.name)

    registry = ModelRegistry(max_models=2, loader=lambda name, **_: Closing(name))
    registry.get("a"), registry.get("b"), registry.get("a"), registry.get("c")
    assert closed == ["b"] and sorted(registry.loaded()) == ["a", "c"]
