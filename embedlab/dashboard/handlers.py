"""The dashboard's event handlers: plain functions of the inputs that return the outputs.

`Dashboard` holds the name of the shared session (whose settings say what this deployment allows);
each method is one event and can be called directly in tests. Errors a person can act on become
`gr.Error` with the engine's own words. Per-visitor results travel in the `gr.State` value that
`compare` returns, never here. `compute` is the only function that runs models; on ZeroGPU it runs on
a GPU and only embeds: `place` loads the models before it, outside the GPU call (see `zerogpu.py`).
`warm_up` loads the start-up models: behind a page that is already served, or on ZeroGPU before it.
"""

from __future__ import annotations

import html
import logging
import threading
import time
from dataclasses import replace
from pathlib import Path

import gradio as gr
import numpy as np

from ..backends.vectors import PREFIX, read_vectors
from ..comparison import Comparison
from ..sides import MAX_NAME, SideSpec, default_specs
from ..errors import EmbedLabError
from ..pairs import read_pairs
from ..registry import ModelRegistry
from ..session import Session, get_session
from ..settings import Settings
from . import agent_api, choices, exports, figures, overview, pca, sides_form, tables, views, visitors, zerogpu
from .gpu_errors import words
from .zerogpu import compare_duration, gpu

log = logging.getLogger(__name__)


def _shown(message: str) -> str:
    """A message for a toast: Gradio renders toasts as (sanitised) HTML, so texts from pairs, file
    headers and model names are escaped there. API callers get the plain words (see `compare_json`)."""
    return html.escape(visitors.without_paths(message), quote=False)


def _ui_error(exc: Exception) -> gr.Error:
    return gr.Error(_shown(words(exc)), print_exception=False)


@gpu(compare_duration, "the comparison")
def compute(session_name: str, pairs: list[dict], specs: list[SideSpec], device: str | None = None,
            vectors: bool = False, progress=None) -> Comparison:
    """Compare the named sides `specs` on `pairs`; the vectors come back only when asked for (the PCA map
    needs them, `compare_json` does not), so a ZeroGPU worker sends back no more than is used."""

    def report(done: int, total: int, message: str) -> None:
        if progress is not None:  # not `if progress`: gr.Progress is falsy until it tracks an iterable
            progress((done, total) if total else 0.0, desc=message)

    try:
        comparison = get_session(session_name).compare(pairs, progress=report, device=device, sides=specs)
    except EmbedLabError as exc:
        raise gr.Error(str(exc), print_exception=False) from None
    return comparison if vectors else comparison.without_vectors()


def view_state(comparison: Comparison) -> dict:
    """What a visitor's page keeps of a comparison: the result without its vectors, and each side's
    2-D PCA points and variance shares (and the PCA itself, which places an asked question), computed
    once from the vectors the comparison carries (for a large set, of a sample of pairs,
    `overview.pca_sample`, whose pair numbers are kept). A large set also keeps each side's vectors, for
    the exact zoom."""
    n = len(comparison.pairs)
    large = overview.is_large(comparison)
    sample = overview.pca_sample(n) if large else np.arange(n)
    rows = np.concatenate([sample, n + sample])
    bases = {name: pca.fit(side.vectors[rows]) for name, side in comparison.sides.items()}
    projections = {name: (bases[name].project(side.vectors[rows]), bases[name].explained)
                   for name, side in comparison.sides.items()}
    vectors = {name: side.vectors for name, side in comparison.sides.items()} if large else None
    return {"comparison": comparison.without_vectors(), "projections": projections, "sample": sample,
            "vectors": vectors, "pca": bases}


SIDE_SLOTS = 8  # heatmap and PCA plots on the page: one per side, the rest hidden (app.py lays them out)


def _points(state: dict) -> tuple[dict, dict]:
    projections = state["projections"]
    return ({name: p[0] for name, p in projections.items()}, {name: p[1] for name, p in projections.items()})


def _shown_pairs(state: dict) -> Comparison:
    """The comparison as the PCA maps draw it: its pairs cut to the sample they show."""
    comparison = state["comparison"]
    if len(state["sample"]) == len(comparison.pairs):
        return comparison
    return Comparison(tuple(comparison.pairs[i] for i in state["sample"]), comparison.sides)


