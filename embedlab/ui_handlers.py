"""The dashboard's event handlers: plain functions of the inputs that return the outputs.

`Dashboard` holds the name of the shared session (whose settings say what this deployment allows);
each method is one event and can be called directly in tests. Errors a person can act on become
`gr.Error` with the engine's own words. Per-visitor results travel in the `gr.State` value that
`compare` returns, never here. `compute` is the only function that runs models; on ZeroGPU it runs on
a GPU (see `hosting.py`).
"""

from __future__ import annotations

import html
from pathlib import Path

import gradio as gr
import numpy as np

from . import exporting, figures, ui
from .compare import SIDES, SideSpec
from .errors import EmbedLabError
from .hosting import gpu, session
from .methods import Role
from .pairs import pairs_from_value, read_pairs
from .presets import default_pair


def _error(exc: EmbedLabError) -> gr.Error:
    return gr.Error(str(exc), print_exception=False)


def _shown(message: str) -> str:
    """A message for a toast: Gradio renders toasts as (sanitised) HTML, so texts from pairs, file
    headers and model names are escaped there. API callers get the plain words (see `compare_json`)."""
    return html.escape(message, quote=False)


def _ui_error(exc: Exception) -> gr.Error:
    return gr.Error(_shown(exc.message if isinstance(exc, gr.Error) else str(exc)), print_exception=False)


@gpu
def compute(session_name: str, pairs: list[dict], specs: dict[str, SideSpec], device: str | None = None,
            project: bool = False, progress=None) -> tuple[dict, dict]:
    """Compare both sides on `pairs`; with `project`, also each side's 2-D PCA points and variance shares.

    The session does the work (`Session.compare`, then `Session.embed` for the projection's vectors, which
    it finds in the cache), so the result keeps the CLI's schema and only the small 2-D projection crosses
    back from a ZeroGPU worker.
    """
    s = session(session_name)

    def report(done: int, total: int, message: str) -> None:
        if progress is not None:  # not `if progress`: gr.Progress is falsy until it tracks an iterable
            progress((done, total) if total else 0.0, desc=message)

    try:
        result = s.compare(pairs, specs["base"], specs["embed"], report, device)
        projections = {}
        if project:  # the vectors come from the cache: compare has just stored them
            items = pairs_from_value(result)
            texts = [p.question for p in items] + [p.answer for p in items]
            roles = [Role.QUERY] * len(items) + [Role.PASSAGE] * len(items)
            for side in SIDES:
                spec = specs[side]
                vectors = s.embed(spec.model, texts, spec.method, spec.options, roles, device).vectors
                points, explained = figures.pca_2d(vectors)
                projections[side] = {"points": points.tolist(), "explained": explained.tolist()}
    except EmbedLabError as exc:
        raise _error(exc) from None
    return result, projections


def figures_for(state: dict) -> dict:
    """The three result figures from a visitor's state (a result and its projections)."""
    result, proj = state["result"], state["projections"]
    points = {side: np.asarray(p["points"]) for side, p in proj.items()}
    explained = {side: np.asarray(p["explained"]) for side, p in proj.items()}
    return {"embedlab-heatmaps": figures.heatmaps(result),
            "embedlab-distributions": figures.score_distributions(result),
            "embedlab-pca": figures.projection(result, points, explained)}


