"""The fine-tune lab on tiny random models: the split, the loss, the saved folder, cancel, bad input, the CLI.

Tiny models gain nothing from threads, and on a busy 2-core machine two threads spin against each
other, so these tests run torch on one thread (the CLI's process too).
"""

import errno
import json
import os
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.support import tinymodels
from embedlab.comparison import compare_side
from embedlab.errors import EmbedLabError
from embedlab.loading import fingerprint, load
from embedlab.methods import METHODS, Role
from embedlab.pairs import Pair, read_pairs
from embedlab.sources import TUNE_FILE, inspect, locate
from embedlab.tuning import TuneCancelled, TuneConfig, TuneError, split_pairs, tune
from embedlab.tuning import output
from embedlab.tuning.loss import info_nce
from embedlab.tuning.model import Trainable
from embedlab.tuning.train import train

ROOT = Path(__file__).resolve().parents[2]
PAIRS = read_pairs(ROOT / "assets" / "examples-30.csv")
QUICK = TuneConfig(method="mean", steps=3, batch=8, lr=1e-3)


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # training on tiny models: one thread is faster


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return tinymodels.llama_causal(tmp_path_factory.mktemp("tiny") / "llama")


@pytest.fixture(scope="module")
def mistral(tmp_path_factory):
    return tinymodels.mistral_causal(tmp_path_factory.mktemp("tiny") / "mistral", layers=4)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


def test_split_is_disjoint_reproducible_and_seeded():
    split = split_pairs(PAIRS, 0.2, seed=0)
    assert split == split_pairs(PAIRS, 0.2, seed=0)
    assert len(split.heldout) == 6 and len(split.train) == 24 and not split.removed
    assert not set(split.train) & set(split.heldout)
    assert sorted(split.train + split.heldout) == list(range(30))
    assert split_pairs(PAIRS, 0.2, seed=1).heldout != split.heldout


def test_a_text_on_both_sides_is_removed_from_training():
    split = split_pairs(PAIRS, 0.2, seed=0)
    held, (t1, t2) = split.heldout[0], split.train[:2]
    pairs = list(PAIRS)
    pairs[t1] = Pair(pairs[t1].question, pairs[held].answer)  # the same answer in training and held out
    pairs[t2] = Pair(pairs[held].question, pairs[t2].answer)  # the same question
    again = split_pairs(pairs, 0.2, seed=0)
    assert again.heldout == split.heldout and again.removed == tuple(sorted((t1, t2)))
    assert t1 not in again.train and t2 not in again.train


def test_info_nce_prefers_matching_rows_and_masks_copies():
    q = torch.eye(4)
    assert info_nce(q, q, 20.0) < info_nce(q, q.roll(1, dims=0), 20.0)
    same = ["a", "b", "a", "c"]  # answers 0 and 2 are one text: no negative for each other
    p = torch.eye(4)
    p[2] = p[0]
    assert info_nce(q, p, 20.0, passage_texts=same) < info_nce(q, p, 20.0)


@pytest.mark.parametrize("layers, lora_rank", [(1, 0), (None, 4)])
def test_the_loss_goes_down(mistral, layers, lora_rank):
    torch.manual_seed(0)
    config = TuneConfig(method="e5", steps=25, batch=8, lr=3e-3, layers=layers, lora_rank=lora_rank)
    trainable = Trainable(load(str(mistral)), METHODS["e5"], config)
    losses = train(trainable, PAIRS[:24], config).losses
    assert trainable.cached == (layers is not None)  # the lower part's states are kept and reproduce the model
    assert len(losses) == 25 and np.mean(losses[-5:]) < np.mean(losses[:5]) - 0.2


