"""The figures of docs/inside-the-gpt.md: a GPT's every layer on real pairs, raw, centred and whitened,
fitted on all the texts and fitted on half the pairs and applied to the other half.

`python -m benchmarks.inside_gpt [PAIRS] [--model M] [--methods mean,last-token]` embeds every layer of
the methods once (one forward pass per batch, as `--layers` does), then scores each layer's vectors
raw, centred and whitened (K = 16 and 64) with `analysis/post.py`, and the embedding model for
reference. `--scan 8,16,...` instead scores the last layer whitened with each K, fitted on half the
pairs' texts and on all of them: how the default K was chosen. Nothing here is timed.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace

import numpy as np

from embedlab.analysis.geometry import geometry
from embedlab.analysis.post import fit
from embedlab.cache import EmbeddingCache
from embedlab.embedding import embed_many
from embedlab.methods import Role
from embedlab.metrics import cos_sim, score
from embedlab.pairs import read_pairs
from embedlab.session import Session
from embedlab.sides import SideSpec, sweep

POSTS = (("raw", "none", None), ("centred", "center", None), ("white16", "whiten", 16), ("white64", "whiten", 64))


def auc(q: np.ndarray, a: np.ndarray) -> float:
    return score(cos_sim(q, a)).auc


def scores(vectors: np.ndarray, n: int) -> dict[str, tuple[float, float]]:
    """For each post-processing: AUC fitted on all 2n texts, and AUC on the second half of the pairs when
    fitted on the first half's texts only."""
    half = n // 2
    train = np.concatenate([vectors[:half], vectors[n:n + half]])
    q, a = vectors[half:n], vectors[n + half:]
    out = {}
    for label, post, k in POSTS:
        every = fit(vectors, post, k).apply(vectors)
        part = fit(train, post, k if k is None else min(k, len(train) // 2))
        out[label] = (auc(every[:n], every[n:]), auc(part.apply(q), part.apply(a)))
    return out


def scan(session, pairs, model: str, methods: list[str], ks: list[int]) -> int:
    """AUC of each method's last layer whitened with each K: fitted on the first half's texts and scored on
    the other half (K up to the fitted texts minus one), and fitted on all texts."""
    n, half = len(pairs), len(pairs) // 2
    result = session.compare(pairs, sides=sweep(model, methods))
    print(f"{model}, last layer, whitened with K: AUC fitted on {2 * half} texts (the first {half} pairs) and "
          f"scored on the other {n - half} pairs / fitted on all {2 * n} texts")
    for method in methods:
        v = result.sides[method].vectors
        train, q, a = np.concatenate([v[:half], v[n:n + half]]), v[half:n], v[n + half:]
        cells = []
        for k in ks:
            held = fit(train, "whiten", k).apply if k < len(train) else None
            every = fit(v, "whiten", k).apply(v) if k < len(v) else None
            cells.append(f"K={k}: {auc(held(q), held(a)) if held else float('nan'):.3f} / "
                         f"{auc(every[:n], every[n:]) if every is not None else float('nan'):.3f}")
        print(f"{method:10} raw {auc(q, a):.3f} (held-out pairs) | " + "; ".join(cells))
    return 0


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    p = argparse.ArgumentParser(prog="python -m benchmarks.inside_gpt")
    p.add_argument("pairs", nargs="?", default="assets/qa-100.csv")
    p.add_argument("--model", default="smollm2-135m-instruct")
    p.add_argument("--methods", default="mean,last-token")
    p.add_argument("--embed", default="all-minilm-l6-v2")
    p.add_argument("--scan", help="comma-separated K values: whiten the last layer with each (no layer sweep)")
    args = p.parse_args(argv)
    pairs = read_pairs(args.pairs, max_pairs=None)
    n = len(pairs)
    session = Session(cache=EmbeddingCache(use_disk=False), device="cpu", max_pairs=None)
    if args.scan:
        return scan(session, pairs, args.model, args.methods.split(","), [int(k) for k in args.scan.split(",")])
    backend = session.backend(args.model)
    specs = sweep(args.model, args.methods.split(","))
    recipes = [(s.method, replace(s.options, layer=k)) for s in specs for k in range(backend.layers + 1)]
    texts = [x.question for x in pairs] + [x.answer for x in pairs]
    roles = [Role.QUERY] * n + [Role.PASSAGE] * n
    embedded = embed_many(backend, texts, roles, recipes, session.cache)
    print(f"{args.model} on {args.pairs} ({n} pairs): AUC by layer; 'all' = post-processing fitted on all "
          f"{2 * n} texts, 'half' = fitted on the first {n // 2} pairs' texts, scored on the other {n - n // 2}")
    print("method      layer  top share  eff. rank  " + "  ".join(f"{label:>7} all/half" for label, _, _ in POSTS))
    for (method, options), result in zip(recipes, embedded):
        shape = geometry(result.vectors)
        cells = "  ".join(f"{a:.3f}/{h:.3f}    " for a, h in scores(result.vectors, n).values())
        print(f"{method:10}  {options.layer:5}  {shape.top_share:9.2f}  {shape.effective_rank:9.1f}  {cells}")
    reference = session.compare(pairs, sides=[SideSpec(args.embed, name="embed")]).sides["embed"]
    cells = "  ".join(f"{a:.3f}/{h:.3f}    " for a, h in scores(reference.vectors, n).values())
    print(f"{args.embed}: top share {reference.geometry.top_share:.2f}, effective rank "
          f"{reference.geometry.effective_rank:.1f}; {cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
