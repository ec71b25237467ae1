"""What the dashboard shows and reads, as plain functions: table rows <-> pairs, model, method and
device choices, the options from the Advanced panel, and the verdict and metrics as escaped HTML.

Nothing here touches Gradio components or runs a model (describing a model reads its config only);
the event handlers that call these live in `ui_handlers.py`, the layout in `app.py`.
"""

from __future__ import annotations

import html
import json
from typing import Any

from .devices import DEVICES
from .errors import EmbedLabError, PairsError
from .loading import describe
from .methods import METHODS, valid_methods
from .metrics import METRIC_LABELS, METRIC_NAMES
from .pairs import Pair, check_count
from .presets import PRESETS, presets_for
from .prompts import Options
from .report import verdict
from .settings import Settings

COLUMNS = ["question", "answer"]
EMPTY_ROWS = [["", ""]]
CHAT_TEMPLATE = {"default": None, "on": True, "off": False}  # Advanced panel choice -> Options value
HIGHER_IS_BETTER = ("top1", "mrr", "auc", "margin")  # the metrics whose better side is marked


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


def model_choices(side: str, settings: Settings) -> tuple[list[str], bool]:
    """The models to offer for a side ("base" or "embed"), and whether visitors may type another one."""
    return presets_for(side) + [m for m in settings.allowed_models if m not in PRESETS], settings.free_models


def method_choices(model: str, settings: Settings) -> tuple[list[str], str | None, str]:
    """The methods valid for `model`, its default, and a note ("" when the model could be described)."""
    try:
        traits, default = describe(settings.check_model(model), allow_hub=settings.free_models or
                                   bool(settings.allowed_models), allow_paths=settings.free_models)
    except EmbedLabError as exc:
        return list(METHODS), None, f"{exc}; showing every method"
    return valid_methods(traits), default, ""


def options(task: str | None, chat_template: str | None, max_length: float | None) -> Options:
    """Method options from the Advanced panel; a blank task, "default" or a max length of 0 mean the defaults."""
    if chat_template is not None and chat_template not in CHAT_TEMPLATE:
        raise EmbedLabError(f"chat template {chat_template!r}: use one of {', '.join(CHAT_TEMPLATE)}")
    length = int(max_length) if max_length else None
    if length is not None and length < 0:
        raise EmbedLabError(f"max length {length}: use a positive number of tokens, or 0 for the model's own")
    return Options(task=(task or "").strip() or Options().task, chat_template=CHAT_TEMPLATE.get(chat_template),
                   max_length=length)


def available_devices() -> list[str]:
    """The devices this machine has, "auto" first (checking them is cheap; nothing is loaded)."""
    import torch

    present = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    return [d for d in DEVICES if d == "auto" or present.get(d)]


def _e(value: Any) -> str:
    return html.escape(str(value))


def run_line(result: dict) -> str:
    """Where each side ran and how long it took, e.g. 'base ran on cpu (float32) in 1.20 s, 4 computed'."""
    parts = []
    for side, r in result["results"].items():
        parts.append(f"{side} ({r['model']}) ran on {r['device']} ({r['dtype']}) in {r['seconds']:.2f} s: "
                     f"{r['computed']} texts embedded, {r['cached']} from cache"
                     + (f", {r['truncated']} truncated" if r["truncated"] else ""))
    return "; ".join(parts)


def verdict_html(result: dict) -> str:
    return (f'<div class="verdict"><p class="verdict-line">{_e(verdict(result))}</p>'
            f'<p class="run-line">{len(result["pairs"])} pairs. {_e(run_line(result))}.</p></div>')


def better_side(result: dict, metric: str) -> str | None:
    """The side with the higher value of `metric`, None on a tie or for metrics with no 'better'."""
    if metric not in HIGHER_IS_BETTER or len(result["results"]) != 2:
        return None
    (s1, r1), (s2, r2) = result["results"].items()
    a, b = r1["metrics"][metric], r2["metrics"][metric]
    if a == b or a != a or b != b:  # tie or NaN
        return None
    return s1 if a > b else s2


def metrics_html(result: dict) -> str:
    """Both sides' metrics in one table; the better value of each higher-is-better row is bold and marked."""
    sides = result["results"]
    head = "".join(f"<th>{_e(side)}<br><span class='model'>{_e(r['model'])}</span><br>"
                   f"<span class='method'>{_e(r['method'])}, dim {r['dim']}</span></th>" for side, r in sides.items())
    rows = []
    for name in METRIC_NAMES:
        best = better_side(result, name)
        cells = "".join(f"<td class='best'><b>{r['metrics'][name]:.3f}</b> ▲</td>" if side == best
                        else f"<td>{r['metrics'][name]:.3f}</td>" for side, r in sides.items())
        hint = " (higher is better)" if name in HIGHER_IS_BETTER else ""
        rows.append(f"<tr><th scope='row' title='{_e(METRIC_LABELS[name] + hint)}'>{_e(METRIC_LABELS[name])}</th>"
                    f"{cells}</tr>")
    rows.append("<tr><th scope='row'>Device</th>" + "".join(
        f"<td>{_e(r['device'])} {_e(r['dtype'])}</td>" for r in sides.values()) + "</tr>")
    rows.append("<tr><th scope='row'>Seconds</th>" + "".join(
        f"<td>{r['seconds']:.2f} ({r['cached']}/{r['cached'] + r['computed']} cached)</td>"
        for r in sides.values()) + "</tr>")
    return (f"<table class='metrics'><thead><tr><th>metric</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
            "<p class='note'>▲ better of the two; Top-1, MRR, AUC and margin: higher is better.</p>")
