"""The command line as a person runs it: a real process, real files, exit codes, no tracebacks."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args, cwd=ROOT):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "embedlab", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=600)


def test_models_lists_presets_and_methods():
    out = run("models")
    assert out.returncode == 0
    for name in ("smollm2-135m-instruct", "all-minilm-l6-v2", "mistral-7b-instruct-v0.1", "e5-mistral-7b-instruct",
                 "logits", "last-token", "mean", "cls", "native", "e5", "prompteol", "echo"):
        assert name in out.stdout
    remote = out.stdout.split("Remote models:")[1]  # what a server honours, and how
    assert "URL#MODEL" in remote and "EMBEDLAB_API_KEY" in remote
    assert [line.split()[0] for line in remote.splitlines() if line.startswith("  ")] == ["native", "e5"]


@pytest.mark.slow
def test_compare_writes_table_and_json(tmp_path):
    out_json = tmp_path / "out.json"
    out = run("compare", str(ROOT / "assets" / "original-experiment.csv"), "--json", str(out_json))
    assert out.returncode == 0, out.stderr
    assert "Margin" in out.stdout and "smollm2-135m-instruct" in out.stdout
    assert "[embedlab]" in out.stderr  # progress goes to stderr
    data = json.loads(out_json.read_text())
    assert [p["question"] for p in data["pairs"]] == ["Where is the headquarter of OpenAI?", "What is GPU?"]
    for side, model in (("base", "smollm2-135m-instruct"), ("embed", "all-minilm-l6-v2")):
        r = data["results"][side]
        assert r["model"] == model and len(r["similarity"]) == 2 and len(r["similarity"][0]) == 2
        assert set(r["metrics"]) == {"top1", "mrr", "auc", "mean_pos", "mean_neg", "margin"}
        assert {"dim", "cached", "computed", "seconds", "method"} <= set(r)
    again = run("compare", str(ROOT / "assets" / "original-experiment.csv"), "--json", str(out_json))
    assert json.loads(out_json.read_text())["results"]["embed"]["cached"] == 4, again.stderr


@pytest.mark.parametrize("content, message", [
    ("What is GPU?,A chip\n", "line 1: a CSV file needs a header row"),
    ("question,answer\nx,\n", "line 2: the answer is empty"),
])
def test_bad_file_exits_2_with_the_line(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    out = run("compare", str(path))
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("args, message", [
    (["--base", "no-such-model"], "unknown model 'no-such-model'"),
    (["--base", "org/not-cached-anywhere"], "cannot load 'org/not-cached-anywhere'"),
    (["--embed", "all-minilm-l6-v2", "--embed-method", "logits"], "method 'logits' does not apply"),
    (["--device", "tpu"], "unknown device 'tpu'"),
])
def test_bad_options_exit_2(tmp_path, args, message):
    out = run("compare", str(ROOT / "assets" / "original-experiment.csv"), *args)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr
