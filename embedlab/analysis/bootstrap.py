"""The bootstrap over pairs, vectorised: every metric of `metrics.score` on every resample at once.

A resample draws n pairs with replacement; resample b is row b of
`numpy.random.default_rng(seed).integers(0, n, size=(resamples, n))`, so anyone can draw the same
resamples. Only how often each pair is drawn matters (its count w[b, i]): its matching score counts
w[b, i] times, and a cell (i, j) of two different pairs stands for w[b, i] * w[b, j] non-matching
cells. The duplicate rule: cells where a question meets another copy of its own answer (a pair drawn
twice) are neither matching nor non-matching; they are left out of the AUC and the means, so a pair
drawn twice is never its own non-matching pair. A resample that draws one pair only has no
non-matching cells: its AUC, mean non-matching and margin are NaN.

Top-1 and MRR resample the questions, each keeping its rank among all n answers of the set (the
answers are the corpus a question is ranked in). Ranking a question among the resampled answers
instead would rank it among only about 63% distinct rivals, each counted several times, and that
lifts top-1: on 300 synthetic pairs the interval of such a top-1 of 0.097 was [0.087, 0.163], its
own value at the bottom edge.

Large sets: above EXACT_PAIRS, the pairs are cut by a seeded shuffle into BLOCKS blocks and blocks are
drawn instead of pairs (the same stream, with n = BLOCKS); every formula is the same with each pair
counted as often as its block. The exact AUC costs about n^2 per resample; blocks need one
blocks^3 table, built once. Nothing here knows about sides or words (`intervals.py` does).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from ..metrics import positions, ranks

EXACT_PAIRS = 300  # up to this many pairs each pair is drawn on its own; above, blocks of pairs are
BLOCKS = 100  # blocks drawn above EXACT_PAIRS


def draws(n: int, resamples: int, seed: int) -> np.ndarray:
    """[resamples, n] unit numbers drawn with replacement (the documented stream)."""
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def units_of(n: int, seed: int) -> np.ndarray:
    """Each pair's unit: itself up to EXACT_PAIRS, else one of BLOCKS blocks of a seeded shuffle."""
    if n <= EXACT_PAIRS:
        return np.arange(n)
    unit = np.empty(n, dtype=np.int64)
    unit[np.random.default_rng([seed, n]).permutation(n)] = np.arange(n) * BLOCKS // n
    return unit


def counts(units: int, resamples: int, seed: int) -> np.ndarray:
    """[resamples, units] float64: how many times each unit is drawn in each resample."""
    return np.concatenate(list(count_chunks(units, resamples, seed)))


