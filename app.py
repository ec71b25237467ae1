"""EmbedLab's dashboard: are GPT models good embedders?

Run `python app.py` (host and port from GRADIO_SERVER_NAME / GRADIO_SERVER_PORT). This file only lays
out the interface and wires its events; the handlers are in embedlab/dashboard/. Nothing imported here
loads torch: the page is served first, then the default models load in the background.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import gradio as gr

from embedlab.dashboard import choices, mcp
from embedlab.dashboard.agent_api import AgentApi
from embedlab.dashboard.ask_section import AskSection
from embedlab.dashboard.choices import CHAT_TEMPLATE, available_devices, model_choices
from embedlab.dashboard.figures import PROJECTION_TITLE
from embedlab.dashboard.handlers import SIDE_SLOTS, Dashboard
from embedlab.dashboard.overview import ZOOM_MAX
from embedlab.dashboard.share_section import ShareSection  # share links
from embedlab.dashboard.sides_form import EXTRA_ROWS, ROW_FIELDS
from embedlab.dashboard.tune_section import DEFAULT_SECONDS, TuneSection
from embedlab.dashboard.tables import COLUMNS, pairs_to_rows, with_row_added, without_last_row
from embedlab.dashboard.zerogpu import CONCURRENCY_ID, ON_ZEROGPU, serve, startup_models
from embedlab.methods import DEFAULT_TASK
from embedlab.pairs import read_pairs
from embedlab.presets import SIDES, default_pair
from embedlab.prompts import POST
from embedlab.tuning import TuneConfig, trainable_methods

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
PHONE = "(max-width: 767px)"  # below it the figures stack, one per row
SHORT = "(min-width: 1000px) and (max-height: 820px)"  # a projector or a small laptop: results first
CSS = """
#verdict {min-height: 4.5rem;}
.verdict-line {font-size: 1.25rem; font-weight: 600; margin: 0.2rem 0;}
.run-line, .note {color: var(--body-text-color-subdued); font-size: 0.9rem; margin: 0.2rem 0;}
.caption {font-size: 0.95rem; margin: 0;}
.scored-on, .caveat {font-weight: 600; margin: 0.2rem 0;} table.metrics tr.all-pairs {color: var(--body-text-color-subdued);}
.table-box {max-width: 100%; overflow-x: auto;}
table.metrics {border-collapse: collapse; width: 100%;}
table.metrics th, table.metrics td {border-bottom: 1px solid var(--border-color-primary); padding: 4px 8px;
  text-align: right;}
table.metrics th[scope=row], table.metrics thead th:first-child {text-align: left;}
table.metrics td.best {color: var(--color-accent);}
table.metrics .ci {display: block; font-size: 0.78rem; opacity: 0.75; white-space: nowrap;}
#answers table.metrics td:last-child, #answers table.metrics th:last-child {text-align: left;}
table.metrics .model {font-weight: 600;} table.metrics .method {font-weight: 400; font-size: 0.85rem;}
/* one plot per side (heatmaps, PCA maps): side by side while each gets 440 px, else one per row */
.gradio-container .row.side-grid {display: grid; gap: var(--layout-gap);
  grid-template-columns: repeat(auto-fit, minmax(min(100%, 440px), 1fr));}
