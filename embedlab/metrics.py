"""Similarity matrices, the scores that say how well a model tells matching pairs apart, and the order
of sides by those scores.

`cos_sim(q, a)[i][j]` is the cosine similarity of question i and answer j; the diagonal holds the
matching pairs. `score()` turns such a matrix into `Metrics`; `rank()` orders sides by their AUC and
margin (whether a side is clearly better is `analysis.intervals`' decision, from a paired bootstrap).
Everything here is plain NumPy in float64 and knows nothing about models.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Mapping

import numpy as np

EPS = 1e-6  # as in the original experiment's torch.nn.functional.cosine_similarity call

METRIC_NAMES = ("top1", "mrr", "auc", "mean_pos", "mean_neg", "margin")
METRIC_LABELS = {
    "top1": "Top-1",
    "mrr": "MRR",
    "auc": "AUC",
    "mean_pos": "Mean matching",
    "mean_neg": "Mean non-matching",
    "margin": "Margin",
}
HIGHER_IS_BETTER = ("top1", "mrr", "auc", "margin")  # the means alone say nothing about separation
RANK_BY = ("auc", "margin")  # how sides are ordered: AUC, and margin where the AUCs are equal
RANK_WORDS = ("AUC, then margin where AUCs are equal, highest first (the point estimates; a \u25b2 says which "
              "lead is clear)")


@dataclass(frozen=True)
class Metrics:
    top1: float  # share of questions whose own answer scores highest
    mrr: float  # mean reciprocal rank of each question's own answer
    auc: float  # chance a matching score beats a non-matching one (nan with one pair)
    mean_pos: float  # mean matching (diagonal) score
    mean_neg: float  # mean non-matching score (nan with one pair)
    margin: float  # mean_pos - mean_neg

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def __getitem__(self, name: str) -> float:
        return getattr(self, name)


def cos_sim(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """All-pairs cosine similarity: result[i][j] = cos(a[i], b[j])."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    norms = np.outer(np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1))
    return (a @ b.T) / np.maximum(norms, EPS)


def ranks(similarity: np.ndarray) -> np.ndarray:
    """Rank of each question's own answer in its row: 1 + how many answers score strictly higher."""
    s = np.asarray(similarity, dtype=np.float64)
    return 1 + (s > np.diag(s)[:, None]).sum(axis=1)


def split_scores(similarity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The matching (diagonal) and non-matching (off-diagonal) scores of a square matrix."""
    s = np.asarray(similarity, dtype=np.float64)
    off = ~np.eye(len(s), dtype=bool)
    return np.diag(s).copy(), s[off]


def beaten(sorted_positives: np.ndarray, negatives: np.ndarray) -> float:
    """How many (matching, non-matching) pairs the matching score wins, ties counting half: each
    non-matching score counted against the sorted matching scores, so memory stays O(n). One binary
    search per score; a second only for the scores that equal a matching one."""
    pos = sorted_positives
    neg = np.asarray(negatives, dtype=np.float64).ravel()
    upto = np.searchsorted(pos, neg, side="right")  # matching scores <= each
    tied = np.flatnonzero((upto > 0) & (pos[np.maximum(upto - 1, 0)] == neg))
    ties = upto[tied] - np.searchsorted(pos, neg[tied], side="left")
    return float((len(pos) - upto).sum() + 0.5 * ties.sum())


def positions(sorted_positives: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each score x: how many matching scores are below x, and how many are at most x (a second
    binary search only for the scores that equal a matching one)."""
    pos, s = sorted_positives, np.asarray(scores, dtype=np.float64)
    left = np.searchsorted(pos, s, side="left")
    right = left.copy()
    tied = np.flatnonzero(((left < len(pos)) & (pos[np.minimum(left, len(pos) - 1)] == s)).ravel())
    right.ravel()[tied] = np.searchsorted(pos, s.ravel()[tied], side="right")
    return left, right


def auc(positives: np.ndarray, negatives: np.ndarray) -> float:
    """Chance that a matching score beats a non-matching one, ties counting half."""
    if len(positives) == 0 or len(negatives) == 0:
        return float("nan")
    pos = np.sort(np.asarray(positives, dtype=np.float64).ravel())
    return beaten(pos, negatives) / (pos.size * np.asarray(negatives).size)


def score(similarity: np.ndarray) -> Metrics:
    """All metrics of a square question x answer similarity matrix (n >= 1)."""
    s = np.asarray(similarity, dtype=np.float64)
    if s.ndim != 2 or s.shape[0] != s.shape[1] or s.shape[0] == 0:
        raise ValueError(f"need a non-empty square similarity matrix, got shape {s.shape}")
    r = ranks(s)
    pos, neg = split_scores(s)
    mean_neg = float(neg.mean()) if neg.size else float("nan")
    return Metrics(top1=float((r == 1).mean()), mrr=float((1.0 / r).mean()), auc=auc(pos, neg),
                   mean_pos=float(pos.mean()), mean_neg=mean_neg, margin=float(pos.mean()) - mean_neg)


def rank(metrics: Mapping[str, Metrics]) -> list[str]:
    """Side names in order of their point estimates: AUC, then margin, highest first; NaN last, equal
    values in the order given. This only orders: whether one side is *clearly* better than another is the
    paired bootstrap's decision (`analysis.intervals.decide`)."""

    def key(name: str) -> tuple:
        return tuple(-metrics[name][m] if not math.isnan(metrics[name][m]) else math.inf for m in RANK_BY)

    return sorted(metrics, key=key)
