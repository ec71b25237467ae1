"""What a visitor sees when a ZeroGPU call fails: one line that names what failed.

Two places, because a GPU call fails in two processes. In the worker (`in_worker`), an exception from
our own code becomes a `gr.Error` with its class and message: the `spaces` package sends a `gr.Error`
back whole, but of any other exception only its class name ("RuntimeError"). In the main process
(`in_main`), the `spaces` package's own failures are rewritten where they say too little: the worker
could not start (CUDA initialisation, or moving the placed models to the GPU: only a class name
comes back), or it was aborted (ran past its duration, or died). ZeroGPU's refusals (quota used up,
queue full, no GPU in time, a duration over the limit) already give the reason and what to do, and
pass through as they are. Nothing here retries: the next request starts afresh.
"""

from __future__ import annotations

import functools
import inspect
from typing import Callable

import gradio as gr

WORKER_ERROR = "ZeroGPU worker error"  # the `spaces` package's title for a failed or aborted worker


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def words(exc: BaseException) -> str:
    """An exception's message: a `gr.Error`'s own (its str() adds quotes), any other's str()."""
    return exc.message if isinstance(exc, gr.Error) else str(exc)


def _as_error(exc: BaseException, what: str) -> gr.Error:
    if isinstance(exc, gr.Error):
        return exc
    detail = one_line(exc) or "no message"
    return gr.Error(f"{what} failed on the GPU: {type(exc).__name__}: {detail}", print_exception=False)


def guarded(fn: Callable, catch: type[BaseException], convert: Callable) -> Callable:
    """`fn` raising `convert(exc)` for each `catch` it raises (for a generator, at any step)."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def steps(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except catch as exc:
                raise convert(exc) from None
        return steps

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except catch as exc:
            raise convert(exc) from None
    return call


def in_worker(fn: Callable, what: str) -> Callable:
    """`fn` with any exception but a `gr.Error` turned into one, naming `what` failed."""
    return guarded(fn, Exception, lambda exc: _as_error(exc, what))


def explained(exc: gr.Error, what: str) -> gr.Error:
    """A `spaces` failure that says too little, in words a visitor can act on; others unchanged."""
    if getattr(exc, "title", "") != WORKER_ERROR:
        return exc
    message = one_line(exc.message)
    if message == "GPU task aborted":
        return gr.Error(f"{what} was stopped by ZeroGPU before it finished (it ran past the GPU time it asked "
                        "for, or its process died); try again with fewer pairs or sides", print_exception=False)
    if message.isidentifier():  # only the class name of an exception raised before our code ran
        return gr.Error(f"{what} could not start: ZeroGPU's GPU worker failed with {message} while taking the "
                        "GPU (CUDA initialisation) or moving the models onto it; the Space's log has the "
                        "traceback. Try again in a minute", print_exception=False)
    return exc


def in_main(fn: Callable, what: str) -> Callable:
    """The decorated `fn` with its `explained` failures."""
    return guarded(fn, gr.Error, lambda exc: explained(exc, what))