class Dashboard:
    def __init__(self, session_name: str = "default"):
        self.session_name = session_name
        self.settings = session(session_name).settings  # made now, so the first visitor does not wait

    # pairs -----------------------------------------------------------------------------------------
    def load_file(self, path: str | Path | None) -> list[list[str]]:
        """Rows of a pairs file (CSV, TSV, JSONL or JSON), read as the command line reads it."""
        if not path:
            raise gr.Error("no file was given", print_exception=False)
        try:
            pairs = read_pairs(path, max_pairs=None, max_bytes=self.settings.max_upload_bytes)
            self.settings.check_pairs(pairs)
            return ui.pairs_to_rows(pairs)
        except EmbedLabError as exc:
            raise _ui_error(exc) from None

    @staticmethod
    def clear() -> list[list[str]]:
        return [row[:] for row in ui.EMPTY_ROWS]

    # models ----------------------------------------------------------------------------------------
    def methods(self, model: str | None) -> gr.Dropdown:
        """The method dropdown for `model`: its valid methods, its default selected."""
        if not (model or "").strip():
            return gr.Dropdown(choices=[], value=None)
        choices, default, note = ui.method_choices(model, self.settings)
        if note:
            gr.Warning(_shown(note))
        return gr.Dropdown(choices=choices, value=default)

    # comparing -------------------------------------------------------------------------------------
    def _specs(self, base, base_method, embed_, embed_method, opts) -> dict[str, SideSpec]:
        return {"base": SideSpec((base or "").strip(), base_method or None, opts),
                "embed": SideSpec((embed_ or "").strip(), embed_method or None, opts)}

    def compare(self, rows, base: str, base_method: str | None, embed_: str, embed_method: str | None,
                task: str, chat_template: str, max_length: float | None, device: str,
                progress=gr.Progress()):
        """Run both sides on the table's pairs: the new state, verdict, metrics, figures, files, and the
        results column made visible."""
        try:
            pairs = ui.rows_to_pairs(rows)
            self.settings.check_pairs(pairs)
            specs = self._specs(base, base_method, embed_, embed_method, ui.options(task, chat_template, max_length))
            result, projections = compute(self.session_name, [p.as_dict() for p in pairs], specs,
                                          None if device == "auto" else device, project=True, progress=progress)
        except (EmbedLabError, gr.Error) as exc:
            raise _ui_error(exc) from None
        state = {"result": result, "projections": projections}
        figs = figures_for(state)
        files = exporting.write_results(result, exporting.new_folder())
        return (state, ui.verdict_html(result), ui.metrics_html(result), figs["embedlab-heatmaps"],
                figs["embedlab-distributions"], figs["embedlab-pca"], [str(f) for f in files],
                gr.Column(visible=True))

    @staticmethod
    def export_figures(state: dict | None) -> list[str]:
        """The result files plus every figure as PNG (or standalone HTML where PNG export cannot run)."""
        if not state:
            raise gr.Error("compare first: there is nothing to export yet", print_exception=False)
        folder = exporting.new_folder()
        files = exporting.write_results(state["result"], folder)
        images, fmt = exporting.write_figures(figures_for(state), folder)
        if fmt != "png":
            gr.Warning("PNG export needs Chrome or Chromium on the server; the figures are standalone HTML files")
        return [str(f) for f in files + images]

    def compare_json(self, pairs: list[dict] | str, base: str | None = None, base_method: str | None = None,
                     embed: str | None = None, embed_method: str | None = None) -> dict:
        """Compare a base GPT and an embedding model on question/answer pairs.

        Args:
            pairs: a list of {"question", "answer"} objects, or that list as a JSON string
            base: the base GPT, a preset or model id (empty: the default pair's)
            base_method: an embedding method valid for the base model (empty: the model's default)
            embed: the embedding model, a preset or model id (empty: the default pair's)
            embed_method: an embedding method valid for the embedding model (empty: the model's default)
        Returns:
            the command line's JSON result: {"pairs": [...], "results": {"base": ..., "embed": ...}}
        """
        defaults = default_pair()
        specs = {side: SideSpec((name or "").strip() or fallback, method or None)
                 for side, name, method, fallback in (("base", base, base_method, defaults[0]),
                                                      ("embed", embed, embed_method, defaults[1]))}
        result, _ = compute(self.session_name, pairs, specs)
        return result

    def status(self) -> dict:
        """What this server holds: models loaded (and how often each was loaded), the cache, the devices.

        Returns:
            {"loaded": [...], "loads": {model: count}, "cache": {...}, "devices": [...], "hosted": bool}
        """
        s = session(self.session_name)
        cache = {k: v for k, v in s.cache.stats().items() if k != "path"}  # no server paths to visitors
        return {"loaded": s.registry.loaded(), "loads": dict(s.registry.loads), "cache": cache,
                "devices": ui.available_devices(), "hosted": s.settings.hosted}

