"""Presets that cannot run here: marked unavailable with the reason where the page offers them, and
refused in one short line when chosen anyway (these tests run as on a CPU-only machine, Hub offline)."""

from __future__ import annotations

import gradio as gr
import pytest

from embedlab import availability
from embedlab.cache import EmbeddingCache
from embedlab.dashboard import choices
from embedlab.dashboard.tables import pairs_to_rows
from embedlab.errors import ModelUnavailableError
from embedlab.pairs import Pair
from embedlab.presets import OFFLINE_PAIR
from embedlab.session import Session, register
from embedlab.settings import Settings

MISTRAL = "mistral-7b-instruct-v0.1"
NO_GPU = "needs a GPU with about 15 GB; this machine has none"
NO_HUB = "not installed here and the Hugging Face Hub cannot be reached"


def test_the_reasons(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert availability.why_unavailable(MISTRAL) == NO_GPU
    assert availability.why_unavailable(OFFLINE_PAIR[0]) is None and availability.why_unavailable("org/any") is None
    monkeypatch.setattr(availability, "cuda_memory_gb", lambda: 80.0)  # a GPU that holds it: the weights are missing
    assert availability.why_unavailable(MISTRAL) == NO_HUB
    with pytest.raises(ModelUnavailableError, match=f"^{MISTRAL} cannot run here: {NO_HUB}$"):
        Settings().check_model(MISTRAL)  # anywhere: the load could only fail, at length
    monkeypatch.setattr(availability, "hub_reachable", lambda: True)
    assert availability.why_unavailable(MISTRAL) is None and Settings().check_model(MISTRAL) == MISTRAL
    monkeypatch.setattr(availability, "cuda_memory_gb", lambda: 8.0)
    assert availability.why_unavailable(MISTRAL) == "needs a GPU with about 15 GB; this machine has 8 GB"


def test_the_hub_counts_as_unreachable_when_it_does_not_answer(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: nothing listens
    availability._connects.cache_clear()
    try:
        assert availability.hub_reachable() is False
    finally:
        availability._connects.cache_clear()


def test_the_page_marks_them_and_refuses_them_in_one_short_line():
    offered, _ = choices.model_choices("base", Settings())
    assert offered == [OFFLINE_PAIR[0], (f"{MISTRAL} (unavailable here: {NO_GPU})", MISTRAL)]
    register("availability", Session(cache=EmbeddingCache(use_disk=False), settings=Settings()))
    from tests.support.pages import page

    dashboard = page("availability")
    with pytest.warns(UserWarning, match=f"^{MISTRAL} cannot run here: {NO_GPU}$"):
        assert dashboard.form.methods(MISTRAL).choices == []
    rows = pairs_to_rows([Pair("q", "a"), Pair("q2", "a2")])
    with pytest.raises(gr.Error) as err:
        dashboard.page.compare(rows, MISTRAL, "", OFFLINE_PAIR[1], "", "", "default", 0, "auto")
    assert err.value.message == f"{MISTRAL} cannot run here: {NO_GPU}"
    with pytest.raises(gr.Error) as err:
        dashboard.api.compare_json([{"question": "q", "answer": "a"}], MISTRAL, None, OFFLINE_PAIR[1])
    assert err.value.message == f"{MISTRAL} cannot run here: {NO_GPU}"
