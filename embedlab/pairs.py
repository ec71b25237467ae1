"""Question/answer pairs: the `Pair` type and the readers for CSV, TSV, JSONL and JSON files.

Every problem a person can fix is a `PairsError` naming the line (or item) and what is wrong with it.
Reading does not judge the texts beyond "present and not blank"; limits on count live here too, so the
command line, the Python API and the dashboard refuse the same inputs with the same words.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .errors import PairsError

FORMATS = ("csv", "tsv", "jsonl", "json")
MAX_PAIRS = 256
MAX_FILE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Pair:
    question: str
    answer: str

    def as_dict(self) -> dict[str, str]:
        return {"question": self.question, "answer": self.answer}


def _cell(value: Any, where: str, column: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise PairsError(f"{where}: the {column} is empty")
    if not isinstance(value, str):
        if isinstance(value, (dict, list)):
            raise PairsError(f"{where}: the {column} must be text, got {type(value).__name__}")
        value = str(value)
    if not value.strip():
        raise PairsError(f"{where}: the {column} is empty")
    return value


def _pair(record: Any, at: str) -> Pair:
    if isinstance(record, Pair):
        return record
    if isinstance(record, dict):
        keys = {str(k).strip().lower(): v for k, v in record.items()}
        missing = [k for k in ("question", "answer") if k not in keys]
        if missing:
            raise PairsError(f"{at}: missing {' and '.join(repr(m) for m in missing)} "
                             f"(keys found: {', '.join(map(repr, record)) or 'none'})")
        q, a = keys["question"], keys["answer"]
    elif isinstance(record, (list, tuple)) and len(record) == 2:
        q, a = record
    else:
        raise PairsError(f"{at}: expected an object with 'question' and 'answer', got {type(record).__name__}")
    return Pair(_cell(q, at, "question"), _cell(a, at, "answer"))


def make_pairs(records: Iterable[Any], where: str = "item", max_pairs: int | None = MAX_PAIRS) -> list[Pair]:
    """Pairs from dicts with `question` and `answer` keys, or from (question, answer) sequences."""
    pairs = [_pair(record, f"{where} {number}") for number, record in enumerate(records, start=1)]
    check_count(pairs, max_pairs)
    return pairs


def pairs_from_value(value: Any) -> list[Pair]:
    """Pairs given to an API: Pair objects, {"question", "answer"} objects, that list as JSON text, or an
    EmbedLab result (whose "pairs" are taken). Limits on count and length are checked by the caller."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise PairsError(f"pairs: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if isinstance(value, dict) and isinstance(value.get("pairs"), list):
        value = value["pairs"]
    if not isinstance(value, (list, tuple)):
        raise PairsError(f"pairs must be a list of objects with 'question' and 'answer', got {type(value).__name__}")
    return make_pairs(value, max_pairs=None)


def check_count(pairs: list[Pair], max_pairs: int | None = MAX_PAIRS) -> None:
    if not pairs:
        raise PairsError("no pairs given: add at least one question with its answer")
    if max_pairs is not None and len(pairs) > max_pairs:
        raise PairsError(f"{len(pairs)} pairs is over the limit of {max_pairs}; split the set or raise the limit")


def _read_delimited(text: str, delimiter: str, max_pairs: int | None) -> list[Pair]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise PairsError("the file is empty")
    names = [h.strip().lower() for h in header]
    if "question" not in names or "answer" not in names:
        kind = "TSV" if delimiter == "\t" else "CSV"
        raise PairsError(f"line 1: a {kind} file needs a header row with 'question' and 'answer' columns; "
                         f"found {', '.join(repr(h) for h in header) or 'nothing'}")
    qi, ai = names.index("question"), names.index("answer")
    pairs = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank line
            at = f"line {reader.line_num}"
            if len(row) <= max(qi, ai):
                raise PairsError(f"{at}: expected {len(header)} columns, found {len(row)}")
            if any(cell.strip() for cell in row[len(header):]):  # text past the last column would be lost
                raise PairsError(f"{at}: {len(row)} fields where the header has {len(header)}; a text that holds "
                                 f"{'a tab' if delimiter == chr(9) else 'a comma'} must be in double quotes, "
                                 f"e.g. \"{_excerpt(delimiter.join(row[len(header) - 1:]))}\"")
            pairs.append(Pair(_cell(row[qi], at, "question"), _cell(row[ai], at, "answer")))
    except csv.Error as exc:
        raise PairsError(f"line {reader.line_num}: {exc}") from None
    check_count(pairs, max_pairs)
    return pairs


def _excerpt(text: str, width: int = 40) -> str:
    text = text.strip().replace("\n", " ")
    return text if len(text) <= width else text[:width - 1] + "…"


def _read_jsonl(text: str, max_pairs: int | None) -> list[Pair]:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PairsError(f"line {number}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise PairsError(f"line {number}: expected a JSON object with 'question' and 'answer'")
        records.append((number, record))
    pairs = [_pair(record, f"line {number}") for number, record in records]
    check_count(pairs, max_pairs)
    return pairs


def _read_json(text: str, max_pairs: int | None) -> list[Pair]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PairsError(f"line {exc.lineno}: not valid JSON ({exc.msg})") from None
    if isinstance(data, dict) and isinstance(data.get("pairs"), list):
        data = data["pairs"]  # a results file written by EmbedLab itself
    if not isinstance(data, list):
        raise PairsError(f"a JSON pairs file must be a list of objects with 'question' and 'answer', "
                         f"got a JSON {type(data).__name__}")
    return make_pairs(data, where="item", max_pairs=max_pairs)


def detect_format(text: str, name: str = "") -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    stripped = text.lstrip()
    if stripped.startswith("["):
        return "json"
    if stripped.startswith("{"):
        first = stripped.splitlines()[0].strip()
        return "jsonl" if first.endswith("}") else "json"
    first_line = stripped.splitlines()[0] if stripped else ""
    return "tsv" if "\t" in first_line else "csv"


def parse_pairs(text: str, fmt: str | None = None, name: str = "", max_pairs: int | None = MAX_PAIRS) -> list[Pair]:
    """Pairs from the text of a file; `fmt` is one of FORMATS or None to detect it."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise PairsError("the file is empty")
    fmt = fmt or detect_format(text, name)
    if fmt not in FORMATS:
        raise PairsError(f"unknown pairs format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "json":
        return _read_json(text, max_pairs)
    if fmt == "jsonl":
        return _read_jsonl(text, max_pairs)
    return _read_delimited(text, "\t" if fmt == "tsv" else ",", max_pairs)


def read_pairs(path: str | Path, max_pairs: int | None = MAX_PAIRS, max_bytes: int = MAX_FILE_BYTES) -> list[Pair]:
    """Pairs from a CSV, TSV, JSONL or JSON file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise PairsError(f"{path.name} is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.1f} MB limit")
        data = path.read_bytes()
    except FileNotFoundError:
        raise PairsError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise PairsError(f"{path} is a folder, not a pairs file") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PairsError(f"line {line}: {path.name} is not UTF-8 text; save it as UTF-8 and try again") from None
    return parse_pairs(text, name=path.name, max_pairs=max_pairs)