def figures_for(state: dict) -> dict:
    """The three result figures from a visitor's state, each side beside the others in one figure: what
    "Export figures as images" writes, in this desktop layout whatever the visitor's screen. A large set
    exports its block-mean heatmaps one figure per side."""
    comparison = state["comparison"]
    points, explained = _points(state)
    pca = figures.projection(_shown_pairs(state), points, explained)
    forest = {"embedlab-auc-intervals": figures.interval_forest(comparison)}
    if overview.is_large(comparison):
        return {**overview.export_views(comparison), "embedlab-pca": pca, **forest}
    return {"embedlab-heatmaps": figures.heatmaps(comparison),
            "embedlab-distributions": figures.score_distributions(comparison), "embedlab-pca": pca, **forest}


def slots(figs: list) -> list[dict]:
    """Updates for the SIDE_SLOTS plots of a row: one figure per side shown, the other plots hidden."""
    if len(figs) > SIDE_SLOTS:
        raise ValueError(f"{len(figs)} sides is more than the page's {SIDE_SLOTS} plots")
    return [gr.update(value=fig, visible=True) for fig in figs] + \
        [gr.update(value=None, visible=False)] * (SIDE_SLOTS - len(figs))


def _caption(text: str) -> str:
    return f"<p class='caption'><b>Similarity heatmaps.</b> {html.escape(text)}</p>"


def page_figures(state: dict) -> dict:
    """The result figures for the page: one heatmap and one PCA map per side (all heatmaps on one colour
    scale), the score distributions, the AUC forest plot, and the heatmaps' caption (their shared
    scale). A large set shows block means, histograms of every score and a PCA map of a sample."""
    comparison = state["comparison"]
    points, explained = _points(state)
    projections = figures.side_projections(_shown_pairs(state), points, explained)
    if overview.is_large(comparison):
        views = overview.page_views(comparison, len(state["sample"]))
        return {**views, "caption": _caption(views["caption"]), "projections": projections,
                "forest": figures.interval_forest(comparison)}
    zrange = figures.color_range([r.similarity for r in comparison.sides.values()])
    return {"heatmaps": figures.side_heatmaps(comparison),
            "caption": _caption(f"{figures.heatmaps_title(zrange)}. Tap or hover a cell for its question and answer."),
            "distributions": figures.score_distributions(comparison), "projections": projections,
            "forest": figures.interval_forest(comparison)}


def result_outputs(comparison: Comparison) -> tuple:
    """A Compare's outputs for `comparison` (carrying its vectors), in app.py's order: the new state, the
    verdict, the metrics table, the heatmaps' caption, SIDE_SLOTS heatmap plot updates, the score
    distributions, the AUC forest plot, SIDE_SLOTS PCA plot updates, the result files, the results column
    made visible, and the zoom row (shown for a large set)."""
    state = view_state(comparison)
    shown = state["comparison"]  # one object, so its bootstrap runs once for the words, figures and files
    figs = page_figures(state)
    files = exports.write_results(shown, exports.new_folder())
    return (state, views.verdict_html(shown), views.metrics_html(shown), figs["caption"],
            *slots(figs["heatmaps"]), figs["distributions"], figs["forest"], *slots(figs["projections"]),
            [str(f) for f in files], gr.Column(visible=True), gr.Row(visible=overview.is_large(comparison)))


def dashboard_session() -> Session:
    """The web page's own session: its settings read with the dashboard's rule (hosted on Spaces). On
    ZeroGPU its models are placed on `zerogpu.PLACEMENT` whole (no `device_map`), in bf16 (an RTX Pro 6000;
    asked outright rather than of the emulated device), and all kept."""
    settings = Settings.from_env(dashboard=True)
    if not zerogpu.ON_ZEROGPU:
        return Session(settings=settings)
    allow_hub, allow_paths = settings.permissions
    registry = ModelRegistry(max_models=len(zerogpu.startup_models(settings)) + 2, allow_hub=allow_hub,
                             allow_paths=allow_paths, device_map=False)
    return Session(settings=settings, registry=registry, device=zerogpu.PLACEMENT, dtype="bfloat16")


