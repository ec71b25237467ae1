"""The dashboard's plain parts (table rows, choices, HTML, exports, ZeroGPU glue) and its event handlers,
called directly; the handler tests run the offline models."""

from __future__ import annotations

import csv
import io
import json

import gradio as gr
import numpy as np
import pytest

from embedlab.cache import EmbeddingCache
from embedlab.comparison import Comparison, SideResult
from tests.support.results import fake_result, side  # noqa: F401 - side: other tests build sides too

from embedlab.dashboard import choices, exports, tables, views, zerogpu
from embedlab.errors import EmbedLabError, PairsError
from embedlab.metrics import score
from embedlab.pairs import Pair, pairs_from_value
from embedlab.prompts import Options
from embedlab.session import Session, get_session, register
from embedlab.settings import Settings

OFFLINE = ("smollm2-135m-instruct", "all-minilm-l6-v2")


# table rows and API pairs -------------------------------------------------------------------------
def test_rows_become_pairs_and_blank_rows_are_skipped():
    pairs = tables.rows_to_pairs([["q1", "a1"], ["", ""], ["  ", None], ["q2", "a2"]])
    assert [(p.question, p.answer) for p in pairs] == [("q1", "a1"), ("q2", "a2")]
    assert tables.pairs_to_rows(pairs) == [["q1", "a1"], ["q2", "a2"]]


def test_a_half_filled_row_is_named_by_its_number():
    with pytest.raises(PairsError, match="row 3: the answer is empty"):
        tables.rows_to_pairs([["q1", "a1"], ["", ""], ["q3", ""]])


def test_an_empty_table_is_refused():
    with pytest.raises(PairsError, match="no pairs"):
        tables.rows_to_pairs([["", ""]])


def test_a_pandas_table_is_read_too():
    import pandas as pd

    frame = pd.DataFrame([["q", "a"]], columns=["question", "answer"])
    assert tables.rows_to_pairs(frame)[0].answer == "a"


def test_rows_are_added_and_removed():
    assert tables.with_row_added([["q", "a"]]) == [["q", "a"], ["", ""]]
    assert tables.without_last_row([["q", "a"], ["", ""]]) == [["q", "a"]]
    assert tables.without_last_row([["q", "a"]]) == [["", ""]]  # the table always keeps one row


def test_api_pairs_accept_a_list_or_its_json():
    items = [{"question": "q", "answer": "a"}]
    assert pairs_from_value(items) == pairs_from_value(json.dumps(items)) == pairs_from_value({"pairs": items})
    with pytest.raises(PairsError, match="not valid JSON"):
        pairs_from_value("[{")
    with pytest.raises(PairsError, match="item 1: missing 'answer'"):
        pairs_from_value([{"question": "q"}])
    with pytest.raises(PairsError, match="must be a list"):
        pairs_from_value(42)


# options and choices ------------------------------------------------------------------------------
def test_advanced_options_map_onto_method_options():
    assert choices.options("", "default", 0) == Options()
    assert choices.options(" my task ", "off", 128) == Options(task="my task", chat_template=False, max_length=128)
    assert choices.options(None, "on", None).chat_template is True
    with pytest.raises(EmbedLabError, match="use one of default, on, off"):
        choices.options("", "maybe", 0)
    with pytest.raises(EmbedLabError, match="positive"):
        choices.options("", "default", -5)


def test_method_choices_follow_the_model():
    offered, default, note = choices.method_choices(OFFLINE[0], Settings())
    assert default == "logits" and "logits" in offered and "native" not in offered and not note
    offered, default, note = choices.method_choices(OFFLINE[1], Settings())
    assert default == "native" and "native" in offered and "logits" not in offered


def test_an_unknown_model_offers_every_method_with_a_note():
    offered, default, note = choices.method_choices("no such model!", Settings())
    assert default is None and "logits" in offered and "unknown model" in note


def test_devices_start_with_auto_and_include_cpu():
    devices = choices.available_devices()
    assert devices[:2] == ["auto", "cpu"]


# words and tables ---------------------------------------------------------------------------------
def test_metrics_table_escapes_names_and_marks_nothing_on_two_pairs():
    """Two pairs say nothing for sure (no interval): no value is marked better (see test_report for marks)."""
    html = views.metrics_html(fake_result(models=("<b>gpt</b>", "embedder")))
    assert "<b>gpt</b>" not in html and "&lt;b&gt;gpt&lt;/b&gt;" in html
    assert "class='best'" not in html and "No intervals: an interval needs at least 5 pairs" in html


