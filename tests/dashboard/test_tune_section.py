"""The dashboard's Fine-tune section, its handlers called directly on tiny random models: the stream (loss
curve, four held-out heatmaps on one scale, the tuned model offered to Compare), bad input, cancel, one
training at a time, hosted limits and the visitor's folder removed when they leave; and `tune_json`."""

from __future__ import annotations

import html
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest

from tests.support import tinymodels
from embedlab.cache import EmbeddingCache
from embedlab.dashboard import tune_runs, tune_section, tune_view, visitors
from embedlab.dashboard.tune_events import TuneEvents
from tests.support.pages import page, rows_read, triggered
from embedlab.dashboard.tables import pairs_to_rows
from embedlab.errors import ModelUnavailableError
from embedlab.pairs import read_pairs
from embedlab.session import Session, is_registered, register
from embedlab.settings import Settings
from embedlab.sources import TUNE_FILE

ROOT = Path(__file__).resolve().parents[2]
ROWS = pairs_to_rows(read_pairs(ROOT / "assets" / "examples-30.csv"))


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # training on tiny models: one thread is faster


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    return str(tinymodels.llama_causal(folder / "llama")), str(tinymodels.bert_sentence_transformer(folder / "bert"))


def section(name: str, settings: Settings | None = None) -> TuneEvents:
    """The Fine-tune section's events of a page on a new session `name`; `.page` is the whole page's handlers."""
    register(name, Session(cache=EmbeddingCache(use_disk=False), settings=settings or Settings()))
    handlers = page(name)
    handlers.tune.page = handlers
    return handlers.tune


def status(tune: TuneEvents, update: dict) -> str:
    return update[tune.layout.tune.status]


def visitor(name: str) -> SimpleNamespace:
    return SimpleNamespace(session_hash=name)  # what the handlers read of a gr.Request


def run(tune, models, seconds=2.0, rows=ROWS, holdout=0.2, method="mean", who="v1") -> list[dict]:
    return list(tune.start(rows, models[0], models[1], None, seconds, holdout, method, visitor(who)))


def test_a_fine_tune_streams_its_loss_then_the_heldout_heatmaps_and_offers_the_tuned_model(models):
    tune = section("tune-stream")
    updates = run(tune, models)
    first, last, t, layout = updates[0], updates[-1], tune.layout.tune, tune.layout
    assert "starting" in first[t.status] and first[t.results]["visible"] is False
    curves = [u[t.loss] for u in updates[1:-1] if t.loss in u]
    assert curves and len(curves[0].data[0].y) == 1  # drawn from the first step on
    assert "Done:" in last[t.status] and "AUC" in last[t.status] and "<progress" in last[t.status]
    steps = len(last[t.loss].data[0].y)
    assert steps >= 1 and f"{steps} steps" in last[t.status]
    shown = [u[t.status] for u in updates if "step " in u[t.status] and "Done" not in u[t.status]]
    assert f"step {steps}: loss" in shown[-1]  # the progress ends where the result's count does
    heatmaps = [last[plot] for plot in t.heatmaps]  # before, whitened (no labels), after, the embedding model
    assert [fig.layout.title.text.split(":")[0] for fig in heatmaps] == list(tune_view.SIDE_NAMES)
    assert len(tune_view.SIDE_NAMES) == 4 and "whitened" in tune_view.SIDE_NAMES[1]
    assert all(fig.data[0].z.shape == (6, 6) for fig in heatmaps)  # 6 of 30 pairs held out
    assert len({(fig.data[0].zmin, fig.data[0].zmax) for fig in heatmaps}) == 1  # one colour scale
    assert all(name in last[t.metrics] for name in tune_view.SIDE_NAMES)  # a metrics row for each
    assert "Whitened without labels (fitted on the training texts only): AUC" in last[t.status]
    assert "gap to share out" in last[t.status] or "of that gap" in last[t.status]  # what whitening and tuning close
    assert "before tuning" in last[t.metrics] and "embedding model" in last[t.metrics]
    assert html.escape(tune_section.before_note("mean")) in last[t.caption]  # why "before" can differ from Compare's
    label, choice = last[layout.classic["base"].model]["choices"][-1]
    folder = visitors.resolve(choice)
    assert label == f"tuned llama (mean, {steps} steps)" and (Path(folder) / TUNE_FILE).exists()
    assert all(last[row.model]["choices"][-1] == (label, choice) for row in layout.side_rows)
    assert last[t.zip]["visible"] is True  # the download button, outside hosted mode
    wired = triggered(tune.page, t.start, "click")
    assert set(last) == wired and all(set(u) <= wired for u in updates)  # keyed by component; the end changes all

    archive = tune.download(visitor("v1"))["value"]
    assert archive.endswith(".zip") and Path(archive).stat().st_size > 1000
    # Compare takes the tuned folder as a model, in the visitor's own session
    dash = tune.page
    assert dash.form.methods(choice).value == "mean"
    compared = dash.page.compare(ROWS, choice, "mean", models[1], None, "", "default", 0, "auto")
    comparison = compared[layout.state].comparison
    assert comparison.sides["base"].model == label and len(comparison.excluded) == 24  # trained on 24 of 30
    assert "Metrics on 6 unseen pairs; 24 used in training excluded" in compared[layout.verdict]
    sweep = dash.form.sweep(choice)  # a method sweep of the tuned model keeps its page name
    rows = [row["model"] for row in rows_read(dash, sweep)]  # each extra row's model: value and choices
    assert rows and all(row["value"] == choice and (label, choice) in row["choices"] for row in rows)
    # no server path reaches the page: the stream, the choices, the results, their files
    files = dash.page.export(compared[layout.state])[layout.downloads]
    shown = repr(updates) + repr(compared) + repr(sweep) + "".join(Path(f).read_text() for f in files
                                                                   if f.endswith((".csv", ".json")))
    assert str(visitors.ROOT) not in shown and folder not in shown

    tune.end_session(visitor("v1"))  # the visitor left
    assert not Path(folder).exists() and not visitors.folder(visitors.key(visitor("v1"))).exists()
    assert not is_registered(visitors.session_name("tune-stream", visitors.key(visitor("v1"))))


