"""The page's components, laid out and named: `build_layout(settings)` returns a `Layout` whose fields are
the components that events read or change (the rest, headings and captions, are placed and forgotten).

Read top to bottom it is the page: the pairs table and its buttons, the model rows (the two classic
rows, then up to EXTRA_ROWS extra `SideRow`s shown one by one), the Compare button, the results, the
Fine-tune section. Every `elem_id` here is one the browser tests and the docs name. Nothing here wires
an event (`wiring.py`) or computes anything; texts, CSS and scripts are `page_assets.py`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ..methods import DEFAULT_TASK
from ..pairs import read_pairs
from ..presets import SIDES, default_pair
from ..prompts import POST
from ..settings import Settings
from ..tuning import TuneConfig, trainable_methods
from . import choices, layer_section
from .choices import CHAT_TEMPLATE, available_devices, model_choices
from .figures import PROJECTION_TITLE
from .overview import ZOOM_MAX
from .page_assets import EXAMPLES, FILE_TYPES, INTRO, TITLE, WAITING, model_info, tune_intro
from .results import SIDE_SLOTS
from .sides_form import CLASSIC_FIELDS, EXTRA_ROWS, ROW_FIELDS
from .tables import COLUMNS, pairs_to_rows
from .tune_section import DEFAULT_SECONDS
from .tune_view import SIDE_NAMES


@dataclass
class ClassicRow:
    """One of the two classic model rows (base GPT, embedding model)."""
    model: gr.Dropdown
    method: gr.Dropdown
    layer: gr.Textbox
    post: gr.Dropdown

    def reading(self) -> list:
        """The fields of how the row reads its model, in sides_form.CLASSIC_FIELDS order."""
        return [getattr(self, name) for name in CLASSIC_FIELDS]

    def fields(self) -> list:
        """The row's value fields: its model, its method, then `reading`."""
        return [self.model, self.method, *self.reading()]


@dataclass
class SideRow:
    """One extra side row: its fields (in sides_form.ROW_FIELDS order), its remove button and the row."""
    name: gr.Textbox
    model: gr.Dropdown
    method: gr.Dropdown
    chat_template: gr.Dropdown
    layer: gr.Textbox
    post: gr.Dropdown
    remove: gr.Button
    row: gr.Row

    def fields(self) -> list:
        """The row's value fields, in ROW_FIELDS order (how the events read a row's values)."""
        return [getattr(self, name) for name in ROW_FIELDS]


@dataclass
class TuneLayout:
    """The Fine-tune section's components; `zip` and `file` are None in hosted mode (no download)."""
    seconds: gr.Number
    holdout: gr.Number
    method: gr.Dropdown
    start: gr.Button
    cancel: gr.Button
    status: gr.HTML
    loss: gr.Plot
    results: gr.Column
    caption: gr.HTML
    heatmaps: list
    metrics: gr.HTML
    zip: gr.Button | None = None
    file: gr.File | None = None


@dataclass
class Layout:
    """Every component an event reads or changes, by name."""
    state: gr.State  # the visitor's results.ViewState (None before a Compare)
    pairs: gr.Dataframe
    add_row: gr.Button
    remove_row: gr.Button
    upload: gr.UploadButton
    clear: gr.Button
    examples: dict  # example key -> its button (page_assets.EXAMPLES)
    classic: dict  # "base" / "embed" -> ClassicRow
    extra_count: gr.State  # how many extra side rows are shown
    side_rows: list  # EXTRA_ROWS SideRows
    add_side: gr.Button
    sweep: gr.Button
    vectors_upload: gr.UploadButton
    task: gr.Textbox
    chat_template: gr.Radio
    max_length: gr.Number
    device: gr.Dropdown
    compare: gr.Button
    verdict: gr.HTML
    results: gr.Column
    heatmap_caption: gr.HTML
    heatmaps: list  # SIDE_SLOTS plots, one per side, the rest hidden
    zoom_row: gr.Row
    zoom_start: gr.Number
    zoom_size: gr.Number
    zoom: gr.Button
    metrics: gr.HTML
    distributions: gr.Plot
    forest: gr.Plot
    question: gr.Textbox
    ask: gr.Button
    answers: gr.HTML
    projections: list  # SIDE_SLOTS plots
    tsne_caption: gr.HTML  # the t-SNE maps' method, or that they are coming, or why a set has none (tsne_section.py)
    tsne_maps: list  # SIDE_SLOTS plots
    downloads: gr.File
    export: gr.Button
    share: gr.Button
    share_link: gr.Textbox
    opened: gr.State  # an opened share link's checked (pairs, sides); its change runs them (share_section.py)
    tune: TuneLayout
    layers: layer_section.LayerLayout  # Sweep layers, its best layer and its chart (layer_section.py)

    def side_fields(self) -> list:
        """Every extra row's value fields, row after row (sides_form.extra_rows reads them back)."""
        return [component for row in self.side_rows for component in row.fields()]

    def classic_fields(self) -> list:
        """Both classic rows' value fields, base then embed (`ClassicRow.fields`)."""
        return [component for row in self.classic.values() for component in row.fields()]

    def form_values(self) -> list:
        """What the Compare event reads after the Advanced panel (sides_form's docstring): every extra row's
        fields, then the classic rows' CLASSIC_FIELDS."""
        return [*self.side_fields(), *(c for row in self.classic.values() for c in row.reading())]


