"""Item 3: the `logits` method against the original experiment's code, on the same loaded model.

The original code, written out here as it was: one text at a time through the chat template as one
user message (no generation prompt), the whole causal LM under `torch.no_grad`, which projects every
position onto the vocabulary, and the logits at the last position kept. The engine runs the same
texts through `embed()` with no cache. Both see the same texts: the questions and answers of
`corpus.pairs(n)`, and the check is that their vectors agree (as the engine's tests require).
"""

from __future__ import annotations

import numpy as np
import torch

from embedlab.embedding import embed
from embedlab.loading import load

from .corpus import pairs, real_pairs
from .timing import interleaved, item, median


def original_experiment(model, tokenizer, texts: list[str]) -> np.ndarray:
    """The original code: per text, full logits for every position, the last one kept."""
    rows = []
    for text in texts:
        inputs = tokenizer.apply_chat_template([{"role": "user", "content": text}], add_generation_prompt=False,
                                               return_tensors="pt", return_dict=True)
        with torch.no_grad():
            rows.append(model(**inputs).logits[0, -1])
    return torch.stack(rows).float().numpy()


def run(model: str, n_pairs: int, repeats: int) -> dict:
    backend = load(model, device="cpu")
    chosen = pairs(n_pairs)
    texts = [p.question for p in chosen] + [p.answer for p in chosen]
    theirs = original_experiment(backend.model, backend.tokenizer, texts)  # also the warm-up
    ours = embed(backend, texts, method="logits").vectors
    scale = float(np.abs(theirs).max())
    max_diff = float(np.abs(ours - theirs).max())
    seconds = interleaved({
        "original": lambda: original_experiment(backend.model, backend.tokenizer, texts),
        "engine": lambda: embed(backend, texts, method="logits"),
    }, repeats)
    real = min(n_pairs, len(real_pairs()))
    record = item(3, f"{model} logits, {n_pairs} pairs ({len(texts)} texts)", "original code, one text at a time",
                  "engine (batched, shared prefix once, LM head on last position)", ">= 5x, same vectors", False,
                  baseline_s=seconds["original"], candidate_s=seconds["engine"],
                  checks={"texts": len(texts), "real_pairs": real, "suffixed_copies": n_pairs - real,
                          "max_abs_diff": max_diff, "max_abs_logit": scale, "allclose_1e-4": bool(
                              np.allclose(ours, theirs, rtol=1e-4, atol=1e-4)),
                          "texts_per_s": round(len(texts) / median(seconds["engine"]), 1)})
    record["holds"] = record["ratio"] >= 5.0 and record["checks"]["allclose_1e-4"]
    return record
