"""Words and tables for a comparison: the verdict line and the plain-text metrics table.

Which side is better is `analysis.intervals.decide`'s decision (a paired bootstrap: better only where
the interval of the difference excludes 0); this module only puts it into words, each number with its
95% interval, e.g. `0.912 [0.871, 0.948]`.
"""

from __future__ import annotations

from .analysis.geometry import EXPLAIN as GEOMETRY_EXPLAIN
from .analysis.intervals import Difference, Uncertainty, decide
from .analysis.whitening_step import step_words
from .comparison import Comparison
from .numbers import number, span
from .metrics import HIGHER_IS_BETTER, METRIC_LABELS, METRIC_NAMES
from .roles import gpt_and_embedder, side_name
from .tuned import scored_on

GEOMETRY_NOTE = (f"top share: {GEOMETRY_EXPLAIN['top_share']}.\neffective rank: {GEOMETRY_EXPLAIN['effective_rank']}. "
                 "Mean non-matching: near 1 means every vector points one way.")


def bracket(u: Uncertainty, side: str, metric: str, digits: int = 3) -> str:
    """`[0.871, 0.948]`: a side's 95% interval on a metric; empty where it has none."""
    interval = u.interval(side, metric)
    return "" if interval is None else span(*interval, digits)


def with_interval(u: Uncertainty, side: str, metric: str, value: float, digits: int = 3) -> str:
    """`0.912 [0.871, 0.948]`, or the value alone where the side has no interval."""
    return f"{number(value, digits)} {bracket(u, side, metric, digits)}".rstrip()


def interval_note(u: Uncertainty) -> str:
    """What the brackets are, or why there are none."""
    why = sorted({reason for name in u.points if (reason := u.reason(name))})
    if why:
        return f"No intervals: {'; '.join(why)}."
    scheme = "" if u.scheme == "pairs" else f" ({u.scheme})"
    return f"[brackets]: 95% interval, {u.resamples} bootstrap resamples over pairs{scheme}, seed {u.seed}."


def difference_words(d: Difference, digits: int = 3) -> str:
    """`difference 0.123 [0.045, 0.201], p = 0.002`."""
    return f"difference {number(d.value, digits)} {span(d.low, d.high, digits)}, p = {d.p:.3f}"


def more_pairs(d: Difference, n: int) -> str:
    """How many pairs would likely show a difference that is not clear on n pairs, if it held."""
    need = d.pairs_to_show(n)
    return f"about {need:,} pairs would likely show it if it held" if need else "add pairs"


def change_words(u: Uncertainty, before: str, after: str, metric: str = "auc") -> str:
    """`AUC 0.617 [0.333, 0.889] -> 0.922 [0.778, 1.000]` and whether the change is clear, e.g. on
    held-out pairs before and after a fine-tune (paired: the same pairs)."""
    values = [u.points[side][METRIC_NAMES.index(metric)] for side in (before, after)]
    words = (f"{METRIC_LABELS[metric]} {with_interval(u, before, metric, values[0])} -> "
             f"{with_interval(u, after, metric, values[1])}")
    d = u.difference(after, before, metric)
    if d is None:
        return f"{words} ({u.reason(after) or u.reason(before)})"
    if d.identical:
        return f"{words} (no difference)"
    if d.clear() == 0:
        return f"{words} (no clear difference on these {u.pairs} pairs: {difference_words(d)}; {more_pairs(d, u.pairs)})"
    return f"{words} (clearly {'higher' if d.clear() > 0 else 'lower'}: {difference_words(d)})"


def _gap(comparison: Comparison) -> str:
    """How far the best training-free GPT side is from the best embedding model, where both kinds are present."""
    sides = comparison.sides
    picked = gpt_and_embedder(sides)  # tuned sides are not training-free
    if picked is None:
        return ""
    g, e = picked
    d = comparison.uncertainty.difference(e, g, "auc")
    behind = f"{number(d.value, 3)} {span(d.low, d.high)}" if d else number(sides[e].metrics.auc - sides[g].metrics.auc, 3)
    return (f" The best training-free GPT method, {side_name(sides[g])}, is {behind} AUC and "
            f"{number(sides[e].metrics.margin - sides[g].metrics.margin, 3)} margin behind the best embedding "
            f"model, {side_name(sides[e])}.")


def first_answers(comparison: Comparison) -> str:
    """The verdict in plain words, before any statistic: for how many questions each side ranked the question's
    own answer first, best side first, e.g. "The right answer came first for 30 of 30 questions with
    all-minilm-l6-v2 (native) and 2 of 30 with smollm2 (logits)." Counted on the pairs the metrics are on (a
    tuned side's unseen ones): Top-1 is that count over that number."""
    n = len(comparison.pairs) - len(comparison.excluded)
    if n < 1:
        return ""
    counts = [(round(comparison.sides[name].metrics.top1 * n), side_name(comparison.sides[name]))
              for name in comparison.ranking()]
    unit = "question" if n == 1 else "questions"
    said = [f"{counts[0][0]} of {n} {unit} with {counts[0][1]}"] + [f"{k} of {n} with {name}" for k, name in counts[1:]]
    listed = said[0] if len(said) == 1 else ", ".join(said[:-1]) + f"{',' if len(said) > 2 else ''} and {said[-1]}"
    return f"The right answer came first for {listed}."


