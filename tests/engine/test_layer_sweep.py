"""The layer sweep on tiny random models: every layer's metrics equal the pairs scored from
`hidden_states` computed one text at a time, the sweep runs the model as often as the last layer alone,
and the command line prints it, charts it and adds the best layer as a side."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.support import tinymodels
from embedlab.analysis.geometry import geometry
from embedlab.analysis.layer_report import parse_layers
from embedlab.analysis.layers import layer_sweep
from embedlab.cache import EmbeddingCache
from embedlab.dashboard.layer_chart import layer_chart
from embedlab.errors import MethodError
from embedlab.loading import load
from embedlab.metrics import cos_sim, score
from embedlab.pairs import Pair
from embedlab.registry import ModelRegistry
from embedlab.session import Session
from embedlab.sides import sweep
from test_layers import reference

ROOT = Path(__file__).resolve().parents[2]
PAIRS = [Pair("What is GPU?", "A chip that does maths quickly."), Pair("Where is OpenAI?", "In San Francisco."),
         Pair("What is the quick brown fox?", "It jumps over the lazy dog."), Pair("x", "Rewrite the sentence.")]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return str(tinymodels.mistral_causal(tmp_path_factory.mktemp("sweep") / "mistral", layers=3))


def _session() -> Session:
    return Session(cache=EmbeddingCache(use_disk=False), registry=ModelRegistry(loader=load))


def test_every_layer_scores_as_hidden_states_one_text_at_a_time(folder):
    session = _session()
    swept = layer_sweep(session, PAIRS, folder, ["mean", "last-token"])
    backend = session.backend(folder)
    assert swept.layers == 3 and list(swept.metrics) == ["mean", "last-token"]
    for method in swept.metrics:
        for layer in range(4):
            q = np.stack([reference(backend, p.question, "query", method, layer) for p in PAIRS])
            a = np.stack([reference(backend, p.answer, "passage", method, layer) for p in PAIRS])
            expected = score(cos_sim(q, a))
            for name, value in expected.as_dict().items():
                assert swept.metrics[method][layer][name] == pytest.approx(value, abs=1e-5), (method, layer, name)
            shape = geometry(np.concatenate([q, a]))
            assert swept.geometry[method][layer].top_share == pytest.approx(shape.top_share, rel=1e-4)
        aucs = [m.auc for m in swept.metrics[method]]
        best = swept.best(method)
        assert aucs[best] == max(aucs) and swept.side(method).options.layer == best


def test_a_sweep_runs_the_model_as_often_as_the_last_layer_alone(folder):
    session = _session()
    backend = session.backend(folder)
    calls = []
    hook = backend.encoder.register_forward_hook(lambda m, a, kw, out: calls.append(kw["input_ids"].shape),
                                                 with_kwargs=True)
    try:
        session.compare(PAIRS, sides=sweep(folder, ["mean", "last-token"]))
        alone, calls[:] = list(calls), []
        session.cache = EmbeddingCache(use_disk=False)
        layer_sweep(session, PAIRS, folder, ["mean", "last-token"])
    finally:
        hook.remove()
    assert calls == alone


def test_methods_that_read_no_layer_are_refused(folder):
    with pytest.raises(MethodError, match="'logits' reads no hidden layer; sweep one of: last-token, mean"):
        layer_sweep(_session(), PAIRS, folder, ["logits"])


def test_parse_layers():
    assert parse_layers("smollm2-135m-instruct:mean,last-token") == ("smollm2-135m-instruct", ["mean", "last-token"])
    assert parse_layers("C:/models/gpt") == ("C:/models/gpt", None)


def test_the_chart_draws_each_method_its_best_layer_and_the_references(folder):
    swept = layer_sweep(_session(), PAIRS, folder, ["mean", "last-token"])
    fig = layer_chart([swept], {"minilm": 0.97})
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    stars = [t for t in fig.data if t.mode == "markers"]
    assert [t.name for t in lines] == ["mean", "mean", "last-token", "last-token"]
    assert list(lines[0].x) == [0, 33, 67, 100] and list(lines[0].y) == [m.auc for m in swept.metrics["mean"]]
    assert stars[0].x[0] == lines[0].x[swept.best("mean")]
    assert any(shape.y0 == 0.97 for shape in fig.layout.shapes)


def _cli(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "embedlab", *args], capture_output=True, text=True, env=env, timeout=600)


def test_the_command_line_sweeps_charts_and_adds_the_best_layer(folder, tmp_path):
    pairs = tmp_path / "pairs.json"
    pairs.write_text(json.dumps([p.as_dict() for p in PAIRS]))
    out = _cli("compare", str(pairs), "--side", f"gpt={folder}:mean", "--side-option", "gpt.post=whiten",
               "--layers", f"{folder}:mean,last-token", "--best-layer", "--layers-chart", str(tmp_path / "c.html"),
               "--json", str(tmp_path / "out.json"), "--no-cache")
    assert out.returncode == 0, out.stderr
    data = json.loads((tmp_path / "out.json").read_text())
    swept = data["layer_sweeps"][0]
    best = swept["methods"]["mean"]["best_layer"]
    assert f"mean@{best}" in data["sides"] and data["results"][f"mean@{best}"]["options"]["layer"] == (
        None if best == swept["layers"] else best)  # None: the last layer
    assert data["results"][f"mean@{best}"]["metrics"]["auc"] == pytest.approx(swept["methods"]["mean"]["metrics"][best]["auc"])
    assert data["results"]["gpt"]["options"]["post"] == "whiten" and "top share" in out.stdout
    assert "Layer sweep of" in out.stdout and (tmp_path / "c.html").stat().st_size > 10_000
    bad = _cli("compare", str(pairs), "--layers", f"{folder}:mean", "--side", f"g={folder}:mean",
               "--side-option", "g.layer=7", "--no-cache")
    assert bad.returncode == 2 and bad.stderr.strip().splitlines()[-1] == (
        "error: side 'g': layer 7 is out of range: use 0..3 (0 the token embeddings, 3 the last layer) or -4..-1 "
        "counted from the top")


MORE = [Pair(f"Question number {i}: what is {w}?", f"{w.capitalize()} is thing {i}.")
        for i, w in enumerate(["a gpu", "a fox", "paris", "rust", "tea", "rain", "a bridge", "chess", "jazz", "salt"])]


def test_each_layer_has_its_interval_and_the_best_layer_its_paired_difference_from_the_last(folder):
    """Every layer's AUC interval and the best-minus-last difference equal the independent bootstrap of
    test_intervals on the matrices scored one text at a time, with the same seed (paired: the same rows)."""
    from test_intervals import naive_bootstrap, percentile

    session = _session()
    swept = layer_sweep(session, MORE, folder, ["mean"], resamples=300, seed=5)
    backend = session.backend(folder)
    draws = []
    for layer in range(swept.layers + 1):
        q = np.stack([reference(backend, p.question, "query", "mean", layer) for p in MORE])
        a = np.stack([reference(backend, p.answer, "passage", "mean", layer) for p in MORE])
        draws.append(naive_bootstrap(cos_sim(q, a), 300, 5)[:, 2])
        assert swept.interval("mean", layer) == pytest.approx(percentile(draws[-1]), abs=1e-4)
    best = swept.best("mean")
    d = swept.best_vs_last("mean")
    expected = percentile(draws[best] - draws[-1])
    assert (d.low, d.high) == pytest.approx(expected, abs=1e-4)
    fig = layer_chart([swept])
    band = next(t for t in fig.data if t.fill == "toself")
    highs = [swept.interval("mean", k)[1] for k in range(swept.layers + 1)]
    assert list(band.y[:swept.layers + 1]) == pytest.approx(highs)
    data = swept.to_json()
    assert data["bootstrap"]["resamples"] == 300 and data["methods"]["mean"]["intervals"][best]["auc"] == pytest.approx(
        list(swept.interval("mean", best)))
    assert data["methods"]["mean"]["best_minus_last"]["clear"] == d.clear()


def test_the_sweep_table_says_better_than_the_last_only_where_the_difference_is_clear(folder):
    from embedlab.analysis.layer_report import sweep_table, versus_last
    from embedlab.analysis.layers import LayerSweep

    swept = layer_sweep(_session(), MORE, folder, ["mean"], resamples=200)
    text = sweep_table(swept)
    assert "[" in text.splitlines()[3] and "95% interval" in text
    d = swept.best_vs_last("mean")
    words = versus_last(swept, "mean")
    if swept.best("mean") == swept.layers:
        assert "the last layer itself" in words
    else:
        assert ("clearly higher" in words) == (d.low > 0) and ("no clear difference" in words) == (d.clear() == 0)
    few = layer_sweep(_session(), PAIRS, folder, ["mean"], resamples=200)  # 4 pairs: no interval, no claim
    assert isinstance(few, LayerSweep) and few.interval("mean", 0) is None
    assert "clearly" not in versus_last(few, "mean")