@pytest.mark.parametrize("change, message", [
    ({"rows": ROWS[:12]}, "too few to fine-tune"),
    ({"rows": ROWS[:20] + ROWS[:1]}, "repeats pair 1"),
    ({"holdout": 0}, "outside \\(0, 0.5\\]"),
    ({"holdout": 0.6}, "outside \\(0, 0.5\\]"),
    ({"seconds": 0}, "time budget of 0 s"),
    ({"seconds": 3601}, "time budget of 3601 s"),
    ({"method": "logits"}, "cannot be trained"),
])
def test_bad_input_is_one_line_in_the_page_and_nothing_is_written(models, change, message):
    tune = section("tune-bad")
    before = set(visitors.ROOT.glob("*/model-*")) if visitors.ROOT.exists() else set()
    with pytest.raises(gr.Error, match=message):
        run(tune, models, **change, who="bad")
    assert (set(visitors.ROOT.glob("*/model-*")) if visitors.ROOT.exists() else set()) == before
    assert not tune_runs.SLOT.locked()


def test_an_encoder_only_base_with_a_causal_only_method_is_refused(models):
    tune = section("tune-encoder")
    with pytest.raises(gr.Error, match="e5"):
        list(tune.start(ROWS, models[1], models[1], None, 2, 0.2, "e5", visitor("enc")))


def first_step(tune, updates) -> None:
    """Read the stream until its first loss point."""
    for update in updates:
        if "step 1" in status(tune, update):
            return
    raise AssertionError("the stream ended before the first step")


def test_cancel_stops_the_run_and_a_second_visitor_is_told_the_server_is_busy(models):
    tune = section("tune-busy")
    stream = tune.start(ROWS, models[0], models[1], None, 120, 0.2, "mean", visitor("first"))
    first_step(tune, stream)
    began = time.perf_counter()
    with pytest.raises(gr.Error, match="another fine-tune is running"):
        run(tune, models, who="second")
    assert time.perf_counter() - began < 5  # told at once, not queued
    assert "cancelling" in tune.cancel(visitor("first"))
    rest = list(stream)
    assert "Cancelled; nothing was written" in status(tune, rest[-1])
    assert not list(visitors.folder(visitors.key(visitor("first"))).glob("model-*"))
    tune.running.thread.join(10)
    assert not tune_runs.SLOT.locked()
    tune.end_session(visitor("first"))


def test_leaving_mid_run_stops_the_training_and_removes_the_folder(models):
    tune = section("tune-leave")
    stream = tune.start(ROWS, models[0], models[1], None, 120, 0.2, "mean", visitor("leaver"))
    first_step(tune, stream)
    threading.Thread(target=lambda: list(stream), daemon=True).start()  # the page stops reading
    tune.end_session(visitor("leaver"))
    assert not visitors.folder(visitors.key(visitor("leaver"))).exists()
    assert not tune_runs.SLOT.locked()


def test_hosted_mode_limits_the_time_and_the_pairs(models):
    tune = section("tune-hosted", Settings(hosted=True, max_tune_seconds=30, max_tune_pairs=20))
    with pytest.raises(gr.Error, match="outside \\(0, 30\\] s \\(this deployment's limit\\)"):
        run(tune, models, seconds=31)
    with pytest.raises(gr.Error, match="over this deployment's fine-tune limit of 20"):
        run(tune, models, seconds=10)


def test_a_visitors_own_folder_is_a_model_in_their_session_only(tmp_path):
    hosted = Settings(hosted=True)
    mine = str(visitors.folder("abc") / "model-1")
    with pytest.raises(ModelUnavailableError):
        hosted.check_model(mine)
    theirs = Settings(hosted=True, own_models=(mine,))
    assert theirs.check_model(mine) == mine and (theirs.access.hub, theirs.access.paths) == (False, True)
    with pytest.raises(ModelUnavailableError):
        theirs.check_model(str(tmp_path))  # any other path is still refused


def test_tune_json_returns_the_command_lines_json_and_keeps_no_folder(models):
    tune = section("tune-api")
    pairs = [{"question": q, "answer": a} for q, a in ROWS]
    result = tune.tune_json(pairs, models[0], seconds=2, method="mean", request=visitor("api"))
    assert {"model", "out", "method", "split", "loss", "steps", "seconds", "config", "before", "after", "whitened",
            "whitened_fit"} <= set(result)
    assert result["out"] is None and result["steps"] == len(result["loss"]) >= 1
    assert len(result["split"]["heldout"]) == 6 and result["method"] == "mean"
    assert not visitors.folder(visitors.key(visitor("api"))).exists()
    with pytest.raises(gr.Error, match="held-out share"):
        tune.tune_json(pairs, models[0], seconds=2, holdout=0.7, request=visitor("api"))
