"""Metrics of a pair set of any size, computed in row blocks without ever holding the n x n matrix.

`score_blocks(questions, answers)` walks the question x answer cosine matrix a block of rows at a
time (memory O(n x block)) and gives the same `Metrics` as `metrics.score(cos_sim(q, a))`: top-1 and
MRR from each row's rank, the means and margin from running sums, and AUC over all n(n-1)
non-matching scores exactly, by the definition in `metrics.auc` (a matching score beats a non-matching
one, ties count half): the n matching scores are sorted once and each block's non-matching scores are
counted against them (`metrics.beaten`). On the way it keeps what the figures of a large set need:
each question's top-k answers, a grid of block means and histograms of the matching and non-matching
scores; asked, also each pair's gradient for the large-set intervals (`analysis.linear`). It knows
nothing about models or figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .analysis.linear import GradientSums
from .metrics import EPS, Metrics, beaten, positions

BLOCK_BYTES = 64 * 2**20  # one block of float64 scores
HIST_BINS = 200  # over [-1, 1]: cosine similarities


@dataclass(frozen=True, eq=False)
class BlockSummary:
    metrics: Metrics
    top_answers: np.ndarray  # [n, k] int: each question's best answers, best first
    top_scores: np.ndarray  # [n, k] float64: their cosine similarities
    grid: np.ndarray  # [g, g] float64: mean score of each cell of questions x answers
    edges: np.ndarray  # [g + 1] int: the rows (and columns) where grid cells start; the last is n
    hist_edges: np.ndarray  # [HIST_BINS + 1] float64
    pos_hist: np.ndarray  # [HIST_BINS] int: matching scores per bin
    neg_hist: np.ndarray  # [HIST_BINS] int: non-matching scores per bin
    gradient: np.ndarray | None = None  # [n, 6]: how each metric moves with each pair's weight (`analysis.linear`)


def block_rows(n: int, block_bytes: int = BLOCK_BYTES) -> int:
    """Rows per block so that a block of n float64 scores stays within `block_bytes`."""
    return max(1, min(n, block_bytes // (8 * max(n, 1))))


def _unit_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    return x, np.linalg.norm(x, axis=1)


def _bins(scores: np.ndarray) -> np.ndarray:
    index = np.floor((np.asarray(scores) + 1.0) * (HIST_BINS / 2.0)).astype(np.int64)
    return np.bincount(np.clip(index, 0, HIST_BINS - 1).ravel(), minlength=HIST_BINS)


def _scores(q, qn, a, an, start: int | None = None, stop: int | None = None) -> np.ndarray:
    """Cosines of rows q against every answer; given start and stop, only the diagonal of q against
    answers start..stop-1 (the same row-times-matrix sums, so equal scores stay exactly equal)."""
    if start is None:
        return (q @ a.T) / np.maximum(np.outer(qn, an), EPS)
    return np.diag(q @ a[start:stop].T) / np.maximum(qn * an[start:stop], EPS)


def similarity_blocks(questions, answers, rows: int | None = None) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """The rows of cos_sim(questions, answers), a block at a time: (first row, the block [rows, n], the
    matching scores, which the block's own cells hold exactly)."""
    q, qn = _unit_parts(questions)
    a, an = _unit_parts(answers)
    if q.ndim != 2 or q.shape != a.shape or len(q) == 0:
        raise ValueError(f"need two non-empty [n, dim] arrays of one shape, got {q.shape} and {a.shape}")
    n = len(q)
    rows = rows or block_rows(n)
    pos = np.empty(n)
    for start in range(0, n, rows):  # the matching scores first (AUC needs them all), by the blocks' own sum
        stop = min(n, start + rows)
        pos[start:stop] = _scores(q[start:stop], qn[start:stop], a, an, start, stop)
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        s = _scores(q[start:stop], qn[start:stop], a, an)
        local = np.arange(stop - start)
        s[local, local + start] = pos[start:stop]  # the same sums; set so ranks and AUC read one value
        yield start, s, pos


def score_blocks(questions, answers, rows: int | None = None, top_k: int = 5, grid: int = 100,
                 gradient: bool = False) -> BlockSummary:
    """All metrics of cos_sim(questions, answers) (n >= 1 pairs), `rows` questions at a time; with
    `gradient`, also each pair's gradient for the large-set intervals, from the same cells."""
    n = len(questions)
    k = min(top_k, n)
    g = min(grid, n)
    edges = np.linspace(0, n, g + 1).round().astype(np.int64)
    cell_of = np.searchsorted(edges, np.arange(n), side="right") - 1  # the grid cell of each row / column
    pos_sorted = pos = None
    wins = 0.0  # (matching, non-matching) pairs the matching score wins, ties counting half
    rank = np.empty(n, dtype=np.int64)
    top_answers, top_scores = np.empty((n, k), dtype=np.int64), np.empty((n, k))
    grid_sums = np.zeros((g, g))
    neg_hist = np.zeros(HIST_BINS, dtype=np.int64)
    neg_sum = 0.0
    sums = GradientSums(n) if gradient else None
    for start, s, pos in similarity_blocks(questions, answers, rows):
        if pos_sorted is None:
            pos_sorted = np.sort(pos)
        stop = start + len(s)
        own = pos[start:stop]
        rank[start:stop] = 1 + (s > own[:, None]).sum(axis=1)
        neg_sum += float(s.sum() - own.sum())
        flat = s.ravel()  # every score; the matching ones are taken back out
        if sums:  # each cell's position among the matching scores, kept for the gradient
            left, right = positions(pos_sorted, s)
            place = n - 0.5 * (left + right)  # matching scores that beat each cell, ties half
            place[np.arange(stop - start), np.arange(start, stop)] = 0.0  # a matching cell is no rival
            wins += float(place.sum())
            sums.add(start, s, left, right, place)
        else:
            wins += beaten(pos_sorted, flat) - beaten(pos_sorted, own)
        neg_hist += _bins(flat) - _bins(own)
        order = np.argpartition(-s, k - 1, axis=1)[:, :k] if k < n else np.tile(np.arange(n), (stop - start, 1))
        picked = np.take_along_axis(s, order, axis=1)
        best = np.argsort(-picked, axis=1, kind="stable")
        top_answers[start:stop] = np.take_along_axis(order, best, axis=1)
        top_scores[start:stop] = np.take_along_axis(picked, best, axis=1)
        column_sums = np.add.reduceat(s, edges[:-1], axis=1)  # [rows, g]
        np.add.at(grid_sums, cell_of[start:stop], column_sums)
    sizes = np.diff(edges).astype(np.float64)
    negatives = n * (n - 1)
    mean_pos = float(pos.mean())
    mean_neg = neg_sum / negatives if negatives else float("nan")
    metrics = Metrics(top1=float((rank == 1).mean()), mrr=float((1.0 / rank).mean()),
                      auc=float(wins / (n * negatives)) if negatives else float("nan"),
                      mean_pos=mean_pos, mean_neg=mean_neg, margin=mean_pos - mean_neg)
    g = sums and sums.gradient(pos, np.argsort(pos, kind="stable"), (rank == 1).astype(np.float64), 1.0 / rank)
    return BlockSummary(metrics, top_answers, top_scores, grid_sums / np.outer(sizes, sizes), edges,
                        np.linspace(-1.0, 1.0, HIST_BINS + 1), _bins(pos), neg_hist, g)
