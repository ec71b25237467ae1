"""Benchmark inputs made from the project's real pair sets, deterministically (seeded).

`mixed_texts(n)` recombines the sentences of assets/qa-100.csv and assets/examples-30.csv into texts
of 5 to 200 words, uniformly spread; `pairs(n)` gives n question/answer pairs: the real ones first
(qa-100, examples-30, then the original experiment's two), and past those the same pairs again with a
" (copy k)" suffix on both sides, so every text is distinct and none is served from a cache. Nothing
here is random tokens, and nothing reads the network.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from embedlab.pairs import Pair, read_pairs

ASSETS = Path(__file__).resolve().parent.parent / "assets"
PAIR_FILES = ("qa-100.csv", "examples-30.csv", "original-experiment.csv")


def real_pairs() -> list[Pair]:
    """Every distinct pair of the asset pair sets, in file order."""
    seen: dict[tuple[str, str], Pair] = {}
    for name in PAIR_FILES:
        for pair in read_pairs(ASSETS / name):
            seen.setdefault((pair.question, pair.answer), pair)
    return list(seen.values())


def pairs(n: int) -> list[Pair]:
    """n pairs: the real ones, then suffixed copies of them (see the module docstring)."""
    real = real_pairs()
    out = []
    for i in range(n):
        copy, index = divmod(i, len(real))
        suffix = f" (copy {copy})" if copy else ""
        out.append(Pair(real[index].question + suffix, real[index].answer + suffix))
    return out


def sentences() -> list[str]:
    """The sentences of every question and answer in the asset pair sets."""
    found = []
    for pair in real_pairs():
        for text in (pair.question, pair.answer):
            found += [s.strip() for s in re.split(r"(?<=[.!?;])\s+", text) if s.strip()]
    return found


def mixed_texts(n: int, seed: int = 0, min_words: int = 5, max_words: int = 200) -> list[str]:
    """n texts of min_words..max_words words (uniform), each a run of randomly chosen real sentences."""
    rng = random.Random(seed)
    pool = sentences()
    texts = []
    for _ in range(n):
        target = rng.randint(min_words, max_words)
        words: list[str] = []
        while len(words) < target:
            words += rng.choice(pool).split()
        texts.append(" ".join(words[:target]))
    return texts
