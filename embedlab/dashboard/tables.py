"""The pairs table: its rows <-> `Pair`s, and adding or removing a row. No Gradio, no models."""

from __future__ import annotations

from typing import Any

from ..errors import PairsError
from ..pairs import Pair, check_count

COLUMNS = ["question", "answer"]
EMPTY_ROWS = [["", ""]]


def rows_to_pairs(rows: Any) -> list[Pair]:
    """Pairs from the table's rows, skipping rows left blank; a half-filled row is named by its number.

    Limits on count and length are the deployment's (`Settings.check_pairs`), checked by the caller.
    """
    if hasattr(rows, "values") and hasattr(rows, "columns"):  # a pandas DataFrame
        rows = rows.values.tolist()
    filled = [(number, row) for number, row in enumerate(rows or [], start=1)
              if any(str(cell or "").strip() for cell in row)]
    pairs = []
    for number, row in filled:
        cells = [str(cell or "") for cell in (list(row) + ["", ""])[:2]]
        for column, cell in zip(COLUMNS, cells):
            if not cell.strip():
                raise PairsError(f"row {number}: the {column} is empty")
        pairs.append(Pair(*cells))
    check_count(pairs, max_pairs=None)
    return pairs


def pairs_to_rows(pairs: list[Pair]) -> list[list[str]]:
    return [[p.question, p.answer] for p in pairs]


def with_row_added(rows: list[list[str]] | None) -> list[list[str]]:
    return [list(row) for row in rows or []] + [["", ""]]


def without_last_row(rows: list[list[str]] | None) -> list[list[str]]:
    rows = [list(row) for row in rows or []]
    return rows[:-1] if len(rows) > 1 else [row[:] for row in EMPTY_ROWS]


def empty_rows() -> list[list[str]]:
    return [row[:] for row in EMPTY_ROWS]
