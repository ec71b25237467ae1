"""Fine-tuned sides in a comparison: their names, the pairs they trained on, and honest metrics.

A folder the fine-tune lab wrote (`embedlab-tune.json`) records its base model, method, step count
and the texts of its training pairs. `tuned_model()` reads that record into a `TunedModel`: its name
for people ("tuned smollm2-135m-instruct (e5, 221 steps)", never the folder's path) and the texts it
trained on. A pair of a comparison counts as seen in training where its question or its answer is one
of those texts, the split's own rule (`tuning.split`).

`held_out()` is the one rule for what a comparison with a tuned side reports: every side's `metrics`
are computed on the pairs no tuned side has seen (so the sides are ranked on the same pairs, and the
tuned one on pairs that say something), the all-pairs figures are kept as `metrics_all`, and each
tuned side carries the indices of the pairs it has seen (`seen_in_training`). `scored_on()` says so in
words. A comparison with no tuned side is left as it is. Folders written before the record held the
training texts (format 1) have no pairs to mark; they are named, and `scored_on()` says what is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from .metrics import Metrics, score
from .pairs import Pair


@dataclass(frozen=True)
class TunedModel:
    name: str  # e.g. "tuned smollm2-135m-instruct (e5, 221 steps)"
    texts: frozenset[str] | None  # stripped questions and answers it trained on; None: not recorded


def tuned_name(record: Mapping) -> str:
    """What people call a tuned model, from its `embedlab-tune.json` record."""
    base = str((record.get("base") or {}).get("model") or "model")
    if base.startswith(("/", ".", "~")) or base.endswith(".gguf"):  # a folder or file: its name, not its path
        base = Path(base).name
    return f"tuned {base} ({record.get('method', '?')}, {record.get('steps', '?')} steps)"


def training_texts(pairs: Sequence[Pair], indices: Sequence[int]) -> list[dict]:
    """The training pairs' texts as the record keeps them."""
    return [pairs[i].as_dict() for i in indices]


def tuned_model(folder: str | Path | None) -> TunedModel | None:
    """The tuned model in `folder`, or None where it holds no (readable) fine-tune record."""
    from .tuning.output import read_info

    record = read_info(folder) if folder else None
    if record is None:
        return None
    pairs = record.get("train_pairs")
    texts = None
    if isinstance(pairs, list):
        texts = frozenset(str(p.get(key, "")).strip() for p in pairs if isinstance(p, dict)
                          for key in ("question", "answer"))
    return TunedModel(tuned_name(record), texts)


def tuned_sides(backends: Mapping) -> dict[str, TunedModel]:
    """The sides (name -> a backend or a `side_sources` source: anything with `info`) whose model is a tuned
    folder, with what it records."""
    found = {}
    for name, backend in backends.items():
        info = getattr(backend, "info", None) or {}
        model = tuned_model(info.get("location")) if info.get("source") == "folder" else None
        if model is not None:
            found[name] = model
    return found


def seen_pairs(pairs: Sequence[Pair], model: TunedModel) -> tuple[int, ...]:
    """Indices of the pairs whose question or answer `model` trained on."""
    texts = model.texts or frozenset()
    return tuple(i for i, p in enumerate(pairs) if p.question.strip() in texts or p.answer.strip() in texts)


NO_METRICS = Metrics(*(float("nan"),) * 6)


def metrics_on(side, keep: np.ndarray) -> Metrics:
    """A side's metrics on the pairs `keep` only (their questions against their answers)."""
    if len(keep) == 0:
        return NO_METRICS
    if side.similarity is not None:
        return score(side.similarity[np.ix_(keep, keep)])
    n = len(side.vectors) // 2
    from .metrics_blocks import score_blocks

    return score_blocks(side.vectors[keep], side.vectors[n + keep]).metrics


def held_out(pairs: Sequence[Pair], sides: dict, tuned: Mapping[str, TunedModel]) -> dict:
    """`sides` (name -> SideResult) as a comparison with the tuned sides `tuned` reports them: tuned
    sides named, seen pairs marked, every side's metrics on the pairs no tuned side has seen."""
    if not tuned:
        return sides
    seen = {name: seen_pairs(pairs, model) for name, model in tuned.items()}
    excluded = set().union(*seen.values())
    keep = np.array([i for i in range(len(pairs)) if i not in excluded], dtype=np.int64)
    out = {}
    for name, side in sides.items():
        marks = {"model": tuned[name].name, "seen_in_training": seen[name],
                 "training_recorded": tuned[name].texts is not None} if name in tuned else {}
        if excluded:
            marks |= {"metrics": metrics_on(side, keep), "metrics_all": side.metrics}
        out[name] = replace(side, **marks)
    return out


def scored_on(comparison) -> str:
    """Which pairs the headline metrics are on, in words ("" where that is every pair and nothing is tuned)."""
    tuned = [side for side in comparison.sides.values() if side.seen_in_training is not None]
    if not tuned:
        return ""
    unknown = [side.model for side in tuned if not side.training_recorded]
    note = (f" {', '.join(unknown)} does not record its training pairs (tuned before they were kept): "
            "its figures may include pairs it trained on." if unknown else "")
    excluded = comparison.excluded
    if not excluded:
        return note.strip() or f"Metrics on all {len(comparison.pairs)} pairs: none was used in training."
    unseen = len(comparison.pairs) - len(excluded)
    return (f"Metrics on {unseen} unseen pair{'s' if unseen != 1 else ''}; {len(excluded)} used in training "
            f"excluded (pairs {_numbers(excluded)}); all-pairs figures are labelled as such.{note}")


def _numbers(indices: Sequence[int], most: int = 12) -> str:
    shown = ", ".join(str(i + 1) for i in indices[:most])
    return shown + (f" and {len(indices) - most} more" if len(indices) > most else "")
