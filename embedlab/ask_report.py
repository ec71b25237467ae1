"""An asked question in words: each side's top answers with their cosines, and the intended answer's rank."""

from __future__ import annotations

from .ask import Asked

WIDTH = 60  # characters of an answer shown in the table


def _short(text: str) -> str:
    return text if len(text) <= WIDTH else text[:WIDTH - 3] + "..."


def answers_table(asked: Asked) -> str:
    lines = [f"Question: {asked.question}"]
    if asked.intended is not None:
        lines.append(f"It is pair {asked.intended + 1}'s question; its answer is the intended one.")
    for name, side in asked.sides.items():
        rank = "" if side.intended_rank is None else f"  (intended answer ranked {side.intended_rank})"
        lines.append(f"\n{name}{rank}")
        lines += [f"  {i}. {a.cosine:7.4f}  pair {a.pair + 1:<5} {_short(a.answer)}" for i, a in enumerate(side.answers, 1)]
    lines += [f"\n{name}: skipped, {why}" for name, why in asked.skipped.items()]
    return "\n".join(lines)