.gradio-container .row.side-grid > * {min-width: 0;}
#results, #results > *, #verdict {min-width: 0; max-width: 100%;}
progress.tune-bar {width: 100%; height: 0.9rem; accent-color: var(--color-accent);}
@media PHONE_WIDTHS {
  .gradio-container .row.side-grid {grid-template-columns: minmax(0, 1fr);}
  #scores {flex-direction: column;}
  #scores > * {width: 100%; min-width: 0 !important;}
  .verdict-line {font-size: 1.05rem;}
  table.metrics {font-size: 0.85rem;}
  table.metrics th, table.metrics td {padding: 4px 4px;}
}
@media SHORT_SCREENS {
  #inputs {order: 1;}  /* the verdict and the results first, the pairs and models under them */
  #finetune {order: 2;}  /* then the Fine-tune section, still last */
}
""".replace("PHONE_WIDTHS", PHONE).replace("SHORT_SCREENS", SHORT)
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
# A plot whose figure carries a narrow variant (`layout.meta.fit`, see figures.with_narrow_variant) takes it
# while its box is narrower than `fit.below` px (shorter labels, titles on two lines, the colour bar under
# the map, no tool bar) and its own look again when the box widens. A figure from the server is drawn wide,
# then fitted.
# The switch redraws the plot (Plotly.newPlot): Plotly.react and Plotly.update draw a colour bar that turns
# from vertical to horizontal wrongly.
FIT_PLOTS = """<script>
(() => {
  const fitted = new WeakMap();  // plot -> [the layout object it was fitted for, "wide" or "narrow"]
  const observed = new WeakSet();
  const busy = new WeakSet();
  function setPath(target, path, value) {
    const keys = path.split(".");
    const last = keys.pop();
    for (const key of keys) target = target[key] = target[key] || {};
    if (value === null) delete target[last]; else target[last] = value;
  }
  async function fit(gd) {
    const spec = gd.layout && gd.layout.meta && gd.layout.meta.fit;
    const width = gd.getBoundingClientRect().width;
    if (!spec || !window.Plotly || !width || busy.has(gd)) return;
    const want = width < spec.below ? "narrow" : "wide";
    const last = fitted.get(gd);
    if (last && last[0] === gd.layout && last[1] === want) return;
    if ((!last || last[0] !== gd.layout) && want === "wide") {  // a new figure from the server: drawn wide
      fitted.set(gd, [gd.layout, want]);
      return;
    }
    const figure = JSON.parse(JSON.stringify({data: gd.data, layout: gd.layout}));
    for (const [path, value] of Object.entries(spec[want].layout)) setPath(figure.layout, path, value);
    for (const [path, values] of Object.entries(spec[want].data))
      figure.data.forEach((trace, i) => setPath(trace, path, values[i]));
    busy.add(gd);
    try {
      // no tool bar on a narrow plot: on a touch screen it stays up, over the title
      await window.Plotly.newPlot(gd, figure.data, figure.layout,
                                  {responsive: true, displayModeBar: want === "narrow" ? false : "hover"});
    } finally {
      fitted.set(gd, [gd.layout, want]);
      busy.delete(gd);
    }
  }
  function fitAll() {
    for (const gd of document.querySelectorAll(".js-plotly-plot")) {
      if (!observed.has(gd)) {
        observed.add(gd);
        new ResizeObserver(() => requestAnimationFrame(() => fit(gd))).observe(gd);
      }
      fit(gd);
    }
  }
  let queued = false;
  new MutationObserver(() => {  // new plots, and new figures in old ones
    if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; fitAll(); }); }
  }).observe(document.documentElement, {childList: true, subtree: true});
})();
</script>"""
# On a short wide screen the results come first (CSS above): after a Compare, show them from the top.
SHOW_RESULTS = f"() => {{ if (window.matchMedia('{SHORT}').matches) window.scrollTo({{top: 0}}); }}"

dashboard = Dashboard()
agent = AgentApi(dashboard)
asking = AskSection(dashboard)
sharing = ShareSection(dashboard)  # share links
settings = dashboard.settings
tune = TuneSection(dashboard)
TUNE_INTRO = ("## Fine-tune\nTrain the base GPT contrastively on most of the pairs in the table, then see the "
              "held-out pairs before and after, beside the embedding model. The tuned model becomes a model choice "
              "for Compare" + (" for as long as this page is open." if settings.hosted else
                               "; download it as a zip. It is removed from the server when this page closes."))
first_rows = pairs_to_rows(read_pairs(EXAMPLES["original"][1])) if "original" in EXAMPLES else [["", ""]]
MODEL_INFO = "a preset, a Hub id, a model folder or a .gguf file" if settings.free_models else "the models offered here"

with gr.Blocks(title="EmbedLab: are GPT models good embedders?", delete_cache=(3600, 6 * 3600)) as demo:
    gr.Markdown("# EmbedLab: are GPT models good embedders?\n" + INTRO, elem_id="intro")
    state = gr.State(None)
    with gr.Row(equal_height=False, elem_id="inputs"):
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
                    # filled when the page opens (reading a model's configuration imports transformers);
                    # locked until then, so the late list never replaces a visitor's choice
                    models[side] = (model, gr.Dropdown([], value=None, label="Method", scale=2, interactive=False,
                                                       info="empty: the model's default", elem_id=f"{side}-method"))
            # extra sides: rows shown one by one with "+ Add a model" (or filled by "Sweep methods")
            every_model = choices.every_model(settings)
            shown = gr.State(0)
            side_rows, side_fields, side_removes = [], [], []
            for i in range(EXTRA_ROWS):
                with gr.Row(visible=False, elem_id=f"side-{i + 3}", elem_classes=["extra-side"]) as row:
                    side_name = gr.Textbox(label=f"Side {i + 3}", placeholder="name", scale=2, min_width=70,
                                           elem_id=f"side-{i + 3}-name")
                    side_model = gr.Dropdown(every_model, value=None, label="Model", allow_custom_value=settings.free_models,
                                             scale=4, min_width=120, elem_id=f"side-{i + 3}-model")
                    side_method = gr.Dropdown([], value=None, label="Method", scale=3, min_width=95,
                                              elem_id=f"side-{i + 3}-method")
                    side_chat = gr.Dropdown(list(CHAT_TEMPLATE), value="default", label="Chat", scale=2, min_width=80)
                    side_layer = gr.Number(None, precision=0, label="Layer", scale=1, min_width=60,
                                           elem_id=f"side-{i + 3}-layer")  # empty: the last (docs/inside-the-gpt.md)
                    side_post = gr.Dropdown(list(POST), value="none", label="Post", scale=2, min_width=80,
                                            elem_id=f"side-{i + 3}-post")
                    side_removes.append(gr.Button("✕", size="sm", scale=0, min_width=36, elem_id=f"side-{i + 3}-remove"))
                side_rows.append(row)
                side_fields += [side_name, side_model, side_method, side_chat, side_layer, side_post]
            with gr.Row():
                add_side = gr.Button("+ Add a model", size="sm", elem_id="add-side")
                sweep = gr.Button("Sweep methods", size="sm", interactive=False, elem_id="sweep")  # once methods are in
                vectors_upload = gr.UploadButton("Upload vectors (.npz)", file_types=[".npz"], size="sm",
                                                 elem_id="upload-vectors")
            with gr.Accordion("Advanced", open=False):
                task = gr.Textbox(DEFAULT_TASK, label="Task instruction (e5 method, queries only)")
                chat_template = gr.Radio(list(CHAT_TEMPLATE), value="default", label="Chat template",
                                         info="default: on for the logits method, off otherwise")
                max_length = gr.Number(0, precision=0, minimum=0, label="Max length in tokens (0: the model's own)")
                device = gr.Dropdown(available_devices(), value="auto", label="Device", allow_custom_value=True,
                                     info="auto picks CUDA, then Apple MPS, then CPU; or type cuda:N")
            run = gr.Button("Compare", variant="primary", size="lg", elem_id="compare")
    verdict = gr.HTML(WAITING, elem_id="verdict")
    # One plot per side in each of the two side grids (SIDE_SLOTS, the unused ones hidden): side by side on
    # a wide screen, one per row on a phone (CSS above); the exported images keep the combined figures.
    with gr.Column(visible=False, elem_id="results") as results:
        heatmap_caption = gr.HTML(elem_id="heatmap-caption")
        with gr.Row(elem_id="heatmaps", elem_classes=["side-grid"]):
            heatmaps = [gr.Plot(show_label=False, visible=False, elem_id=f"heatmap-{i}", elem_classes=["side-plot"])
                        for i in range(SIDE_SLOTS)]
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
            projections = [gr.Plot(show_label=False, visible=False, elem_id=f"projection-{i}",
                                   elem_classes=["side-plot"]) for i in range(SIDE_SLOTS)]
        with gr.Row():
            downloads = gr.File(label="Downloads", file_count="multiple", interactive=False, elem_id="downloads")
            export = gr.Button("Export figures as images", size="sm", scale=0)
        sharing.build()  # share links: the Share button and the link
    with gr.Column(elem_id="finetune"):
        gr.Markdown(TUNE_INTRO)
        with gr.Row():
            tune_seconds = gr.Number(min(DEFAULT_SECONDS, settings.tune_seconds_limit), label="Time budget (seconds)",
                                     info=f"at most {settings.tune_seconds_limit:g}", elem_id="tune-seconds")
            tune_holdout = gr.Number(TuneConfig.holdout, label="Held-out share", info="more than 0, at most 0.5",
                                     elem_id="tune-holdout")
            tune_method = gr.Dropdown(trainable_methods(), value=TuneConfig.method, label="Method",
                                      elem_id="tune-method")
        with gr.Row():
            tune_start = gr.Button("Start fine-tune", variant="primary", elem_id="tune-start")
            tune_cancel = gr.Button("Cancel", elem_id="tune-cancel")
        tune_status = gr.HTML(elem_id="tune-status")
        tune_loss = gr.Plot(show_label=False, elem_id="tune-loss")
        with gr.Column(visible=False, elem_id="tune-results") as tune_results:
            tune_caption = gr.HTML()
            with gr.Row(elem_id="tune-heatmaps", elem_classes=["side-grid"]):
                tune_maps = [gr.Plot(show_label=False, elem_id=f"tune-heatmap-{i}", elem_classes=["side-plot"])
                             for i in range(3)]
            tune_metrics = gr.HTML(elem_id="tune-metrics")
            tune_download = []  # outside hosted mode: the tuned folder as a zip
            if not settings.hosted:
                with gr.Row():
                    tune_zip = gr.Button("Download the tuned model (zip)", size="sm", scale=0, visible=False,
                                         elem_id="tune-zip")
                    tune_file = gr.File(label="Tuned model", interactive=False, visible=False, elem_id="tune-file")
                tune_download = [tune_zip]

    for key, button in example_buttons.items():
        button.click(partial(dashboard.load_file, EXAMPLES[key][1]), None, pairs, api_name=f"load_{key}",
                     concurrency_limit=None)
    upload.upload(dashboard.load_file, upload, pairs, api_name="load_file", concurrency_limit=None,
                  show_progress="hidden")
    clear.click(dashboard.clear, None, pairs, api_name="clear", concurrency_limit=None)
    add_row.click(with_row_added, pairs, pairs, api_name="add_row", concurrency_limit=None)
    remove_row.click(without_last_row, pairs, pairs, api_name="remove_row", concurrency_limit=None)
    # One listener per side fills the method list when the page opens and again when the model changes:
    # "always_last" holds a model change made while the first fill is pending (the first page after a start
    # waits seconds for the transformers import) and sends it, with the model as it is then, after that
    # fill, so the late list never wins over a newer model (a file of vectors, say, which takes no method).
    for side, (model, method) in models.items():
        filled = gr.on([demo.load, model.change], dashboard.methods, model, method, api_name=f"{side}_methods",
                       concurrency_limit=None, trigger_mode="always_last")
        if side == "base":  # the sweep sets the base method: not before the list that it would race
            filled.then(dashboard.unlock, None, sweep, api_name=False, queue=False)
    form = [shown, *side_fields, *side_rows]  # what add, remove and sweep return
    add_side.click(dashboard.add_side, [shown, *side_fields], form, api_name="add_side", concurrency_limit=None)
    for i, button in enumerate(side_removes):
        button.click(partial(dashboard.remove_side, i), [shown, *side_fields], form, api_name=False,
                     concurrency_limit=None)
    sweep.click(dashboard.sweep, models["base"][0], [models["base"][1], *form], api_name="sweep",
                concurrency_limit=None)
    vectors_upload.upload(dashboard.add_vectors, [vectors_upload, pairs, shown, *side_fields], form,
                          api_name="add_vectors", concurrency_limit=None)
    width, at = len(ROW_FIELDS), ROW_FIELDS.index  # side_fields: each extra row's ROW_FIELDS, row after row
    extra_models = side_fields[at("model")::width]
    for i in range(EXTRA_ROWS):
        side_model, side_method = extra_models[i], side_fields[width * i + at("method")]
        side_model.input(dashboard.methods, side_model, side_method, api_name=False, concurrency_limit=None)
    compare_outputs = [state, verdict, metrics, heatmap_caption, *heatmaps, distributions, forest, *projections, downloads,
                       results, zoom_row]
    run.click(dashboard.compare,
              [pairs, models["base"][0], models["base"][1], models["embed"][0], models["embed"][1], task,
               chat_template, max_length, device, shown, *side_fields],
              compare_outputs,
              api_name="compare", concurrency_id=CONCURRENCY_ID, show_progress_on=verdict
              ).success(None, js=SHOW_RESULTS, api_name=False, queue=False)
    sharing.wire(demo, state, compare_outputs, pairs, [models["base"], models["embed"]], form)  # share links
    zoom.click(dashboard.zoom, [state, zoom_start, zoom_size], [heatmap_caption, *heatmaps], api_name="zoom",
               concurrency_limit=None)
    export.click(dashboard.export_figures, state, downloads, api_name="export_figures")
    gr.on([ask.click, question.submit], asking.ask, [state, question], asking.outputs(answers, projections), api_name="ask",
          concurrency_id=CONCURRENCY_ID)
    gr.api(dashboard.compare_json, api_name="compare_json", concurrency_id=CONCURRENCY_ID)
    gr.api(dashboard.compare_many_json, api_name="compare_many_json", concurrency_id=CONCURRENCY_ID)
    gr.api(dashboard.status, api_name="status", concurrency_limit=None)
    gr.api(agent.ask_json, api_name="ask_json", concurrency_id=CONCURRENCY_ID)
    gr.api(agent.models, api_name="models", concurrency_limit=None)
    # not queued behind another fine-tune: a second visitor is told at once that the server is busy
    tune_start.click(tune.start, [pairs, models["base"][0], models["embed"][0], models["embed"][1], tune_seconds,
                                  tune_holdout, tune_method],
                     [tune_status, tune_loss, tune_results, tune_caption, *tune_maps, tune_metrics, models["base"][0],
                      *extra_models, *tune_download],
                     api_name=False, concurrency_limit=None, show_progress="hidden")
    tune_cancel.click(tune.cancel, None, tune_status, api_name=False, concurrency_limit=None)
    if tune_download:
        tune_zip.click(tune.download, None, tune_file, api_name=False)
    gr.api(tune.tune_json, api_name="tune_json", concurrency_limit=None)
    demo.unload(tune.end_session)

demo.queue(default_concurrency_limit=1, max_size=64)

if __name__ == "__main__":
    if ON_ZEROGPU:  # placed before launch, on the main thread, as ZeroGPU documents (see zerogpu.py)
        dashboard.warm_up(startup_models(settings), background=False)
    demo.launch(theme=gr.themes.Soft(primary_hue="indigo"), css=CSS, head=DROP_TO_UPLOAD + FIT_PLOTS,
                max_file_size=settings.max_upload_bytes, footer_links=["api", "gradio"], prevent_thread_lock=True,
                mcp_server=mcp.available())
    mcp.keep_tools(demo)
    if not ON_ZEROGPU:
        dashboard.warm_up(startup_models(settings))  # after the page is served: a restart shows the page at once
    serve(demo)  # Gradio's block_thread; on ZeroGPU the main thread also places models chosen later
