"""The share of the gap a step closes (`analysis/gap.py`) against a plain-NumPy bootstrap: the ratio of
AUC differences on the pairs, its interval from the same resamples scored one by one (scikit-learn's AUC),
and the words: no share where the gap is not clear, a capital letter, steps past either end named."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from embedlab.analysis.gap import gap, gap_words
from embedlab.analysis.intervals import measure
from embedlab.metrics import METRIC_NAMES, score
from test_intervals import naive_bootstrap


def auc_by_hand(s: np.ndarray) -> float:
    n = len(s)
    off = ~np.eye(n, dtype=bool)
    return roc_auc_score(np.r_[np.ones(n), np.zeros(off.sum())], np.r_[np.diag(s), s[off]])


def matrices(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """A weak raw side, two steps between it and a strong embedding side, one step that hurts."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(n, n))
    return {name: noise + strength * np.eye(n) + 0.3 * rng.normal(size=(n, n))
            for name, strength in (("raw", 0.2), ("white", 1.2), ("tuned", 0.8), ("embed", 2.5), ("worse", -0.3))}


def test_the_share_and_its_interval_equal_a_plain_bootstrap():
    sims = matrices(40)
    u = measure(sims, {k: [score(s)[m] for m in METRIC_NAMES] for k, s in sims.items()}, 40, resamples=300, seed=3)
    g = gap(u, "raw", "embed", ["white", "tuned", "worse"])
    auc = {k: auc_by_hand(s) for k, s in sims.items()}
    assert g.clear and g.difference.value == pytest.approx(auc["embed"] - auc["raw"], abs=1e-12)
    draws = {k: naive_bootstrap(s, 300, 3)[:, 2] for k, s in sims.items()}  # each resample's AUC, one by one
    for step in ("white", "tuned", "worse"):
        closed = g.closed[step]
        assert closed.share == pytest.approx((auc[step] - auc["raw"]) / (auc["embed"] - auc["raw"]), abs=1e-12)
        ratios = (draws[step] - draws["raw"]) / (draws["embed"] - draws["raw"])
        assert (closed.low, closed.high) == pytest.approx(tuple(np.quantile(ratios, [0.025, 0.975])), abs=1e-9)
    assert 0 < g.closed["tuned"].share < g.closed["white"].share < 1 and g.closed["worse"].share < 0
    words = gap_words(g, {"raw": "the raw GPT", "embed": "the embedding model", "white": "whitening"}, 40)
    assert words.startswith(f"The embedding model is {g.difference.value:.3f} [") and "on these 40 pairs" in words
    assert f"whitening closes {g.closed['white'].share:.0%} [{g.closed['white'].low:.0%}, " in words
    assert "worse closes" in words and "(it falls further behind)" in words and words.endswith("of that gap.")
    white = g.closed["white"]
    assert g.as_dict()["closed"]["white"] == {"share": white.share, "interval": [white.low, white.high]}


def test_no_share_where_the_gap_is_not_clear_and_a_step_past_the_end_is_named():
    sims = matrices(8, seed=1)
    sims["embed"] = sims["raw"] + 0.001 * np.eye(8)  # hardly any gap on 8 pairs
    u = measure(sims, {k: [score(s)[m] for m in METRIC_NAMES] for k, s in sims.items()}, 8, resamples=200)
    g = gap(u, "raw", "embed", ["white"])
    assert not g.clear and g.closed == {} and g.as_dict()["clear"] is False
    assert gap_words(g, {}, 8, "held-out pairs").startswith("Embed is not clearly ahead of raw on these 8 held-out pairs")
    sims = matrices(40)
    u = measure(sims, {k: [score(s)[m] for m in METRIC_NAMES] for k, s in sims.items()}, 40, resamples=200)
    past = gap(u, "raw", "tuned", ["white"])  # whitening passes the tuned side here
    assert past.closed["white"].share > 1 and "(it ends above tuned)" in gap_words(past, {}, 40)
