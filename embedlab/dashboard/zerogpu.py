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

import queue
import threading
from concurrent.futures import Future
from typing import Callable

from ..devices import on_zerogpu
from ..presets import PRESETS, default_pair
from ..session import get_session
from . import gpu_errors, gpu_time

try:  # present on Hugging Face Spaces; a no-op there too unless the Space runs on ZeroGPU
    import spaces
except ImportError:  # pragma: no cover - depends on the environment
    spaces = None

ON_ZEROGPU = on_zerogpu()
PLACEMENT = "cuda" if ON_ZEROGPU else None  # where the dashboard's session puts its models
CONCURRENCY_ID = "models"  # every event that runs a model queues in this one group, one at a time


def compare_duration(session_name: str, request, *args, **kwargs) -> int:
    """`compute`'s and `compute_answers`' GPU duration, from their request (see gpu_time.py)."""
    return gpu_time.compare_seconds(startup_models(get_session(session_name).settings), request.pairs, request.sides)


def layers_duration(session_name: str, request, methods, *args, **kwargs) -> int:
    """`compute_layers`' GPU duration: its request's first side swept, the others beside it (gpu_time.py)."""
    sweep, *references = request.sides
    return gpu_time.layer_seconds(startup_models(get_session(session_name).settings), request.pairs, sweep.model,
                                  len(methods), references)


def tune_duration(session_name: str, pairs, base: str, out: str, config, embed, *args, **kwargs) -> int:
    """`run_tune`'s GPU duration, from its arguments (see gpu_time.py)."""
    return gpu_time.tune_seconds(startup_models(get_session(session_name).settings), pairs, base,
                                 config.minutes * 60, embed, config.holdout)


def startup_models(settings) -> list[str]:
    """The models the dashboard loads at start-up: the default pair; on ZeroGPU every model a visitor may
    choose (the presets and the allowed Hub ids), so choosing another one places nothing new. The presets
    come to about 30 GB in bf16: within the 48 GB of ZeroGPU's default `large` size, and under the 45 GB
    above which the `spaces` package asks for `xlarge` (twice the quota) for every call."""
    if not ON_ZEROGPU:
        return list(default_pair())
    return list(dict.fromkeys([*default_pair(), *PRESETS, *settings.allowed_models]))


def gpu(duration: Callable, what: str) -> Callable[[Callable], Callable]:
    """A decorator: run the function on a ZeroGPU GPU where there is one, for `duration` of its arguments,
    and say `what` failed in one line if it fails (gpu_errors.py); elsewhere the function runs as it is."""
    def decorate(fn: Callable) -> Callable:
        if spaces is None or not ON_ZEROGPU:
            return fn
        return gpu_errors.in_main(spaces.GPU(duration=duration)(gpu_errors.in_worker(fn, what)), what)
    return decorate


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
