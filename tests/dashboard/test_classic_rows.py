"""The classic rows' Layer and Post (base GPT, embedding model): where Compare reads them, the request
they make (as the extra rows' do), a page Compare on a tiny random model titled with the layer, and a
layer out of range in one line."""

import gradio as gr
import pytest

from tests.support import tinymodels
from tests.support.pages import page
from embedlab.cache import EmbeddingCache
from embedlab.session import Session, register
from embedlab.settings import Settings
from test_dashboard_sides import GPT, flat


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    register("classic-rows", Session(cache=EmbeddingCache(use_disk=False), settings=Settings()))
    dash = page("classic-rows")
    dash.llama = str(tinymodels.llama_causal(tmp_path_factory.mktemp("classic") / "llama"))
    return dash


def test_the_classic_rows_read_a_layer_and_a_post_processing(dashboard):
    """Their Layer and Post come after every extra row's fields in what Compare reads (`Layout.form_values`),
    and reach the request as the extra rows' do; a caller that sends only the extra rows gets the defaults."""
    layout = dashboard.page.layout
    compare = next(fn for fn in dashboard.demo.fns.values() if fn.api_name == "compare")
    read = [block for block in compare.inputs if isinstance(block, gr.components.Component)]
    base, embed = layout.classic["base"], layout.classic["embed"]
    assert read[-4:] == [base.layer, base.post, embed.layer, embed.post]
    assert read[-4 - len(layout.side_fields()):-4] == layout.side_fields()
    extra = flat([{"name": "deep", "model": "m", "method": "mean", "layer": 1, "post": "center"}])
    _, specs, _ = dashboard.page.specs([["q", "a"]], GPT, "mean", "all-minilm-l6-v2", "native", "", "default", 0, 1,
                                       [*extra, 2, "whiten", None, "center"])
    assert [(s.name, s.options.layer, s.options.post) for s in specs] == [
        ("base", 2, "whiten"), ("embed", None, "center"), ("deep", 1, "center")]
    _, specs, _ = dashboard.page.specs([["q", "a"]], GPT, "mean", "", "", "", "default", 0, 0, flat([]))
    assert [(s.options.layer, s.options.post) for s in specs] == [(None, "none"), (None, "none")]


def test_a_compare_reads_the_base_rows_layer_and_titles_the_side_with_it(dashboard):
    layout, llama = dashboard.page.layout, dashboard.llama
    rows = [["What is a GPU?", "A chip."], ["Where is OpenAI?", "San Francisco."]]
    out = dashboard.page.compare(rows, llama, "mean", llama, "mean", "", "default", 0, "auto", None, 0, *flat([]),
                                 " 1 ", "center", "", "none")  # the page's Layer is text; empty: the last
    sides = out[layout.state].comparison.sides
    assert [(s.options.layer, s.options.post) for s in sides.values()] == [(1, "center"), (None, "none")]
    assert out[layout.heatmaps[0]]["value"].layout.title.text.endswith("(mean, layer 1, centred)")
    with pytest.raises(gr.Error, match=r"side 'base': layer 9 is out of range: use 0\.\.2 .* counted from the top") as err:
        dashboard.page.compare(rows, llama, "mean", llama, "mean", "", "default", 0, "auto", None, 0, *flat([]),
                               9, "none", None, "none")
    assert "\n" not in str(err.value)
    with pytest.raises(gr.Error, match=r"layer '1\.5' is not a whole number: .* or leave it empty for the last layer"):
        dashboard.page.compare(rows, llama, "mean", llama, "mean", "", "default", 0, "auto", None, 0, *flat([]),
                               "1.5", "none", None, "none")
