"""Exporting a comparison: the result as JSON (the CLI's schema) and CSV, its intervals and paired
differences as a second CSV, and figures as images.

CSV has one row per model x question x answer (for a large set, per model x question x top answer),
marked where the side's tuned model trained on the question's or the answer's pair; above MATRIX_CELLS
cells in all (the CSV of 400 pairs x 3 sides is 36 MB) the rows become one zip of each side's matrix as
.npy, float32 (or its top answers and scores), with the pairs as CSV. Text cells that a spreadsheet would run as a formula
(starting with = + - @, a tab or a carriage return) get a leading single quote. Figures are written as
PNG through Plotly's kaleido and a local Chrome or Chromium; where that cannot run, as standalone
HTML files (Plotly's JavaScript included, so they open offline). Building figures is `figures.py`'s job.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import shutil
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

import numpy as np

from ..analysis.intervals import Uncertainty
from ..comparison import Comparison
from ..filenames import matrix_paths, safe_name
from ..metrics import METRIC_NAMES

log = logging.getLogger(__name__)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ["side", "model", "method", "question_index", "answer_index", "matching", "similarity",
               "question", "answer", "seen_in_training"]  # the last: the side's tuned model trained on either text
EXPORT_ROOT = Path(tempfile.gettempdir()) / "embedlab-exports"
MAX_SIDES_CHARS = 60  # of the side names in a file name
MATRIX_CELLS = 100_000  # above this many question x answer cells (all sides), matrices in a zip instead of CSV
KEEP_SECONDS = 6 * 3600  # export folders older than this are removed when a new one is made


def neutralise(cell):
    """A cell safe to open in a spreadsheet: text that starts like a formula gets a leading quote."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def to_json(comparison: Comparison) -> str:
    """The result exactly as `python -m embedlab compare --json` writes it."""
    return json.dumps(comparison.to_json(), indent=2, ensure_ascii=False)


def csv_rows(comparison: Comparison) -> list[list]:
    """Every question x answer cell; for a side whose matrix is not kept (a large set), each question's
    top answers (as in its JSON)."""
    pairs = comparison.pairs
    rows = []
    for side, r in comparison.sides.items():
        if r.similarity is None:
            top = zip(r.blocks.top_answers.tolist(), r.blocks.top_scores.round(6).tolist())
            cells = [(i, j, v) for i, (row, values) in enumerate(top) for j, v in zip(row, values)]
        else:
            cells = [(i, j, v) for i, row in enumerate(r.similarity.round(6).tolist()) for j, v in enumerate(row)]
        seen = set(r.seen_in_training or ())
        for i, j, value in cells:
            rows.append([side, r.model, r.method, i + 1, j + 1, i == j, value, pairs[i].question,
                         pairs[j].answer, i in seen or j in seen])
    return rows


def to_csv(comparison: Comparison) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([neutralise(cell) for cell in row] for row in csv_rows(comparison))
    return out.getvalue()


INTERVAL_COLUMNS = ["side", "minus", "metric", "value", "low", "high", "p", "resamples", "seed", "scheme"]


