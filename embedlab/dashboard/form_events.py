"""The page's input events: the pairs table (a file, an example, clear) and the model rows (each method
list, the extra side rows added, removed, swept or filled by an uploaded file of vectors).

The extra rows' events return `{component: value}` for every extra row (`rows_shown`): how many are
shown, each row's values and each row's visibility; they read the rows' values as `Layout.side_fields`
lists them (sides_form.ROW_FIELDS, row after row).
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from ..backends.vectors import PREFIX, read_vectors
from ..errors import EmbedLabError
from ..pairs import read_pairs
from ..sides import MAX_NAME
from . import choices, sides_form, tables
from .compute import PageSession
from .layout import Layout
from .page_errors import on_page, toast

FULL = f"at most {sides_form.EXTRA_ROWS + 2} sides"


class FormEvents:
    """The table's and the model rows' events, for the page laid out in `layout`."""

    def __init__(self, layout: Layout, session: PageSession):
        self.layout = layout
        self.session = session

    # the pairs table -------------------------------------------------------------------------------
    @on_page
    def load_file(self, path: str | Path | None) -> list[list[str]]:
        """Rows of a pairs file (CSV, TSV, JSONL or JSON), read as the command line reads it."""
        if not path:
            raise gr.Error("no file was given", print_exception=False)
        pairs = read_pairs(path, max_pairs=None, max_bytes=self.session.settings.max_upload_bytes)
        self.session.settings.check_pairs(pairs)
        return tables.pairs_to_rows(pairs)

    @staticmethod
    def clear() -> list[list[str]]:
        return tables.empty_rows()

    # the model rows --------------------------------------------------------------------------------
    def methods(self, model: str | None) -> gr.Dropdown:
        """The method dropdown for `model`: its valid methods, its default selected, open to choose from (the
        page locks it until its first list arrives)."""
        if not (model or "").strip():
            return gr.Dropdown(choices=[], value=None, interactive=True)
        try:
            choices.check_available([model])
        except EmbedLabError as exc:
            gr.Warning(toast(str(exc)))
            return gr.Dropdown(choices=[], value=None, interactive=True)
        offered, default, note = choices.method_choices(*self.session.owner(model))  # a visitor's tuned model too
        if note:
            gr.Warning(toast(note))
        return gr.Dropdown(choices=offered, value=default, interactive=True)

    @staticmethod
    def unlock() -> gr.Button:
        """A button the page locks until what it acts on is ready (Sweep methods: the base's method list)."""
        return gr.Button(interactive=True)

    def rows_shown(self, rows: list[dict]) -> dict:
        """The extra rows' outputs for `rows` (the rest emptied and hidden): how many are shown, each row's
        values (a method list offers what fits its row's model) and visibility."""
        out = {self.layout.extra_count: len(rows)}
        for i, side in enumerate(self.layout.side_rows):
            row = rows[i] if i < len(rows) else {}
            model = row.get("model")
            offered = choices.method_choices(*self.session.owner(model))[0] if model else []
            out |= {side.name: gr.update(value=row.get("name") or ""),
                    side.model: gr.update(value=model, choices=choices.row_model_choices(model, self.session.settings)),
                    side.method: gr.update(choices=offered, value=row.get("method")),
                    side.chat_template: gr.update(value=row.get("chat_template") or "default"),
                    side.layer: gr.update(value=sides_form.layer_text(row.get("layer"))), side.post: gr.update(value=row.get("post") or "none"),
                    side.row: gr.update(visible=i < len(rows))}
        return out

    def add_side(self, extra_count: int, *values) -> dict:
        """One more extra row (up to MAX_SIDES sides in all)."""
        count = int(extra_count or 0)
        if count >= sides_form.EXTRA_ROWS:
            gr.Warning(FULL)
        return self.rows_shown(sides_form.extra_rows(values, min(count + 1, sides_form.EXTRA_ROWS)))

    def remove_side(self, index: int, extra_count: int, *values) -> dict:
        """Extra row `index` removed; the rows under it move up."""
        rows = sides_form.extra_rows(values, int(extra_count or 0))
        del rows[index:index + 1]
        return self.rows_shown(rows)

    @on_page
    def sweep(self, base: str) -> dict:
        """Every method valid for the base GPT, one side each (the base row takes the first), beside the
        embedding model: the base row's method and the extra rows."""
        method, rows = sides_form.sweep_form(*self.session.owner((base or "").strip()))
        rows = [dict(row, model=(base or "").strip()) for row in rows]  # a tuned model keeps its page name
        return {self.layout.classic["base"].method: gr.update(value=method), **self.rows_shown(rows)}

    @on_page
    def add_vectors(self, path: str | Path | None, table, extra_count: int, *values) -> dict:
        """An uploaded .npz of precomputed vectors as a new extra row (named by the file), checked against
        the table's pairs first."""
        if not path:
            raise gr.Error("no file was given", print_exception=False)
        self.check_room(extra_count)
        model = self.session.settings.check_vectors(f"{PREFIX}{path}")
        read_vectors(path, len(tables.rows_to_pairs(table)))
        row = {"name": Path(path).stem[:MAX_NAME] or "vectors", "model": model, "method": None,
               "chat_template": "default"}
        return self.append_row(row, extra_count, values)

    @staticmethod
    def check_room(extra_count: int) -> None:
        """Refuse a new extra row where every row is in use."""
        if int(extra_count or 0) >= sides_form.EXTRA_ROWS:
            raise gr.Error(f"{FULL}; remove one first", print_exception=False)

    def append_row(self, row: dict, extra_count: int, values) -> dict:
        """`row` (sides_form.ROW_FIELDS values) as the next extra row, after the `extra_count` shown."""
        self.check_room(extra_count)
        return self.rows_shown(sides_form.extra_rows(values, int(extra_count or 0)) + [row])
