"""The one place where an error a person can act on becomes what the page or an API caller sees.

`on_page` wraps a page event: an EmbedLabError (or a `gr.Error` from a GPU call) becomes a `gr.Error`
toast in the engine's own words, with no server path and escaped (Gradio renders toasts as sanitised
HTML, and the words may quote pairs, file headers or model names). `for_api` wraps an API endpoint or a
GPU entry point: an EmbedLabError becomes a `gr.Error` with the plain words (a client gets them as they
are). `toast` is the page's text rule, for a warning. Any other exception is a bug and passes through.
"""

from __future__ import annotations

import html
from typing import Callable

import gradio as gr

from ..errors import EmbedLabError
from . import visitors
from .gpu_errors import guarded, words


def toast(message: str) -> str:
    """A message for a toast: escaped, and without server paths. API callers get the plain words."""
    return html.escape(visitors.without_paths(message), quote=False)


def on_page(fn: Callable) -> Callable:
    """`fn` (a function or a generator) raising its EmbedLabErrors and `gr.Error`s as page toasts."""
    return guarded(fn, (EmbedLabError, gr.Error), lambda exc: gr.Error(toast(words(exc)), print_exception=False))


def for_api(fn: Callable) -> Callable:
    """`fn` raising its EmbedLabErrors as `gr.Error`s with the engine's plain words."""
    return guarded(fn, EmbedLabError, lambda exc: gr.Error(str(exc), print_exception=False))