def test_a_tie_marks_nothing():
    result = fake_result()
    same = Comparison(result.pairs, {"base": result.sides["embed"], "embed": result.sides["embed"]})
    assert "class='best'" not in views.metrics_html(same)


def test_verdict_names_both_models_and_where_they_ran():
    html = views.verdict_html(fake_result(models=("gpt<script>", "embedder")))
    assert "<script>" not in html and "gpt&lt;script&gt;" in html
    assert "separates matching pairs by" in html and "ran on cpu (float32) in 0.25 s" in html


# exporting ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(cell):
    assert exports.neutralise(cell) == "'" + cell


def test_plain_cells_and_numbers_are_left_alone():
    assert exports.neutralise("What is GPU?") == "What is GPU?"
    assert exports.neutralise(-0.25) == -0.25


def test_csv_has_a_row_per_model_question_and_answer():
    result = fake_result(questions=("=HYPERLINK(\"x\")", "q2"), answers=("a1", "-a2"))
    rows = list(csv.DictReader(io.StringIO(exports.to_csv(result))))
    assert len(rows) == 2 * 2 * 2
    assert rows[0]["question"] == "'=HYPERLINK(\"x\")" and rows[1]["answer"] == "'-a2"
    assert [r["matching"] for r in rows[:4]] == ["True", "False", "False", "True"]
    embed_row = next(r for r in rows
                     if r["side"] == "embed" and (r["question_index"], r["answer_index"]) == ("1", "2"))
    assert float(embed_row["similarity"]) == -0.1


def test_results_files_hold_the_cli_json(tmp_path):
    result = fake_result()
    json_path, csv_path, intervals_path = exports.write_results(result, tmp_path)
    assert intervals_path.read_text().startswith(",".join(exports.INTERVAL_COLUMNS))  # see test_intervals_output
    assert json.loads(json_path.read_text()) == result.to_json()
    assert Comparison.from_json(result.to_json()).to_json() == result.to_json()
    assert csv_path.read_text().startswith(",".join(exports.CSV_COLUMNS))


def test_figures_fall_back_to_html_when_png_export_fails(tmp_path, monkeypatch):
    import plotly.graph_objects as go
    import plotly.io as pio

    def broken(*args, **kwargs):
        raise RuntimeError("no Chrome here")

    monkeypatch.setattr(pio, "write_images", broken)
    paths, fmt = exports.write_figures({"fig": go.Figure(go.Scatter(y=[1, 2]))}, tmp_path)
    assert fmt == "html" and paths[0].name == "fig.html" and "plotly" in paths[0].read_text()[:100000].lower()


# hosting ------------------------------------------------------------------------------------------
def test_hosted_mode_offers_only_its_models():
    from embedlab.presets import presets_for

    hosted = Settings(hosted=True, allowed_models=("org/extra",))
    offered = [choices.offered_preset(name) for name in presets_for("base")]  # those that cannot run here marked
    assert choices.model_choices("base", hosted) == (offered + ["org/extra"], False)
    assert choices.model_choices("embed", Settings()) == ([choices.offered_preset(n) for n in presets_for("embed")], True)
    offered, default, note = choices.method_choices("/etc", hosted)
    assert default is None and "only offers these models" in note


def test_gpu_decorator_changes_nothing_off_zerogpu():
    def work(x):
        return x

    assert zerogpu.gpu(zerogpu.compare_duration, "the work")(work) is work


def test_sessions_are_found_by_name():
    made = Session(cache=EmbeddingCache(use_disk=False))
    assert get_session(register("by-name", made)) is made
    assert get_session("made-on-first-use", lambda: made) is made
    with pytest.raises(KeyError):
        get_session("never registered")


# handlers, with the offline models ----------------------------------------------------------------
@pytest.fixture(scope="module")
def dashboard(offline_registry, session_cache_dir):
    from tests.support.pages import page

    register("tests", Session(cache=EmbeddingCache(session_cache_dir / "ui-tests"), registry=offline_registry,
                                      settings=Settings()))
    return page("tests")


@pytest.fixture(scope="module")
def compared(dashboard):
    rows = [["Where is the headquarter of OpenAI?", "OpenAI is based at San Francisco."],
            ["What is GPU?", "A GPU is an electronic circuit that performs calculations quickly."],
            ["<b>Is this bold?</b>", "No & it <i>never</i> is."]]
    args = (rows, OFFLINE[0], "logits", OFFLINE[1], "native", "", "default", 0, "auto")
    return args, dashboard.page.compare(*args)


