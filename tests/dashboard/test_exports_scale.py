"""Exports at scale: above MATRIX_CELLS the CSV becomes a zip of per-side float32 matrices plus the pairs,
whose matrices equal a plain NumPy cosine of the vectors and whose size stays under the stated bound."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import numpy as np

from embedlab.comparison import compare_backends as compare
from embedlab.dashboard import exports
from embedlab.pairs import Pair
from embedlab.sides import SideSpec

from tests.support.fakes import CountingBackend

ZIP_BOUND = 5 * 2**20  # docs/reliability.md: 400 pairs x 3 sides stays under this


def test_400_pairs_by_3_sides_export_as_a_small_zip_of_exact_matrices(tmp_path):
    n = 400
    pairs = [Pair(f"question {i}", f"answer {i}") for i in range(n)]
    sides = {name: SideSpec("fake", method, name=name) for name, method in (("a", "mean"), ("b", "cls"), ("c", "mean"))}
    backends = {"a": CountingBackend("m1", dim=384), "b": CountingBackend("m1", dim=384), "c": CountingBackend("m2", dim=384)}
    result = compare(pairs, backends, sides)
    assert exports.cells(result) == 3 * n * n > exports.MATRIX_CELLS
    json_path, zip_path, intervals_path = exports.write_results(result, tmp_path)
    assert intervals_path.name.endswith("-intervals.csv")
    assert zip_path.suffix == ".zip" and zip_path.stat().st_size < ZIP_BOUND
    with zipfile.ZipFile(zip_path) as archive:
        index = json.loads(archive.read("sides.json"))
        assert list(index) == ["a", "b", "c"]
        for name, entry in index.items():
            matrix = np.load(io.BytesIO(archive.read(entry["file"] + ".npy")))
            v = result.sides[name].vectors.astype(np.float64)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            assert matrix.dtype == np.float32 and matrix.shape == (n, n)
            np.testing.assert_allclose(matrix, v[:n] @ v[n:].T, atol=1e-6)
        rows = list(csv.DictReader(io.StringIO(archive.read("pairs.csv").decode())))
        assert [r["question"] for r in rows] == [p.question for p in pairs]
    print(f"zip {zip_path.stat().st_size / 2**20:.2f} MB, json {json_path.stat().st_size / 2**20:.2f} MB, "
          f"csv would be {len(exports.to_csv(result).encode()) / 2**20:.1f} MB")
