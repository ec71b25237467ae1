"""The fresh process behind items 5 and 6: start, load the pair, embed one text with each, maybe compare.

Run by `startup.py` as `python -m benchmarks.probe --base B --embed E [--pairs N]` with its own
EMBEDLAB_CACHE_DIR and, in EMBEDLAB_BENCH_LAUNCHED, the wall-clock time at which it was launched; prints
one JSON line: the seconds from launch to each phase (interpreter start-up included, shutdown not),
the bytes of both models' weights, and the peak resident memory after the start and, with --pairs,
after a comparison of N pairs into an empty cache. With --imports-only it stops after importing torch,
transformers and the two model classes (read from the models' configurations; no weights, no
tokenizer): the part of a start that belongs to those libraries. It measures; it judges nothing.
"""

from __future__ import annotations

import os
import time

LAUNCHED = float(os.environ.get("EMBEDLAB_BENCH_LAUNCHED") or time.time())

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402


def peak_rss_bytes() -> int:
    """Peak resident set size of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def import_model_classes(names: list[str]) -> list[str]:
    """Import torch, transformers and the class each model loads as, from its configuration alone."""
    import torch  # noqa: F401
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM

    from embedlab.loading import converted_gguf, fingerprint
    from embedlab.sources import locate, traits_of

    classes = []
    for name in names:
        source = locate(name)
        location = str(converted_gguf(Path(source.location), fingerprint(source))) if source.kind == "gguf" \
            else source.location
        config = AutoConfig.from_pretrained(location)
        auto = AutoModelForCausalLM if traits_of(config).lm_head else AutoModel  # as `load` chooses
        classes.append(auto._model_mapping[type(config)].__name__)
    return classes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.probe")
    p.add_argument("--base", required=True)
    p.add_argument("--embed", required=True)
    p.add_argument("--pairs", type=int, default=0)
    p.add_argument("--threads", type=int)
    p.add_argument("--imports-only", action="store_true")
    args = p.parse_args(argv)
    if args.imports_only:
        classes = import_model_classes([args.base, args.embed])
        print(json.dumps({"ready_s": round(time.time() - LAUNCHED, 3), "classes": classes}))
        return 0
    marks: dict[str, float] = {}
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from embedlab.embedding import embed
    from embedlab.loading import load

    marks["imported"] = time.time() - LAUNCHED
    backends = {}
    for side, name in (("base", args.base), ("embed", args.embed)):
        backends[side] = load(name, device="cpu")
        marks[f"{side}_loaded"] = time.time() - LAUNCHED
        embed(backends[side], ["What is GPU?"])
        marks[f"{side}_embedded"] = time.time() - LAUNCHED
    weights = sum(p.numel() * p.element_size() for b in backends.values() for p in b.model.parameters())
    report = {"marks": {k: round(v, 3) for k, v in marks.items()}, "ready_s": round(marks["embed_embedded"], 3),
              "weights_bytes": weights, "rss_ready_bytes": peak_rss_bytes()}
    if args.pairs:
        from embedlab.cache import EmbeddingCache
        from embedlab.comparison import compare_backends as compare
        from embedlab.sides import SideSpec

        from .corpus import pairs

        chosen = pairs(args.pairs)
        with tempfile.TemporaryDirectory(prefix="embedlab-probe-") as folder:
            cache = EmbeddingCache(folder)
            start = time.perf_counter()
            result = compare(chosen, backends, {"base": SideSpec(args.base), "embed": SideSpec(args.embed)}, cache)
            report["compare_s"] = round(time.perf_counter() - start, 3)
            report["computed"] = sum(r.computed for r in result.sides.values())
            cache.close()
        report["rss_peak_bytes"] = peak_rss_bytes()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