def test_the_tuned_folder_reloads_to_the_trainers_vectors(base, tmp_path, monkeypatch):
    saved = {}
    real_save = output.save_model
    monkeypatch.setattr(output, "save_model", lambda model, tok, folder: (saved.update(model=model), real_save(model, tok, folder)))
    result = tune(PAIRS, str(base), str(tmp_path / "tuned"), QUICK)
    heldout = [PAIRS[i] for i in result.split.heldout]
    trainer = load(str(base))  # the trainer's final model, in a backend of its own
    trainer.model, trainer.encoder = saved["model"], saved["model"].base_model
    expected = compare_side(trainer, heldout, "mean").vectors
    reloaded = load(result.out)
    assert reloaded.default_method == "mean" == inspect(result.out).default_method  # the trained method
    np.testing.assert_allclose(compare_side(reloaded, heldout).vectors, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result.after.vectors, expected, rtol=1e-5, atol=1e-6)
    assert fingerprint(locate(result.out)) != fingerprint(locate(str(base)))  # its own cache keys
    info = json.loads((Path(result.out) / TUNE_FILE).read_text())
    assert info["method"] == "mean" and info["base"]["fingerprint"] == fingerprint(locate(str(base)))
    assert info["split"]["heldout"] == list(result.split.heldout) and len(info["loss"]) == 3
    assert set(info["before"]) == set(info["after"]) >= {"auc", "top1"} and info["seconds"] > 0
    assert leftovers(tmp_path) == []


def auc_by_hand(q: np.ndarray, a: np.ndarray) -> float:
    """AUC from cosines computed pair by pair: the share of (matching, non-matching) pairs the matching wins, ties half."""
    cos = np.array([[float(x @ y / np.linalg.norm(x) / np.linalg.norm(y)) for y in a] for x in q])
    pos = np.diag(cos)
    neg = cos[~np.eye(len(q), dtype=bool)]
    return float(np.mean([(p > x) + 0.5 * (p == x) for p in pos for x in neg]))


def test_the_whitened_baseline_is_fitted_on_the_training_texts_only(base, tmp_path):
    from test_layers import reference
    from test_post import whitened_by_hand

    result = tune(PAIRS, str(base), str(tmp_path / "tuned"), QUICK)
    backend = load(str(base))
    one = lambda pairs: np.stack([reference(backend, t, r, "mean", -1) for p in pairs  # noqa: E731 - one text at a time
                                  for t, r in ((p.question, Role.QUERY), (p.answer, Role.PASSAGE))])
    train = one([PAIRS[i] for i in result.split.train]).astype(np.float64)
    held = one([PAIRS[i] for i in result.split.heldout]).astype(np.float64)
    k = min(64, len(train) // 2, train.shape[1])  # the default K: 64, at most half the fitted texts and the dimension
    white = whitened_by_hand(held, k, fitted=train)
    q, a = white[0::2], white[1::2]  # one() interleaves each pair's question and answer
    side = result.whitened
    assert side.options.post == "whiten" and side.options.whiten_dims == k and side.model == result.before.model
    np.testing.assert_allclose(side.similarity, [[x @ y / np.linalg.norm(x) / np.linalg.norm(y) for y in a] for x in q],
                               atol=2e-4)
    assert side.metrics.auc == pytest.approx(auc_by_hand(q, a), abs=1e-9)
    everything = whitened_by_hand(held, k, fitted=np.concatenate([train, held]))  # fitted on held-out texts too
    assert auc_by_hand(everything[0::2], everything[1::2]) != pytest.approx(side.metrics.auc, abs=1e-6)
    info = json.loads((Path(result.out) / TUNE_FILE).read_text())
    assert info["whitened"]["auc"] == pytest.approx(side.metrics.auc)
    data = result.to_json()
    assert "training pairs' question and answer texts only" in data["whitened_fit"] and "gap" not in data
    assert set(data["whitened"]["differences"]) == {"before", "after"}  # paired with the other held-out sides


def test_same_seed_same_split_and_weights(base, tmp_path):
    from safetensors.torch import load_file

    first, second = (tune(PAIRS, str(base), str(tmp_path / name), QUICK) for name in ("a", "b"))
    assert first.split == second.split and first.losses == second.losses
    a, b = (load_file(Path(r.out) / "model.safetensors") for r in (first, second))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    third = tune(PAIRS, str(base), str(tmp_path / "c"), replace(QUICK, seed=1))
    assert third.split != first.split


def test_lora_on_a_tiny_mistral_merges_into_a_plain_model(mistral, tmp_path):
    config = replace(QUICK, method="e5", layers=None, lora_rank=4, checkpointing=True)  # the GPU recipe, on a CPU
    result = tune(PAIRS, str(mistral), str(tmp_path / "tuned"), config)
    files = sorted(p.name for p in Path(result.out).iterdir())
    assert "adapter_config.json" not in files and "model.safetensors" in files
    reloaded = load(result.out)
    assert type(reloaded.model).__name__ == "MistralForCausalLM" and reloaded.default_method == "e5"
    assert not any("lora" in name for name, _ in reloaded.model.named_parameters())


def test_cancel_at_step_2_leaves_nothing(base, tmp_path):
    cancel = threading.Event()
    steps = []

    def progress(step, loss, elapsed):
        steps.append(step)
        if step == 2:
            cancel.set()

    with pytest.raises(TuneCancelled, match="cancelled"):
        tune(PAIRS, str(base), str(tmp_path / "tuned"), replace(QUICK, steps=50), progress=progress, cancel=cancel)
    assert steps == [1, 2] and not (tmp_path / "tuned").exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize("change, message", [
    ({"pairs": PAIRS[:14]}, "14 pairs are too few to fine-tune: need at least 15"),
    ({"pairs": PAIRS[:20] + [PAIRS[3]]}, "pair 21 repeats pair 4; remove duplicate pairs"),
    ({"config": TuneConfig(holdout=0)}, "held-out share 0 is outside (0, 0.5]"),
    ({"config": TuneConfig(holdout=0.6)}, "held-out share 0.6 is outside (0, 0.5]"),
    ({"config": TuneConfig(minutes=0)}, "time budget of 0 minutes is outside (0, 60]"),
    ({"config": TuneConfig(minutes=61)}, "time budget of 61 minutes is outside (0, 60]"),
    ({"config": TuneConfig(method="logits")}, "method 'logits' cannot be trained"),
    ({"config": TuneConfig(batch=1)}, "a batch of 1 pairs has no negatives"),
    ({"config": TuneConfig(steps=0)}, "0 steps is outside 1..100000"),
    ({"config": TuneConfig(minutes=1e-6)}, "ended before the first step"),
    ({"model": "./nowhere/"}, "'./nowhere/' is not a model folder"),
])
def test_bad_input_is_one_clear_line(base, tmp_path, change, message):
    with pytest.raises(EmbedLabError) as caught:
        tune(change.get("pairs", PAIRS), change.get("model", str(base)), str(tmp_path / "out"), change.get("config", QUICK))
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / "out").exists() and leftovers(tmp_path) == []


