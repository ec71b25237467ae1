"""The page's Sweep layers on a tiny random GPT: the chart and the line show each layer's AUC as
`hidden_states` computed one text at a time and scored in plain NumPy give it, the best layer shown is
their argmax, "Add best layer as a side" fills the next row with it and a Compare of that row scores as
the sweep said; a hosted bound refuses a sweep with the limit named."""

from dataclasses import replace

import gradio as gr
import numpy as np
import pytest
import torch

from embedlab.cache import EmbeddingCache
from embedlab.dashboard import gpu_time, layer_view, sides_form, tables
from embedlab.embedding import resolve
from embedlab.errors import MethodError
from embedlab.loading import load
from embedlab.methods import Role
from embedlab.pairs import Pair
from embedlab.registry import ModelRegistry
from embedlab.session import Session, register
from embedlab.settings import Settings
from embedlab.sides import sweep
from tests.support import tinymodels
from tests.support.pages import outputs, page, rows_read

PAIRS = [Pair(f"Question number {i}: what is {w}?", f"{w.capitalize()} is thing {i}.")
         for i, w in enumerate(["a gpu", "a fox", "paris", "rust", "tea", "rain", "a bridge", "chess", "jazz", "salt"])]
ROWS = tables.pairs_to_rows(PAIRS)
LAYERS = 3


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return str(tinymodels.mistral_causal(tmp_path_factory.mktemp("layerpage") / "gpt", layers=LAYERS))


def _page(name: str, settings: Settings | None = None):
    register(name, Session(cache=EmbeddingCache(use_disk=False), registry=ModelRegistry(loader=load),
                           settings=settings or Settings()))
    return page(name)


def flat(rows: list[dict]) -> list:
    rows = rows + [{}] * (sides_form.EXTRA_ROWS - len(rows))
    return [row.get(field) for row in rows for field in sides_form.ROW_FIELDS]


def pooled(backend, text: str, role: Role, method: str, options, layer: int) -> np.ndarray:
    """One text alone: its model input as the method writes it, one plain forward with
    output_hidden_states, hidden_states[layer] pooled here in NumPy (mean of the pooled span, or its last token)."""
    m, opts = resolve(backend, method, replace(options, layer=layer))
    encoded = backend.prepare(text, role, m, opts).encoded
    with torch.inference_mode():
        hidden = backend.encoder(input_ids=torch.tensor([encoded.ids]), output_hidden_states=True).hidden_states
    states = hidden[layer][0, encoded.pool_from:].float().numpy()
    return states.mean(axis=0) if method == "mean" else states[-1]


def plain_auc(q: np.ndarray, a: np.ndarray) -> float:
    """Chance that a matching pair's cosine beats a non-matching one's, ties half, in plain NumPy (float64,
    as the engine scores)."""
    q, a = (x.astype(np.float64) / np.linalg.norm(x.astype(np.float64), axis=1, keepdims=True) for x in (q, a))
    s = np.array([[float(np.dot(x, y)) for y in a] for x in q])  # one dot per cell: equal vectors tie exactly
    pos, neg = np.diag(s), s[~np.eye(len(s), dtype=bool)]
    return float(((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])).mean())


def independent(handlers, folder: str, sweep_options: dict) -> dict:
    """(method, layer) -> AUC, one text at a time."""
    from embedlab.session import get_session

    backend = get_session(handlers.session.session_name).backend(folder)
    aucs = {}
    for method, options in sweep_options.items():
        for layer in range(LAYERS + 1):
            q = np.stack([pooled(backend, p.question, Role.QUERY, method, options, layer) for p in PAIRS])
            a = np.stack([pooled(backend, p.answer, Role.PASSAGE, method, options, layer) for p in PAIRS])
            aucs[method, layer] = plain_auc(q, a)
    return aucs