def intervals_csv(u: Uncertainty) -> str:
    """A row per side and metric (its value and 95% interval), then one per two sides and metric (side
    minus the other, its interval and paired p-value); empty bounds where there is no interval."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(INTERVAL_COLUMNS)
    tail = [u.resamples, u.seed, u.scheme]
    for side in u.points:
        for k, metric in enumerate(METRIC_NAMES):
            low, high = u.interval(side, metric) or ("", "")
            writer.writerow([neutralise(side), "", metric, u.points[side][k], low, high, "", *tail])
    for side in u.points:
        for other in u.points:
            for metric in METRIC_NAMES:
                if other != side and (d := u.difference(side, other, metric)):
                    writer.writerow([neutralise(side), neutralise(other), metric, d.value, d.low, d.high, d.p, *tail])
    return out.getvalue()


def new_folder() -> Path:
    """A fresh folder for one export; stale ones from earlier visitors are cleared on the way."""
    EXPORT_ROOT.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in EXPORT_ROOT.iterdir():
        try:
            if now - old.stat().st_mtime > KEEP_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass
    folder = EXPORT_ROOT / uuid.uuid4().hex
    folder.mkdir()
    return folder


def file_stem(comparison: Comparison, when: float | None = None) -> str:
    """The name an export's files share: the set (its size and a digest of its texts), the sides and the
    time in UTC, e.g. embedlab-30-pairs-1a2b3c-base-vs-embed-20261206-031500, so that a second export
    never downloads as "(1)" and each says what it holds."""
    digest = hashlib.sha256(json.dumps([p.as_dict() for p in comparison.pairs]).encode()).hexdigest()[:6]
    sides = "-vs-".join(safe_name(name) for name in comparison.sides)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(when))
    return f"embedlab-{len(comparison.pairs)}-pairs-{digest}-{sides[:MAX_SIDES_CHARS].rstrip('-_')}-{stamp}"


def cells(comparison: Comparison) -> int:
    """Rows that the CSV would have: every cell of each side's matrix, or each question's top answers."""
    n = len(comparison.pairs)
    return sum(n * n if r.similarity is not None else r.blocks.top_answers.size for r in comparison.sides.values())


def write_matrices(comparison: Comparison, path: Path, stem: str) -> Path:
    """Each side's question x answer matrix (float32 .npy; a large set's top answers and scores instead),
    the pairs as CSV and the sides' models and methods as JSON, in one zip."""
    names = {side: p.stem for side, p in matrix_paths(f"{stem}.npy", list(comparison.sides)).items()}
    pairs = io.StringIO(newline="")
    writer = csv.writer(pairs)
    writer.writerow(["question_index", "question", "answer"])
    writer.writerows([i + 1, neutralise(p.question), neutralise(p.answer)] for i, p in enumerate(comparison.pairs))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for side, r in comparison.sides.items():
            arrays = {"": r.similarity} if r.similarity is not None else \
                {".top_answers": r.blocks.top_answers, ".top_scores": r.blocks.top_scores}
            for suffix, array in arrays.items():
                out = io.BytesIO()
                np.save(out, array.astype(np.float32) if array.dtype.kind == "f" else array)
                archive.writestr(f"{names[side]}{suffix}.npy", out.getvalue())
        archive.writestr("pairs.csv", pairs.getvalue())
        archive.writestr("sides.json", json.dumps({side: {"model": r.model, "method": r.method, "file": names[side]}
                                                   for side, r in comparison.sides.items()}, indent=1))
    return path


def write_results(comparison: Comparison, folder: Path, stem: str | None = None) -> list[Path]:
    """The JSON, the CSV or, above MATRIX_CELLS, the zip of matrices, and the intervals CSV, named `stem`
    (`file_stem` where not given)."""
    stem = stem or file_stem(comparison)
    json_path = folder / f"{stem}.json"
    json_path.write_text(to_json(comparison), encoding="utf-8")
    if cells(comparison) > MATRIX_CELLS:
        rows = write_matrices(comparison, folder / f"{stem}-matrices.zip", stem)
    else:
        rows = folder / f"{stem}.csv"
        rows.write_text(to_csv(comparison), encoding="utf-8", newline="")
    intervals_path = folder / f"{stem}-intervals.csv"
    intervals_path.write_text(intervals_csv(comparison.uncertainty), encoding="utf-8", newline="")
    return [json_path, rows, intervals_path]


def write_figures(figures: dict, folder: Path, width: int = 1200, stem: str | None = None) -> tuple[list[Path], str]:
    """Each figure as `<name>.png` (kaleido) or, where PNG export fails, `<name>.html`; returns the format.
    With `stem`, a figure "embedlab-heatmaps" is written as `<stem>-heatmaps`."""
    if stem:
        figures = {f"{stem}-{name.removeprefix('embedlab-')}": fig for name, fig in figures.items()}
    names = list(figures)
    pngs = [folder / f"{name}.png" for name in names]
    try:
        import plotly.io as pio

        heights = [figures[name].layout.height or 500 for name in names]
        pio.write_images([figures[name] for name in names], pngs, format="png", width=width,
                         height=heights, scale=1)
        if all(p.exists() and p.stat().st_size for p in pngs):
            return pngs, "png"
    except Exception as exc:  # noqa: BLE001 - any kaleido or browser failure falls back to HTML
        log.warning("PNG export failed (%s); writing HTML instead", exc)
    htmls = [folder / f"{name}.html" for name in names]
    for name, path in zip(names, htmls):
        figures[name].write_html(path, include_plotlyjs=True, full_html=True)
    return htmls, "html"