def _pairs_column() -> dict:
    first_rows = pairs_to_rows(read_pairs(EXAMPLES["original"][1])) if "original" in EXAMPLES else [["", ""]]
    pairs = gr.Dataframe(first_rows, headers=COLUMNS, datatype=["str", "str"], type="array", interactive=True,
                         column_count=2, wrap=True, max_height=420, column_widths=["40%", "60%"],
                         label="Pairs: double-click a cell to edit it (typing adds to its text; Enter keeps it)",
                         elem_id="pairs")
    with gr.Row():
        add_row = gr.Button("+ Row", size="sm", min_width=60)
        remove_row = gr.Button("- Last row", size="sm", min_width=60)
        upload = gr.UploadButton("Upload CSV / TSV / JSONL / JSON", file_types=FILE_TYPES, size="sm", scale=2,
                                 elem_id="upload")
        clear = gr.Button("Clear", size="sm", min_width=60)
    with gr.Row():
        examples = {key: gr.Button(f"Example: {label}", size="sm") for key, (label, _) in EXAMPLES.items()}
    return dict(pairs=pairs, add_row=add_row, remove_row=remove_row, upload=upload, clear=clear, examples=examples)


def _classic_rows(settings: Settings) -> dict:
    rows = {}
    for (side, label), default in zip(SIDES.items(), default_pair()):
        offered, free = model_choices(side, settings)
        with gr.Row():
            model = gr.Dropdown(offered, value=default, label=label, allow_custom_value=free,
                                info=model_info(settings.free_models), scale=3, elem_id=f"{side}-model")
            # filled when the page opens (reading a model's configuration imports transformers);
            # locked until then, so the late list never replaces a visitor's choice
            method = gr.Dropdown([], value=None, label="Method", scale=2, interactive=False,
                                 info="those valid for this model; its default chosen", elem_id=f"{side}-method")
        with gr.Row(elem_classes=["classic-reading"]):  # how the model is read, a line of its own under it
            layer, post = _reading_fields(side)
        rows[side] = ClassicRow(model, method, layer, post)
    return rows


def _reading_fields(key: str) -> tuple[gr.Textbox, gr.Dropdown]:
    """A row's Layer (empty: the last; docs/inside-the-gpt.md) and Post fields, as every model row has them.
    Layer is a text field: an empty gr.Number shows, and sends, 0 (the token embeddings) when the page opens."""
    layer = gr.Textbox("", label="Layer", placeholder="last", max_lines=1, scale=1, min_width=70,
                       elem_id=f"{key}-layer")
    post = gr.Dropdown(list(POST), value="none", label="Post", scale=1, min_width=90, elem_id=f"{key}-post")
    return layer, post