def test_the_sweep_shows_every_layer_as_hidden_states_score_and_adds_the_best_layer(folder):
    handlers = _page("layer-page")
    events, layout = handlers.layers, handlers.page.layout
    shown = layout.layers
    # the base row's method (last-token) and mean; the embedding row is the same GPT's mean, last layer
    out = events.sweep(ROWS, folder, "last-token", folder, "mean", "", "default", 0, None)
    assert set(out) == outputs(handlers, "sweep_layers")
    chart, line, best = out[shown.chart], out[shown.line], out[shown.best]
    lines = {t.name: t for t in chart.data if t.mode == "lines+markers" and t.showlegend}
    assert list(lines) == ["last-token", "mean"]
    options = {s.method: s.options for s in sweep(folder, list(lines))}  # each method's input, as a method sweep's
    expected = independent(handlers, folder, options)
    for method, trace in lines.items():
        assert list(trace.y) == pytest.approx([expected[method, k] for k in range(LAYERS + 1)], abs=1e-5), method
    top = max(expected.values())
    method, layer = next(key for key, value in expected.items() if value == top)
    assert f"Best layer: {method} at layer {layer} of {LAYERS} (AUC {top:.3f}" in line
    assert f"last layer {expected[method, LAYERS]:.3f}" in line
    assert f"{folder} {expected['mean', LAYERS]:.3f}" in line  # the embedding row's reference AUC
    assert any(shape.y0 == pytest.approx(expected["mean", LAYERS]) for shape in chart.layout.shapes)
    assert "Swept last-token (the base row's method) and mean" in line
    assert out[shown.add_best].interactive is True and out[shown.section].visible is True
    assert best == {"name": f"{method}@{layer}", "model": folder, "method": method,
                    "chat_template": best["chat_template"], "layer": layer, "post": "none"}

    added = events.add_best(best, 1, *flat([{"name": "kept", "model": folder, "method": "mean",
                                             "chat_template": "default"}]))
    assert set(added) == outputs(handlers, "add_best_layer")
    rows = rows_read(handlers, added)
    assert [r["name"]["value"] for r in rows] == ["kept", f"{method}@{layer}"]
    assert rows[1]["model"]["value"] == folder and rows[1]["method"]["value"] == method
    assert rows[1]["layer"]["value"] == sides_form.layer_text(layer) and rows[1]["post"]["value"] == "none"

    values = [rows[i][field]["value"] for i in range(2) for field in sides_form.ROW_FIELDS]
    compared = handlers.page.compare(ROWS, folder, "last-token", folder, "mean", "", "default", 0, "auto", None, 2,
                                     *values)
    side = compared[layout.state].comparison.sides[f"{method}@{layer}"]
    assert side.metrics.auc == pytest.approx(top, abs=1e-5)


def test_adding_is_refused_before_a_sweep_and_when_every_row_is_used(folder):
    handlers = _page("layer-page-full")
    with pytest.raises(gr.Error, match="press Sweep layers first"):
        handlers.layers.add_best(None, 0, *flat([]))
    row = {"name": "x", "model": folder, "method": "mean", "chat_template": "default"}
    with pytest.raises(gr.Error, match="at most 8 sides"):
        handlers.layers.add_best(row, sides_form.EXTRA_ROWS, *flat([row] * sides_form.EXTRA_ROWS))


def test_a_sweep_over_the_hosted_token_limit_is_refused_with_the_limit_named(folder):
    handlers = _page("layer-page-bound", Settings(max_request_tokens=40))
    with pytest.raises(gr.Error, match=r"this layer sweep would run [\d,]+ tokens .* 2 method\(s\)\), over this "
                                       r"deployment's limit of 40 per request"):
        handlers.layers.sweep(ROWS, folder, "last-token", folder, "mean", "", "default", 0, None)


def test_a_method_that_reads_no_layer_is_swept_as_mean_and_last_token():
    assert layer_view.sweep_methods("g", ["logits", "last-token", "mean", "echo"], "logits") == ["mean", "last-token"]
    assert layer_view.sweep_methods("g", ["logits", "last-token", "mean", "echo"], "echo") == ["echo", "mean"]
    with pytest.raises(MethodError, match="g: none of its methods reads a hidden layer"):
        layer_view.sweep_methods("g", ["logits", "native"], "logits")


def test_a_layer_sweep_asks_zerogpu_for_its_pass_and_bootstraps():
    pairs = [{"question": "q", "answer": "a"}] * 100
    one = gpu_time.layer_seconds([], pairs, "smollm2-135m-instruct", 1, [])
    two = gpu_time.layer_seconds([], pairs, "smollm2-135m-instruct", 2, [])
    assert one < two <= gpu_time.COMPARE_CEILING
    assert one >= gpu_time.FORK_SECONDS + gpu_time.LAYERS_ESTIMATE * gpu_time.BOOTSTRAP_SECONDS_PER_LAYER


def test_layers_json_gives_every_layer_as_hidden_states_score(folder):
    handlers = _page("layer-page-api")
    data = handlers.api.layers_json([p.as_dict() for p in PAIRS], folder, "mean, last-token", folder)
    options = {s.method: s.options for s in sweep(folder, ["mean", "last-token"])}
    expected = independent(handlers, folder, options)
    for method in ("mean", "last-token"):
        aucs = [layer["auc"] for layer in data["methods"][method]["metrics"]]
        assert aucs == pytest.approx([expected[method, k] for k in range(LAYERS + 1)], abs=1e-5)
    top = max(expected.values())
    assert data["best"] == dict(zip(("method", "layer"), next(k for k, v in expected.items() if v == top)))
    assert list(data["references"]) == [folder] and data["layers"] == LAYERS
    with pytest.raises(gr.Error, match="'logits' reads no hidden layer"):
        handlers.api.layers_json([p.as_dict() for p in PAIRS], folder, ["logits"], folder)
