"""GPU throughput: a Mistral-7B-shaped model through the engine's own batching and backend, on CUDA.

    python -m benchmarks.gpu              # on a CUDA machine (H100/H200), no internet needed
    python -m benchmarks.gpu --dry-run    # the same code path on the CPU with a tiny config

The model is built from `MistralConfig` (hidden 4096, 32 layers, 32 heads, 8 KV heads, intermediate
14336, vocab 32000) with random weights, in bf16, directly on the GPU: nothing is downloaded and no
28 GB float32 copy is made on the CPU. 4,096 texts of 128 random token ids go through
`embedding.batches()` and `TransformersBackend.embed_batch()` with the engine's CUDA batch limits,
for the `logits` method (LM head on the last position) and for `e5` (the same body without the head,
as `MistralModel`). Reported: tokens/s and the fraction of the card's dense bf16 peak, counting
2 x (non-embedding parameters) FLOPs per token, plus attention (4 x layers x hidden x sequence per
token, the PaLM convention, no causal discount) and the head's 2 x hidden x vocab per text for
`logits`. Without CUDA, and without --dry-run, it exits with status 2 and says so.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import torch

from embedlab.backends import Item
from embedlab.backends.transformers_backend import TransformersBackend
from embedlab.embedding import batches
from embedlab.loading import batch_limits
from embedlab.methods import Traits, get_method
from embedlab.prompts import Encoded, Options

RESULTS = Path(__file__).resolve().parent / "results"
MISTRAL_7B = dict(hidden_size=4096, num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                  intermediate_size=14336, vocab_size=32000, max_position_embeddings=32768, sliding_window=None)
TINY = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
            intermediate_size=128, vocab_size=1000, max_position_embeddings=512, sliding_window=None)
# dense bf16 peak (no sparsity), TFLOP/s, by a piece of torch.cuda.get_device_name(); first match wins
PEAKS = (("H200", 989.0), ("H100 PCIe", 756.0), ("H100 NVL", 835.0), ("H100", 989.0), ("GH200", 989.0),
         ("A100", 312.0), ("L40S", 362.0), ("A10G", 70.0), ("L4", 121.0))
TARGET = 0.40


def peak_tflops(device_name: str) -> float | None:
    return next((peak for key, peak in PEAKS if key.lower() in device_name.lower()), None)


def build(shape: dict, device: str, dtype: torch.dtype):
    """A randomly initialised MistralForCausalLM made directly on `device` in `dtype`."""
    from transformers import MistralConfig, MistralForCausalLM

    config = MistralConfig(**shape, attn_implementation="sdpa")
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = MistralForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    return model.eval()


def backends(model, device: str, dtype: torch.dtype) -> dict[str, TransformersBackend]:
    """The engine's backend twice over the same weights: with the LM head (`logits`) and without (`e5`)."""
    tokenizer = SimpleNamespace(pad_token_id=0, eos_token_id=2)  # items come tokenised; only the pad id is read
    batch_size, batch_tokens = batch_limits(device)
    common = dict(tokenizer=tokenizer, fingerprint="random", device=device, dtype=str(dtype).removeprefix("torch."),
                  batch_size=batch_size, batch_tokens=batch_tokens, max_length=4096)
    causal_lm = Traits(causal=True, lm_head=True, sentence_transformers=False)
    body_only = Traits(causal=True, lm_head=False, sentence_transformers=False)
    return {"logits": TransformersBackend(model=model, name="mistral-7b-shape (causal LM)", default_method="logits",
                                          traits=causal_lm, **common),
            "e5": TransformersBackend(model=model.model, name="mistral-7b-shape (MistralModel)", default_method="e5",
                                      traits=body_only, **common)}