def verdict(comparison: Comparison) -> str:
    """One sentence saying which side separates matching pairs better, and how sure that is: "better"
    only where the paired difference is clear; otherwise "no clear difference on these N pairs"."""
    sides, u = comparison.sides, comparison.uncertainty
    n = len(comparison.pairs) - len(comparison.excluded)  # the pairs the metrics are on
    if n < 2:
        if comparison.excluded:
            return (f"The sides cannot be ranked: {len(comparison.excluded)} of the {len(comparison.pairs)} pairs "
                    f"were used in training, which leaves {n} unseen; compare on pairs the tuned model has not seen.")
        return ("One pair has no non-matching pairs to compare it with: add at least one more pair to see "
                "whether matching pairs stand out.")
    parts = "; ".join(f"{side_name(s)} separates matching pairs by {number(s.metrics.margin)}" for s in sides.values())
    if len(sides) < 2:
        return parts + "."
    ranking = comparison.ranking()
    first, second = ranking[:2]
    many = len(sides) > 2
    if many:
        parts = f"{len(sides)} sides"
    auc = (f"AUC {with_interval(u, first, 'auc', sides[first].metrics.auc, 2)} vs "
           f"{with_interval(u, second, 'auc', sides[second].metrics.auc, 2)}")
    both = f"{'the first two, ' if many else ''}{side_name(sides[first])} and {side_name(sides[second])}"
    outcome, metric, d = decide(u, first, second)
    if outcome is None:
        why = u.reason(first) or u.reason(second) or "the sides cannot be compared"
        return f"{parts}: no verdict on these {n} pairs ({auc}): {why}."
    if d.identical:
        return f"{parts}: no difference between {both} on these {n} pairs ({auc})."
    gap = _gap(comparison) if many else ""
    if outcome == 0:
        return (f"{parts}: no clear difference in {METRIC_LABELS[metric]} between {both} on these {n} pairs ({auc}; "
                f"{difference_words(d)}); {more_pairs(d, n)}.{gap}")
    winner, other = (first, second) if outcome == 1 else (second, first)
    d = d if outcome == 1 else d.negated()
    if many and not all(decide(u, winner, o)[0] == 1 for o in ranking if o != winner):
        return (f"{parts}: {side_name(sides[winner])} is clearly ahead of {side_name(sides[other])} but not of every other "
                f"side ({auc}; {METRIC_LABELS[metric]} {difference_words(d)}).{gap}")
    return (f"{parts}: {side_name(sides[winner])} tells matching pairs apart {'the best' if many else 'better'} "
            f"({auc}{f' for the next, {side_name(sides[other])}' if many else ''}; {METRIC_LABELS[metric]} "
            f"{difference_words(d)}).{gap}")


def table(comparison: Comparison) -> str:
    """The metrics of each side in aligned columns, each with its 95% interval, for a terminal."""
    sides, u = comparison.sides, comparison.uncertainty
    rows = [("", *sides), ("model", *(r.model for r in sides.values())),
            ("method", *(r.method for r in sides.values())), ("dim", *(str(r.dim) for r in sides.values()))]
    rows += [(METRIC_LABELS[m], *(with_interval(u, name, m, r.metrics[m]) for name, r in sides.items()))
             for m in METRIC_NAMES]
    if comparison.excluded:  # a tuned side trained on some pairs: the headline rows are on the others
        rows += [(f"{METRIC_LABELS[name]}, all {len(comparison.pairs)} pairs",
                  *(number((r.metrics_all or r.metrics)[name], 3) for r in sides.values())) for name in HIGHER_IS_BETTER]
    rows += [("top share", *(number(r.geometry.top_share) if r.geometry else "n/a" for r in sides.values())),
             ("effective rank", *(number(r.geometry.effective_rank, 1) if r.geometry else "n/a" for r in sides.values())),
             ("from cache", *(f"{r.cached}/{r.cached + r.computed}" for r in sides.values())),
             ("truncated", *(str(r.truncated) for r in sides.values())),
             ("seconds", *(f"{r.seconds:.2f}" for r in sides.values())),
             ("device", *(f"{r.device} {r.dtype}" for r in sides.values()))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    scored = scored_on(comparison)
    return "\n".join([f"{len(comparison.pairs)} pairs", *lines, interval_note(u), "", *([scored] if scored else []),
                      first_answers(comparison), verdict(comparison),
                      *([geometry] if (geometry := step_words(comparison)) else []), "", GEOMETRY_NOTE])
