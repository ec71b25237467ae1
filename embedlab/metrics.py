"""Similarity matrices, the scores that say how well a model tells matching pairs apart, and the one
rule that says which of two scores is better.

`cos_sim(q, a)[i][j]` is the cosine similarity of question i and answer j; the diagonal holds the
matching pairs. `score()` turns such a matrix into `Metrics`. `better()` and `rank()` are the only
places that decide "better": the verdict, the table marks and the CLI all read them. Everything here
is plain NumPy in float64 and knows nothing about models.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Mapping

import numpy as np

EPS = 1e-6  # as in the original experiment's torch.nn.functional.cosine_similarity call
TIE = 0.005  # two values closer than this are a tie: they print the same at two decimals

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
RANK_BY = ("auc", "margin")  # how sides are ordered: AUC, and margin where the AUCs tie


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


def pairwise_cos_sim(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity: result[i] = cos(a[i], b[i])."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.einsum("ij,ij->i", a, b) / np.maximum(norms, EPS)


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


def better(a: float, b: float, metric: str) -> int | None:
    """1 where `a` is the better value of `metric`, -1 where `b` is, 0 for a tie (closer than TIE);
    None where they cannot be compared: either is NaN, or the metric has no better direction."""
    if metric not in HIGHER_IS_BETTER or math.isnan(a) or math.isnan(b):
        return None
    if abs(a - b) < TIE:
        return 0
    return 1 if a > b else -1


def compare_metrics(a: Metrics, b: Metrics) -> tuple[int | None, str | None]:
    """Which of two sides tells matching pairs apart better: (1, -1, 0 or None, the metric that decided).

    AUC decides; where the AUCs tie (or cannot be compared), the margin does; where both tie, 0."""
    outcome = None
    for metric in RANK_BY:
        outcome = better(a[metric], b[metric], metric)
        if outcome:
            return outcome, metric
    return outcome, None


def rank(metrics: Mapping[str, Metrics]) -> list[str]:
    """Side names, best first by `compare_metrics` (ties and incomparable sides keep their order)."""
    names = list(metrics)
    for i in range(1, len(names)):  # insertion sort: a stable order under a comparison that may tie
        j = i
        while j > 0 and (compare_metrics(metrics[names[j]], metrics[names[j - 1]])[0] or 0) > 0:
            names[j - 1], names[j] = names[j], names[j - 1]
            j -= 1
    return names


def best_of(values: Mapping[str, float], metric: str) -> set[str]:
    """The sides to mark as best on `metric`: none where the metric has no direction, a value is NaN,
    or every side ties; else every side no other side beats."""
    names = list(values)
    if len(names) < 2 or any(better(values[n], values[names[0]], metric) is None for n in names):
        return set()
    winners = {n for n in names if all(better(values[o], values[n], metric) != 1 for o in names)}
    return set() if winners == set(names) else winners
