"""What each number EmbedLab prints means, in one line each, written once: the page's table tooltips
and glossary, and the command line's help, read them from here. The metrics themselves (and which
direction is better) are `metrics.py`'s; this module holds only the words."""

from __future__ import annotations

from .metrics import HIGHER_IS_BETTER, METRIC_LABELS, METRIC_NAMES

METRIC_MEANINGS = {
    "top1": "share of questions whose own answer scored highest of all the answers",
    "mrr": "mean of 1/rank of each question's own answer among all the answers, 1 when it always comes first",
    "auc": "chance that a matching pair scores above a non-matching one, 0.5 being chance and 1 always",
    "mean_pos": "mean cosine similarity of the matching pairs (question i with answer i)",
    "mean_neg": "mean cosine similarity of the non-matching pairs (question i with answer j, j not i)",
    "margin": "mean matching minus mean non-matching similarity: how far apart the two groups sit",
}


def meaning(metric: str) -> str:
    """'Top-1: share of questions ...; higher is better': one line for a tooltip or a help text."""
    better = "; higher is better" if metric in HIGHER_IS_BETTER else ""
    return f"{METRIC_LABELS[metric]}: {METRIC_MEANINGS[metric]}{better}"


def metrics_help() -> str:
    """Every metric's meaning, one per line (the command line's help)."""
    return "\n".join(f"  {meaning(metric)}" for metric in METRIC_NAMES)