def count_chunks(units: int, resamples: int, seed: int, cells: int = 2**22) -> Iterator[np.ndarray]:
    """`counts` a few resamples at a time (about `cells` draws each), from one generator: drawn in turn,
    the rows are those of `draws` (NumPy draws bounded integers one after another)."""
    rng = np.random.default_rng(seed)
    rows = max(1, cells // max(units, 1))
    for start in range(0, resamples, rows):
        b = min(rows, resamples - start)
        flat = (rng.integers(0, units, size=(b, units)) + units * np.arange(b)[:, None]).ravel()
        yield np.bincount(flat, minlength=b * units).reshape(b, units).astype(np.float64)


class Resampler:
    """One similarity matrix and the pairs' units; `metrics(v)` gives, for unit counts v [B, units], each
    resample's [B, 6] metrics in METRIC_NAMES order."""

    def __init__(self, similarity: np.ndarray, unit: np.ndarray):
        s = np.asarray(similarity, dtype=np.float64)
        n = len(s)
        self.n, self.unit, self.units = n, unit, int(unit.max()) + 1
        self.diag = np.diag(s).copy()
        off = s.copy()
        np.fill_diagonal(off, 0.0)
        rank = ranks(s)  # each question's own answer among all n answers
        self.first, self.reciprocal = (rank == 1).astype(np.float64), 1.0 / rank
        self.order = np.argsort(self.diag, kind="stable")
        left, right = positions(self.diag[self.order], s)
        if self.units == n:  # each pair its own unit
            self.off, self.unit_diag, self.sizes = off, self.diag, np.ones(n)
            # a non-matching score beats the matching scores from sorted position right on and ties those
            # from left to right: each cell is one (left, right) combination, the diagonal a combination of none
            key = left * (n + 1) + right
            np.fill_diagonal(key, -1)
            ids, combo = np.unique(key, return_inverse=True)
            self.combo = combo.reshape(n, n)
            self.combo_left, self.combo_right = np.where(ids < 0, n, ids // (n + 1)), np.where(ids < 0, n, ids % (n + 1))
            return
        member = np.zeros((n, self.units))
        member[np.arange(n), unit] = 1.0
        self.off = member.T @ off @ member  # [units, units]: the non-matching scores' block sums
        self.unit_diag, self.sizes = member.T @ self.diag, member.sum(axis=0)
        self.table = self._block_table(left, right)

    def _block_table(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """[units^2, units]: for blocks a, c, g, how many of the non-matching cells of question block a x
        answer block c each of block g's matching scores beats (ties half), summed."""
        g, n = self.units, self.n
        by_block = np.argsort(self.unit[self.order], kind="stable")  # sorted positions, grouped by block
        starts = np.searchsorted(self.unit[self.order][by_block], np.arange(g))
        table = np.empty((g, g, g))
        columns = np.arange(n)
        for a in range(g):
            rows = np.flatnonzero(self.unit == a)
            keep = rows[:, None] != columns[None, :]
            key = np.broadcast_to(self.unit, (len(rows), n))[keep] * (n + 1)
            hist = (np.bincount(key + left[rows][keep], minlength=g * (n + 1))
                    + np.bincount(key + right[rows][keep], minlength=g * (n + 1))).reshape(g, n + 1)
            below = np.cumsum(hist, axis=1)[:, :n]  # [c, t]: cells of block c under the matching score at t
            table[a] = 0.5 * np.add.reduceat(below[:, by_block], starts, axis=1)
        return table.reshape(g * g, g)

    def _wins(self, v: np.ndarray) -> np.ndarray:
        """[B]: (matching, non-matching) pairs of each resample that the matching score wins, ties half."""
        if self.units < self.n:
            pairs = (v[:, :, None] * v[:, None, :]).reshape(len(v), -1)
            return np.einsum("bk,bk->b", pairs @ self.table, v)
        n, wins = self.n, np.empty(len(v))
        for b, w in enumerate(v):  # per resample, only the pairs it drew: about 40% of the cells
            drawn = np.flatnonzero(w)
            suffix = np.zeros(n + 1)
            suffix[:n] = np.cumsum(w[self.order][::-1])[::-1]  # the weight of matching scores from position k on
            beaten = (suffix[self.combo_left] + suffix[self.combo_right])[self.combo[drawn][:, drawn]]
            wins[b] = 0.5 * (w[drawn] @ beaten @ w[drawn])
        return wins

    def metrics(self, v: np.ndarray) -> np.ndarray:
        """[B, 6]: top-1, MRR, AUC, mean matching, mean non-matching, margin of each resample."""
        w = v[:, self.unit]  # each pair's count
        drawn = v @ self.sizes  # pairs drawn: n, or about n where blocks differ in size by one
        top1, mrr, mean_pos = w @ self.first / drawn, w @ self.reciprocal / drawn, v @ self.unit_diag / drawn
        cells = drawn * drawn - (v * v) @ self.sizes  # non-matching cells: every two draws of different pairs
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_neg = np.where(cells > 0, ((v @ self.off) * v).sum(axis=1) / cells, np.nan)
            auc = np.where(cells > 0, self._wins(v) / (drawn * cells), np.nan)
        return np.stack([top1, mrr, auc, mean_pos, mean_neg, mean_pos - mean_neg], axis=1)
