"""The page's two steps (`dashboard/interval_steps.py`): step 1 draws the point metrics and a verdict that
claims nothing without drawing one resample; step 2 fills in the intervals, marks and verdict, equal to
what a comparison computed in one go shows, and to the independent bootstrap of test_intervals."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_intervals import naive_bootstrap, percentile
from test_vectors import save, session

from embedlab.analysis import intervals
from embedlab.backends.vectors import read_vectors
from embedlab.dashboard import interval_steps
from embedlab.dashboard.views import metrics_html, verdict_html
from embedlab.metrics import cos_sim
from embedlab.pairs import Pair
from embedlab.sides import SideSpec


def two_sides(tmp_path, n: int = 30):
    pairs = [Pair(f"q{i}", f"a{i}") for i in range(n)]
    paths = {"good": save(tmp_path / "good.npz", n, noise=0.5, seed=1), "weak": save(tmp_path / "weak.npz", n, noise=4.0, seed=2)}
    result = session().compare(pairs, sides=[SideSpec(f"vectors:{p}", name=k) for k, p in paths.items()])
    return result, paths


def test_step_one_draws_no_resample_and_claims_nothing(tmp_path, monkeypatch):
    result, _ = two_sides(tmp_path)
    monkeypatch.setattr("embedlab.comparison.measure", lambda *a, **k: pytest.fail("step 1 drew resamples"))
    views = interval_steps.at_once(result)
    assert "uncertainty" not in result.__dict__  # the comparison itself is untouched, its bootstrap still to come
    table = views["metrics"].split("<p")[0]
    assert intervals.PENDING in views["metrics"] and "▲" not in table and "[" not in table
    assert "no verdict on these 30 pairs" in views["verdict"] and intervals.PENDING in views["verdict"]
    assert f"{result.sides['good'].metrics.auc:.3f}" in views["metrics"]  # the exact point metrics are there


def test_step_two_fills_in_what_one_go_shows_and_equals_the_independent_bootstrap(tmp_path):
    result, paths = two_sides(tmp_path)
    fresh = replace(result)  # the same sides, its bootstrap computed in one go below
    interval_steps.at_once(result)
    views = interval_steps.filled(result)
    assert views["metrics"] == metrics_html(fresh) and views["verdict"] == verdict_html(fresh)
    assert "better" in views["verdict"] and "▲" in views["metrics"].split("<p")[0]
    q, a = np.split(read_vectors(paths["good"]).astype(np.float64), 2)
    low, high = percentile(naive_bootstrap(cos_sim(q, a), 1000, 0)[:, 2])
    assert f"[{low:.3f}, {high:.3f}]" in views["metrics"]
    forest = views["forest"].data[0]
    assert list(forest.error_x.array) == pytest.approx(
        [high - result.sides["good"].metrics.auc, *forest.error_x.array[1:]])
