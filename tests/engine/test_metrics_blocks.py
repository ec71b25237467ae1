"""Block metrics against the full matrix: the same figures for every block size, ties included, and
the large-set summaries (top answers, block means, histograms) against the matrix they stand for."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from embedlab.metrics import auc, beaten, cos_sim, score, split_scores
from embedlab.metrics_blocks import HIST_BINS, block_rows, score_blocks, similarity_blocks


def _close(full, blocks):
    for name, value in full.as_dict().items():
        other = blocks[name]
        assert (np.isnan(value) and np.isnan(other)) or other == pytest.approx(value, abs=1e-12), name


@pytest.mark.parametrize("n", [1, 2, 7, 60])
@pytest.mark.parametrize("rows", [1, 3, 16, None])
def test_block_metrics_equal_the_full_matrix_with_ties(n, rows):
    rng = np.random.default_rng(n)
    q = rng.integers(-2, 3, (n, 3)).astype(float)  # few distinct directions: many exact ties, on and off the diagonal
    a = rng.integers(-2, 3, (n, 3)).astype(float)
    q[q.sum(axis=1) == 0, 0] = 1  # no zero rows, whose cosine is 0 by the EPS rule in both paths anyway
    _close(score(cos_sim(q, a)), score_blocks(q, a, rows=rows).metrics)


@pytest.mark.parametrize("rows", [5, 64, 1000])
def test_block_metrics_equal_the_full_matrix_on_real_valued_vectors(rows):
    rng = np.random.default_rng(1)
    q = rng.standard_normal((400, 24))
    a = q + 1.5 * rng.standard_normal((400, 24))
    a[10] = a[11]  # a repeated answer: two equal scores in every row
    full = score(cos_sim(q, a))
    _close(full, score_blocks(q, a, rows=rows).metrics)
    pos, neg = split_scores(cos_sim(q, a))
    assert full.auc == pytest.approx(roc_auc_score(np.r_[np.ones(len(pos)), np.zeros(len(neg))], np.r_[pos, neg]))


def test_beaten_counts_ties_as_half_like_the_pairwise_definition():
    rng = np.random.default_rng(2)
    pos = rng.integers(-3, 4, 50) / 4
    neg = np.r_[rng.integers(-5, 6, 300) / 4, pos]
    pairwise = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    assert beaten(np.sort(pos), neg) == pairwise
    assert auc(pos, neg) == pairwise / (pos.size * neg.size)


def test_summaries_match_the_matrix():
    rng = np.random.default_rng(3)
    n = 230
    q, a = rng.standard_normal((n, 16)), rng.standard_normal((n, 16))
    full = cos_sim(q, a)
    b = score_blocks(q, a, rows=17, top_k=4, grid=10)
    np.testing.assert_array_equal(b.top_answers, np.argsort(-full, axis=1, kind="stable")[:, :4])
    np.testing.assert_allclose(b.top_scores, -np.sort(-full, axis=1)[:, :4], atol=1e-12)
    e = b.edges
    assert e[0] == 0 and e[-1] == n and len(e) == 11
    means = [[full[e[i]:e[i + 1], e[j]:e[j + 1]].mean() for j in range(10)] for i in range(10)]
    np.testing.assert_allclose(b.grid, means, atol=1e-12)
    pos, neg = split_scores(full)
    np.testing.assert_array_equal(b.pos_hist, np.histogram(pos, bins=HIST_BINS, range=(-1, 1))[0])
    assert b.neg_hist.sum() == n * (n - 1)
    np.testing.assert_allclose(np.histogram(neg, bins=HIST_BINS, range=(-1, 1))[0], b.neg_hist, atol=2)  # bin edges


def test_blocks_stay_within_their_memory_budget_and_cover_every_row():
    assert block_rows(30_000, 64 * 2**20) * 30_000 * 8 <= 64 * 2**20
    rng = np.random.default_rng(4)
    q, a = rng.standard_normal((50, 4)), rng.standard_normal((50, 4))
    parts = list(similarity_blocks(q, a, rows=8))
    assert [start for start, _, _ in parts] == list(range(0, 50, 8))
    np.testing.assert_allclose(np.vstack([s for _, s, _ in parts]), cos_sim(q, a), atol=1e-12)
    with pytest.raises(ValueError, match="one shape"):
        score_blocks(q, a[:, :3])
