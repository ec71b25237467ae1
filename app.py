"""EmbedLab's dashboard: are GPT models good embedders?

Run `python app.py` (host and port from GRADIO_SERVER_NAME / GRADIO_SERVER_PORT). This file only lays
out the interface and wires its events; the handlers are in embedlab/dashboard/. Nothing imported here
loads torch: the page is served first, then the default models load in the background.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import gradio as gr

from embedlab.dashboard.choices import CHAT_TEMPLATE, available_devices, model_choices
from embedlab.dashboard.handlers import Dashboard
from embedlab.dashboard.tables import COLUMNS, pairs_to_rows, with_row_added, without_last_row
from embedlab.dashboard.zerogpu import CONCURRENCY_ID
from embedlab.methods import DEFAULT_TASK
from embedlab.pairs import read_pairs
from embedlab.presets import SIDES, default_pair

ASSETS = Path(__file__).parent / "assets"
EXAMPLES = {key: (label, ASSETS / name) for key, label, name in (
    ("original", "Original experiment (2 pairs)", "original-experiment.csv"),
    ("examples_30", "30 pairs with near-misses", "examples-30.csv"),
    ("qa_100", "100 Q&A pairs", "qa-100.csv"),
) if (ASSETS / name).exists()}
FILE_TYPES = [".csv", ".tsv", ".jsonl", ".json"]
BASE, EMBED = default_pair()
INTRO = ("Does a plain GPT make a good embedding model? Enter question/answer pairs, pick a base GPT and an "
         "embedding model, and press **Compare**: each model embeds the questions and the answers, and the "
         "cosine similarity of every question with every answer shows whether matching pairs stand out.")
WAITING = "<p class='run-line'>Press <b>Compare</b>: the verdict, metrics and figures appear here.</p>"
CSS = """
#verdict {min-height: 4.5rem;}
.verdict-line {font-size: 1.25rem; font-weight: 600; margin: 0.2rem 0;}
.run-line, .note {color: var(--body-text-color-subdued); font-size: 0.9rem; margin: 0.2rem 0;}
table.metrics {border-collapse: collapse; width: 100%;}
table.metrics th, table.metrics td {border-bottom: 1px solid var(--border-color-primary); padding: 4px 8px;
  text-align: right;}