@pytest.mark.slow
def test_compare_fills_every_output(dashboard, compared):
    from embedlab.dashboard.results import SIDE_SLOTS

    _, out = compared
    layout = dashboard.page.layout
    state, verdict, metrics, caption = out[layout.state], out[layout.verdict], out[layout.metrics], out[layout.heatmap_caption]
    heatmaps, projections = [out[p] for p in layout.heatmaps], [out[p] for p in layout.projections]
    distributions, forest, results, zoom = out[layout.distributions], out[layout.forest], out[layout.results], out[layout.zoom_row]
    result = state.comparison
    assert [r.model for r in result.sides.values()] == list(OFFLINE)
    assert result.sides["base"].similarity.shape == (3, 3)
    assert all(r.vectors is None for r in result.sides.values())  # a visitor's state keeps no vectors
    assert "being computed" in verdict and "Top-1" in metrics and "one scale" in caption  # no resample drawn yet
    assert [slot["visible"] for slot in heatmaps] == [True, True] + [False] * (SIDE_SLOTS - 2)  # one plot a side
    assert [[t.type for t in slot["value"].data] for slot in heatmaps[:2]] == [["heatmap"], ["heatmap"]]
    assert [slot["visible"] for slot in projections] == [True, True] + [False] * (SIDE_SLOTS - 2)
    assert len(distributions.data) == 4 and [len(slot["value"].data) for slot in projections[:2]] == [3, 3]
    for side in ("base", "embed"):
        assert state.projections[side][0].shape == (6, 2)
    assert out[layout.downloads] is None  # a Compare writes no files (Export does) and clears the last export's
    assert forest is None  # it comes with the intervals, in the second step
    assert results.visible is True and zoom.visible is False  # the zoom control is for large sets only
    then = dashboard.page.intervals(state)  # the second step: the bootstrap, then the verdict and the forest plot
    assert "separates matching pairs by" in then[layout.verdict] and "being computed" not in then[layout.metrics]
    assert len(then[layout.forest].data[0].x) == 2  # the AUC of each side (3 pairs: no whiskers, the hover says why)
    assert "uncertainty" in then[layout.state].comparison.__dict__  # kept: Export and Ask do not draw it again
    assert set(then) == {layout.state, layout.verdict, layout.metrics, layout.forest}


@pytest.mark.slow
def test_compare_changes_exactly_the_components_it_is_wired_to(dashboard, compared):
    from tests.support.pages import outputs

    assert set(compared[1]) == outputs(dashboard, "compare")  # keyed by component: nothing missing, nothing extra


@pytest.mark.slow
def test_a_second_compare_comes_from_the_cache(dashboard, compared):
    args, _ = compared
    state = dashboard.page.compare(*args)[dashboard.page.layout.state]
    for r in state.comparison.sides.values():
        assert r.computed == 0 and r.cached == 6


@pytest.mark.slow
def test_projection_is_the_pca_of_the_vectors(dashboard, compared):
    from embedlab.dashboard import pca

    state = compared[1][dashboard.page.layout.state]
    session = get_session("tests")
    pairs = state.comparison.pairs
    texts = [p.question for p in pairs] + [p.answer for p in pairs]
    vectors = session.embed(OFFLINE[1], texts, "native").vectors  # passages only: native has no roles
    points = pca.fit(vectors).project(vectors)
    np.testing.assert_allclose(state.projections["embed"][0], points, atol=1e-5)


@pytest.mark.slow
def test_compare_embeds_each_text_once_for_every_view(dashboard, compared, monkeypatch):
    """The PCA map is drawn from the vectors the comparison carries: nothing is embedded a second time."""
    def no_second_embedding(*args, **kwargs):
        raise AssertionError("embedded again after the comparison")

    monkeypatch.setattr(Session, "embed", no_second_embedding)
    args, _ = compared
    state = dashboard.page.compare(*args)[dashboard.page.layout.state]
    assert state.projections["base"][0].shape == (6, 2)


