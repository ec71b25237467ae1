"""The PCA behind the maps, as a basis that can place new points: `fit` finds the first two principal
directions of a set of rows (unit length first, so distances follow cosine similarity), and
`Pca.project` places any row, one of the set or a new one such as an asked question, with the same
centring and directions. Numbers only; drawing is `figures.py`'s.

The SVD of the centred rows is taken through their n x n Gram matrix (its eigenvectors and eigenvalues
are the SVD's U and S squared), since a few hundred rows of 49152 numbers make LAPACK's SVD slow on two
cores; where rows outnumber the numbers in each (a large set's sample of short vectors), through the
covariance. Signs are fixed (each direction's largest loading is positive), so the same vectors always
give the same map.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (a zero row stays zero)."""
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


@dataclass(frozen=True)
class Pca:
    mean: np.ndarray  # [dim]: the mean of the (unit) rows it was fitted on
    directions: np.ndarray  # [dim, 2]: unit principal directions; a zero column where there is none
    explained: np.ndarray  # [2]: each direction's share of the variance
    unit: bool = True

    def project(self, rows) -> np.ndarray:
        """Rows [m, dim] as points [m, 2] on the fitted map."""
        x = np.atleast_2d(np.asarray(rows, dtype=np.float64))
        return ((unit_rows(x) if self.unit else x) - self.mean) @ self.directions


def fit(rows, unit: bool = True) -> Pca:
    """The first two principal directions of `rows` (scaled to length 1 first, with `unit`)."""
    x = np.atleast_2d(np.asarray(rows, dtype=np.float64))
    x = unit_rows(x) if unit else x
    mean = x.mean(axis=0)
    centred = x - mean
    if len(x) > x.shape[1]:  # more rows than numbers in each: the covariance is smaller
        values, basis = np.linalg.eigh(centred.T @ centred)
    else:
        values, basis = np.linalg.eigh(centred @ centred.T)
    order = np.argsort(values)[::-1]
    values, basis = np.clip(values[order], 0.0, None), basis[:, order]
    k = int(min(2, np.sum(values > 1e-12 * max(values[0] if len(values) else 0.0, 1e-300))))
    directions, explained = np.zeros((x.shape[1], 2)), np.zeros(2)
    if k:
        found = basis[:, :k] if len(x) > x.shape[1] else centred.T @ basis[:, :k] / np.sqrt(values[:k])
        directions[:, :k] = found * np.sign(found[np.abs(found).argmax(axis=0), np.arange(k)])
        explained[:k] = values[:k] / values.sum()
    return Pca(mean, directions, explained, unit)
