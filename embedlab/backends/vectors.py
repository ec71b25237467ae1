"""Precomputed vectors as a side: the model name `vectors:FILE.npz`, and the reader of such a file.

The file holds two arrays, `questions` and `answers`, each [n, dim] with row i for pair i. Everything
downstream (metrics, figures, exports) reads them as it reads a model's vectors: the side's source is
`side_sources.GivenVectors`, which embeds nothing. `read_vectors` checks the file and says in one line what is wrong with it: a missing
key, shapes that differ, a row count that is not the number of pairs, a NaN or infinite value, a row
of zeros. Who may name which file (hosted mode: uploads only) is `settings.py`'s rule.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..errors import VectorsError

PREFIX = "vectors:"
KEYS = ("questions", "answers")
METHOD = "vectors"  # what a vectors side's method reads in tables and JSON


def is_vectors(name: str | None) -> bool:
    return (name or "").strip().startswith(PREFIX)


def vectors_path(name: str) -> Path:
    """The file a `vectors:FILE.npz` name points at (not checked)."""
    path = name.strip()[len(PREFIX):].strip()
    if not path:
        raise VectorsError(f"{name!r}: name the file, e.g. vectors:my-vectors.npz")
    return Path(path).expanduser()


def _check_rows(array: np.ndarray, key: str, where: str) -> None:
    bad = ~np.isfinite(array).all(axis=1)
    if bad.any():
        raise VectorsError(f"{where}: {key} row {int(np.argmax(bad)) + 1} holds NaN or infinite values "
                           f"({int(bad.sum())} such rows)")
    zero = ~array.any(axis=1)
    if zero.any():
        raise VectorsError(f"{where}: {key} row {int(np.argmax(zero)) + 1} is all zeros, which has no direction "
                           f"({int(zero.sum())} such rows)")


def read_vectors(path: str | Path, pairs: int | None = None) -> np.ndarray:
    """The [2n, dim] float32 vectors of a .npz file (questions, then answers), checked; `pairs` is the
    number of pairs they must describe."""
    path = Path(path)
    where = path.name
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [key for key in KEYS if key not in data.files]
            if missing:
                raise VectorsError(f"{where}: no {' and no '.join(repr(k) for k in missing)} array; a vectors file "
                                   f"holds 'questions' and 'answers' ([n, dim], row i = pair i), found "
                                   f"{', '.join(repr(k) for k in data.files) or 'none'}")
            arrays = {key: data[key] for key in KEYS}
    except FileNotFoundError:
        raise VectorsError(f"no such vectors file: {path}") from None
    except IsADirectoryError:
        raise VectorsError(f"{path} is a folder, not a .npz file of vectors") from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise VectorsError(f"{where}: not a NumPy .npz file of arrays ({str(exc).splitlines()[0]}); "
                           "write it with numpy.savez(FILE, questions=..., answers=...)") from None
    for key, array in arrays.items():
        if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
            raise VectorsError(f"{where}: {key} must be a non-empty [n, dim] array, got shape {array.shape}")
        if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
            raise VectorsError(f"{where}: {key} must hold real numbers, got {array.dtype}")
    q, a = arrays["questions"], arrays["answers"]
    if q.shape != a.shape:
        raise VectorsError(f"{where}: questions are {q.shape[0]} x {q.shape[1]} but answers are "
                           f"{a.shape[0]} x {a.shape[1]}; both must be [n, dim] with the same n and dim")
    if pairs is not None and q.shape[0] != pairs:
        raise VectorsError(f"{where}: holds vectors for {q.shape[0]:,} pairs but there are {pairs:,} pairs; "
                           "row i must be pair i")
    vectors = np.concatenate([q, a]).astype(np.float32)
    for key, part in zip(KEYS, (vectors[:len(q)], vectors[len(q):])):
        _check_rows(part, key, where)
    return vectors
