"""The t-SNE behind the second map: scikit-learn's `TSNE` on a side's unit rows (the same rows, sampled
the same way, as its PCA map), seeded, so the same vectors always give the same map. Numbers only;
drawing is `figures.py`'s, and when it is computed (after the heatmaps, off Compare's critical path)
is the page's (`results.ViewState.with_tsne`).

t-SNE keeps each point's nearest neighbours together; unlike PCA it has no basis that places a new point
(an asked question) without fitting everything again, and the distances between its clusters, and their
sizes, mean little. Its perplexity (about how many neighbours each point weighs) is PERPLEXITY for every
set, and a set gets a t-SNE map only from TSNE_FROM pairs up: 2 x 50 = 100 texts, so each point has the
3 x PERPLEXITY + 1 = 91 neighbours scikit-learn's Barnes-Hut t-SNE reads. Below that the perplexity would
have to shrink with the set, and a map of a few dozen points says no more than its PCA map.

It runs on one thread. Its gradient steps are OpenMP loops that wait for every thread a thousand times
a fit; on a busy two-core server a thread that is not scheduled stalls the rest, and two threads were
ten times slower than one (measured: 200 texts, 38-88 s against 3-7 s, load average 14 on a 2-core AMD
EPYC), with the same points either way. One thread also leaves the other core to the other visitors.
"""

from __future__ import annotations

import numpy as np

from .pca import unit_rows

TSNE_FROM = 50  # pairs: the smallest set with a t-SNE map (its 100 texts give each point 91 neighbours)
PERPLEXITY = 30  # scikit-learn's default, fixed: every map is drawn with the same neighbourhood size
SEED = 0
METHOD = f"t-SNE (perplexity {PERPLEXITY}, seed {SEED})"


def shown_for(pairs: int) -> bool:
    """Whether a set of `pairs` pairs gets a t-SNE map."""
    return pairs >= TSNE_FROM


def why_not(pairs: int) -> str:
    """The line the page shows where a set has no t-SNE map."""
    return (f"t-SNE is shown from {TSNE_FROM} pairs up (perplexity {PERPLEXITY} needs about 3 x {PERPLEXITY} "
            f"neighbours per text); this set has {pairs}, so only PCA.")


def fit(rows) -> np.ndarray:
    """Rows [m, dim] as points [m, 2]: t-SNE of the rows scaled to length 1, on cosine distance, started
    from their PCA (init="pca"), seeded."""
    from sklearn.manifold import TSNE  # imported on first use: the page starts without it
    from threadpoolctl import threadpool_limits

    x = unit_rows(np.atleast_2d(np.asarray(rows, dtype=np.float64)))
    with threadpool_limits(limits=1):  # one thread: see the module's note; the same points as with more
        return TSNE(n_components=2, perplexity=PERPLEXITY, init="pca", metric="cosine",
                    random_state=SEED).fit_transform(x)
