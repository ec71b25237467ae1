"""The cheaper interval scheme for large sets: a linearised bootstrap over pairs.

Above LINEAR_PAIRS the similarity matrix is not held (the metrics come from the block pass,
`metrics_blocks`), and the exact bootstrap would cost a pass over n^2 cells per resample. Instead the
block pass collects, in the same walk, each pair's *gradient*: how each metric moves with that pair's
weight w_i, at w = 1 (a resample sets w to how often it drew each pair). A resample's metric is then its
first-order value, `value + (w_b - 1) . gradient`, with w_b the counts of resample b of the one
documented stream (`bootstrap.draws`): seeded, paired across sides, and read by `intervals.py` like any
other resamples.

Top-1, MRR and mean matching are means over pairs, linear in the weights: for them this IS the
bootstrap over pairs. AUC and the mean non-matching score are ratios of sums over pairs of pairs; their
gradient is DeLong's structural components generalised to pairs whose question and answer are both
rivals of every other pair. For AUC, pair i's part is A_i (the non-matching cells its matching score
beats) + R_i + C_i (for each non-matching cell of its question's row, and of its answer's column, how
many matching scores beat it), ties counting half, over n x n(n-1); a resample's count total is always n,
so the parts common to every pair (from the denominators) cancel, and the gradient is centred to sum to 0.
What is left out is of order 1/n of the spread: at 2,000 pairs the intervals differ from the exact
bootstrap's in the third decimal (`tests/engine/test_intervals_large.py`).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..metrics import METRIC_NAMES
from .bootstrap import count_chunks

LINEAR_PAIRS = 2000  # above this many pairs the linearised scheme is used (the matrix is not held)


class GradientSums:
    """What the block pass adds up, a block of rows at a time, for each pair's AUC and mean non-matching
    gradient. `add` takes a block of the question x answer matrix (rows start..), the matching scores'
    sorted positions of each cell (`metrics.positions`: left, right) and how many matching scores beat
    each cell (ties half; 0 on the block's own matching cells)."""

    def __init__(self, n: int):
        self.n = n
        self.row_place, self.col_place = np.zeros(n), np.zeros(n)
        self.row_score, self.col_score = np.zeros(n), np.zeros(n)
        self.left, self.right = np.zeros(n + 1), np.zeros(n + 1)  # histograms of the non-matching cells' positions

    def add(self, start: int, s: np.ndarray, left: np.ndarray, right: np.ndarray, place: np.ndarray) -> None:
        stop, local = start + len(s), np.arange(len(s))
        own = (local, local + start)
        self.row_place[start:stop] += place.sum(axis=1)
        self.col_place += place.sum(axis=0)
        self.row_score[start:stop] += s.sum(axis=1) - s[own]
        self.col_score += s.sum(axis=0)
        self.col_score[start:stop] -= s[own]
        for hist, at in ((self.left, left), (self.right, right)):
            hist += np.bincount(at.ravel(), minlength=self.n + 1) - np.bincount(at[own], minlength=self.n + 1)

    def gradient(self, pos: np.ndarray, order: np.ndarray, first: np.ndarray, reciprocal: np.ndarray) -> np.ndarray:
        """[n, 6] in METRIC_NAMES order, each column summing to 0. `pos`: the matching scores, `order`:
        their sorting order, `first` / `reciprocal`: each question's top-1 (0/1) and 1 / rank."""
        n = self.n
        beats = np.empty(n)  # non-matching cells below each matching score, ties half
        beats[order] = 0.5 * (np.cumsum(self.left)[:n] + np.cumsum(self.right)[:n])
        cells = n * (n - 1)
        columns = [first / n, reciprocal / n, (beats + self.row_place + self.col_place) / (n * cells), pos / n,
                   (self.row_score + self.col_score) / cells]
        g = np.stack(columns + [columns[3] - columns[4]], axis=1)
        return g - g.mean(axis=0)


def linear_draws(gradients: Mapping[str, np.ndarray], points: Mapping[str, np.ndarray], resamples: int,
                 seed: int) -> dict[str, np.ndarray]:
    """Each side's [resamples, 6] first-order resampled metrics, all from the same seeded counts."""
    names = list(gradients)
    n = len(gradients[names[0]])
    stacked = np.concatenate([gradients[k] for k in names], axis=1)  # [n, 6 x sides]
    shifts = np.concatenate([(v - 1.0) @ stacked for v in count_chunks(n, resamples, seed)])
    width = len(METRIC_NAMES)
    return {k: np.asarray(points[k], dtype=np.float64) + shifts[:, i * width:(i + 1) * width]
            for i, k in enumerate(names)}
