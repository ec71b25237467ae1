"""Honest tuned results: a comparison with a fine-tuned folder names it, marks the pairs it trained on and
scores every side on the pairs no tuned side has seen, with the all-pairs figures beside them."""

import json
from pathlib import Path

import numpy as np
import pytest

from tests.support import tinymodels
from embedlab.cache import EmbeddingCache
from embedlab.comparison import Comparison
from embedlab.embedding import embed
from embedlab.loading import load
from embedlab.methods import Role
from embedlab.pairs import read_pairs
from embedlab.report import table, verdict
from embedlab.session import Session
from embedlab.settings import Settings
from embedlab.sides import SideSpec
from embedlab.tuned import scored_on, tuned_name
from embedlab.tuning import TuneConfig, tune

ROOT = Path(__file__).resolve().parents[2]
PAIRS = read_pairs(ROOT / "assets" / "examples-30.csv")
QUICK = TuneConfig(method="mean", steps=3, batch=8, lr=1e-3)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    base = tinymodels.llama_causal(tmp_path_factory.mktemp("tiny") / "llama")
    return base, tune(PAIRS, str(base), str(tmp_path_factory.mktemp("out") / "tuned"), QUICK)


def compare(sides, pairs=PAIRS):
    session = Session(cache=EmbeddingCache(use_disk=False), settings=Settings())
    return session.compare([p.as_dict() for p in pairs], sides=sides)


def plain_metrics(q: np.ndarray, a: np.ndarray) -> dict:
    """Top-1, MRR, AUC and margin of questions against answers, by their definitions, with no EmbedLab code."""
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    s = q @ a.T
    n = len(s)
    pos = [s[i, i] for i in range(n)]
    neg = [s[i, j] for i in range(n) for j in range(n) if i != j]
    ranks = [1 + sum(s[i, j] > s[i, i] for j in range(n)) for i in range(n)]
    wins = sum(1.0 if p > x else 0.5 if p == x else 0.0 for p in pos for x in neg)
    return {"top1": np.mean([r == 1 for r in ranks]), "mrr": np.mean([1 / r for r in ranks]),
            "auc": wins / (len(pos) * len(neg)), "margin": np.mean(pos) - np.mean(neg)}


def one_by_one(folder: str, texts, role) -> np.ndarray:
    backend = load(folder)
    return np.stack([embed(backend, [t], [role], "mean").vectors[0] for t in texts]).astype(np.float64)


def close(metrics, expected: dict) -> None:
    for name, value in expected.items():
        assert metrics[name] == pytest.approx(value, abs=1e-5), name


def test_a_tuned_folder_on_its_own_training_set_reports_the_held_out_after_figures(tuned):
    base, result = tuned
    comparison = compare([SideSpec(str(base), "mean", name="base"), SideSpec(result.out, name="tuned")])
    side, before = comparison.sides["tuned"], comparison.sides["base"]
    assert side.seen_in_training == tuple(sorted(result.split.train)) and before.seen_in_training is None
    assert comparison.excluded == tuple(sorted(result.split.train))
    for name in ("top1", "mrr", "auc", "mean_pos", "mean_neg", "margin"):  # headline metrics: the lab's held-out figures
        assert side.metrics[name] == pytest.approx(result.after.metrics[name], abs=1e-6), name
        assert before.metrics[name] == pytest.approx(result.before.metrics[name], abs=1e-6), name
    # the held-out and the all-pairs figures against plain NumPy on vectors embedded one text at a time
    q = one_by_one(result.out, [p.question for p in PAIRS], Role.QUERY)
    a = one_by_one(result.out, [p.answer for p in PAIRS], Role.PASSAGE)
    held = list(result.split.heldout)
    close(side.metrics, plain_metrics(q[held], a[held]))
    close(side.metrics_all, plain_metrics(q, a))
    assert side.metrics_all.auc != pytest.approx(side.metrics.auc, abs=1e-9)  # they are different figures
    # the intervals are on the same unseen pairs as the headline figures: the lab's own held-out intervals
    u, lab = comparison.uncertainty, result.uncertainty
    assert u.pairs == len(held) == lab.pairs
    assert u.interval("tuned", "auc") == pytest.approx(lab.interval("after", "auc"), abs=1e-6)
    assert u.interval("base", "auc") == pytest.approx(lab.interval("before", "auc"), abs=1e-6)


