"""Metrics against hand-worked cases and against scikit-learn."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.metrics.pairwise import cosine_similarity

from embedlab.metrics import auc, cos_sim, ranks, score, split_scores


def test_cos_sim_matches_sklearn():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 7)), rng.normal(size=(4, 7))
    np.testing.assert_allclose(cos_sim(a, b), cosine_similarity(a, b), atol=1e-12)


def test_zero_vector_gives_zero_not_nan():
    assert cos_sim(np.zeros((1, 3)), np.ones((1, 3)))[0, 0] == 0.0


def test_worked_example_original_e5_numbers():
    # the e5-mistral figures reported by the original experiment
    s = np.array([[0.88, 0.56], [0.67, 0.84]])
    m = score(s)
    assert m["top1"] == 1.0 and m["mrr"] == 1.0 and m["auc"] == 1.0
    assert m["mean_pos"] == pytest.approx(0.86)
    assert m["mean_neg"] == pytest.approx(0.615)
    assert m["margin"] == pytest.approx(0.245)


def test_worked_example_with_a_miss_and_a_tie():
    s = np.array([[0.5, 0.9, 0.1],
                  [0.2, 0.7, 0.7],
                  [0.3, 0.3, 0.3]])
    # row 0: one answer beats its own -> rank 2; row 1: tie does not count -> rank 1; row 2: all tie -> rank 1
    assert ranks(s).tolist() == [2, 1, 1]
    m = score(s)
    assert m["top1"] == pytest.approx(2 / 3)
    assert m["mrr"] == pytest.approx((0.5 + 1 + 1) / 3)
    pos, neg = split_scores(s)
    assert pos.tolist() == [0.5, 0.7, 0.3]
    assert sorted(neg.tolist()) == sorted([0.9, 0.1, 0.2, 0.7, 0.3, 0.3])


def test_auc_matches_sklearn_with_ties():
    rng = np.random.default_rng(1)
    pos = rng.integers(0, 5, size=30).astype(float)
    neg = rng.integers(0, 5, size=70).astype(float)
    expected = roc_auc_score(np.r_[np.ones(30), np.zeros(70)], np.r_[pos, neg])
    assert auc(pos, neg) == pytest.approx(expected)


def test_single_pair_has_no_negatives():
    m = score(np.array([[0.4]]))
    assert m["top1"] == 1.0 and np.isnan(m["auc"]) and np.isnan(m["mean_neg"])


def test_non_square_is_refused():
    with pytest.raises(ValueError):
        score(np.ones((2, 3)))
