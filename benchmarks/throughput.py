"""Items 1 and 2: embedding throughput of the `native` method, and of the opt-in int8 fast mode.

Three cases run interleaved on the same mixed-length texts in one process, all at batch size 32:
`SentenceTransformer.encode` (the reference), the engine in exact mode, the engine in fast mode. The
engine runs with no cache, so every text is computed every round. Item 1 also checks the engine's
vectors against the reference's; item 2 checks that fast mode keeps the ranking of a real pair set's
similarity matrix (Spearman against exact mode). Loading the models is not timed.
"""

from __future__ import annotations

import numpy as np

from embedlab import fastmode
from embedlab.embedding import embed, resolve
from embedlab.loading import load
from embedlab.sources import locate
from embedlab.methods import Role
from embedlab.metrics import cos_sim, score

from .corpus import mixed_texts, real_pairs
from .timing import interleaved, item, median, spearman

BATCH_SIZE = 32


def _reference_model(name: str):
    from sentence_transformers import SentenceTransformer

    source = locate(name)
    if source.kind != "folder":
        raise SystemExit(f"item 1 needs a sentence-transformers folder to compare with; {name!r} is {source.kind}")
    return SentenceTransformer(source.location, device="cpu")


def _ranking(exact, fast, n_pairs: int) -> tuple[float, dict]:
    pairs = real_pairs()[:n_pairs]
    texts = [p.question for p in pairs] + [p.answer for p in pairs]
    a = embed(exact, texts, method="native").vectors
    b = embed(fast, texts, method="native").vectors
    n = len(pairs)
    sim_a, sim_b = cos_sim(a[:n], a[n:]), cos_sim(b[:n], b[n:])
    checks = {"pairs": n, "spearman": round(spearman(sim_a, sim_b), 4),
              "min_cosine_to_exact": round(float((a * b).sum(axis=1).min()), 4),
              "top1_exact": score(sim_a)["top1"], "top1_fast": score(sim_b)["top1"]}
    return checks["spearman"], checks


def run(model: str, n_texts: int, repeats: int, n_pairs: int = 100) -> list[dict]:
    texts = mixed_texts(n_texts)
    reference = _reference_model(model)
    exact = load(model, device="cpu")
    fast = load(model, device="cpu", fast=True)
    for backend in (exact, fast):
        backend.batch_size = BATCH_SIZE
    ours = embed(exact, texts, method="native").vectors  # also warms both up before timing
    theirs = reference.encode(texts, batch_size=BATCH_SIZE)
    embed(fast, texts[:BATCH_SIZE], method="native")
    max_diff = float(np.abs(ours - theirs).max())
    seconds = interleaved({
        "sentence-transformers": lambda: reference.encode(texts, batch_size=BATCH_SIZE),
        "exact": lambda: embed(exact, texts, method="native"),
        "fast": lambda: embed(fast, texts, method="native"),
    }, repeats)
    rho, ranking = _ranking(exact, fast, n_pairs)
    words = [len(t.split()) for t in texts]
    method, options = resolve(exact, "native", None)
    tokens = sum(len(exact.prepare(t, Role.PASSAGE, method, options).encoded.ids) for t in texts)
    shape = {"texts": n_texts, "words_min": min(words), "words_max": max(words), "tokens": tokens,
             "batch_size": BATCH_SIZE}
    first = item(1, f"{model} native, {n_texts} mixed texts", "SentenceTransformer.encode", "engine exact",
                 ">= 1.0x, max |diff| <= 1e-5", False, baseline_s=seconds["sentence-transformers"],
                 candidate_s=seconds["exact"], checks={**shape, "max_abs_diff": max_diff,
                                                       "texts_per_s": round(n_texts / median(seconds["exact"]), 1)})
    first["holds"] = first["ratio"] >= 1.0 and max_diff <= 1e-5
    second = item(2, f"{model} fast mode (int8), same texts", "engine exact", "engine fast (int8 dynamic)",
                  ">= 2x, Spearman >= 0.99 on qa-100", False, baseline_s=seconds["exact"], candidate_s=seconds["fast"],
                  checks={**ranking, "texts_per_s": round(n_texts / median(seconds["fast"]), 1),
                          "kernel_path": fastmode.kernel_path().name})  # the figures depend on it
    second["holds"] = second["ratio"] >= 2.0 and rho >= 0.99
    return [first, second]