def test_the_tuned_side_is_named_not_pathed_and_says_what_it_is_scored_on(tuned):
    base, result = tuned
    comparison = compare([SideSpec(str(base), "mean", name="base"), SideSpec(result.out, name="tuned")])
    name = f"tuned {base.name} (mean, 3 steps)"
    assert comparison.sides["tuned"].model == name == tuned_name(result.info)
    n_train, n_unseen = len(result.split.train), 30 - len(result.split.train)
    words = scored_on(comparison)
    assert words.startswith(f"Metrics on {n_unseen} unseen pairs; {n_train} used in training excluded")
    printed = table(comparison)
    assert words in printed and "AUC, all 30 pairs" in printed and result.out not in printed
    assert result.out not in verdict(comparison)
    data = json.loads(json.dumps(comparison.to_json()))
    tuned_json = data["results"]["tuned"]
    assert tuned_json["seen_in_training"] == sorted(result.split.train) and data["results"]["base"]["seen_in_training"] is None
    assert tuned_json["metrics_all"]["auc"] == comparison.sides["tuned"].metrics_all.auc
    assert data["scored_on"] == words and data["excluded_pairs"] == sorted(result.split.train)
    assert result.out not in json.dumps(data)
    back = Comparison.from_json(data)  # a saved result reads back with its marks
    assert back.excluded == comparison.excluded and back.sides["tuned"].metrics_all == comparison.sides["tuned"].metrics_all


def test_pairs_the_tuned_model_never_saw_count_in_full(tuned):
    base, result = tuned
    held = [PAIRS[i] for i in result.split.heldout]
    comparison = compare([SideSpec(result.out, name="tuned")], pairs=held)
    side = comparison.sides["tuned"]
    assert side.seen_in_training == () and side.metrics_all is None and comparison.excluded == ()
    assert scored_on(comparison) == f"Metrics on all {len(held)} pairs: none was used in training."


def test_a_comparison_on_training_pairs_only_has_no_headline_figures(tuned):
    base, result = tuned
    trained = [PAIRS[i] for i in sorted(result.split.train)]
    comparison = compare([SideSpec(str(base), "mean", name="base"), SideSpec(result.out, name="tuned")], pairs=trained)
    assert all(np.isnan(side.metrics.auc) for side in comparison.sides.values())
    assert "cannot be ranked" in verdict(comparison)
    assert scored_on(comparison).startswith(f"Metrics on 0 unseen pairs; {len(trained)} used in training excluded")


def test_a_sweep_of_a_tuned_folder_marks_every_side(tuned):
    base, result = tuned
    comparison = compare([SideSpec(result.out, method, name=method) for method in ("mean", "last-token")])
    assert all(side.seen_in_training == tuple(sorted(result.split.train)) for side in comparison.sides.values())
    assert comparison.sides["mean"].metrics.auc == pytest.approx(result.after.metrics.auc, abs=1e-6)


def test_the_page_marks_the_training_pairs_and_labels_the_all_pairs_figures(tuned):
    from embedlab.dashboard import figures, views

    base, result = tuned
    comparison = compare([SideSpec(str(base), "mean", name="base"), SideSpec(result.out, name="tuned")])
    seen = set(result.split.train)
    fig = figures.side_heatmaps(comparison)[1]
    assert [shape.line.dash == "dot" for shape in fig.layout.shapes] == [i in seen for i in range(30)]
    assert "24 pairs it trained on" in fig.layout.title.text
    text = fig.data[0].text
    assert all((figures.SEEN_NOTE in text[i][i]) == (i in seen) for i in range(30))
    assert not any(shape.line.dash == "dot" for shape in figures.side_heatmaps(comparison)[0].layout.shapes)
    base_auc, tuned_auc = (comparison.sides[name].metrics_all.auc for name in ("base", "tuned"))
    assert (f"AUC (all 30 pairs, 24 used in training)</th><td>{base_auc:.3f}</td><td>{tuned_auc:.3f}</td>"
            in views.metrics_html(comparison))
    assert scored_on(comparison) in views.verdict_html(comparison)
    from embedlab.dashboard import exports

    rows = [row for row in exports.csv_rows(comparison) if row[0] == "tuned"]
    assert [row[-1] for row in rows] == [i in seen or j in seen for i in range(30) for j in range(30)]
    assert not any(row[-1] for row in exports.csv_rows(comparison) if row[0] == "base")


