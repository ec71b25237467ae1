"""Intervals wherever the numbers go: the CLI table and its options, the JSON (and back), the exports, the
fine-tune lab's held-out figures; each checked against the independent bootstrap of test_intervals."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from test_intervals import naive_bootstrap, percentile
from test_vectors import pairs_file, save, session

from embedlab.backends.vectors import read_vectors
from embedlab.cli import main
from embedlab.comparison import FULL_MATRIX_PAIRS, Comparison
from embedlab.dashboard import exports
from embedlab.metrics import METRIC_NAMES
from embedlab.pairs import Pair
from embedlab.sides import SideSpec


def plain_cosines(path: str) -> np.ndarray:
    q, a = np.split(read_vectors(path).astype(np.float64), 2)
    q, a = q / np.linalg.norm(q, axis=1, keepdims=True), a / np.linalg.norm(a, axis=1, keepdims=True)
    return q @ a.T


def test_cli_table_and_json_carry_intervals_and_paired_differences(tmp_path, capsys):
    pairs, out = pairs_file(tmp_path / "p.csv", 24), tmp_path / "out.json"
    one, two = save(tmp_path / "one.npz", 24, seed=2), save(tmp_path / "two.npz", 24, noise=3.0, seed=3)
    code = main(["compare", pairs, "--side", f"one=vectors:{one}", "--side", f"two=vectors:{two}", "--no-cache",
                 "--json", str(out), "--resamples", "300", "--bootstrap-seed", "5"])
    assert code == 0
    table = capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["bootstrap"]["resamples"] == 300 and data["bootstrap"]["seed"] == 5
    assert "percentile bootstrap over pairs" in data["bootstrap"]["method"] and data["bootstrap"]["scheme"] == "pairs"
    naive = {name: naive_bootstrap(plain_cosines(path), 300, 5) for name, path in (("one", one), ("two", two))}
    for name in ("one", "two"):
        for j, metric in enumerate(METRIC_NAMES):
            assert data["results"][name]["intervals"][metric] == pytest.approx(percentile(naive[name][:, j]), abs=1e-9)
    low, high = data["results"]["one"]["intervals"]["auc"]
    assert f"{data['results']['one']['metrics']['auc']:.3f} [{low:.3f}, {high:.3f}]" in table
    d = data["results"]["one"]["differences"]["two"]["auc"]
    assert (d["low"], d["high"]) == pytest.approx(percentile(naive["one"][:, 2] - naive["two"][:, 2]), abs=1e-9)
    assert data["results"]["two"]["differences"]["one"]["auc"]["difference"] == pytest.approx(-d["difference"])
    back = Comparison.from_json(data).uncertainty  # the same bootstrap again (the JSON's scores have 6 decimals)
    assert (back.resamples, back.seed) == (300, 5)
    assert back.interval("one", "mean_pos") == pytest.approx(data["results"]["one"]["intervals"]["mean_pos"], abs=1e-5)


def test_too_few_resamples_is_refused(tmp_path, capsys):
    pairs, one = pairs_file(tmp_path / "p.csv", 6), save(tmp_path / "one.npz", 6)
    with pytest.raises(SystemExit) as exit_:
        main(["compare", pairs, "--side", f"one=vectors:{one}", "--resamples", "10"])
    assert exit_.value.code == 2
    assert "use at least 100 resamples" in capsys.readouterr().err


def test_the_export_writes_an_intervals_table(tmp_path):
    pairs = [Pair(f"q{i}", f"a{i}") for i in range(10)]
    result = session().compare(pairs, sides=[SideSpec(f"vectors:{save(tmp_path / 'a.npz', 10)}", name="a"),
                                             SideSpec(f"vectors:{save(tmp_path / 'b.npz', 10, seed=4)}", name="b")])
    files = exports.write_results(result, tmp_path, stem="set")
    assert tmp_path / "set-intervals.csv" in files
    rows = list(csv.DictReader(io.StringIO((tmp_path / "set-intervals.csv").read_text())))
    auc = next(r for r in rows if r["side"] == "a" and r["metric"] == "auc" and not r["minus"])
    assert [float(auc["low"]), float(auc["high"])] == pytest.approx(result.uncertainty.interval("a", "auc"))
    diff = next(r for r in rows if r["side"] == "a" and r["minus"] == "b" and r["metric"] == "auc")
    assert float(diff["p"]) == pytest.approx(result.uncertainty.difference("a", "b", "auc").p)
    assert rows[0]["resamples"] == "1000" and rows[0]["seed"] == "0"


def test_above_the_matrix_limit_the_json_says_why_there_is_no_interval(tmp_path):
    n = FULL_MATRIX_PAIRS + 1
    result = session().compare([Pair(f"q{i}", f"a{i}") for i in range(n)],
                               sides=[SideSpec(f"vectors:{save(tmp_path / 'v.npz', n, dim=6)}", name="v")])
    intervals = result.to_json()["results"]["v"]["intervals"]
    assert intervals["auc"] is None and "similarity matrix is not kept" in intervals["none"]


def test_the_forest_plot_draws_each_sides_auc_and_interval(tmp_path):
    from embedlab.dashboard import figures

    pairs = [Pair(f"q{i}", f"a{i}") for i in range(12)]
    result = session().compare(pairs, sides=[SideSpec(f"vectors:{save(tmp_path / 'a.npz', 12)}", name="a"),
                                             SideSpec(f"vectors:{save(tmp_path / 'b.npz', 12, noise=4.0)}", name="b")])
    trace = figures.interval_forest(result).data[0]
    names = result.ranking()
    assert list(trace.x) == [result.sides[n].metrics.auc for n in names]
    for k, name in enumerate(names):
        low, high = result.uncertainty.interval(name, "auc")
        assert trace.x[k] - trace.error_x.arrayminus[k] == pytest.approx(low)
        assert trace.x[k] + trace.error_x.array[k] == pytest.approx(high)
    few = session().compare(pairs[:3], sides=[SideSpec(f"vectors:{save(tmp_path / 'c.npz', 3)}", name="c")])
    assert "no interval: an interval needs at least 5 pairs" in figures.interval_forest(few).data[0].text[0]
