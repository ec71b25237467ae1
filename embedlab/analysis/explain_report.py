"""An `Explanation` (`explain.py`) in words: a table of the base GPT's label-free ways and the embedding
model (AUC with its interval, margin, the shape of the vectors, the share of the gap each closes), the
story in plain sentences, and the JSON.
"""

from __future__ import annotations

from ..numbers import number
from ..report import interval_note, with_interval
from ..roles import reading
from .explain import EMBED, Explanation
from .gap import gap_words


def remaining(e: Explanation) -> str:
    """What no label-free way closes: the share left to training, from the best step's share."""
    g = e.gap
    if not g.clear:
        return ""
    best = max(g.closed.values(), key=lambda c: c.share)
    if best.share >= 0.995:  # "leaves 0%" would say the same less plainly
        return (f"{e.labels()[best.step][:1].upper()}{e.labels()[best.step][1:]} reaches the embedding model without "
                "labels here: on these pairs contrastive training adds nothing a label-free fix does not.")
    return (f"The best label-free way, {e.labels()[best.step]}, leaves {1 - best.share:.0%} of the gap: that is "
            "what contrastive training (and the embedding model's other differences: size, data, architecture) adds.")


def story(e: Explanation) -> str:
    """The gap sentence, what is left to training, and how the fixes were fitted."""
    n = len(e.comparison.pairs)
    parts = [gap_words(e.gap, e.labels(), n), remaining(e), e.fit_note()[:1].upper() + e.fit_note()[1:] + "."]
    return " ".join(p for p in parts if p)


def explain_table(e: Explanation) -> str:
    sides, u, g = e.comparison.sides, e.comparison.uncertainty, e.gap
    rows = [("", "reading", "AUC", "margin", "top share", "eff. rank", "gap closed")]
    for name, side in sides.items():
        closed = g.closed.get(name)
        shape = side.geometry
        rows.append((name, reading(side), with_interval(u, name, "auc", side.metrics.auc),
                     number(side.metrics.margin, 3), number(shape.top_share) if shape else "n/a",
                     number(shape.effective_rank, 1) if shape else "n/a",
                     closed.words() if closed else ""))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    head = (f"{len(e.comparison.pairs)} pairs: {sides['raw'].model} ({e.method}) read five label-free ways, beside "
            f"{sides[EMBED].model}")
    return "\n".join([head, *lines, interval_note(u), "", story(e)])


def explain_json(e: Explanation) -> dict:
    u = e.comparison.uncertainty
    steps = {name: {"auc": side.metrics.auc, "interval": list(u.interval(name, "auc") or []) or None,
                    "options": side.options.as_dict(),
                    "closed": e.gap.closed[name].as_dict() if name in e.gap.closed else None}
             for name, side in e.comparison.sides.items()}
    return {"pairs": len(e.comparison.pairs), "base": e.comparison.sides["raw"].model, "method": e.method,
            "embed": e.comparison.sides[EMBED].model, "best_layer": e.best_layer, "layers": e.sweep.layers,
            "fit": e.fit_note(), "steps": steps, "gap": e.gap.as_dict(), "words": story(e),
            "comparison": e.comparison.to_json(), "layer_sweep": e.sweep.to_json()}
