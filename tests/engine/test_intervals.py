"""Bootstrap intervals and paired differences against an independent plain-NumPy bootstrap that draws the
same resamples and scores each one as its own small matrix; the edge cases; the verdict rule."""

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from embedlab.analysis import bootstrap
from embedlab.analysis.intervals import MIN_PAIRS, Difference, best_of, decide, measure
from embedlab.metrics import METRIC_NAMES, score

NAMES = METRIC_NAMES


def naive_metrics(s: np.ndarray, drawn: np.ndarray) -> list[float]:
    """One resample (the pair numbers drawn) scored by hand: the resampled questions x answers, cells where
    a question meets a copy of its own answer dropped; each question ranked among all n answers."""
    r = s[np.ix_(drawn, drawn)]
    same = drawn[:, None] == drawn[None, :]
    pos, neg = np.diag(r), r[~same]
    rank = np.array([1 + np.sum(s[i] > s[i, i]) for i in range(len(s))])[drawn]
    if neg.size:
        auc = roc_auc_score(np.r_[np.ones(pos.size), np.zeros(neg.size)], np.r_[pos, neg])
        mean_neg = neg.mean()
    else:
        auc = mean_neg = np.nan
    return [np.mean(rank == 1), np.mean(1 / rank), auc, pos.mean(), mean_neg, pos.mean() - mean_neg]


def naive_bootstrap(s: np.ndarray, resamples: int, seed: int, blocks: np.ndarray | None = None) -> np.ndarray:
    n = len(s)
    units = n if blocks is None else int(blocks.max()) + 1
    rows = np.random.default_rng(seed).integers(0, units, size=(resamples, units))
    if blocks is not None:  # a drawn block brings all its pairs
        rows = [np.concatenate([np.flatnonzero(blocks == b) for b in row]) for row in rows]
    return np.array([naive_metrics(s, np.asarray(row)) for row in rows])


def percentile(values: np.ndarray) -> tuple[float, float]:
    values = values[~np.isnan(values)]
    return float(np.quantile(values, 0.025)), float(np.quantile(values, 0.975))


def sides(n: int, seed: int = 0, digits: int = 1) -> dict[str, np.ndarray]:
    """Two sides' similarity matrices; rounded, so they hold ties."""
    rng = np.random.default_rng(seed)
    return {"good": (rng.normal(size=(n, n)) + 1.5 * np.eye(n)).round(digits),
            "weak": (rng.normal(size=(n, n)) + 0.3 * np.eye(n)).round(digits)}


def uncertainty(sims: dict, resamples: int = 1000, seed: int = 0):
    n = len(next(iter(sims.values())))
    return measure(sims, {k: [score(s)[m] for m in NAMES] for k, s in sims.items()}, n, resamples, seed)


@pytest.mark.parametrize("n", [5, 12])
def test_intervals_equal_an_independent_bootstrap_with_the_same_seed(n):
    sims = sides(n)
    u = uncertainty(sims, resamples=300, seed=11)
    naive = {k: naive_bootstrap(s, 300, 11) for k, s in sims.items()}
    for k in sims:
        for j, metric in enumerate(NAMES):
            assert u.interval(k, metric) == pytest.approx(percentile(naive[k][:, j]), abs=1e-12), (k, metric)
    for j, metric in enumerate(NAMES):
        d = naive["good"][:, j] - naive["weak"][:, j]
        d = d[~np.isnan(d)]
        d[np.abs(d) <= 1e-12] = 0.0  # the documented rule: float noise around 0 is 0
        got = u.difference("good", "weak", metric)
        assert (got.low, got.high) == pytest.approx(percentile(d), abs=1e-12)
        far = min((d <= 0).sum(), (d >= 0).sum())
        assert got.p == pytest.approx(min(1.0, 2 * (1 + far) / (1 + d.size))), metric
        assert got.value == pytest.approx(score(sims["good"])[metric] - score(sims["weak"])[metric])


def test_the_block_scheme_equals_drawing_whole_blocks_by_hand():
    n = bootstrap.EXACT_PAIRS + 20
    s = sides(n, digits=2)["good"]
    unit = bootstrap.units_of(n, seed=3)
    assert int(unit.max()) + 1 == bootstrap.BLOCKS and np.bincount(unit).min() >= n // bootstrap.BLOCKS
    got = bootstrap.Resampler(s, unit).metrics(bootstrap.counts(bootstrap.BLOCKS, 4, 3))
    np.testing.assert_allclose(got, naive_bootstrap(s, 4, 3, blocks=unit), atol=1e-12)


def test_a_duplicated_pair_is_not_its_own_non_matching_pair():
    """Pair 0 drawn twice: question 0 meets answer 0 twice more, off the diagonal; those cells count for neither."""
    s = np.array([[0.9, 0.1, 0.2], [0.3, 0.8, 0.4], [0.5, 0.6, 0.7]])
    got = bootstrap.Resampler(s, np.arange(3)).metrics(np.array([[2.0, 1.0, 0.0]]))[0]
    negatives = [0.1, 0.1, 0.3, 0.3]  # q0 x a1 (twice, from two copies of q0), q1 x a0 (twice, two copies of a0)
    assert got[4] == pytest.approx(np.mean(negatives))
    assert got[2] == 1.0  # every matching score (0.9, 0.9, 0.8) beats every non-matching one; 0.9 never meets itself


