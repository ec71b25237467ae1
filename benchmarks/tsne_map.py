"""How long a side's t-SNE map takes (`dashboard.tsne.fit`), against its PCA map (`dashboard.pca.fit` and
`project`) on the same rows, interleaved in one process: the 100-pair example's 200 texts and a large
set's sample of 500 pairs (1,000 texts), at MiniLM's width (384) and the raw GPT logits' (49,152).
Synthetic rows (questions, and answers = questions + noise), so no model runs; t-SNE's cost is set by
the count of rows far more than by their width. Run alone: `python -m benchmarks.tsne_map`.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

from embedlab.dashboard import pca, tsne

from .timing import interleaved, median


def rows(texts: int, dim: int) -> np.ndarray:
    rng = np.random.default_rng(texts + dim)
    q = rng.standard_normal((texts // 2, dim)).astype(np.float32)
    return np.concatenate([q, q + 1.5 * rng.standard_normal(q.shape).astype(np.float32)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="200x384,200x49152,1000x384,1000x49152",
                        help="texts x width, comma-separated")
    args = parser.parse_args()
    report = {"load_average_before": list(os.getloadavg())}
    for size in args.sizes.split(","):
        texts, dim = (int(v) for v in size.split("x"))
        x = rows(texts, dim)
        seconds = interleaved({"pca": lambda: pca.fit(x).project(x), "tsne": lambda: tsne.fit(x)}, args.repeats)
        report[size] = {"pca_s": round(median(seconds["pca"]), 3), "tsne_s": round(median(seconds["tsne"]), 3),
                        "tsne_over_pca": round(median(seconds["tsne"]) / median(seconds["pca"]), 1),
                        "runs": {k: [round(v, 2) for v in vs] for k, vs in seconds.items()}}
        print(size, json.dumps(report[size]), flush=True)
    report["load_average_after"] = list(os.getloadavg())
    print(json.dumps(report))


if __name__ == "__main__":
    main()
