"""What the page shows with many sides and while it waits: the leaderboard marked as such (the page's CSS
gives it the full width), the heatmaps in leaderboard order with each side's place in its title, every
input of Compare marking the results out of date (and a failed Compare too, a successful one clearing
it), the hints over the pairs table and the method lists, an empty layer box saying it means the last,
and the words of a Compare waiting for a fine-tune or another comparison. No browser and no models
(tests/browser/test_visit_browser.py has the browser's side)."""

from __future__ import annotations

import importlib
import threading
import time

import numpy as np

from embedlab.comparison import Comparison
from embedlab.dashboard import compare_marks, figures, page_assets, results, tune_runs, views, waiting
from embedlab.dashboard.sides_form import EXTRA_ROWS
from embedlab.pairs import Pair
from tests.support.results import side

N = 6


def _auc(sim: np.ndarray) -> float:
    """Share of (matching, non-matching) score pairs where the matching score is higher (ties: half)."""
    pos, neg = np.diag(sim), sim[~np.eye(len(sim), dtype=bool)]
    return float(np.mean([(p > q) + 0.5 * (p == q) for p in pos for q in neg]))


def many_sides() -> Comparison:
    rng = np.random.default_rng(3)
    noise = rng.normal(0.0, 0.2, (N, N))
    # the diagonal's boost decides each side's AUC; given in an order that is not the ranking
    sims = {name: noise + boost * np.eye(N) for name, boost in
            (("base", 0.05), ("embed", 0.5), ("mean", 0.0), ("echo", 0.25))}
    return Comparison(tuple(Pair(f"q{i}", f"a{i}") for i in range(N)),
                      {name: side(f"model-{name}", sim) for name, sim in sims.items()})


def test_more_than_two_sides_give_the_heatmaps_in_leaderboard_order_each_titled_with_its_place():
    comparison = many_sides()
    by_auc = sorted(comparison.sides, key=lambda name: -_auc(comparison.sides[name].similarity))
    assert len({_auc(r.similarity) for r in comparison.sides.values()}) == 4  # no ties: the order is AUC's alone
    titles = [fig.layout.title.text for fig in figures.side_heatmaps(comparison, ranked=True)]
    assert [t.split(" ", 1)[0] for t in titles] == ["#1", "#2", "#3", "#4"]
    assert [t.split(":")[0] for t in titles] == [f"#{k} {'Base GPT' if name == 'base' else 'Embedding model' if name == 'embed' else name}"
                                                 for k, name in enumerate(by_auc, 1)]
    narrow = [fig.layout.meta["fit"]["narrow"]["layout"]["title.text"] for fig in figures.side_heatmaps(comparison, ranked=True)]
    assert [t.split(" ", 1)[0] for t in narrow] == ["#1", "#2", "#3", "#4"]


def test_two_sides_and_unranked_maps_keep_their_order_and_plain_titles():
    comparison = many_sides()
    two = Comparison(comparison.pairs, {name: comparison.sides[name] for name in ("base", "embed")})
    titles = [fig.layout.title.text for fig in figures.side_heatmaps(two, ranked=True)]
    assert titles[0].startswith("Base GPT:") and titles[1].startswith("Embedding model:")
    plain = [fig.layout.title.text.split(":")[0] for fig in figures.side_heatmaps(comparison)]  # the fine-tune's
    assert plain == ["Base GPT", "Embedding model", "mean", "echo"]
    points = {name: (np.random.default_rng(0).normal(size=(2 * N, 2)), np.array([0.5, 0.3])) for name in comparison.sides}
    page = results.page_figures(results.ViewState(comparison, points, np.arange(N), None, {}))  # the results: ranked
    assert [fig.layout.title.text for fig in page["heatmaps"]] == \
        [fig.layout.title.text for fig in figures.side_heatmaps(comparison, ranked=True)]


def test_only_a_leaderboard_is_marked_for_the_full_width():
    comparison = many_sides()
    assert "class='metrics leaderboard'" in views.metrics_html(comparison)
    two = Comparison(comparison.pairs, {name: comparison.sides[name] for name in ("base", "embed")})
    assert "class='metrics'" in views.metrics_html(two) and "leaderboard" not in views.metrics_html(two)
    assert "#scores:has(table.leaderboard) {flex-direction: column;}" in page_assets.CSS


def _config():
    cfg = importlib.import_module("app").demo.get_config_file()
    ids = {c["props"].get("elem_id"): c["id"] for c in cfg["components"] if c.get("props", {}).get("elem_id")}
    return cfg, ids


