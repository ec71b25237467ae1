"""The page's sides as a form: the two classic rows (base GPT, embedding model) and up to MAX_SIDES - 2
extra rows, each a name, a model, a method, a chat-template choice, a layer (empty: the last) and a
post-processing (none, center, whiten). Plain functions between the
form's values and `SideSpec`s; no Gradio, no models (a sweep reads the model's configuration only).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from ..prompts import Options
from ..settings import Settings
from ..sides import MAX_SIDES, SideSpec, default_specs, sweep
from .choices import CHAT_TEMPLATE

EXTRA_ROWS = MAX_SIDES - 2
ROW_FIELDS = ("name", "model", "method", "chat_template", "layer", "post")  # one extra row's values, in order


def extra_rows(values: Sequence, count: int) -> list[dict]:
    """The first `count` extra rows from the flat list of every row's ROW_FIELDS values."""
    width = len(ROW_FIELDS)
    return [dict(zip(ROW_FIELDS, values[i * width:(i + 1) * width])) for i in range(min(count, EXTRA_ROWS))]


def specs_from_form(base: str, base_method: str | None, embed: str, embed_method: str | None, options: Options,
                    rows: Sequence[dict]) -> list[SideSpec]:
    """The sides the form describes: the two classic rows (a row with no model: the default pair's, the
    rule of `sides.default_specs`), then each extra row."""
    specs = list(default_specs(SideSpec((base or "").strip(), base_method or None, options),
                               SideSpec((embed or "").strip(), embed_method or None, options)).values())
    for number, row in enumerate(rows, start=3):
        chat = CHAT_TEMPLATE.get(row.get("chat_template") or "default")
        spec_options = options if chat is None else replace(options, chat_template=chat)
        layer = row.get("layer")
        spec_options = replace(spec_options, layer=None if layer in (None, "") else int(layer),
                               post=row.get("post") or "none")
        name = (row.get("name") or "").strip() or f"side {number}"
        specs.append(SideSpec((row.get("model") or "").strip(), row.get("method") or None, spec_options, name))
    return specs


def chat_choice(chat_template: bool | None) -> str:
    """A side's chat-template option as a row's choice (CHAT_TEMPLATE's key)."""
    return {value: key for key, value in CHAT_TEMPLATE.items()}[chat_template]


def sweep_form(model: str, settings: Settings) -> tuple[str, list[dict]]:
    """A method sweep of `model` laid onto the form: the base row's method (the first valid one) and one
    extra row per further method, chat template as `sides.sweep` sets it."""
    info = settings.inspect(model)
    specs = sweep(model, info.methods)[: EXTRA_ROWS + 1]
    rows = [{"name": s.name, "model": model, "method": s.method, "chat_template": chat_choice(s.options.chat_template)}
            for s in specs[1:]]
    return specs[0].method, rows
