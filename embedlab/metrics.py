"""Similarity matrices and the scores that say how well a model tells matching pairs apart.

`cos_sim(q, a)[i][j]` is the cosine similarity of question i and answer j; the diagonal holds the
matching pairs. Everything here is plain NumPy in float64 and knows nothing about models.
"""

from __future__ import annotations

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


def auc(positives: np.ndarray, negatives: np.ndarray) -> float:
    """Chance that a matching score beats a non-matching one, ties counting half."""
    if len(positives) == 0 or len(negatives) == 0:
        return float("nan")
    pos = np.asarray(positives, dtype=np.float64)[:, None]
    neg = np.asarray(negatives, dtype=np.float64)[None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))


def score(similarity: np.ndarray) -> dict[str, float]:
    """All metrics of a square question x answer similarity matrix (n >= 1)."""
    s = np.asarray(similarity, dtype=np.float64)
    if s.ndim != 2 or s.shape[0] != s.shape[1] or s.shape[0] == 0:
        raise ValueError(f"need a non-empty square similarity matrix, got shape {s.shape}")
    r = ranks(s)
    pos, neg = split_scores(s)
    mean_neg = float(neg.mean()) if neg.size else float("nan")
    return {
        "top1": float((r == 1).mean()),
        "mrr": float((1.0 / r).mean()),
        "auc": auc(pos, neg),
        "mean_pos": float(pos.mean()),
        "mean_neg": mean_neg,
        "margin": float(pos.mean()) - mean_neg,
    }
