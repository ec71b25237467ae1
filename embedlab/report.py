"""Words and tables for a comparison result: the verdict line and the plain-text metrics table."""

from __future__ import annotations

from .metrics import METRIC_LABELS, METRIC_NAMES


def verdict(result: dict) -> str:
    """One sentence saying which model separates matching pairs better, and by how much."""
    sides = result["results"]
    parts = [f"{r['model']} ({r['method']}) separates matching pairs by {r['metrics']['margin']:.2f}"
             for r in sides.values()]
    if len(sides) == 2:
        base, embed = sides["base"], sides["embed"]
        better = max((base, embed), key=lambda r: (r["metrics"]["auc"], r["metrics"]["margin"]))
        worse = embed if better is base else base
        if better["metrics"]["auc"] == worse["metrics"]["auc"] and better["metrics"]["margin"] == worse["metrics"]["margin"]:
            return "; ".join(parts) + ": a tie."
        return (f"{'; '.join(parts)}: {better['model']} tells matching pairs apart better "
                f"(AUC {better['metrics']['auc']:.2f} vs {worse['metrics']['auc']:.2f}).")
    return "; ".join(parts) + "."


def table(result: dict) -> str:
    """The metrics of each side in aligned columns, for a terminal."""
    sides = result["results"]
    rows = [("", *sides.keys()), ("model", *(r["model"] for r in sides.values())),
            ("method", *(r["method"] for r in sides.values())), ("dim", *(str(r["dim"]) for r in sides.values()))]
    rows += [(METRIC_LABELS[name], *(f"{r['metrics'][name]:.3f}" for r in sides.values())) for name in METRIC_NAMES]
    rows += [("from cache", *(f"{r['cached']}/{r['cached'] + r['computed']}" for r in sides.values())),
             ("truncated", *(str(r["truncated"]) for r in sides.values())),
             ("seconds", *(f"{r['seconds']:.2f}" for r in sides.values())),
             ("device", *(f"{r['device']} {r['dtype']}" for r in sides.values()))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join([f"{len(result['pairs'])} pairs", *lines, "", verdict(result)])
