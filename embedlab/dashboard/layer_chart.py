"""The layer sweep's figure: AUC above margin against depth (% of layers), one line per swept method,
each method's best layer marked, and reference lines at the AUC of the comparison's embedding models.
Where the sweep has intervals, each AUC line sits in its 95% band (the same resamples for every layer).
A pure builder: numbers in, a Plotly figure out.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import plotly.graph_objects as go
from plotly.colors import hex_to_rgb, qualitative
from plotly.subplots import make_subplots

from ..analysis.layer_report import depth
from ..analysis.layers import LayerSweep
from .figures import TEMPLATE


def layer_chart(sweeps: Sequence[LayerSweep], references: Mapping[str, float] | None = None) -> go.Figure:
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,  # stacked: a phone reads it too
                        subplot_titles=("AUC", "Margin (matching - non-matching cosine)"))
    lines = [(sweep, method) for sweep in sweeps for method in sweep.metrics]
    for number, (sweep, method) in enumerate(lines):
        x = [depth(k, sweep.layers) for k in range(sweep.layers + 1)]
        metrics, color = sweep.metrics[method], qualitative.Plotly[number % len(qualitative.Plotly)]
        name = method if len(sweeps) == 1 else f"{sweep.model}: {method}"
        best = sweep.best(method)
        hover = [f"layer {k} of {sweep.layers}" for k in range(sweep.layers + 1)]
        band = [sweep.interval(method, k) for k in range(sweep.layers + 1)]
        if all(band):
            fig.add_trace(_band(x, band, color, name), row=1, col=1)
        for row, metric in ((1, "auc"), (2, "margin")):
            fig.add_trace(go.Scatter(x=x, y=[m[metric] for m in metrics], mode="lines+markers", name=name,
                                     legendgroup=name, showlegend=row == 1, text=hover, line={"color": color},
                                     hovertemplate="%{text}: %{y:.3f}<extra>" + name + "</extra>"),
                          row=row, col=1)
            fig.add_trace(go.Scatter(x=[x[best]], y=[metrics[best][metric]], mode="markers", legendgroup=name,
                                     marker={"symbol": "star", "size": 16, "color": color,
                                             "line": {"width": 1, "color": "black"}},
                                     name=f"{name}: best, layer {best}", showlegend=row == 1,
                                     hovertemplate=f"best: layer {best}, %{{y:.3f}}<extra>{name}</extra>"),
                          row=row, col=1)
    for name, auc in (references or {}).items():
        fig.add_hline(y=auc, line_dash="dash", line_color="gray", row=1, col=1,
                      annotation_text=f"{name}: AUC {auc:.3f}", annotation_position="bottom right")
    fig.update_xaxes(range=[-3, 103])
    fig.update_xaxes(title_text="depth (% of layers; 0 = token embeddings)", row=2, col=1)
    fig.update_layout(template=TEMPLATE, height=640, title="Every layer of the GPT", legend={"orientation": "h", "y": -0.15})
    return fig


def _band(x: list[int], band: list[tuple[float, float]], color: str, name: str) -> go.Scatter:
    """The 95% interval of each layer's AUC as a shaded band: along the highs, back along the lows."""
    red, green, blue = hex_to_rgb(color)
    return go.Scatter(x=x + x[::-1], y=[high for _, high in band] + [low for low, _ in band][::-1], fill="toself", mode="lines",
                      fillcolor=f"rgba({red},{green},{blue},0.18)", line={"width": 0}, hoverinfo="skip",
                      legendgroup=name, showlegend=False, name=f"{name}: 95% interval")
