"""ZeroGPU glue: where the dashboard's model work runs.

On a Hugging Face ZeroGPU Space the `spaces` package's `GPU` decorator runs the model work in a
forked process that holds a GPU for the call; everywhere else `gpu` is a decorator that changes
nothing. ZeroGPU pickles the arguments of that call, so GPU functions take plain values and find their
session by name (`session.get_session`), never as an argument. What visitors may ask for (hosted
mode, limits) is `settings.py`'s business; launch options are `app.py`'s.
"""

from __future__ import annotations

from typing import Callable

try:  # present on Hugging Face Spaces; a no-op there too unless the Space runs on ZeroGPU
    import spaces
except ImportError:  # pragma: no cover - depends on the environment
    spaces = None

CONCURRENCY_ID = "models"  # every event that runs a model queues in this one group, one at a time
GPU_SECONDS = 120  # what one ZeroGPU call may take: loading a 7B model and embedding a few hundred texts


def gpu(fn: Callable) -> Callable:
    """Run `fn` on a ZeroGPU GPU where there is one; elsewhere return it unchanged."""
    if spaces is None:
        return fn
    return spaces.GPU(duration=GPU_SECONDS)(fn)
