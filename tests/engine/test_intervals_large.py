"""The large-set interval scheme (`analysis/linear.py`): each pair's gradient from the block pass against a
numerical derivative of plainly weighted metrics, the linearised resamples against an independent NumPy
computation with the same seed, against the exact bootstrap, through the CLI and JSON, and its coverage."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_intervals import percentile
from test_vectors import pairs_file, save

from embedlab.analysis import bootstrap
from embedlab.analysis.intervals import measure
from embedlab.analysis.linear import LINEAR_PAIRS, linear_draws
from embedlab.cli import main
from embedlab.comparison import Comparison
from embedlab.metrics import METRIC_NAMES, cos_sim, score
from embedlab.metrics_blocks import score_blocks


def weighted_metrics(s: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The six metrics with pair i counted w[i] times, by their definitions: every (matching k,
    non-matching cell i != j) comparison weighted w_k w_i w_j, every non-matching cell w_i w_j."""
    p, off = np.diag(s), ~np.eye(len(s), dtype=bool)
    rank = 1 + (s > p[:, None]).sum(axis=1)
    cell = np.outer(w, w) * off
    wins = (p[:, None, None] > s[None]) + 0.5 * (p[:, None, None] == s[None])
    auc = np.einsum("k,kij,ij->", w, wins, cell) / (w.sum() * cell.sum())
    mean_pos, mean_neg = w @ p / w.sum(), (cell * s).sum() / cell.sum()
    return np.array([w @ (rank == 1) / w.sum(), w @ (1 / rank) / w.sum(), auc, mean_pos, mean_neg, mean_pos - mean_neg])


def numerical_gradient(s: np.ndarray, step: float = 1e-6) -> np.ndarray:
    n = len(s)
    return np.array([(weighted_metrics(s, 1 + step * e) - weighted_metrics(s, 1 - step * e)) / (2 * step)
                     for e in np.eye(n)])


def vectors(n: int, noise: float, seed: int = 0, dim: int = 8, digits: int | None = None):
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((n, dim))
    a = q + noise * rng.standard_normal((n, dim))
    return (q, a) if digits is None else (q.round(digits), a.round(digits))


def test_each_pairs_gradient_is_the_derivative_of_the_weighted_metrics():
    q, a = vectors(40, 1.2, digits=1)  # rounded: tied scores
    a[3] = a[5]  # two equal answers: tied matching and non-matching scores
    s = cos_sim(q, a)
    summary = score_blocks(q, a, rows=7, gradient=True)  # several blocks, the last one short
    expected = numerical_gradient(s)
    np.testing.assert_allclose(summary.gradient, expected, atol=1e-7)
    np.testing.assert_allclose(summary.gradient.sum(axis=0), 0, atol=1e-12)
    assert [summary.metrics[m] for m in METRIC_NAMES] == pytest.approx(list(weighted_metrics(s, np.ones(40))))


def test_linearised_resamples_equal_an_independent_numpy_computation_with_the_same_seed():
    n, resamples, seed = 40, 300, 7
    q, a = vectors(n, 1.0, seed=3)
    s = cos_sim(q, a)
    summary = score_blocks(q, a, gradient=True)
    point = np.array([summary.metrics[m] for m in METRIC_NAMES])
    rows = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    w = np.array([np.bincount(row, minlength=n) for row in rows])
    expected = point + (w - 1) @ numerical_gradient(s)
    got = linear_draws({"x": summary.gradient}, {"x": point}, resamples, seed)["x"]
    np.testing.assert_allclose(got, expected, atol=1e-7)


def test_counts_drawn_a_few_resamples_at_a_time_are_the_documented_stream():
    n, resamples, seed = 37, 50, 11
    rows = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    expected = np.array([np.bincount(row, minlength=n) for row in rows])
    chunks = list(bootstrap.count_chunks(n, resamples, seed, cells=3 * n + 5))
    assert len(chunks) > 1
    np.testing.assert_array_equal(np.concatenate(chunks), expected)


def test_on_400_pairs_the_linearised_intervals_match_the_exact_bootstrap():
    """Same seed, same resamples: top-1, MRR and mean matching are linear in the counts (equal to the
    last digit); AUC and margin agree within a few % of the interval's width. The mean non-matching score
    of unrelated random vectors has no first-order part to speak of, so there the first-order interval is
    narrower: the documented limit, bounded here."""
    n = 400
    q, a = vectors(n, 1.5, seed=5, dim=16)
    s = cos_sim(q, a)
    summary = score_blocks(q, a, gradient=True)
    point = np.array([summary.metrics[m] for m in METRIC_NAMES])
    linear = linear_draws({"x": summary.gradient}, {"x": point}, 1000, 0)["x"]
    exact = bootstrap.Resampler(s, np.arange(n)).metrics(bootstrap.counts(n, 1000, 0))
    for k, metric in enumerate(METRIC_NAMES):
        (lo, hi), (elo, ehi) = percentile(linear[:, k]), percentile(exact[:, k])
        if metric in ("top1", "mrr", "mean_pos"):
            np.testing.assert_allclose(linear[:, k], exact[:, k], atol=1e-12)
        elif metric == "mean_neg":
            assert 0.6 < (hi - lo) / (ehi - elo) <= 1.0
        else:
            assert abs(lo - elo) < 0.05 * (ehi - elo) and abs(hi - ehi) < 0.05 * (ehi - elo), metric