def test_an_encoder_with_a_causal_method_names_the_methods_it_can_take(tmp_path):
    bert = tinymodels.bert_sentence_transformer(tmp_path / "bert")
    with pytest.raises(TuneError, match=r"cannot fine-tune .* with method 'e5'; methods this model can be tuned with: last-token, mean, cls"):
        tune(PAIRS, str(bert), str(tmp_path / "out"), TuneConfig(method="e5"))


def test_a_full_disk_is_refused_before_training_and_while_saving(base, tmp_path, monkeypatch):
    real_usage = output.shutil.disk_usage
    monkeypatch.setattr(output.shutil, "disk_usage", lambda path: real_usage(path)._replace(free=1000))
    with pytest.raises(TuneError, match="not enough disk space for the tuned model"):
        tune(PAIRS, str(base), str(tmp_path / "out"), QUICK)
    monkeypatch.setattr(output.shutil, "disk_usage", real_usage)

    def full(model, tokenizer, folder):
        (folder / "model.safetensors").write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(output, "save_model", full)
    with pytest.raises(TuneError, match="the disk is full: the tuned model did not fit"):
        tune(PAIRS, str(base), str(tmp_path / "out"), QUICK)
    assert not (tmp_path / "out").exists() and leftovers(tmp_path) == []


def test_an_existing_folder_is_kept_unless_it_is_an_earlier_tune_to_overwrite(base, tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    with pytest.raises(TuneError, match="already exists and is not empty; choose a new or empty folder"):
        tune(PAIRS, str(base), str(taken), QUICK)
    first = tune(PAIRS, str(base), str(tmp_path / "tuned"), QUICK)
    with pytest.raises(TuneError, match="set overwrite to replace it"):
        tune(PAIRS, str(base), first.out, QUICK)
    again = tune(PAIRS, str(base), first.out, replace(QUICK, seed=1), overwrite=True)
    assert json.loads((Path(again.out) / TUNE_FILE).read_text())["split"]["seed"] == 1
    assert leftovers(tmp_path) == []


def run_cli(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "embedlab", "tune", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)


def test_cli_tunes_and_writes_json(base, tmp_path):
    bert = tinymodels.bert_sentence_transformer(tmp_path / "bert")
    out = run_cli(ROOT / "assets" / "examples-30.csv", "--model", base, "--out", tmp_path / "tuned", "--method", "mean",
                  "--steps", "3", "--batch", "8", "--json", tmp_path / "r.json", "--embed", bert)
    assert out.returncode == 0, out.stderr
    assert "step 3: loss" in out.stderr and "AUC" in out.stdout
    data = json.loads((tmp_path / "r.json").read_text())
    assert {"model", "out", "split", "loss", "steps", "seconds", "before", "after"} <= set(data)
    assert data["steps"] == 3 == len(data["loss"]) and len(data["split"]["heldout"]) == 6
    assert data["after"]["model"] == f"tuned {base.name} (mean, {data['steps']} steps)" and data["before"]["method"] == "mean"
    assert len(data["after"]["similarity"]) == 6 and set(data["after"]["metrics"]) >= {"auc", "top1"}
    # the held-out figures with their intervals, and the paired change: what 6 pairs can say
    assert "after - before" in out.stdout and "[brackets]: 95% interval, 1000 bootstrap resamples" in out.stdout
    from test_intervals import naive_bootstrap, percentile

    naive = naive_bootstrap(np.asarray(data["after"]["similarity"]), 1000, 0)[:, 3]  # mean matching
    assert data["after"]["intervals"]["mean_pos"] == pytest.approx(percentile(naive), abs=1e-5)
    assert set(data["after"]["differences"]["before"]["auc"]) == {"difference", "low", "high", "p"}
    # the label-free baseline and the embedding model on the same held-out pairs, and what each closes of the gap
    header = out.stdout.splitlines()[1]
    assert header.split() == ["before", "whitened", "(train", "fit)", "after", "embedding", "model", "after", "-", "before"]
    assert data["embedding"]["model"] == str(bert) and len(data["embedding"]["similarity"]) == 6
    assert data["whitened"]["options"]["post"] == "whiten" and data["gap"]["from"] == "before"
    assert data["gap"]["words"] in out.stdout and ("of that gap" in out.stdout or "no gap to share out" in out.stdout)


def test_cli_bad_input_exits_2_with_one_line(base, tmp_path):
    out = run_cli(ROOT / "assets" / "examples-30.csv", "--model", base, "--out", tmp_path / "t", "--holdout", "0.7")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip() == "error: held-out share 0.7 is outside (0, 0.5]; e.g. 0.2 holds out a fifth"


@pytest.mark.parametrize("layers", [2, None])
def test_a_shared_prefix_run_once_gives_the_same_vectors(mistral, layers):
    trainable = Trainable(load(str(mistral)), METHODS["e5"], TuneConfig(layers=layers))
    trainable.prepare([p.question for p in PAIRS[:6]], [Role.QUERY] * 6, cancel=lambda: False)
    assert trainable.stack.prefix(trainable.encoded) > 10  # the e5 instruction
    assert trainable.cached == (layers is not None)  # the kept states passed the check against the whole model
    with torch.no_grad():
        once = trainable.vectors(range(6))
        trainable.share_prefix = False
        whole = trainable.vectors(range(6))
    torch.testing.assert_close(once, whole, rtol=1e-4, atol=1e-5)


@pytest.mark.cuda
def test_lora_in_bf16_autocast_on_cuda(mistral, tmp_path):
    config = replace(QUICK, method="e5", layers=None, lora_rank=4)  # checkpointing on by default on CUDA
    result = tune(PAIRS, str(mistral), str(tmp_path / "tuned"), config, device="cuda")
    reloaded = load(result.out, device="cuda")
    assert reloaded.dtype == "bfloat16" and result.info["device"] == "cuda"
    heldout = [PAIRS[i] for i in result.split.heldout]
    np.testing.assert_allclose(compare_side(reloaded, heldout).vectors, result.after.vectors, rtol=1e-2, atol=1e-2)
