"""The fine-tune lab on a Mistral-7B-shaped model, on CUDA: LoRA in bf16 with gradient checkpointing.

    python -m benchmarks.gpu_tune              # on a CUDA machine (H100/H200), no internet needed
    python -m benchmarks.gpu_tune --dry-run    # the same code path on the CPU with a tiny config

A `MistralForCausalLM` of Mistral-7B's shape (`benchmarks.gpu.MISTRAL_7B`) with random weights is
made in bf16 on the GPU and saved as a model folder with the real Mistral 7B v0.1 tokenizer
(`tests.support.mistral_tokenizer`: the file the `mistral-common` wheel carries; `--tokenizer` names
another folder or file). Then `embedlab.tuning.tune()` runs on it as the dashboard and CLI run it:
the `e5` method, every layer trained through LoRA adapters, batches of 16 pairs, for `--seconds` of
training; the tuned folder is saved, loaded again and measured on the held-out pairs.

Random weights know no language, so the before/after figures say nothing about quality; what this
checks is that the whole path runs on a GPU at this size (load, bf16 autocast, checkpointing, LoRA
merge, save, reload), and it reports the seconds per step, the peak GPU memory and the time of each
stage. Without CUDA, and without --dry-run, it exits with status 2 and says so.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from embedlab.loading import save_tokenizer
from embedlab.tuning import TuneConfig, tune

from .corpus import pairs
from .gpu import build, where
from tests.support.mistral_tokenizer import VOCAB, load_tokenizer

RESULTS = Path(__file__).resolve().parent / "results"


def model_folder(folder: Path, shape: dict, device: str, dtype: torch.dtype, tokenizer: Path | None) -> float:
    """Write a random model of `shape` and the Mistral tokenizer (`tokenizer`, or mistral-common's) to
    `folder`; return the seconds it took."""
    began = time.perf_counter()
    try:
        tokenizer = load_tokenizer(tokenizer)
    except (FileNotFoundError, ValueError) as exc:
        raise SystemExit(str(exc)) from None
    vocab = dict(shape, vocab_size=VOCAB, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    torch.manual_seed(0)
    model = build(vocab, device, dtype)
    model.save_pretrained(folder)
    save_tokenizer(tokenizer, folder)
    del model
    if device == "cuda":
        torch.cuda.empty_cache()
    return time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.gpu_tune", description=__doc__.split("\n")[0])
    p.add_argument("--dry-run", action="store_true", help="tiny config on the CPU: checks the code path, no figures")
    p.add_argument("--seconds", type=float, help="training time budget (default 60; 5 with --dry-run)")
    p.add_argument("--pairs", type=int, default=100, help="pairs from the benchmark corpus (default 100)")
    p.add_argument("--lora-rank", type=int, default=16)
    p.add_argument("--tokenizer", type=Path, help="Mistral 7B v0.1's tokenizer.model (default: mistral-common's)")
    p.add_argument("--out", type=Path, help="JSON file (default benchmarks/results/gpu-tune-<time>.json)")
    args = p.parse_args(argv)
    target = where(args.dry_run, "benchmarks.gpu_tune")
    if target is None:
        return 2
    device, dtype, shape, card = target
    seconds = args.seconds or (5.0 if args.dry_run else 60.0)
    scratch = Path(tempfile.mkdtemp(prefix="embedlab-gpu-tune-"))
    try:
        write_s = model_folder(scratch / "base", shape, device, dtype, args.tokenizer)
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        stages: list[tuple[str, float]] = []
        began = time.perf_counter()
        config = TuneConfig(method="e5", layers=None, lora_rank=args.lora_rank, minutes=seconds / 60, batch=16)
        result = tune(pairs(args.pairs), str(scratch / "base"), str(scratch / "tuned"), config, device=device,
                      message=lambda text: stages.append((text, time.perf_counter() - began)))
        total_s = time.perf_counter() - began
        peak = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else None
        after = result.after.vectors
        report = {
            "device": card, "torch": torch.__version__, "dtype": str(dtype), "shape": shape,
            "model_write_s": round(write_s, 1), "tune_total_s": round(total_s, 1),
            "stages": [{"message": text, "at_s": round(at, 1)} for text, at in stages],
            "steps": result.steps, "train_s": round(result.seconds, 1),
            "s_per_step": round(result.seconds / max(result.steps, 1), 3),
            "pairs_per_s": round(result.steps * config.batch / max(result.seconds, 1e-9), 1),
            "peak_gpu_gib": None if peak is None else round(peak, 1),
            "loss_first_last": [round(result.losses[0], 4), round(result.losses[-1], 4)],
            "losses_finite": bool(np.isfinite(result.losses).all()),
            "after_vectors_finite": bool(np.isfinite(after).all()),
            "tuned_on": result.info["device"],
            "trained": result.info["trained"], "heldout": len(result.split.heldout),
            "auc_before_after": [result.before.metrics.auc, result.after.metrics.auc],
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    out = args.out or RESULTS / f"gpu-tune-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"{card}: {shape['num_hidden_layers']} layers x {shape['hidden_size']}, {dtype}; {report['trained']}")
    print(f"  model folder written in {report['model_write_s']} s; tune() in {report['tune_total_s']} s")
    for stage in report["stages"]:
        print(f"    {stage['at_s']:7.1f} s  {stage['message']}")
    print(f"  {report['steps']} steps in {report['train_s']} s ({report['s_per_step']} s/step, "
          f"{report['pairs_per_s']} pairs/s); loss {report['loss_first_last'][0]} -> {report['loss_first_last'][1]}; "
          f"peak GPU memory {report['peak_gpu_gib']} GiB")
    print(f"  finite: losses {report['losses_finite']}, tuned vectors {report['after_vectors_finite']}; "
          f"held-out AUC (random weights) {report['auc_before_after']}")
    print(f"JSON: {out}")
    return 0 if report["losses_finite"] and report["after_vectors_finite"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
