"""The page's sides form: extra rows <-> SideSpecs, adding, removing and sweeping rows (no model runs;
the sweep reads the GGUF base's traits without opening it)."""

import gradio as gr
import pytest

from embedlab.dashboard import sides_form
from embedlab.dashboard.page_events import PageEvents
from embedlab.presets import default_pair
from embedlab.prompts import Options
from embedlab.session import Session, register
from embedlab.settings import Settings
from embedlab.sides import SideSpec

GPT = "smollm2-135m-instruct"


@pytest.fixture(scope="module")
def dashboard():
    from embedlab.cache import EmbeddingCache

    from tests.support.pages import page

    register("sides-form", Session(cache=EmbeddingCache(use_disk=False), settings=Settings()))
    return page("sides-form")


def flat(rows: list[dict]) -> list:
    rows = rows + [{}] * (sides_form.EXTRA_ROWS - len(rows))
    return [row.get(field) for row in rows for field in sides_form.ROW_FIELDS]


def test_the_classic_rows_are_the_classic_sides_with_the_default_pair_for_an_empty_model():
    specs = sides_form.specs_from_form("a", "mean", " ", None, Options(max_length=8), [])
    assert specs == [SideSpec("a", "mean", Options(max_length=8), "base"),
                     SideSpec(default_pair()[1], None, Options(max_length=8), "embed")]


def test_extra_rows_become_named_sides_with_their_chat_template():
    rows = sides_form.extra_rows(flat([{"name": " x ", "model": "m", "method": "mean", "chat_template": "on"},
                                       {"name": "", "model": "n", "method": None, "chat_template": "default"}]), 2)
    specs = sides_form.specs_from_form("a", "logits", "b", "", Options(max_length=64), rows)
    assert [s.name for s in specs] == ["base", "embed", "x", "side 4"]
    assert specs[2] == SideSpec("m", "mean", Options(max_length=64, chat_template=True), "x")
    assert specs[3].options.chat_template is None and specs[3].method is None


def test_adding_removing_and_sweeping_rows(dashboard):
    from tests.support.pages import outputs, rows_read

    form, layout = dashboard.form, dashboard.form.layout
    out = form.add_side(0, *flat([]))
    assert set(out) == outputs(dashboard, "add_side")  # keyed by component: every row, nothing else
    assert out[layout.extra_count] == 1
    assert [out[row.row]["visible"] for row in layout.side_rows] == [True] + [False] * 5
    rows = [{"name": "one", "model": GPT, "method": "mean", "chat_template": "on"},
            {"name": "two", "model": GPT, "method": "echo", "chat_template": "default"}]
    out = form.remove_side(0, 2, *flat(rows))
    shown = rows_read(dashboard, out)
    assert out[layout.extra_count] == 1 and len(shown) == 1
    assert shown[0]["name"]["value"] == "two" and shown[0]["method"]["value"] == "echo"
    assert "echo" in shown[0]["method"]["choices"] or ("echo", "echo") in shown[0]["method"]["choices"]
    out = form.sweep(GPT)
    assert set(out) == outputs(dashboard, "sweep")
    assert out[layout.classic["base"].method]["value"] == "logits" and out[layout.extra_count] == 5
    assert [row["name"]["value"] for row in rows_read(dashboard, out)] == ["last-token", "mean", "e5", "prompteol", "echo"]
    with pytest.raises(gr.Error, match="unknown model"):
        form.sweep("no such model")


def test_gradio_tracks_the_compare_progress_bar():
    """Gradio looks for a Progress default among the positional parameters only; one after `*extra` is
    never tracked and the page shows no progress for a long comparison."""
    from gradio.helpers import special_args

    values = ["rows", "base", "", "embed", "", "", "default", None, "auto", 2, *["x"] * 8]
    inputs, progress_index, _, _ = special_args(PageEvents.compare.__get__(object()), list(values))
    assert progress_index == 9
    assert isinstance(inputs[9], gr.Progress) and inputs[10] == 2 and inputs[11:] == ["x"] * 8


def test_a_row_reads_a_layer_and_a_post_processing():
    rows = sides_form.extra_rows(flat([{"name": "deep", "model": "m", "method": "mean", "layer": -3, "post": "whiten"},
                                       {"name": "plain", "model": "m", "method": "mean", "layer": None, "post": None}]), 2)
    specs = sides_form.specs_from_form("a", None, "b", None, Options(), rows)
    assert (specs[2].options.layer, specs[2].options.post) == (-3, "whiten")
    assert (specs[3].options.layer, specs[3].options.post) == (None, "none")
