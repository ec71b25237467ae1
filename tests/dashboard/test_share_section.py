"""The page's Share button and link opening, without a browser: Share stores what ran (each side's
model, method and options, the pairs) and answers the query that opens it; it refuses an empty page
and a side of precomputed vectors in words; opening does nothing without `?share=`, and refuses a bad
id, an unknown link and, on a hosted server, a link that names a folder, before any model runs."""

from types import SimpleNamespace

import gradio as gr
import pytest

from embedlab.backends.vectors import METHOD as VECTORS_METHOD
from embedlab.dashboard.share_section import QUERY, ShareEvents
from embedlab.pairs import Pair
from embedlab.prompts import Options
from embedlab.session import Session, register
from embedlab.settings import Settings
from embedlab.shares import ShareStore
from tests.support.pages import page

PAIRS = (Pair("What is GPU?", "A chip that does maths quickly."), Pair("Where is OpenAI?", "In San Francisco."))


def section(tmp_path, hosted=False) -> ShareEvents:
    """A built and wired page's Share events on a session of its own, sharing into `tmp_path`."""
    name = register(f"share-{'hosted' if hosted else 'local'}", Session(settings=Settings(hosted=hosted)))
    share = page(name).share
    share.store = ShareStore(tmp_path)
    return share


def state(**sides) -> SimpleNamespace:
    return SimpleNamespace(comparison=SimpleNamespace(pairs=PAIRS, sides={
        name: SimpleNamespace(model=model, method=method, options=options) for name, (model, method, options) in sides.items()}))


def opening(sid):
    return SimpleNamespace(query_params={QUERY: sid} if sid is not None else {})


def test_share_stores_what_ran_and_answers_the_query(tmp_path):
    options = Options(task="", chat_template=True, max_length=64, layer=3, post="center")
    page = state(base=("smollm2-135m-instruct", "mean", options), embed=("all-minilm-l6-v2", "native", Options()))
    query = section(tmp_path).share(page)
    assert query.startswith(f"?{QUERY}=")
    rec = ShareStore(tmp_path).get(query.split("=", 1)[1])
    assert rec["pairs"] == [p.as_dict() for p in PAIRS]
    assert [(s["name"], s["model"], s["method"]) for s in rec["sides"]] == [
        ("base", "smollm2-135m-instruct", "mean"), ("embed", "all-minilm-l6-v2", "native")]
    assert rec["sides"][0]["options"] == {"task": "", "chat_template": True, "max_length": 64, "layer": 3,
                                          "post": "center", "whiten_dims": None}
    assert section(tmp_path).share(page) == query  # the same comparison: the same link


def test_share_refuses_an_empty_page_and_vectors(tmp_path):
    with pytest.raises(gr.Error, match="compare first"):
        section(tmp_path).share(None)
    with pytest.raises(gr.Error, match="'mine' is a file of precomputed vectors"):
        section(tmp_path).share(state(mine=("vectors:mine.npz", VECTORS_METHOD, Options())))


def test_opening_needs_a_good_known_allowed_link(tmp_path):
    sec = section(tmp_path)
    for nothing in (None, ""):
        assert sec.read(opening(nothing)) == {sec.layout.opened: gr.skip()}  # no link: the page as it was
    assert sec.run(None) == {sec.layout.state: gr.skip()}  # no link opened: nothing runs
    with pytest.raises(gr.Error, match="is not a share link id"):
        sec.read(opening("../../etc"))
    with pytest.raises(gr.Error, match="unknown or has expired"):
        section(tmp_path).read(opening("0" * 20))
    query = section(tmp_path).share(state(mine=(str(tmp_path), "mean", Options())))  # a local run shares a folder
    with pytest.raises(gr.Error, match="this deployment only offers these models"):
        section(tmp_path, hosted=True).read(opening(query.split("=", 1)[1]))


def test_reading_a_link_fills_the_table_and_the_sides(tmp_path):
    sec = section(tmp_path)
    sec.form.rows_shown = lambda rows: {"rows": rows}  # the extra rows' outputs, as given
    layout = sec.layout
    query = sec.share(state(base=("smollm2-135m-instruct", "mean", Options(layer=-2, post="center")),
                            embed=("all-minilm-l6-v2", "native", Options()),
                            third=("all-minilm-l6-v2", "mean", Options(chat_template=False, layer=2, post="whiten"))))
    shown = sec.read(opening(query.split("=", 1)[1]))
    assert shown[layout.pairs] == [[p.question, p.answer] for p in PAIRS]
    assert [shown[c]["value"] for c in layout.classic_fields()] == [
        "smollm2-135m-instruct", "mean", "-2", "center", "all-minilm-l6-v2", "native", "", "none"]
    assert shown["rows"] == [{"name": "third", "model": "all-minilm-l6-v2", "method": "mean",
                              "chat_template": "off", "layer": 2, "post": "whiten"}]
    pairs, specs = shown[layout.opened]
    assert tuple(pairs) == PAIRS and [(s.name, s.options.post) for s in specs] == [("base", "center"), ("embed", "none"),
                                                                               ("third", "whiten")]
    assert specs[0].options.layer == -2