def _side_row(number: int, every_model: list, settings: Settings) -> SideRow:
    """Extra row `number` (3 and up: the sides after the classic two), hidden until added; a card whose fields
    page_assets' CSS places on a grid (SIDE_CARD), the model's name on a wide cell, so no name is cut."""
    key = f"side-{number}"
    with gr.Row(visible=False, elem_id=key, elem_classes=["extra-side"]) as row:
        name = gr.Textbox(label=f"Side {number}", placeholder="name", scale=2, min_width=110, elem_id=f"{key}-name")
        model = gr.Dropdown(every_model, value=None, label="Model", allow_custom_value=settings.free_models, scale=4,
                            min_width=200, elem_id=f"{key}-model")
        method = gr.Dropdown([], value=None, label="Method", scale=3, min_width=130, elem_id=f"{key}-method")
        chat = gr.Dropdown(list(CHAT_TEMPLATE), value="default", label="Chat", scale=2, min_width=100,
                           elem_id=f"{key}-chat")
        layer, post = _reading_fields(key)
        remove = gr.Button("✕", size="sm", scale=0, min_width=36, elem_id=f"{key}-remove")
    return SideRow(name, model, method, chat, layer, post, remove, row)


def _models_column(settings: Settings) -> dict:
    classic = _classic_rows(settings)
    # extra sides: rows shown one by one with "+ Add a model" (or filled by "Sweep methods")
    every_model = choices.every_model(settings)
    side_rows = [_side_row(i + 3, every_model, settings) for i in range(EXTRA_ROWS)]
    with gr.Row():
        add_side = gr.Button("+ Add a model", size="sm", elem_id="add-side")
        sweep = gr.Button("Sweep methods", size="sm", interactive=False, elem_id="sweep")  # once methods are in
        vectors_upload = gr.UploadButton("Upload vectors (.npz)", file_types=[".npz"], size="sm",
                                         elem_id="upload-vectors")
    layer_buttons = layer_section.buttons()
    with gr.Accordion("Advanced", open=False):
        task = gr.Textbox(DEFAULT_TASK, label="Task instruction (e5 method, queries only)")
        chat_template = gr.Radio(list(CHAT_TEMPLATE), value="default", label="Chat template",
                                 info="default: on for the logits method, off otherwise")
        max_length = gr.Number(0, precision=0, minimum=0, label="Max length in tokens (0: the model's own)")
        device = gr.Dropdown(available_devices(), value="auto", label="Device", allow_custom_value=True,
                             info="auto picks CUDA, then Apple MPS, then CPU; or type cuda:N")
    compare = gr.Button("Compare", variant="primary", size="lg", elem_id="compare")
    return dict(classic=classic, extra_count=gr.State(0), side_rows=side_rows, add_side=add_side, sweep=sweep,
                vectors_upload=vectors_upload, task=task, chat_template=chat_template, max_length=max_length,
                device=device, compare=compare, layer_buttons=layer_buttons)


def _side_plots(prefix: str) -> list:
    return [gr.Plot(show_label=False, visible=False, elem_id=f"{prefix}-{i}", elem_classes=["side-plot"])
            for i in range(SIDE_SLOTS)]


