"""The shape of a side's vectors: how much they all point one way, and how many directions they use.

Computed on the vectors as cosine sees them (each scaled to unit length), questions and answers together:

- `top_share`: the share of the variance on the first principal direction (of the centred unit vectors).
  Near 1, every vector differs from the others along one line; an isotropic cloud gives about 1/dim.
- `effective_rank`: exp of the entropy of the normalised singular values of the (uncentred) unit vectors
  (Roy & Vetterli 2007). 1 when every vector is the same; the dimension when they fill every direction
  evenly. Vectors in a narrow cone (anisotropy, Ethayarajh 2019) have a low one: one direction dominates.

The mean cosine of non-matching pairs, the third number of the kind, is `Metrics.mean_neg`. The singular
values come from the smaller Gram matrix (m x m or dim x dim), so any number of pairs fits; above
MAX_GRAM on both sides there is no figure (None), rather than minutes of work.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

MAX_GRAM = 4096
EXPLAIN = {
    "top_share": "share of the variance on the first principal direction (unit vectors, centred); near 1: all "
                 "vectors differ along one line",
    "effective_rank": "exp of the entropy of the normalised singular values (unit vectors); low: the vectors fill "
                      "few directions (a narrow cone)",
}


@dataclass(frozen=True)
class Geometry:
    top_share: float
    effective_rank: float

    def as_dict(self) -> dict:
        return asdict(self)


def _singular_values(x: np.ndarray) -> np.ndarray:
    gram = x @ x.T if len(x) <= x.shape[1] else x.T @ x
    return np.sqrt(np.clip(np.linalg.eigvalsh(gram), 0, None))[::-1]


def effective_rank(singular: np.ndarray) -> float:
    p = singular / singular.sum()
    p = p[p > 0]
    return float(np.exp(-(p * np.log(p)).sum()))


def geometry(vectors: np.ndarray) -> Geometry | None:
    """The geometry of vectors [m, dim] (m >= 2); None where both m and dim are over MAX_GRAM."""
    if min(vectors.shape) > MAX_GRAM or len(vectors) < 2:
        return None
    x = np.asarray(vectors, dtype=np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    centred = _singular_values(x - x.mean(axis=0)) ** 2
    top = float(centred[0] / centred.sum()) if centred.sum() > 0 else float("nan")
    return Geometry(top_share=top, effective_rank=effective_rank(_singular_values(x)))
