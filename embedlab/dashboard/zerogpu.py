"""ZeroGPU glue: where the dashboard's models are placed and where their work runs.

On a Hugging Face ZeroGPU Space (`devices.on_zerogpu()`) the `spaces` package's `GPU` decorator runs
the model work in a process forked for the call, which holds a GPU for `gpu_seconds` at most and is
thrown away afterwards with whatever it loaded. So, as ZeroGPU documents, models are loaded in the main
process and moved to "cuda" there (`PLACEMENT`): outside a GPU call that placement is emulated, and
each fork finds the weights placed; the decorated function only embeds. The emulation is active on
the main thread only (the `spaces` package enters its torch modes there), so a model chosen later is
placed by a job that `serve` runs on the main thread (`on_main_thread`). Everywhere else `gpu` changes
nothing, `PLACEMENT` is None (the session's own device choice) and jobs run where they are asked for.

ZeroGPU pickles a GPU call's arguments, so GPU functions take plain values and find their session by
name (`session.get_session`), never as an argument. What visitors may ask for is `settings.py`'s
business; launch options are `app.py`'s.
"""

from __future__ import annotations

import math
import queue
import threading
from concurrent.futures import Future
from typing import Callable

from ..devices import on_zerogpu
from ..errors import EmbedLabError
from ..pairs import pairs_from_value
from ..presets import PRESETS, default_pair

try:  # present on Hugging Face Spaces; a no-op there too unless the Space runs on ZeroGPU
    import spaces
except ImportError:  # pragma: no cover - depends on the environment
    spaces = None

ON_ZEROGPU = on_zerogpu()
PLACEMENT = "cuda" if ON_ZEROGPU else None  # where the dashboard's session puts its models
CONCURRENCY_ID = "models"  # every event that runs a model queues in this one group, one at a time

# A GPU call's duration, from its work. Estimates, not measurements (a real ZeroGPU Space is needed for
# those): the fork's start-up moves the placed weights to the GPU (two 7B models in bf16: 30 GB), then
# a 7B model embeds a short text in well under SECONDS_PER_TEXT at batch 64.
START_SECONDS = 20
SECONDS_PER_TEXT = 0.02  # per text and per side
GPU_SECONDS = 120  # the ceiling: the longest call a visitor's quota is charged for


def gpu_seconds(session_name: str, pairs, specs, *args, **kwargs) -> int:
    """How long a GPU call of `compute` may take: a start, plus each side embedding every question and
    answer, at most GPU_SECONDS. Takes `compute`'s arguments (ZeroGPU's dynamic duration), so short
    comparisons ask for less and queue first."""
    try:
        texts = 2 * len(pairs_from_value(pairs))
    except EmbedLabError:  # the call fails at once with the engine's own message
        texts = 0
    return min(GPU_SECONDS, START_SECONDS + math.ceil(SECONDS_PER_TEXT * texts * max(1, len(specs))))


def startup_models(settings) -> list[str]:
    """The models the dashboard loads at start-up: the default pair; on ZeroGPU every model a visitor may
    choose (the presets and the allowed Hub ids: two 7B models and two small ones fit a 70 GB slice), so
    choosing another one places nothing new."""
    if not ON_ZEROGPU:
        return list(default_pair())
    return list(dict.fromkeys([*default_pair(), *PRESETS, *settings.allowed_models]))


def gpu(fn: Callable) -> Callable:
    """Run `fn` on a ZeroGPU GPU where there is one, for `gpu_seconds` of its arguments; elsewhere the
    `spaces` package returns `fn` itself."""
    if spaces is None:
        return fn
    return spaces.GPU(duration=gpu_seconds)(fn)


# the main thread ------------------------------------------------------------------------------------
_jobs: queue.Queue = queue.Queue()
_serving = threading.Event()


def on_main_thread(fn: Callable, *args, **kwargs):
    """`fn(*args, **kwargs)` run on the main thread while `serve` runs there (on ZeroGPU), else here."""
    if not _serving.is_set() or threading.current_thread() is threading.main_thread():
        return fn(*args, **kwargs)
    done: Future = Future()
    _jobs.put((fn, args, kwargs, done))
    return done.result()


def serve(demo) -> None:
    """Keep the launched app running: on ZeroGPU the main thread runs `on_main_thread`'s jobs until
    Ctrl+C; elsewhere this is Gradio's `block_thread`."""
    if not ON_ZEROGPU:
        demo.block_thread()
        return
    _serving.set()
    try:
        while True:
            try:
                fn, args, kwargs, done = _jobs.get(timeout=0.5)
            except queue.Empty:
                continue
            try:
                done.set_result(fn(*args, **kwargs))
            except Exception as exc:  # noqa: BLE001 - the asking thread raises it
                done.set_exception(exc)
    except KeyboardInterrupt:
        demo.close()
    finally:
        _serving.clear()
