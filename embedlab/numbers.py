"""How every report writes a number and an interval: fixed digits, "n/a" for NaN, never "-0.000"."""

from __future__ import annotations

import math


def number(value: float, digits: int = 2) -> str:
    """`value` to `digits` places; "n/a" for NaN; never "-0.000" (a small negative that rounds to zero)."""
    if math.isnan(value):
        return "n/a"
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def span(low: float, high: float, digits: int = 3) -> str:
    """`[0.871, 0.948]`: an interval as every report writes it."""
    return f"[{number(low, digits)}, {number(high, digits)}]"