class Dashboard:
    def __init__(self, session_name: str = "dashboard"):
        self.session_name = session_name
        # made now, so the first visitor does not wait
        self.settings = get_session(session_name, dashboard_session if session_name == "dashboard" else None).settings
        self.warm: dict = {"state": "idle"}

    # start-up --------------------------------------------------------------------------------------
    def warm_up(self, models: list[str], background: bool = True) -> threading.Thread | None:
        """Load `models` in a background thread, so the page is served first (a Compare that comes
        sooner waits for the same load: the registry loads each model once), or here and now. A model
        that cannot be loaded (not installed, Hub unreachable) is named in `status` with the reason, and
        the others still load."""

        def run() -> None:
            start = time.perf_counter()
            self.warm = {"state": "loading", "models": list(models)}
            failed = {}
            for name in models:
                try:
                    get_session(self.session_name).backend(name)
                except Exception as exc:  # noqa: BLE001 - a Compare reports it in its own words; keep serving
                    log.warning("warm-up: %s could not be loaded: %s", name, exc)
                    failed[name] = str(exc)
            self.warm = {"state": "failed" if failed else "ready", "models": list(models),
                         "seconds": round(time.perf_counter() - start, 2), **({"failed": failed} if failed else {})}

        if not background:
            run()
            return None
        thread = threading.Thread(target=run, name="embedlab-warm-up", daemon=True)
        thread.start()
        return thread

    def place(self, specs: list[SideSpec], session_name: str | None = None) -> None:
        """On ZeroGPU, load the sides' models before the GPU call, on the main thread, onto the emulated
        CUDA device (the GPU call only embeds); elsewhere the comparison loads them itself, with progress.
        A preset that cannot run here is refused first, in one short line."""
        choices.check_available(spec.model for spec in specs)
        if not zerogpu.ON_ZEROGPU:
            return
        session = get_session(session_name or self.session_name)
        for name in dict.fromkeys(spec.model for spec in specs):
            zerogpu.on_main_thread(session.backend, name)

    # pairs -----------------------------------------------------------------------------------------
    def load_file(self, path: str | Path | None) -> list[list[str]]:
        """Rows of a pairs file (CSV, TSV, JSONL or JSON), read as the command line reads it."""
        if not path:
            raise gr.Error("no file was given", print_exception=False)
        try:
            pairs = read_pairs(path, max_pairs=None, max_bytes=self.settings.max_upload_bytes)
            self.settings.check_pairs(pairs)
            return tables.pairs_to_rows(pairs)
        except EmbedLabError as exc:
            raise _ui_error(exc) from None

    @staticmethod
    def clear() -> list[list[str]]:
        return tables.empty_rows()

    def add_vectors(self, path: str | Path | None, rows, shown: int, *values) -> tuple:
        """An uploaded .npz of precomputed vectors as a new side (named by the file), checked against the
        table's pairs first: the extra rows' outputs, as `add_side` gives them."""
        if not path:
            raise gr.Error("no file was given", print_exception=False)
        shown = int(shown or 0)
        if shown >= sides_form.EXTRA_ROWS:
            raise gr.Error(f"at most {sides_form.EXTRA_ROWS + 2} sides; remove one first", print_exception=False)
        try:
            model = self.settings.check_vectors(f"{PREFIX}{path}")
            read_vectors(path, len(tables.rows_to_pairs(rows)))
        except EmbedLabError as exc:
            raise _ui_error(exc) from None
        row = {"name": Path(path).stem[:MAX_NAME] or "vectors", "model": model, "method": None,
               "chat_template": "default"}
        return self._form(shown + 1, sides_form.extra_rows(values, shown) + [row])

    # models ----------------------------------------------------------------------------------------
    def _owner(self, model: str) -> tuple[str, Settings]:
        """`model` as the engine names it (a visitor's tuned folder for its page name, `visitors.resolve`)
        and the settings of the session that may open it."""
        path = visitors.resolve(model)
        return path, get_session(visitors.session_for(self.session_name, [path])).settings

    def methods(self, model: str | None) -> gr.Dropdown:
        """The method dropdown for `model`: its valid methods, its default selected, open to choose from (the
        page locks it until its first list arrives)."""
        if not (model or "").strip():
            return gr.Dropdown(choices=[], value=None, interactive=True)
        try:
            choices.check_available([model])
        except EmbedLabError as exc:
            gr.Warning(_shown(str(exc)))
            return gr.Dropdown(choices=[], value=None, interactive=True)
        offered, default, note = choices.method_choices(*self._owner(model))  # a visitor's tuned model too
        if note:
            gr.Warning(_shown(note))
        return gr.Dropdown(choices=offered, value=default, interactive=True)

    @staticmethod
    def unlock() -> gr.Button:
        """A button the page locks until what it acts on is ready (Sweep methods: the base's method list)."""
        return gr.Button(interactive=True)

    # comparing -------------------------------------------------------------------------------------
    def compare(self, rows, base: str, base_method: str | None, embed_: str, embed_method: str | None,
                task: str, chat_template: str, max_length: float | None, device: str, progress=gr.Progress(),
                shown: int = 0, *extra):
        """Run every side on the table's pairs: the two classic rows and the `shown` extra rows (`extra`:
        each row's sides_form.ROW_FIELDS values). `progress` sits among the positional parameters because
        Gradio only tracks a Progress it finds there (it inserts the tracker at that place in the inputs).
        Returns `result_outputs` (app.py's order of outputs)."""
        try:
            pairs = tables.rows_to_pairs(rows)
            self.settings.check_pairs(pairs)
            opts = choices.options(task, chat_template, max_length)
            specs = sides_form.specs_from_form(base, base_method, embed_, embed_method, opts,
                                               sides_form.extra_rows(extra, int(shown or 0)))
            specs = specs or list(default_specs(SideSpec((base or "").strip(), base_method or None, opts),
                                                SideSpec((embed_ or "").strip(), embed_method or None, opts)).values())
            specs = [replace(spec, model=visitors.resolve(spec.model)) for spec in specs]  # a tuned model's folder
            session = visitors.session_for(self.session_name, [spec.model for spec in specs])  # a tuned model's owner
            self.place(specs, session)
            comparison = compute(session, [p.as_dict() for p in pairs], specs,
                                 None if device == "auto" else device, vectors=True, progress=progress)
        except (EmbedLabError, gr.Error) as exc:
            raise _ui_error(exc) from None
        return result_outputs(comparison)  # share link: also what an opened link shows (share_section.py)

    @staticmethod
    def zoom(state: dict | None, start: float | None, size: float | None) -> tuple:
        """A large set's heatmaps as the exact sub-matrix of pairs start..start+size-1 (size 0: the block
        means again): the caption, then SIDE_SLOTS heatmap plot updates."""
        if not state:
            raise gr.Error("compare first: there is nothing to zoom into yet", print_exception=False)
        comparison = state["comparison"]
        if not overview.is_large(comparison):
            raise gr.Error("zoom is for large pair sets; this one shows every cell already", print_exception=False)
        if not size:
            figs = page_figures(state)
            return (figs["caption"], *slots(figs["heatmaps"]))
        caption, figs = overview.zoom_views(comparison, state["vectors"], int(start or 1) - 1, int(size))
        return (_caption(caption), *slots(figs))

    @staticmethod
    def export_figures(state: dict | None) -> list[str]:
        """The result files plus every figure as PNG (or standalone HTML where PNG export cannot run)."""
        if not state:
            raise gr.Error("compare first: there is nothing to export yet", print_exception=False)
        folder = exports.new_folder()
        stem = exports.file_stem(state["comparison"])
        files = exports.write_results(state["comparison"], folder, stem)
        images, fmt = exports.write_figures(figures_for(state), folder, stem=stem)
        if fmt != "png":
            gr.Warning("PNG export needs Chrome or Chromium on the server; the figures are standalone HTML files")
        return [str(f) for f in files + images]

    def compare_json(self, pairs: list[dict] | str, base: str | None = None, base_method: str | None = None,
                     embed: str | None = None, embed_method: str | None = None) -> dict:
        """Compare a base GPT and an embedding model on question/answer pairs: how well each model's
        embeddings match every question with its own answer rather than another pair's.

        Each model embeds the questions (as queries) and the answers; the cosine similarity (in [-1, 1])
        of every question with every answer forms the matrix. Metrics: top1 (share of questions whose own
        answer scores highest), mrr (mean reciprocal rank), auc (chance a matching pair outscores a
        non-matching one; 0.5 is chance), mean_pos / mean_neg (mean cosine of matching / other pairs),
        margin (mean_pos - mean_neg). Limits: the server's max_pairs and max_text_chars (see the models
        tool); in hosted mode only the presets and allowed models may be named.

        Args:
            pairs: a list of {"question", "answer"} objects, or that list as a JSON string
            base: the base GPT, a preset or model id (empty: the default pair's)
            base_method: an embedding method valid for the base model (empty: the model's default)
            embed: the embedding model, a preset or model id (empty: the default pair's)
            embed_method: an embedding method valid for the embedding model (empty: the model's default)
        Returns:
            the command line's JSON result: {"pairs": [...], "results": {"base": ..., "embed": ...}}, each
            result with "similarity" (the question x answer cosine matrix), "metrics", "model", "method"
        """
        specs = list(default_specs(SideSpec(base or "", base_method or None),
                                   SideSpec(embed or "", embed_method or None)).values())
        try:
            self.place(specs)
        except EmbedLabError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        return compute(self.session_name, pairs, specs).to_json()

    def compare_many_json(self, pairs: list[dict] | str, sides: list[dict] | str) -> dict:
        """Compare any number of sides (up to 8; each a model and an embedding method) on question/answer
        pairs, with the same cosine matrix and metrics as compare_json (auc: 0.5 is chance, 1 is perfect).

        Args:
            pairs: a list of {"question", "answer"} objects, or that list as a JSON string
            sides: a list of {"name", "model", "method"?, "task"?, "chat_template"?, "max_length"?} objects
                (method empty: the model's default), or that list as a JSON string
        Returns:
            the command line's JSON result: {"pairs": [...], "sides": [names], "results": {name: ...}}
        """
        try:
            specs = agent_api.specs_from_api(sides)
            self.place(specs)
        except EmbedLabError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        return compute(self.session_name, pairs, specs).to_json()

    # sides on the page -----------------------------------------------------------------------------
    def _form(self, shown: int, rows: list[dict]) -> tuple:
        """The extra rows' outputs: how many are shown, each row's values (a method list offers what fits
        its row's model), each row's visibility."""
        rows = rows + [{}] * (sides_form.EXTRA_ROWS - len(rows))
        values = []
        for row in rows:
            model = row.get("model")
            offered = choices.method_choices(*self._owner(model))[0] if model else []
            values += [gr.update(value=row.get("name") or ""),
                       gr.update(value=model, choices=choices.row_model_choices(model, self.settings)),
                       gr.update(choices=offered, value=row.get("method")),
                       gr.update(value=row.get("chat_template") or "default"),
                       gr.update(value=row.get("layer")), gr.update(value=row.get("post") or "none")]
        return (shown, *values, *[gr.update(visible=i < shown) for i in range(sides_form.EXTRA_ROWS)])

    def add_side(self, shown: int, *values) -> tuple:
        """One more extra row (up to MAX_SIDES sides in all)."""
        shown = int(shown or 0)
        if shown >= sides_form.EXTRA_ROWS:
            gr.Warning(f"at most {sides_form.EXTRA_ROWS + 2} sides")
        return self._form(min(shown + 1, sides_form.EXTRA_ROWS), sides_form.extra_rows(values, min(shown + 1, sides_form.EXTRA_ROWS)))

    def remove_side(self, index: int, shown: int, *values) -> tuple:
        """Extra row `index` removed; the rows under it move up."""
        rows = sides_form.extra_rows(values, int(shown or 0))
        del rows[index:index + 1]
        return self._form(len(rows), rows)

    def sweep(self, base: str) -> tuple:
        """Every method valid for the base GPT, one side each (the base row takes the first), beside the
        embedding model: the base row's method, then the extra rows' outputs."""
        try:
            method, rows = sides_form.sweep_form(*self._owner((base or "").strip()))
            rows = [dict(row, model=(base or "").strip()) for row in rows]  # a tuned model keeps its page name
        except EmbedLabError as exc:
            raise _ui_error(exc) from None
        return (gr.update(value=method), *self._form(len(rows), rows))

    def status(self) -> dict:
        """What this server holds: models loaded (and how often each was loaded), the cache, the devices.

        Returns:
            {"loaded": [...], "loads": {model: count}, "cache": {...}, "devices": [...], "hosted": bool,
             "zerogpu": bool, "warm_up": {"state": "idle" | "loading" | "ready" | "failed", "models": [...],
             "failed": {model: why}, ...}}
        """
        s = get_session(self.session_name)
        cache = {k: v for k, v in s.cache.stats().items() if k != "path"}  # no server paths to visitors
        return {"loaded": s.registry.loaded(), "loads": dict(s.registry.loads), "cache": cache,
                "devices": choices.available_devices(), "hosted": s.settings.hosted, "zerogpu": zerogpu.ON_ZEROGPU,
                "warm_up": dict(self.warm)}
