"""The page's layer sweep, laid out: the **Sweep layers** and **Add best layer as a side** buttons
(under the model rows) and the section that shows the sweep (its plain line and chart, hidden until the
first sweep), named in a `LayerLayout`. Nothing here wires or computes: the events are `layer_events.py`'s,
the words `layer_view.py`'s and the figure `layer_chart.py`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from .layer_view import BESIDE

CAPTION = ("<p class='caption'><b>Every layer of the GPT.</b> How well each hidden layer of the base GPT tells "
           "matching pairs apart, from one pass per text: AUC and margin against depth, each method's best "
           "layer starred, the embedding model's AUC dashed.</p>")


@dataclass
class LayerLayout:
    """The layer sweep's components: the two buttons, the visitor's best layer (a row's values, None
    before a sweep), and the section with its line and chart."""
    sweep: gr.Button
    add_best: gr.Button
    best: gr.State
    section: gr.Column
    line: gr.HTML
    chart: gr.Plot


def buttons() -> tuple[gr.Button, gr.Button]:
    """The two buttons, in a row of their own; adding is locked until a sweep has found a best layer."""
    with gr.Row(elem_id="layer-buttons"):
        sweep = gr.Button("Sweep layers", size="sm", elem_id="sweep-layers")
        add_best = gr.Button("Add best layer as a side", size="sm", interactive=False, elem_id="add-best-layer")
    gr.HTML(f"<p class='caption'>Sweep layers reads every layer of the base GPT with its method (where it "
            f"reads a layer) and {' or '.join(BESIDE)}, on the table's pairs.</p>")
    return sweep, add_best


def section(sweep: gr.Button, add_best: gr.Button) -> LayerLayout:
    """The sweep's results, hidden until the first sweep."""
    with gr.Column(visible=False, elem_id="layer-sweep") as column:
        gr.HTML(CAPTION)
        line = gr.HTML(elem_id="layer-line")
        chart = gr.Plot(show_label=False, elem_id="layer-chart")
    return LayerLayout(sweep, add_best, gr.State(None), column, line, chart)