@pytest.mark.slow
def test_hosted_page_tunes_smollm2_and_compares_it_on_its_own_training_set_honestly(offline_registry):
    """The page in hosted mode, as a visitor uses it: fine-tune SmolLM2 (e5) on the 30-pair example, then
    Compare the tuned model on the same 30 pairs. Its headline metrics are the fine-tune's held-out
    "after" figures, its name is its own, and no server path reaches the page."""
    from types import SimpleNamespace

    from tests.support.pages import page

    from embedlab.dashboard import visitors
    from embedlab.dashboard.tables import pairs_to_rows
    from embedlab.presets import OFFLINE_PAIR
    from embedlab.session import register

    register("tuned-hosted", Session(cache=EmbeddingCache(use_disk=False), registry=offline_registry,
                                     settings=Settings(hosted=True)))
    dash = page("tuned-hosted")
    section, layout = dash.tune, dash.page.layout
    visitor = SimpleNamespace(session_hash="hosted-visitor")
    rows = pairs_to_rows(PAIRS)
    try:
        updates = list(section.start(rows, OFFLINE_PAIR[0], OFFLINE_PAIR[1], None, 45, 0.2, "e5", visitor))
        label, choice = updates[-1][layout.classic["base"].model]["choices"][-1]
        assert label.startswith("tuned smollm2-135m-instruct (e5, ") and choice.startswith(visitors.TOKEN)
        record = json.loads((Path(visitors.resolve(choice)) / "embedlab-tune.json").read_text())
        outputs = dash.page.compare(rows, choice, "e5", OFFLINE_PAIR[1], None, "", "default", 0, "auto")
        comparison = outputs[layout.state].comparison
        tuned_side = comparison.sides["base"]
        assert tuned_side.model == label and tuned_side.seen_in_training == tuple(sorted(record["split"]["train"]))
        for name, value in record["after"].items():
            assert tuned_side.metrics[name] == pytest.approx(value, abs=1e-5), name
        assert "Metrics on 6 unseen pairs; 24 used in training excluded" in outputs[layout.verdict]
        files = dash.page.export(outputs[layout.state])[layout.downloads]
        shown = repr(updates) + repr(outputs) + "".join(Path(f).read_text() for f in files if f.endswith((".csv", ".json")))
        assert str(visitors.ROOT) not in shown
    finally:
        section.end_session(visitor)


def test_the_command_line_prints_and_writes_the_marks(tuned, tmp_path, capsys):
    from embedlab import cli

    base, result = tuned
    out = tmp_path / "r.json"
    code = cli.main(["compare", str(ROOT / "assets" / "examples-30.csv"), "--side", f"tuned={result.out}",
                     "--no-cache", "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0 and "Metrics on 6 unseen pairs; 24 used in training excluded" in printed
    assert "AUC, all 30 pairs" in printed and f"tuned {base.name} (mean, 3 steps)" in printed
    data = json.loads(out.read_text())
    assert data["results"]["tuned"]["metrics"]["auc"] == pytest.approx(result.after.metrics.auc, abs=1e-6)
    assert data["results"]["tuned"]["seen_in_training"] == sorted(result.split.train)


def test_metrics_on_unseen_pairs_alike_from_the_matrix_and_from_vectors():
    """Above FULL_MATRIX_PAIRS no matrix is kept: the unseen pairs' metrics come from the vectors alike."""
    from types import SimpleNamespace

    from embedlab.tuned import metrics_on

    rng = np.random.default_rng(0)
    n = 40
    vectors = rng.normal(size=(2 * n, 8))
    vectors[n:] += vectors[:n]  # answers lean towards their questions
    keep = np.array([1, 5, 6, 20, 33, 39])
    from_vectors = metrics_on(SimpleNamespace(similarity=None, vectors=vectors), keep)
    q, a = vectors[:n], vectors[n:]
    matrix = (q / np.linalg.norm(q, axis=1, keepdims=True)) @ (a / np.linalg.norm(a, axis=1, keepdims=True)).T
    from_matrix = metrics_on(SimpleNamespace(similarity=matrix, vectors=None), keep)
    close(from_vectors, plain_metrics(q[keep], a[keep]))
    close(from_matrix, plain_metrics(q[keep], a[keep]))
    assert np.isnan(metrics_on(SimpleNamespace(similarity=matrix, vectors=None), np.array([], dtype=int)).auc)


def test_a_folder_that_does_not_record_its_training_pairs_says_so(tuned, tmp_path):
    import shutil

    base, result = tuned
    old = tmp_path / "format-1"
    shutil.copytree(result.out, old)
    record = json.loads((old / "embedlab-tune.json").read_text())
    del record["train_pairs"]
    (old / "embedlab-tune.json").write_text(json.dumps(record | {"format": 1}))
    comparison = compare([SideSpec(str(old), name="tuned")])
    side = comparison.sides["tuned"]
    assert side.model == f"tuned {base.name} (mean, 3 steps)" and side.seen_in_training == () and not side.training_recorded
    assert scored_on(comparison) == (f"{side.model} does not record its training pairs (tuned before they were kept): "
                                     "its figures may include pairs it trained on.")


def test_tuning_a_tuned_model_names_it_before_and_after(tuned, tmp_path):
    base, result = tuned
    again = tune(PAIRS, result.out, str(tmp_path / "again"), QUICK)
    assert again.before.model == f"tuned {base.name} (mean, 3 steps)"  # the folder's name for people, not its path
    assert again.after.model == "tuned tuned (mean, 3 steps)" and result.out not in json.dumps(again.to_json()["before"])
