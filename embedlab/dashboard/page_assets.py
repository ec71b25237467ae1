"""What the page shows that is not a component: its title and texts, the example pair files, its CSS
and the scripts in its <head> (a file dropped on the table goes to Upload; plots that fit their box;
the results scrolled into view on a short screen). No Gradio components and no handlers here: those are
`layout.py` and the `*_events.py` modules.
"""

from __future__ import annotations

from pathlib import Path

from . import side_card

TITLE = "EmbedLab: are GPT models good embedders?"
ASSETS = Path(__file__).resolve().parents[2] / "assets"  # the repository's assets folder
EXAMPLES = {key: (label, ASSETS / name) for key, label, name in (
    ("original", "Original experiment (2 pairs)", "original-experiment.csv"),
    ("examples_30", "30 pairs with near-misses", "examples-30.csv"),
    ("qa_100", "100 Q&A pairs", "qa-100.csv"),
) if (ASSETS / name).exists()}
FILE_TYPES = [".csv", ".tsv", ".jsonl", ".json"]
INTRO = ("Does a plain GPT make a good embedding model? Enter question/answer pairs, pick a base GPT and an "
         "embedding model, and press **Compare**: each model embeds the questions and the answers, and the "
         "cosine similarity of every question with every answer shows whether matching pairs stand out.")
WAITING = "<p class='run-line placeholder'>Press <b>Compare</b>: the verdict, metrics and figures appear here.</p>"
PHONE = "(max-width: 767px)"  # below it the figures stack, one per row
SHORT = "(min-width: 1000px) and (max-height: 820px)"  # a projector or a small laptop: results first
CSS = """
#verdict {min-height: 4.5rem;}
html.embedlab-comparing #verdict .placeholder {visibility: hidden;}  /* a Compare runs: its progress line alone (compare_marks.py) */
.verdict-line {font-size: 1.25rem; font-weight: 600; margin: 0.2rem 0;}
.verdict-detail {margin: 0.2rem 0;}
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
/* more than two sides: the leaderboard takes the full width above the distributions, in smaller type,
   names wrapping between words (a long model id anywhere); the heatmaps become small multiples */
#scores:has(table.leaderboard) {flex-direction: column;}
#scores:has(table.leaderboard) > * {width: 100%; min-width: 0 !important;}
table.leaderboard {font-size: 0.85rem; table-layout: auto;}
table.leaderboard th, table.leaderboard td {padding: 3px 5px;}
table.leaderboard thead th {vertical-align: bottom; overflow-wrap: anywhere; min-width: 5.5em;}
table.leaderboard tbody th[scope=row] {min-width: 7em;}
#results:has(table.leaderboard) #heatmaps {grid-template-columns: repeat(auto-fill, minmax(min(100%, 330px), 1fr));}
/* results that no longer match the inputs (edited since, or a Compare failed): marked until the next Compare */
#results.stale::before {content: "Out of date: the pairs or the sides changed since these results, or the last "
  "Compare failed. Press Compare to update them."; display: block; padding: 0.5rem 0.8rem; font-weight: 600;
  border: 1px solid var(--color-accent); border-radius: var(--radius-md); background: var(--background-fill-secondary);}
#results.stale > * {opacity: 0.55;}
/* each extra side row is a card: its ✕ inside its border */
.extra-side {border: 1px solid var(--border-color-primary); border-radius: var(--radius-md); padding: 6px;}
/* a classic row's Layer and Post: a line under its model and method, joined to them */
.classic-reading {margin-top: calc(-1 * var(--layout-gap)); border-top: 1px dashed var(--border-color-primary);}
SIDE_CARD
progress.tune-bar {width: 100%; height: 0.9rem; accent-color: var(--color-accent);}
/* the loss chart takes room only once a fine-tune has drawn its curve */
#tune-loss:not(:has(.js-plotly-plot)) {display: none !important;}
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
  /* the verdict in plain words, its figures and the run line in smaller type: both heatmaps on the first screen */
  .verdict-line {font-size: 1.05rem;}
  .verdict-detail, #verdict .run-line {font-size: 0.8rem; line-height: 1.3;}
}
""".replace("SIDE_CARD", side_card.CSS).replace("PHONE_WIDTHS", PHONE).replace("SHORT_SCREENS", SHORT)
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


def tune_intro(hosted: bool) -> str:
    """The Fine-tune section's heading and what becomes of the tuned model in this deployment."""
    return ("## Fine-tune\nTrain the base GPT contrastively on most of the pairs in the table, then see the "
            "held-out pairs before and after, beside the embedding model. The tuned model becomes a model choice "
            "for Compare" + (" for as long as this page is open." if hosted else
                             "; download it as a zip. It is removed from the server when this page closes."))


def model_info(free_models: bool) -> str:
    """The hint under a model list: what a visitor may name there."""
    return "a preset, a Hub id, a model folder or a .gguf file" if free_models else "the models offered here"