def test_every_input_of_compare_and_a_failed_compare_mark_the_results_stale_and_a_success_clears_it():
    cfg, ids = _config()
    deps = cfg["dependencies"]
    on_click = [(i, d) for i, d in enumerate(deps) if (ids["compare"], "click") in [tuple(t) for t in d["targets"]]]
    compare_index, compare = next((i, d) for i, d in on_click if d["backend_fn"])
    # the start mark comes first: a click's listeners run in turn, each after the one before it has ended
    assert [d.get("js") for i, d in on_click if i < compare_index] == [compare_marks.COMPARE_STARTS]
    marking = {t[0] for d in deps if d.get("js") == compare_marks.RESULTS_STALE
               for t in d["targets"] if t[1] == "change"}
    assert set(compare["inputs"]) <= marking
    after = [d for d in deps if d.get("trigger_after") == compare_index]
    assert [d["js"] for d in after if d["trigger_only_on_failure"]] == [compare_marks.COMPARE_FAILED]
    assert compare_marks.RESULTS_CURRENT in [d["js"] for d in after if d["trigger_only_on_success"]]


def test_the_pairs_hint_says_what_editing_does():
    cfg, ids = _config()
    label = next(c["props"]["label"] for c in cfg["components"] if c["id"] == ids["pairs"])
    assert "double-click a cell" in label and "click a cell to edit" not in label.replace("double-click", "")


def test_the_method_hint_matches_the_filled_box_and_an_empty_layer_box_says_it_means_the_last():
    cfg, ids = _config()
    props = {c["id"]: c["props"] for c in cfg["components"]}
    for side in ("base", "embed"):  # the box shows the model's default method, never empty
        info = props[ids[f"{side}-method"]]["info"]
        assert "default" in info and "empty" not in info, info
    assert all(props[ids[f"side-{n}-layer"]]["placeholder"] == "last" for n in range(3, 3 + EXTRA_ROWS))


def test_waiting_words_name_what_the_compare_waits_for():
    assert waiting.waiting_words(None).startswith("Waiting for another comparison")
    assert waiting.waiting_words(41.6) == "Waiting for the fine-tune running on this server: about 42 s of training left"
    assert "training done" in waiting.waiting_words(0.0)


def test_a_compare_waits_its_turn_saying_how_long_the_fine_tune_has_left(monkeypatch):
    monkeypatch.setattr(waiting, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(tune_runs, "RUNNING", {"budget": 60.0, "trained": 15.0, "at": time.monotonic() - 5.0})
    lock, said = threading.Lock(), []
    lock.acquire()
    threading.Timer(0.3, lock.release).start()
    start = time.monotonic()
    waiting.wait_turn(lock, lambda done, total, message: said.append(message))
    assert time.monotonic() - start >= 0.29 and not lock.locked()
    assert len(said) >= 3
    first = said[0]
    left = float(first.split("about ")[1].split(" s")[0])
    assert 39 <= left <= 40  # 60 s budget, 15 s trained at the last step 5 s ago
    assert all(m.startswith("Waiting for the fine-tune") for m in said)


def test_a_free_lock_is_not_waited_for():
    said = []
    waiting.wait_turn(threading.Lock(), lambda *args: said.append(args))
    assert said == []


def test_the_running_fine_tune_is_known_only_while_it_runs(monkeypatch):
    monkeypatch.setattr(tune_runs, "RUNNING", {})
    assert tune_runs.training_left() is None
    tune_runs.RUNNING.update(budget=60.0)  # loading: no step yet
    assert tune_runs.training_left() == 60.0
    tune_runs.RUNNING.update(trained=58.0, at=time.monotonic() - 10.0)
    assert tune_runs.training_left() == 0.0


def test_a_training_run_is_recorded_with_its_budget_while_it_runs(monkeypatch):
    from embedlab.tuning.config import TuneConfig

    seen = []

    def run_tune(*args):
        seen.append(tune_runs.training_left())  # loading: the whole budget
        yield ("step", 1, 2.5, 12.0)
        seen.append(tune_runs.training_left())  # 12 s trained at that step
        yield ("done", None, None)

    monkeypatch.setattr(tune_runs, "run_tune", run_tune)
    monkeypatch.setattr(tune_runs, "RUNNING", {})
    tune_runs.SLOT.acquire()
    training = tune_runs.Training("visitor", ("s", [], "m", "out", TuneConfig(minutes=0.5), None, "flag"))
    training.thread.start()
    training.thread.join(10)
    assert seen[0] == 30.0 and 17.0 < seen[1] <= 18.0  # the 0.5-minute budget, then 12 s of it trained
    assert tune_runs.training_left() is None and not tune_runs.SLOT.locked()
