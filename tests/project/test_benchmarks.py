"""The benchmark suite runs end to end at toy size (on tiny random models) and writes every item.

This checks that the scripts work, not what they measure: figures from a toy run mean nothing.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import tinymodels

ROOT = Path(__file__).resolve().parents[2]
RECORD_KEYS = {"item", "what", "baseline", "candidate", "target", "holds", "ratio", "checks", "note"}


def _run(args, tmp_path):
    env = {**os.environ, "EMBEDLAB_CACHE_DIR": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.slow  # every item, each start-up item in fresh processes: 1.5-3.5 minutes here, too long for the fast lane
def test_suite_runs_every_item_at_tiny_size(tmp_path):
    base = tinymodels.llama_causal(tmp_path / "llama")
    embedder = tinymodels.bert_sentence_transformer(tmp_path / "bert")
    out = tmp_path / "run.json"
    done = _run(["benchmarks", "--size", "tiny", "--threads", "1", "--base", str(base), "--embed", str(embedder),
                 "--out", str(out)], tmp_path)
    report = json.loads(out.read_text())
    assert [r["item"] for r in report["items"]] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14]
    for record in report["items"]:
        assert RECORD_KEYS <= set(record), record["item"]
    items = {r["item"]: r for r in report["items"]}
    assert all(r["ratio"] is not None and r["ratio"] > 0 for n, r in items.items() if n != 10)
    tune = items[10]  # a quality item: held-out figures before and after, no timing ratio
    assert tune["ratio"] is None and 0 <= tune["checks"]["qa_before_auc"] <= 1 and 0 <= tune["checks"]["qa_after_auc"] <= 1
    assert items[1]["checks"]["max_abs_diff"] <= 1e-5  # the engine equals sentence-transformers even here
    assert items[3]["checks"]["allclose_1e-4"]
    assert items[4]["checks"]["same_similarities"]
    assert items[13]["checks"]["scheme_large"] == "blocks" and items[13]["checks"]["seconds_30"] > 0
    assert report["meta"]["machine"]["torch_threads"] == 1
    assert "targets hold" in done.stdout and "ratio" in done.stdout


def test_gpu_benchmark_dry_run_on_the_cpu(tmp_path):
    out = tmp_path / "gpu.json"
    _run(["benchmarks.gpu", "--dry-run", "--texts", "16", "--tokens", "8", "--out", str(out)], tmp_path)
    report = json.loads(out.read_text())
    assert [r["method"] for r in report["results"]] == ["logits", "e5"]
    assert all(r["texts"] == 16 and r["tokens_per_s"] > 0 for r in report["results"])


def test_gpu_benchmark_without_cuda_says_so(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CUDA_VISIBLE_DEVICES": ""}  # no GPU for it, even on a GPU machine
    done = subprocess.run([sys.executable, "-m", "benchmarks.gpu"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "needs a CUDA GPU" in done.stderr


@pytest.mark.slow  # a fresh process that writes a 32,000-token model and fine-tunes it: about 25 s here
def test_gpu_tune_benchmark_dry_run_on_the_cpu(tmp_path):
    out = tmp_path / "gpu-tune.json"
    _run(["benchmarks.gpu_tune", "--dry-run", "--seconds", "2", "--pairs", "40", "--out", str(out)], tmp_path)
    report = json.loads(out.read_text())
    assert report["shape"]["num_hidden_layers"] == 2 and report["steps"] >= 1 and report["heldout"] > 0
    assert report["losses_finite"] and report["after_vectors_finite"]
    figures = [*report["loss_first_last"], report["s_per_step"], report["model_write_s"], report["tune_total_s"]]
    assert all(math.isfinite(x) for x in figures) and report["s_per_step"] > 0
    assert all(0 <= auc <= 1 for auc in report["auc_before_after"])


def test_gpu_tune_benchmark_without_cuda_says_so(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CUDA_VISIBLE_DEVICES": ""}  # no GPU for it, even on a GPU machine
    done = subprocess.run([sys.executable, "-m", "benchmarks.gpu_tune"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "needs a CUDA GPU" in done.stderr


@pytest.mark.slow  # two command-line runs in fresh processes
def test_large_set_benchmark_runs_at_toy_size(tmp_path):
    out = tmp_path / "large.json"
    done = _run(["benchmarks.large", "--pairs", "400", "--subset", "350", "--skip-text", "--out", str(out)], tmp_path)
    record = json.loads(out.read_text())
    assert record["item"] == 11 and record["vectors"]["pairs"] == 400 and record["text"] is None
    assert record["vectors"]["subset_max_abs_diff"] <= 1e-6  # blocks equal the full matrix even here
    assert record["vectors"]["peak_rss_mib"] > 0 and "[11A]" in done.stdout