table.metrics th[scope=row], table.metrics thead th:first-child {text-align: left;}
table.metrics td.best {color: var(--color-accent);}
table.metrics .model {font-weight: 600;} table.metrics .method {font-weight: 400; font-size: 0.85rem;}
"""
# A file dropped on the pairs table goes to the Upload button, so it is read by EmbedLab's own parser
# (the one the command line uses) instead of the table's built-in CSV import.
DROP_TO_UPLOAD = """<script>
document.addEventListener("drop", (event) => {
  const table = event.target.closest && event.target.closest("#pairs");
  const button = document.querySelector("#upload");  // the Upload button; its file input sits beside it
  const input = button && button.parentElement.querySelector("input[type=file]");
  if (!table || !input || !event.dataTransfer || !event.dataTransfer.files.length) return;
  event.preventDefault();
  event.stopPropagation();
  const files = new DataTransfer();
  files.items.add(event.dataTransfer.files[0]);
  input.files = files.files;
  input.dispatchEvent(new Event("change", {bubbles: true}));
}, true);
</script>"""

dashboard = Dashboard()
settings = dashboard.settings
first_rows = pairs_to_rows(read_pairs(EXAMPLES["original"][1])) if "original" in EXAMPLES else [["", ""]]
MODEL_INFO = "a preset, a Hub id, a model folder or a .gguf file" if settings.free_models else "the models offered here"

with gr.Blocks(title="EmbedLab: are GPT models good embedders?", delete_cache=(3600, 6 * 3600)) as demo:
    gr.Markdown("# EmbedLab: are GPT models good embedders?\n" + INTRO)
    state = gr.State(None)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            pairs = gr.Dataframe(first_rows, headers=COLUMNS, datatype=["str", "str"], type="array",
                                 interactive=True, column_count=2, wrap=True, max_height=420,
                                 column_widths=["40%", "60%"], label="Pairs: click a cell to edit it", elem_id="pairs")
            with gr.Row():
                add_row = gr.Button("+ Row", size="sm", min_width=60)
                remove_row = gr.Button("- Last row", size="sm", min_width=60)
                upload = gr.UploadButton("Upload CSV / TSV / JSONL / JSON", file_types=FILE_TYPES, size="sm",
                                         scale=2, elem_id="upload")
                clear = gr.Button("Clear", size="sm", min_width=60)
            with gr.Row():
                example_buttons = {key: gr.Button(f"Example: {label}", size="sm")
                                   for key, (label, _) in EXAMPLES.items()}
        with gr.Column(scale=2):
            models = {}
            for (side, label), default in zip(SIDES.items(), (BASE, EMBED)):
                models_offered, free = model_choices(side, settings)
                with gr.Row():
                    model = gr.Dropdown(models_offered, value=default, label=label, allow_custom_value=free,
                                        info=MODEL_INFO, scale=3, elem_id=f"{side}-model")
                    # filled when the page opens (reading a model's configuration imports transformers)
                    models[side] = (model, gr.Dropdown([], value=None, label="Method", scale=2,
                                                       info="empty: the model's default", elem_id=f"{side}-method"))
            with gr.Accordion("Advanced", open=False):
                task = gr.Textbox(DEFAULT_TASK, label="Task instruction (e5 method, queries only)")
                chat_template = gr.Radio(list(CHAT_TEMPLATE), value="default", label="Chat template",
                                         info="default: on for the logits method, off otherwise")
                max_length = gr.Number(0, precision=0, minimum=0, label="Max length in tokens (0: the model's own)")
                device = gr.Dropdown(available_devices(), value="auto", label="Device", allow_custom_value=True,
                                     info="auto picks CUDA, then Apple MPS, then CPU; or type cuda:N")
            run = gr.Button("Compare", variant="primary", size="lg", elem_id="compare")
    verdict = gr.HTML(WAITING, elem_id="verdict")
    with gr.Column(visible=False) as results:
        heatmaps = gr.Plot(label="Similarity heatmaps", elem_id="heatmaps")
        with gr.Row(equal_height=False):
            metrics = gr.HTML(elem_id="metrics")
            distributions = gr.Plot(label="Score distributions", elem_id="distributions")
        projection = gr.Plot(label="PCA projection", elem_id="projection")
        with gr.Row():
            downloads = gr.File(label="Downloads", file_count="multiple", interactive=False, elem_id="downloads")
            export = gr.Button("Export figures as images", size="sm", scale=0)

    for key, button in example_buttons.items():
        button.click(partial(dashboard.load_file, EXAMPLES[key][1]), None, pairs, api_name=f"load_{key}",
                     concurrency_limit=None)
    upload.upload(dashboard.load_file, upload, pairs, api_name="load_file", concurrency_limit=None,
                  show_progress="hidden")
    clear.click(dashboard.clear, None, pairs, api_name="clear", concurrency_limit=None)
    add_row.click(with_row_added, pairs, pairs, api_name="add_row", concurrency_limit=None)
    remove_row.click(without_last_row, pairs, pairs, api_name="remove_row", concurrency_limit=None)
    for side, (model, method) in models.items():
        model.change(dashboard.methods, model, method, api_name=f"{side}_methods", concurrency_limit=None)
        demo.load(dashboard.methods, model, method, api_name=False, concurrency_limit=None, show_progress="hidden")
    run.click(dashboard.compare,
              [pairs, models["base"][0], models["base"][1], models["embed"][0], models["embed"][1], task,
               chat_template, max_length, device],
              [state, verdict, metrics, heatmaps, distributions, projection, downloads, results],
              api_name="compare", concurrency_id=CONCURRENCY_ID, show_progress_on=verdict)
    export.click(dashboard.export_figures, state, downloads, api_name="export_figures")
    gr.api(dashboard.compare_json, api_name="compare_json", concurrency_id=CONCURRENCY_ID)
    gr.api(dashboard.status, api_name="status", concurrency_limit=None)

demo.queue(default_concurrency_limit=1, max_size=64)

if __name__ == "__main__":
    demo.launch(theme=gr.themes.Soft(primary_hue="indigo"), css=CSS, head=DROP_TO_UPLOAD,
                max_file_size=settings.max_upload_bytes, footer_links=["api", "gradio"], prevent_thread_lock=True)
    dashboard.warm_up([BASE, EMBED])  # after the page is served: a restart shows the page at once
    demo.block_thread()