def test_nan_scores_give_that_side_no_interval():
    n = 30
    q, a = vectors(n, 1.0)
    good = score_blocks(q, a, gradient=True)
    bad = good.gradient.copy()
    bad[4, 4] = np.nan
    points = {k: [good.metrics[m] for m in METRIC_NAMES] for k in ("good", "bad")}
    u = measure({"good": None, "bad": None}, points, n, gradients={"good": good.gradient, "bad": bad})
    assert u.linear and u.interval("good", "auc") is not None and u.interval("bad", "auc") is None
    assert "NaN" in u.reason("bad") and u.difference("good", "bad", "auc") is None


def test_above_the_matrix_limit_the_cli_and_json_give_linearised_intervals(tmp_path, capsys):
    n = LINEAR_PAIRS + 1
    pairs, out = pairs_file(tmp_path / "p.csv", n), tmp_path / "out.json"
    one, two = save(tmp_path / "one.npz", n, noise=1.0, seed=2), save(tmp_path / "two.npz", n, noise=1.6, seed=2)
    assert main(["compare", pairs, "--side", f"one=vectors:{one}", "--side", f"two=vectors:{two}", "--no-cache",
                 "--json", str(out), "--resamples", "200"]) == 0
    printed = capsys.readouterr().out
    assert "linearised: above 2,000 pairs" in printed
    data = json.loads(out.read_text())
    assert data["bootstrap"]["scheme"].startswith("linearised") and data["bootstrap"]["resamples"] == 200
    q1, a1 = (np.load(one)[k].astype(np.float64) for k in ("questions", "answers"))
    q2, a2 = (np.load(two)[k].astype(np.float64) for k in ("questions", "answers"))
    exact = {"one": score(cos_sim(q1, a1)), "two": score(cos_sim(q2, a2))}
    gradients = {"one": closed_form_gradient(q1, a1), "two": closed_form_gradient(q2, a2)}
    points = {k: np.array([exact[k][m] for m in METRIC_NAMES]) for k in exact}
    rows = np.random.default_rng(0).integers(0, n, size=(200, n))
    w = np.array([np.bincount(row, minlength=n) for row in rows])
    draws = {k: points[k] + (w - 1) @ gradients[k] for k in exact}
    for name in ("one", "two"):
        result = data["results"][name]
        assert result["metrics"] == pytest.approx(exact[name].as_dict(), abs=1e-9)  # exact stays exact
        assert result["intervals"]["auc"] == pytest.approx(percentile(draws[name][:, 2]), abs=1e-9)
    d = data["results"]["one"]["differences"]["two"]["auc"]
    low, high = percentile(draws["one"][:, 2] - draws["two"][:, 2])
    assert (d["low"], d["high"]) == pytest.approx((low, high), abs=1e-9) and low > 0  # paired: the same resamples
    back = Comparison.from_json(data).to_json()["results"]["one"]  # the JSON keeps each pair's gradient
    assert back["intervals"] == data["results"]["one"]["intervals"] and back["differences"] == data["results"]["one"]["differences"]


def closed_form_gradient(q: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Each pair's gradient from the full matrix by the closed forms, plain NumPy over every cell at once:
    for 2,001 pairs the triple-weighted definition would hold 8e9 cells."""
    s = cos_sim(q, a)
    n, p = len(s), np.diag(s)
    off = ~np.eye(n, dtype=bool)
    srt = np.sort(p)
    below = np.searchsorted(srt, s, side="left") + np.searchsorted(srt, s, side="right")  # 2 x matching <= cell, ties half
    place = np.where(off, n - 0.5 * below, 0.0)  # matching scores that beat each non-matching cell
    neg = np.sort(s[off])
    beats = 0.5 * (np.searchsorted(neg, p, side="left") + np.searchsorted(neg, p, side="right"))
    rank = 1 + (s > p[:, None]).sum(axis=1)
    cells = n * (n - 1)
    row_col = np.where(off, s, 0).sum(axis=1) + np.where(off, s, 0).sum(axis=0)
    g = np.stack([(rank == 1) / n, 1 / rank / n, (beats + place.sum(axis=1) + place.sum(axis=0)) / (n * cells),
                  p / n, row_col / cells, p / n - row_col / cells], axis=1)
    return g - g.mean(axis=0)


@pytest.mark.slow
@pytest.mark.timeout(3600)  # 400 block passes of 2,001 x 2,001 cells: 1,479 s in all at load average 12-18 on 2 cores
def test_the_linearised_95_interval_covers_a_known_auc_in_93_to_97_percent_of_400_trials():
    """Answers = questions + noise (8 dimensions), 2,001 pairs a trial. The true AUC, the chance that a
    pair's cosine beats that of a question and another pair's answer, is estimated once from 4 million
    independent draws (its own error about 0.0002, against intervals about 0.01 wide)."""
    n, noise, dim, trials = LINEAR_PAIRS + 1, 2.0, 8, 400
    rng = np.random.default_rng(99)

    def cos(x, y):
        return np.einsum("ij,ij->i", x, y) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)

    m = 4_000_000
    z, other = rng.standard_normal((m, dim)), rng.standard_normal((m, dim))
    matching = cos(z, z + noise * rng.standard_normal((m, dim)))
    rival = cos(rng.standard_normal((m, dim)), other + noise * rng.standard_normal((m, dim)))
    truth = float(np.mean(matching > rival))
    covered = 0
    for trial in range(trials):
        q, a = vectors(n, noise, seed=5000 + trial, dim=dim)
        summary = score_blocks(q, a, gradient=True)
        points = {"x": [summary.metrics[k] for k in METRIC_NAMES]}
        low, high = measure({"x": None}, points, n, seed=trial, gradients={"x": summary.gradient}).interval("x", "auc")
        covered += low <= truth <= high
    share = covered / trials
    print(f"\ncoverage of the linearised 95% AUC interval: {share:.3f} ({covered}/{trials}), true AUC {truth:.4f}")
    assert 0.93 <= share <= 0.97