def flops_per_text(model, tokens: int, method: str) -> float:
    config = model.config
    body = sum(p.numel() for part in (model.model.layers, model.model.norm) for p in part.parameters())
    attention = 4 * config.num_hidden_layers * config.hidden_size * tokens
    head = 2 * config.hidden_size * config.vocab_size if method == "logits" else 0
    return tokens * (2 * body + attention) + head


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def measure(backend: TransformersBackend, method: str, texts: int, tokens: int, vocab: int, device: str) -> dict:
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(3, vocab, (texts, tokens), generator=generator).tolist()
    items = [(i, Item(f"text {i}", encoded=Encoded(row))) for i, row in enumerate(ids)]
    groups = batches(items, backend.batch_size, backend.batch_tokens)
    m, options = get_method(method), Options().resolved(get_method(method), backend.max_length)
    backend.embed_batch([item for _, item in groups[0]], m, options)  # warm-up: kernels, allocator
    sync(device)
    start = time.perf_counter()
    rows = 0
    for group in groups:
        rows += len(backend.embed_batch([item for _, item in group], m, options))  # .cpu() waits for the GPU
    sync(device)
    seconds = time.perf_counter() - start
    assert rows == texts
    return {"method": method, "texts": texts, "tokens_per_text": tokens, "batches": len(groups),
            "batch_size": backend.batch_size, "seconds": round(seconds, 3),
            "tokens_per_s": round(texts * tokens / seconds, 1)}


def where(dry_run: bool, program: str) -> tuple[str, torch.dtype, dict, str] | None:
    """Device, dtype, model shape and card name of a GPU benchmark: the GPU in bf16 at Mistral-7B's shape,
    or with `dry_run` the CPU in float32 at a tiny shape. None (and a message) where no CUDA GPU is seen."""
    if dry_run:
        return "cpu", torch.float32, TINY, "CPU (dry run)"
    if not torch.cuda.is_available():
        print(f"{program} needs a CUDA GPU and none is visible here; run it on a GPU machine, "
              "or pass --dry-run to check the code path on this CPU with a tiny model.", file=sys.stderr)
        return None
    return "cuda", torch.bfloat16, MISTRAL_7B, torch.cuda.get_device_name(0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.gpu", description=__doc__.split("\n")[0])
    p.add_argument("--dry-run", action="store_true", help="tiny config on the CPU: checks the code path, no figures")
    p.add_argument("--texts", type=int, help="texts per method (default 4096; 64 with --dry-run)")
    p.add_argument("--tokens", type=int, help="tokens per text (default 128; 16 with --dry-run)")
    p.add_argument("--peak-tflops", type=float, help="the card's dense bf16 peak, where its name is not known here")
    p.add_argument("--out", type=Path, help="JSON file (default benchmarks/results/gpu-<time>.json)")
    args = p.parse_args(argv)
    target = where(args.dry_run, "benchmarks.gpu")
    if target is None:
        return 2
    device, dtype, shape, card = target
    texts, tokens = args.texts or (64 if args.dry_run else 4096), args.tokens or (16 if args.dry_run else 128)
    peak = None if args.dry_run else (args.peak_tflops or peak_tflops(card))
    torch.manual_seed(0)
    model = build(shape, device, dtype)
    parameters = sum(p.numel() for p in model.parameters())
    results = []
    for method, backend in backends(model, device, dtype).items():
        result = measure(backend, method, texts, tokens, shape["vocab_size"], device)
        achieved = flops_per_text(model, tokens, method) * texts / result["seconds"]
        result["tflops"] = round(achieved / 1e12, 2)
        result["peak_fraction"] = None if peak is None else round(achieved / (peak * 1e12), 3)
        result["holds"] = None if peak is None else result["peak_fraction"] >= TARGET
        results.append(result)
    report = {"device": card, "peak_tflops_bf16_dense": peak, "dtype": str(dtype), "parameters": parameters,
              "shape": shape, "target_peak_fraction": TARGET, "torch": torch.__version__, "results": results}
    out = args.out or RESULTS / f"gpu-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"{card}: {parameters / 1e9:.2f} B parameters, {dtype}, peak {peak or 'unknown'} TFLOP/s")
    for r in results:
        share = "n/a" if r["peak_fraction"] is None else f"{100 * r['peak_fraction']:.1f}% of peak " \
                                                          f"({'holds' if r['holds'] else 'misses'} >= {TARGET:.0%})"
        print(f"  {r['method']:6}  {r['texts']} texts x {r['tokens_per_text']} tokens in {r['seconds']:.2f} s: "
              f"{r['tokens_per_s']:,.0f} tokens/s, {r['tflops']} TFLOP/s, {share}")
    print(f"JSON: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
