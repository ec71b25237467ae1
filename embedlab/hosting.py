"""Where the dashboard's model work runs: the process-wide session, found by name, and ZeroGPU glue.

On a Hugging Face ZeroGPU Space the `spaces` package's `GPU` decorator runs the model work in a
forked process that holds a GPU for the call; everywhere else `gpu` is a decorator that changes
nothing. ZeroGPU pickles the arguments of that call, so GPU functions take plain values and find the
session by name (`session(name)`), never as an argument. What visitors may ask for (hosted mode,
limits) is `settings.py`'s business; launch options are `app.py`'s.
"""

from __future__ import annotations

import threading
from typing import Callable

from .session import Session, default_session

try:  # present on Hugging Face Spaces; a no-op there too unless the Space runs on ZeroGPU
    import spaces
except ImportError:  # pragma: no cover - depends on the environment
    spaces = None

CONCURRENCY_ID = "models"  # every event that runs a model queues in this one group, one at a time
GPU_SECONDS = 120  # what one ZeroGPU call may take: loading a 7B model and embedding a few hundred texts

_sessions: dict[str, Session] = {}
_lock = threading.Lock()


def gpu(fn: Callable) -> Callable:
    """Run `fn` on a ZeroGPU GPU where there is one; elsewhere return it unchanged."""
    if spaces is None:
        return fn
    return spaces.GPU(duration=GPU_SECONDS)(fn)


def register(name: str, session: Session) -> str:
    """Make `session` findable by `name` in this process (and in ZeroGPU's forks of it)."""
    with _lock:
        _sessions[name] = session
    return name


def session(name: str = "default") -> Session:
    """The named session; "default", unless registered, is the process's default session (the one the
    Python API uses too, made on first use with settings from the environment)."""
    with _lock:
        if name in _sessions:
            return _sessions[name]
    if name != "default":
        raise KeyError(f"no session registered as {name!r}")
    return default_session()