@pytest.mark.slow
def test_compare_refuses_bad_input_with_the_engine_words(dashboard):
    with pytest.raises(gr.Error, match="row 2: the question is empty"):
        dashboard.page.compare([["q", "a"], ["", "a2"]], OFFLINE[0], "logits", OFFLINE[1], "native", "", "default",
                               0, "auto")
    with pytest.raises(gr.Error, match="does not apply to all-minilm-l6-v2; valid methods"):
        dashboard.page.compare([["q", "a"]], OFFLINE[0], "logits", OFFLINE[1], "logits", "", "default", 0, "auto")
    with pytest.raises(gr.Error, match="cannot load '&lt;i&gt;x&lt;/i&gt;'"):
        dashboard.page.compare([["q", "a"]], "<i>x</i>", "", OFFLINE[1], "", "", "default", 0, "auto")


def test_method_dropdown_updates_with_the_model(dashboard):
    update = dashboard.form.methods(OFFLINE[1])
    assert update.value == "native" and ("logits", "logits") not in update.choices
    assert update.interactive is True  # the page locks each list until its first fill
    assert dashboard.form.methods("").choices == [] and dashboard.form.methods("").interactive is True


def test_loading_files(dashboard, tmp_path):
    good = tmp_path / "pairs.jsonl"
    good.write_text('{"question": "q1", "answer": "a1"}\n{"question": "<b>q2</b>", "answer": "a2"}\n')
    assert dashboard.form.load_file(str(good)) == [["q1", "a1"], ["<b>q2</b>", "a2"]]
    bad = tmp_path / "no-header.csv"
    bad.write_text("What is <b>GPU</b>?,A chip\n")
    with pytest.raises(gr.Error, match="line 1: a CSV file needs a header row") as error:
        dashboard.form.load_file(str(bad))
    assert "found 'What is &lt;b&gt;GPU&lt;/b&gt;?', 'A chip'" in error.value.message  # toasts render HTML
    assert dashboard.form.clear() == [["", ""]]


@pytest.mark.slow
def test_compare_json_returns_the_cli_schema(dashboard):
    result = dashboard.api.compare_json(json.dumps([{"question": "q", "answer": "a"}]), OFFLINE[0], "", OFFLINE[1], "")
    assert set(result) == {"pairs", "sides", "bootstrap", "results", "excluded_pairs", "scored_on", "geometry_vs_training"}  # the CLI's schema
    assert result["sides"] == ["base", "embed"]
    assert result["results"]["base"]["intervals"]["auc"] is None  # one pair: no interval, and why
    assert "at least 5 pairs" in result["results"]["base"]["intervals"]["none"]
    assert result["results"]["embed"]["method"] == "native" and result["results"]["base"]["method"] == "logits"
    assert np.asarray(result["results"]["base"]["similarity"]).shape == (1, 1)


@pytest.mark.slow
def test_export_writes_images(dashboard, compared):
    import shutil

    state = compared[1][dashboard.page.layout.state]
    files = dashboard.page.export(state)[dashboard.page.layout.downloads]
    image = "png" if shutil.which("chromium") or shutil.which("google-chrome") else "html"
    # the results (JSON, CSV, the intervals CSV) and the figures: heatmaps, distributions, PCA maps, the AUC forest plot
    assert sorted(f.rsplit(".", 1)[1] for f in files) == sorted(["json", "csv", "csv"] + [image] * 4)
    with pytest.raises(gr.Error, match="compare first"):
        dashboard.page.export(None)


def test_the_deployment_limits_apply_to_the_table_and_files(offline_registry, tmp_path):
    from tests.support.pages import page

    strict = Settings(hosted=True, max_pairs=2, max_text_chars=50)
    register("strict", Session(cache=EmbeddingCache(use_disk=False), registry=offline_registry,
                                       settings=strict))
    dash = page("strict")
    args = (OFFLINE[0], "", OFFLINE[1], "", "", "default", 0, "auto")
    with pytest.raises(gr.Error, match="3 pairs is over the limit of 2"):
        dash.page.compare([["q", "a"]] * 3, *args)
    with pytest.raises(gr.Error, match="pair 1: the answer is 51 characters"):
        dash.page.compare([["q", "a" * 51]], *args)
    with pytest.raises(gr.Error, match="only offers these models"):
        dash.page.compare([["q", "a"]], "org/anything", "", OFFLINE[1], "", "", "default", 0, "auto")
    big = tmp_path / "three.csv"
    big.write_text("question,answer\nq1,a1\nq2,a2\nq3,a3\n")
    with pytest.raises(gr.Error, match="over the limit of 2"):
        dash.form.load_file(str(big))
