"""The held-out split: which pairs train and which only measure, chosen by a seed.

`split_pairs()` shuffles the pair indices with the seed, holds out a share of them (at least
MIN_HELDOUT) and trains on the rest, less any training pair that shares a text (question or answer)
with a held-out pair: the model must never have seen a held-out text. Duplicate pairs and sets too
small for both sides are refused with one line that says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..pairs import Pair
from .config import MIN_HELDOUT, MIN_TRAIN, TuneError


@dataclass(frozen=True)
class Split:
    train: tuple[int, ...]  # pair indices the model trains on, in shuffled order
    heldout: tuple[int, ...]  # pair indices kept for the before/after figures, ascending
    removed: tuple[int, ...] = ()  # indices left out of training: they share a text with a held-out pair
    seed: int = 0
    holdout: float = 0.2

    def as_dict(self) -> dict:
        return {"seed": self.seed, "holdout": self.holdout, "train": list(self.train),
                "heldout": list(self.heldout), "removed": list(self.removed)}


def check_duplicates(pairs: Sequence[Pair]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for number, pair in enumerate(pairs, start=1):
        key = (pair.question.strip(), pair.answer.strip())
        if key in seen:
            raise TuneError(f"pair {number} repeats pair {seen[key]}; remove duplicate pairs before fine-tuning")
        seen[key] = number


def split_pairs(pairs: Sequence[Pair], holdout: float = 0.2, seed: int = 0) -> Split:
    """Train and held-out pair indices (see the module's docstring); the same seed gives the same split."""
    n = len(pairs)
    need = MIN_HELDOUT + MIN_TRAIN
    if n < need:
        raise TuneError(f"{n} pairs are too few to fine-tune: need at least {need} "
                        f"({MIN_HELDOUT} held out and {MIN_TRAIN} for training)")
    check_duplicates(pairs)
    order = np.random.default_rng(seed).permutation(n).tolist()
    n_held = max(MIN_HELDOUT, int(round(n * holdout)))
    if n - n_held < MIN_TRAIN:
        raise TuneError(f"holding out {n_held} of {n} pairs leaves {n - n_held} for training; "
                        f"need {MIN_TRAIN}: lower the held-out share or add pairs")
    heldout = sorted(order[:n_held])
    held_texts = {t.strip() for i in heldout for t in (pairs[i].question, pairs[i].answer)}
    train, removed = [], []
    for i in order[n_held:]:
        clash = pairs[i].question.strip() in held_texts or pairs[i].answer.strip() in held_texts
        (removed if clash else train).append(i)
    if len(train) < MIN_TRAIN:
        raise TuneError(f"only {len(train)} training pairs are left once the {len(removed)} that share a text "
                        f"with a held-out pair are removed; need {MIN_TRAIN}: add pairs or lower the held-out share")
    return Split(tuple(train), tuple(heldout), tuple(sorted(removed)), seed, holdout)
