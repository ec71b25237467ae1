"""Label-free post-processing of a side's vectors: `center` and `whiten` (the side option `post`).

Both are fitted on vectors without looking at which question goes with which answer:

- `center` subtracts the mean `mu` of the fitted vectors (the common direction every raw GPT vector
  shares; all-but-the-top, Mu & Viswanath 2018, starts here);
- `whiten` maps v to `(v - mu) @ U[:, :K] / sqrt(s[:K])`, where `U` and `s` are the eigenvectors and
  eigenvalues (largest first) of the covariance (ddof 1) of the fitted vectors (BERT-whitening, Su et al.
  2021): the K strongest directions, each scaled to unit variance. Cosine is then taken as usual.

The eigenvectors come from an SVD of the centred vectors, not from the dim x dim covariance itself (the
same numbers; a logits side has 49,152 dimensions). K must be below the number of fitted vectors, whose
covariance has no more than that many minus one directions. An eigenvalue that is numerically zero is
clamped (1e-12 of the largest), so such a direction comes out as noise rather than infinity.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..errors import PostError
from ..prompts import POST, Options

WHITEN_DIMS = 64  # the default K, at most half the fitted vectors: see docs/inside-the-gpt.md for the measurement


@dataclass(frozen=True)
class Fit:
    """A fitted post-processing: `apply(v)` maps vectors [m, dim] to the processed ones."""

    post: str
    mean: np.ndarray | None = None  # [dim]
    basis: np.ndarray | None = None  # [dim, K]: U[:, :K] / sqrt(s[:K])

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        if self.post == "none":
            return vectors
        centred = np.asarray(vectors, dtype=np.float64) - self.mean
        out = centred if self.basis is None else centred @ self.basis
        return out.astype(np.float32)


def whiten_dims(post: str, dims: int | None, fitted: int, dim: int | None = None) -> int | None:
    """The K a side uses: the given one, checked, or the default: WHITEN_DIMS, at most half the fitted
    vectors (near their number, every vector ends up about as far from every other: nothing is left to
    rank) and at most their dimension, where known."""
    if post not in POST:
        raise PostError(f"post={post!r}: use one of {', '.join(POST)}")
    if dims is not None and post != "whiten":
        raise PostError(f"whiten_dims={dims} applies only with post=whiten (this side has post={post})")
    if post != "whiten":
        return None
    if dims is None:
        return max(1, min(WHITEN_DIMS, fitted // 2, dim or WHITEN_DIMS))
    if not 1 <= dims < fitted:
        raise PostError(f"whiten_dims={dims}: use 1..{fitted - 1}, below the {fitted} vectors it is fitted on "
                        "(their covariance has no more directions than that)")
    if dim is not None and dims > dim:
        raise PostError(f"whiten_dims={dims}: the vectors have only {dim} dimensions")
    return dims


def fit(vectors: np.ndarray, post: str, dims: int | None = None) -> Fit:
    """`post` fitted on `vectors` [m, dim] (no labels); `dims` is K for whiten (default WHITEN_DIMS)."""
    k = whiten_dims(post, dims, *np.shape(vectors))
    if post == "none":
        return Fit(post)
    x = np.asarray(vectors, dtype=np.float64)
    mean = x.mean(axis=0)
    if post == "center":
        return Fit(post, mean)
    _, singular, vt = np.linalg.svd(x - mean, full_matrices=False)
    variances = singular**2 / (len(x) - 1)  # the covariance's eigenvalues, largest first
    variances = np.maximum(variances[:k], variances[0] * 1e-12 if variances[0] > 0 else 1e-30)
    return Fit(post, mean, vt[:k].T / np.sqrt(variances))


def processed(vectors: np.ndarray, options: Options) -> tuple[np.ndarray, Options]:
    """A side's vectors [2n, dim] after its `post` option, fitted on all of them (every question and answer
    text of the set, no labels), and its options with the K it used filled in."""
    if options.post == "none" and options.whiten_dims is None:
        return vectors, options
    done = fit(vectors, options.post, options.whiten_dims)
    k = None if done.basis is None else done.basis.shape[1]
    return done.apply(vectors), replace(options, whiten_dims=k)
