"""The page's sides as a form: the two classic rows (base GPT, embedding model: a model, a method, a
layer and a post-processing) and up to MAX_SIDES - 2 extra rows, each a name, a model, a method, a
chat-template choice, a layer (empty: the last) and a post-processing (none, center, whiten). Plain
functions between the form's values and `SideSpec`s; no Gradio, no models (a sweep reads the model's
configuration only).

The Compare event reads the form as: the classic rows' models and methods, the Advanced panel, then
`form_values`: every extra row's ROW_FIELDS, row after row, then the classic rows' CLASSIC_FIELDS, base
then embed (last, so a caller that sends only the extra rows' values keeps working: the classic rows
then read the last layer, no post-processing).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Sequence

from ..errors import MethodError
from ..prompts import Options
from ..settings import Settings
from ..sides import MAX_SIDES, SideSpec, default_specs, sweep
from .choices import CHAT_TEMPLATE

EXTRA_ROWS = MAX_SIDES - 2
ROW_FIELDS = ("name", "model", "method", "chat_template", "layer", "post")  # one extra row's values, in order
CLASSIC_FIELDS = ("layer", "post")  # a classic row's values after its model and method, in order


def extra_rows(values: Sequence, count: int) -> list[dict]:
    """The first `count` extra rows from the flat list of every row's ROW_FIELDS values."""
    width = len(ROW_FIELDS)
    return [dict(zip(ROW_FIELDS, values[i * width:(i + 1) * width])) for i in range(min(count, EXTRA_ROWS))]


def classic_rows(values: Sequence) -> list[dict]:
    """The classic rows' CLASSIC_FIELDS (base, then embed) from `form_values`: after every extra row's
    values; empty where a caller did not send them."""
    tail, width = list(values[EXTRA_ROWS * len(ROW_FIELDS):]), len(CLASSIC_FIELDS)
    return [dict(zip(CLASSIC_FIELDS, tail[i * width:(i + 1) * width])) for i in range(2)]


def layer_text(layer: int | None) -> str:
    """A layer as the Layer field shows it: empty for the last."""
    return "" if layer is None else str(layer)


def _layer(value) -> int | None:
    """A row's Layer field (text on the page, a number from a client): None where empty (the last layer)."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not number.is_integer():
        raise MethodError(f"layer {text!r} is not a whole number: give a layer such as 10 or -2 (0 the token "
                          "embeddings, negative counted from the top), or leave it empty for the last layer")
    return int(number)


def _reading(options: Options, row: dict) -> Options:
    """`options` with a row's layer (empty: the last) and post-processing (empty: none)."""
    return replace(options, layer=_layer(row.get("layer")), post=row.get("post") or "none")


def specs_from_form(base: str, base_method: str | None, embed: str, embed_method: str | None, options: Options,
                    rows: Sequence[dict], classic: Sequence[dict] = ({}, {})) -> list[SideSpec]:
    """The sides the form describes: the two classic rows, each read as its `classic` fields say (a row
    with no model: the default pair's, the rule of `sides.default_specs`), then each extra row."""
    base_reading, embed_reading = (_reading(options, row) for row in classic)
    specs = list(default_specs(SideSpec((base or "").strip(), base_method or None, base_reading),
                               SideSpec((embed or "").strip(), embed_method or None, embed_reading)).values())
    for number, row in enumerate(rows, start=3):
        chat = CHAT_TEMPLATE.get(row.get("chat_template") or "default")
        spec_options = _reading(options if chat is None else replace(options, chat_template=chat), row)
        name = (row.get("name") or "").strip() or f"side {number}"
        specs.append(SideSpec((row.get("model") or "").strip(), row.get("method") or None, spec_options, name))
    return specs


def chat_choice(chat_template: bool | None) -> str:
    """A side's chat-template option as a row's choice (CHAT_TEMPLATE's key)."""
    return {value: key for key, value in CHAT_TEMPLATE.items()}[chat_template]


def spec_row(spec: SideSpec) -> dict:
    """A side as an extra row's values (ROW_FIELDS): how a share link or a layer sweep fills a row."""
    return {"name": spec.name, "model": spec.model, "method": spec.method,
            "chat_template": chat_choice(spec.options.chat_template), "layer": spec.options.layer,
            "post": spec.options.post}


def sweep_form(model: str, settings: Settings) -> tuple[str, list[dict]]:
    """A method sweep of `model` laid onto the form: the base row's method (the first valid one) and one
    extra row per further method, chat template as `sides.sweep` sets it."""
    info = settings.inspect(model)
    specs = sweep(model, info.methods)[: EXTRA_ROWS + 1]
    rows = [{"name": s.name, "model": model, "method": s.method, "chat_template": chat_choice(s.options.chat_template)}
            for s in specs[1:]]
    return specs[0].method, rows
