"""The one place an error a person can act on becomes what the page shows (a toast: escaped, no server
path) or what an API caller gets (the engine's plain words); any other exception is a bug and passes."""

from __future__ import annotations

import gradio as gr
import pytest

from embedlab.dashboard import visitors
from embedlab.dashboard.page_errors import for_api, on_page
from embedlab.errors import EmbedLabError, PairsError

WORDS = "cannot load '<i>x</i>' from " + str(visitors.ROOT / "0123abcd" / "model-1a2b3c4d")


def test_a_page_event_shows_the_words_escaped_and_without_the_server_path():
    @on_page
    def event():
        raise PairsError(WORDS)

    with pytest.raises(gr.Error) as err:
        event()
    assert err.value.message == "cannot load '&lt;i&gt;x&lt;/i&gt;' from " + visitors.model_id(
        visitors.ROOT / "0123abcd" / "model-1a2b3c4d")
    assert str(visitors.ROOT) not in err.value.message


def test_a_streaming_event_is_guarded_at_every_step_and_a_gpu_error_too():
    @on_page
    def stream():
        yield 1
        raise gr.Error("<b>GPU</b> quota", print_exception=False)

    steps = stream()
    assert next(steps) == 1
    with pytest.raises(gr.Error, match="&lt;b&gt;GPU&lt;/b&gt; quota"):
        next(steps)


def test_an_api_caller_gets_the_plain_words_and_a_bug_is_not_dressed_up():
    @for_api
    def endpoint(kind):
        raise kind("<i>x</i> is not a model")

    with pytest.raises(gr.Error) as err:
        endpoint(EmbedLabError)
    assert err.value.message == "<i>x</i> is not a model"
    with pytest.raises(ZeroDivisionError):
        for_api(lambda: 1 / 0)()
    with pytest.raises(ZeroDivisionError):
        on_page(lambda: 1 / 0)()