def test_seeded_and_reproducible():
    sims = sides(20)
    a, b, c = uncertainty(sims, seed=1), uncertainty(sims, seed=1), uncertainty(sims, seed=2)
    assert a.interval("good", "auc") == b.interval("good", "auc") != c.interval("good", "auc")
    assert uncertainty(sims, resamples=200).resamples == 200


def test_one_pair_and_too_few_pairs_have_no_interval_and_say_why():
    for n in (1, 2, MIN_PAIRS - 1):
        u = uncertainty(sides(n))
        assert u.interval("good", "auc") is None and u.difference("good", "weak", "auc") is None
        assert f"at least {MIN_PAIRS} pairs" in u.reason("good")
        assert decide(u, "good", "weak")[0] is None


def test_two_pairs_would_be_a_degenerate_bootstrap():
    """Why 2 pairs get no interval: of the three kinds of resample, two hold one pair (no AUC) and the third is
    the set itself, so a percentile interval would be the point, zero wide, claiming certainty."""
    s = np.array([[0.9, 0.1], [0.2, 0.8]])
    draws = bootstrap.Resampler(s, np.arange(2)).metrics(bootstrap.counts(2, 1000, 0))[:, 2]
    assert set(np.unique(draws[~np.isnan(draws)])) == {score(s).auc} and np.isnan(draws).mean() > 0.4


def test_ties_count_half_in_every_resample():
    s = np.full((8, 8), 0.5)
    u = uncertainty({"flat": s, "same": s.copy()})
    assert u.interval("flat", "auc") == (0.5, 0.5) and u.interval("flat", "top1") == (1.0, 1.0)


def test_nan_scores_give_no_interval_for_that_side_only():
    sims = sides(10)
    sims["broken"] = sims["weak"].copy()
    sims["broken"][3, 4] = np.nan
    u = uncertainty(sims)
    assert u.interval("broken", "auc") is None and "NaN" in u.reason("broken")
    assert u.difference("good", "broken", "auc") is None and u.interval("good", "auc") is not None


def test_identical_sides_differ_by_exactly_zero():
    s = sides(15)["good"]
    u = uncertainty({"a": s, "b": s.copy()})
    for metric in NAMES:
        d = u.difference("a", "b", metric)
        assert (d.value, d.low, d.high, d.p) == (0.0, 0.0, 0.0, 1.0) and d.identical and d.clear() == 0
    assert decide(u, "a", "b")[0] == 0 and best_of(u, ["a", "b"], "auc") == set()


def test_better_only_where_the_interval_of_the_difference_excludes_zero():
    assert Difference(0.2, 0.05, 0.3, 0.01).clear() == 1
    assert Difference(-0.2, -0.3, -0.05, 0.01).clear() == -1
    assert Difference(0.2, -0.01, 0.4, 0.08).clear() == 0
    u = uncertainty(sides(40))
    outcome, metric, d = decide(u, "good", "weak")
    assert metric == "auc" and outcome == 1 and d.low > 0
    assert best_of(u, ["good", "weak"], "auc") == {"good"} and best_of(u, ["good", "weak"], "mean_neg") == set()
    close = uncertainty(sides(6))  # 6 pairs: the same kind of gap is not clear
    assert decide(close, "good", "weak")[0] == 0 and best_of(close, ["good", "weak"], "auc") == set()


def test_pairs_to_show_scales_the_interval_as_one_over_root_n():
    d = Difference(0.1, -0.02, 0.22, 0.1)  # half-width 0.12 on 10 pairs: its standard error 0.12 / 1.96
    expected = math.ceil(10 * ((1.959964 + 0.8416) * (0.12 / 1.959964) / 0.1) ** 2)
    assert d.pairs_to_show(10) == expected and Difference(0.0, -0.1, 0.1, 1.0).pairs_to_show(10) is None


@pytest.mark.slow
def test_the_95_interval_covers_a_known_auc_in_93_to_97_percent_of_400_trials():
    """Synthetic sides with a known AUC: s[i, j] = a_i + b_j + e_ij, plus `shift` on the diagonal, all
    normal with variance 1/2, 1/2 and 1, so a matching score beats a non-matching one of two other pairs
    with probability Phi(shift / sqrt(2 * 2))."""
    from statistics import NormalDist

    n, shift, trials = 40, 1.5, 400
    truth = NormalDist().cdf(shift / 2.0)
    covered = 0
    for trial in range(trials):
        rng = np.random.default_rng(1000 + trial)
        s = (rng.normal(size=(n, 1)) * np.sqrt(0.5) + rng.normal(size=(1, n)) * np.sqrt(0.5)
             + rng.normal(size=(n, n)) + shift * np.eye(n))
        u = uncertainty({"side": s}, seed=trial)
        low, high = u.interval("side", "auc")
        covered += low <= truth <= high
    share = covered / trials
    print(f"\ncoverage of the 95% AUC interval: {share:.3f} ({covered}/{trials}), true AUC {truth:.4f}")
    assert 0.93 <= share <= 0.97


def test_where_both_aucs_are_perfect_in_every_resample_the_margin_decides():
    rng = np.random.default_rng(5)
    off = 0.1 * rng.random((12, 12))
    u = uncertainty({"wide": off + 2.0 * np.eye(12), "narrow": off + 1.0 * np.eye(12)})
    assert u.difference("wide", "narrow", "auc").identical
    outcome, metric, d = decide(u, "wide", "narrow")
    assert (outcome, metric) == (1, "margin") and d.low > 0