def _results() -> dict:
    """The results column, hidden until the first Compare. One plot per side in each of the two side grids
    (SIDE_SLOTS, the unused ones hidden): side by side on a wide screen, one per row on a phone (the CSS);
    the exported images keep the combined figures."""
    with gr.Column(visible=False, elem_id="results") as results:
        heatmap_caption = gr.HTML(elem_id="heatmap-caption")
        with gr.Row(elem_id="heatmaps", elem_classes=["side-grid"]):
            heatmaps = _side_plots("heatmap")
        with gr.Row(visible=False, elem_id="zoom") as zoom_row:  # large sets: the exact cells of a window
            zoom_start = gr.Number(1, precision=0, minimum=1, label="Zoom: first pair", elem_id="zoom-start")
            zoom_size = gr.Number(50, precision=0, minimum=0, maximum=ZOOM_MAX, label=f"pairs (up to {ZOOM_MAX}; "
                                  "0: the whole set)", elem_id="zoom-size")
            zoom = gr.Button("Zoom", size="sm", scale=0, elem_id="zoom-button")
        with gr.Row(equal_height=False, elem_id="scores"):
            metrics = gr.HTML(elem_id="metrics")
            distributions = gr.Plot(label="Score distributions", elem_id="distributions")
        forest = gr.Plot(label="AUC with 95% intervals", elem_id="forest")
        with gr.Row(elem_id="ask-row"):
            question = gr.Textbox(label="Ask a question: each side's top 5 answers from the table",
                                  placeholder="type any question", scale=4, elem_id="ask-question")
            ask = gr.Button("Ask", size="sm", scale=0, min_width=70, elem_id="ask")
        answers = gr.HTML(elem_id="answers")
        gr.HTML(f"<p class='caption'><b>PCA projection.</b> {PROJECTION_TITLE}. Tap or hover a point for its text.</p>")
        with gr.Row(elem_id="projections", elem_classes=["side-grid"]):
            projections = _side_plots("projection")
        tsne_caption = gr.HTML(elem_id="tsne-caption")
        with gr.Row(elem_id="tsne-maps", elem_classes=["side-grid"]):
            tsne_maps = _side_plots("tsne")
        with gr.Row():
            downloads = gr.File(label="Downloads", file_count="multiple", interactive=False, elem_id="downloads")
            export = gr.Button("Export figures as images", size="sm", scale=0, elem_id="export")
        with gr.Row(elem_id="share-row"):  # share links (share_section.py)
            share = gr.Button("Share", size="sm", scale=0, min_width=80, elem_id="share")
            share_link = gr.Textbox(label="Link to this comparison", interactive=False, buttons=["copy"], scale=4,
                                    placeholder="press Share", elem_id="share-link")
    return dict(results=results, heatmap_caption=heatmap_caption, heatmaps=heatmaps, zoom_row=zoom_row,
                zoom_start=zoom_start, zoom_size=zoom_size, zoom=zoom, metrics=metrics, distributions=distributions,
                forest=forest, question=question, ask=ask, answers=answers, projections=projections,
                tsne_caption=tsne_caption, tsne_maps=tsne_maps,
                downloads=downloads, export=export, share=share, share_link=share_link)


def _finetune(settings: Settings) -> TuneLayout:
    with gr.Column(elem_id="finetune"):
        gr.Markdown(tune_intro(settings.hosted))
        with gr.Row():
            seconds = gr.Number(min(DEFAULT_SECONDS, settings.tune_seconds_limit), label="Time budget (seconds)",
                                info=f"at most {settings.tune_seconds_limit:g}", elem_id="tune-seconds")
            holdout = gr.Number(TuneConfig.holdout, label="Held-out share", info="more than 0, at most 0.5",
                                elem_id="tune-holdout")
            method = gr.Dropdown(trainable_methods(), value=TuneConfig.method, label="Method", elem_id="tune-method")
        with gr.Row():
            start = gr.Button("Start fine-tune", variant="primary", elem_id="tune-start")
            cancel = gr.Button("Cancel", elem_id="tune-cancel")
        status = gr.HTML(elem_id="tune-status")
        loss = gr.Plot(show_label=False, elem_id="tune-loss")
        with gr.Column(visible=False, elem_id="tune-results") as results:
            caption = gr.HTML()
            with gr.Row(elem_id="tune-heatmaps", elem_classes=["side-grid"]):
                heatmaps = [gr.Plot(show_label=False, elem_id=f"tune-heatmap-{i}", elem_classes=["side-plot"])
                            for i in range(len(SIDE_NAMES))]
            metrics = gr.HTML(elem_id="tune-metrics")
            tune = TuneLayout(seconds, holdout, method, start, cancel, status, loss, results, caption, heatmaps, metrics)
            if not settings.hosted:  # the tuned folder as a zip
                with gr.Row():
                    tune.zip = gr.Button("Download the tuned model (zip)", size="sm", scale=0, visible=False,
                                         elem_id="tune-zip")
                    tune.file = gr.File(label="Tuned model", interactive=False, visible=False, elem_id="tune-file")
    return tune


def build_layout(settings: Settings) -> Layout:
    """The page's components, placed inside the `gr.Blocks` being built, named in a `Layout`."""
    gr.Markdown(f"# {TITLE}\n" + INTRO, elem_id="intro")
    state = gr.State(None)
    with gr.Row(equal_height=False, elem_id="inputs"):
        with gr.Column(scale=3):
            inputs = _pairs_column()
        with gr.Column(scale=2):
            models = _models_column(settings)
    verdict = gr.HTML(WAITING, elem_id="verdict")
    layers = layer_section.section(*models.pop("layer_buttons"))
    results = _results()
    return Layout(state=state, **inputs, **models, verdict=verdict, **results, opened=gr.State(None),
                  tune=_finetune(settings), layers=layers)
