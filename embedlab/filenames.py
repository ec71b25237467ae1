"""How a side's name becomes part of a file name: one rule for the command line's `--matrix` files and the
dashboard's exports. A name keeps its letters, digits, `_` and `-`; every other run of characters (path
separators, spaces, dots) becomes one `_`; a name left with nothing is "side". No file is written here.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import EmbedLabError


def safe_name(name: str) -> str:
    """`name` as a piece of a file name: no path separators, no dots, never empty or hidden."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "side"


def matrix_paths(path: str, sides: list[str]) -> dict[str, Path]:
    """OUT.npy for one side; OUT.SIDE.npy for each of several (the side's `safe_name`)."""
    out = Path(path)
    if out.suffix != ".npy":
        raise EmbedLabError(f"--matrix {path}: the file must end in .npy")
    if len(sides) == 1:
        return {sides[0]: out}
    return {name: out.with_name(f"{out.stem}.{safe_name(name)}.npy") for name in sides}
