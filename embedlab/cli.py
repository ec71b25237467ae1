"""The command line: `python -m embedlab models`, `compare PAIRS`, `ask PAIRS QUESTION`, `tune PAIRS`,
`explain PAIRS` (`cli_explain.py`) and `cache info|verify|clear`.

Errors a person can fix print one line and exit with status 2; progress goes to stderr so that
stdout holds only the table.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
import sys
from pathlib import Path

from .analysis.intervals import RESAMPLES, SEED
from .ask import TOP_ANSWERS, ask, check_question
from .ask_report import answers_table
from .backends.remote import KEY_VARIABLE
from .cache_check import DEFAULT_SAMPLE
from .cli_explain import explain_arguments
from .comparison import FULL_MATRIX_PAIRS, TOP_K
from .errors import EmbedLabError, SideError
from .filenames import matrix_paths
from .glossary import metrics_help
from . import request
from .methods import DEFAULT_TASK, METHODS
from .pairs import MAX_PAIRS, read_pairs
from .presets import PRESETS, default_pair
from .prompts import Options
from .analysis.layer_report import parse_layers, sweep_table
from .report import table
from .roles import is_embedder
from .tune_report import tune_report
from .settings import LOCAL_MAX_PAIRS, Settings
from .sources import REMOTE_EXAMPLE
from .sides import MAX_SIDES, OPTION_NAMES, SideSpec, default_specs, parse_side, sweep, with_side_option
from .tuning.config import TuneConfig, trainable_methods
from .tuning.split import split_pairs


def _progress(done: int, total: int, message: str) -> None:
    print(f"[embedlab] {message}", file=sys.stderr, flush=True)


def cmd_models(args) -> int:
    base, embed = default_pair()
    print("Presets:")
    for name, preset in PRESETS.items():
        where = "offline" if preset.local_path() else "Hub"
        default = " (default)" if name in (base, embed) else ""
        print(f"  {name:26} {preset.side:5}  {where:7} {preset.hub_id}{default}\n      {preset.summary}")
    print("\nMethods:")
    for name, method in METHODS.items():
        print(f"  {name:11} {method.summary}\n              source: {method.source}")
    print(f"\nRemote models: URL#MODEL, URL the base in front of /embeddings on an OpenAI-compatible server "
          f"(e.g. {REMOTE_EXAMPLE});\nthe API key from {KEY_VARIABLE}_<HOST> or {KEY_VARIABLE}. Methods a server honours:")
    for name, method in METHODS.items():
        if method.served:
            print(f"  {name:11} {method.served}")
    return 0


def chosen_sides(args, options: Options, session) -> list[SideSpec] | None:
    """The sides of `--side`, `--sweep` and `--side-option`, in that order; None for the classic two."""
    if not (args.side or args.sweep):
        if args.side_option:
            raise SideError("--side-option needs --side or --sweep (name the sides first)")
        return None
    if args.base or args.embed or args.base_method or args.embed_method:
        raise SideError("use --base/--embed (two sides) or --side/--sweep (any number), not both")
    specs = [parse_side(text, options) for text in args.side]
    for model in args.sweep:
        specs += sweep(model, session.inspect(model).methods, options, prefix=f"{model}:" if len(args.sweep) > 1 else "")
    for text in args.side_option:
        specs = with_side_option(specs, text)
    return specs


def layer_sweeps(args, session, pairs, options: Options) -> list:
    """The sweeps of `--layers` (each every layer of a model's methods), checked against the other flags."""
    if (args.best_layer or args.layers_chart) and not args.layers:
        raise SideError("--best-layer and --layers-chart need --layers MODEL[:METHOD,...]")
    if not args.layers:
        return []
    from .analysis.layers import layer_sweep

    return [layer_sweep(session, pairs, *parse_layers(text), options, _progress, args.resamples, args.bootstrap_seed)
            for text in args.layers]


def run_compare(args):
    """The session, the comparison and the layer sweeps that `compare`'s arguments (shared by `ask`) describe."""
    from .cache import EmbeddingCache
    from .session import Session

    settings = Settings.from_env()
    if args.max_pairs:
        settings = replace(settings, max_pairs=args.max_pairs)
    pairs = read_pairs(args.pairs, max_pairs=None)  # counted once, with the sides, by `request.build`
    options = Options(task=args.task, chat_template=args.chat_template, max_length=args.max_length)
    registry = None
    if args.fast:
        from .registry import ModelRegistry

        registry = ModelRegistry(access=settings.access, fast=True)
    session = Session(cache=EmbeddingCache(use_disk=not args.no_cache), registry=registry, device=args.device,
                      dtype=args.dtype, settings=settings)
    base, embed = SideSpec(args.base or "", args.base_method, options), SideSpec(args.embed or "", args.embed_method, options)
    sides = chosen_sides(args, options, session)
    sweeps = layer_sweeps(args, session, pairs, options)
    if args.best_layer:
        sides = (sides or list(default_specs(base, embed).values())) + [s.side(m) for s in sweeps for m in s.metrics]
    result = session.run(request.build(settings, pairs, sides, base, embed, args.device), _progress)
    return session, replace(result, resamples=args.resamples, seed=args.bootstrap_seed), sweeps


def cmd_compare(args) -> int:
    _, result, sweeps = run_compare(args)
    print(table(result))
    for done in sweeps:
        print("\n" + sweep_table(done))
    if args.layers_chart:
        from .dashboard.layer_chart import layer_chart

        references = {name: side.metrics.auc for name, side in result.sides.items() if is_embedder(side)}
        layer_chart(sweeps, references).write_html(args.layers_chart, include_plotlyjs=True)
        print(f"[embedlab] wrote {args.layers_chart}", file=sys.stderr)
    if args.json:
        data = {**result.to_json(), **({"layer_sweeps": [s.to_json() for s in sweeps]} if sweeps else {})}
        Path(args.json).write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"[embedlab] wrote {args.json}", file=sys.stderr)
    if args.matrix:
        for name, path in matrix_paths(args.matrix, list(result.sides)).items():
            write_matrix(result.sides[name].vectors, path)
            print(f"[embedlab] wrote {path} ({name}: {len(result.pairs):,} x {len(result.pairs):,} float32)",
                  file=sys.stderr)
    return 0


def write_matrix(vectors, path: Path) -> None:
    """The question x answer cosine matrix of [2n, dim] vectors into an .npy file, a block of rows at a
    time (the file is memory-mapped, so the matrix is never held whole)."""
    import numpy as np

    from .metrics_blocks import similarity_blocks

    n = len(vectors) // 2
    matrix = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, n))
    for start, block, _ in similarity_blocks(vectors[:n], vectors[n:]):
        matrix[start:start + len(block)] = block
    matrix.flush()
    del matrix


def cmd_ask(args) -> int:
    check_question(args.question, Settings.from_env().max_text_chars)  # before any model is loaded
    session, comparison, _ = run_compare(args)
    asked = ask(comparison, args.question, session)
    print(answers_table(asked))
    if args.json:
        Path(args.json).write_text(json.dumps(asked.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"[embedlab] wrote {args.json}", file=sys.stderr)
    return 0


def cmd_tune(args) -> int:
    settings = Settings.from_env()
    pairs = read_pairs(args.pairs, max_pairs=settings.max_pairs)
    settings.check_pairs(pairs)
    config = TuneConfig(method=args.method, holdout=args.holdout, seed=args.seed, steps=args.steps, minutes=args.minutes,
                        batch=args.batch, lr=args.lr, scale=args.scale, layers=args.layers or None,
                        lora_rank=args.lora_rank, max_length=args.max_length)
    config.check()  # bad settings, too few or repeated pairs fail here, before torch is imported
    split_pairs(pairs, config.holdout, config.seed)
    embed = None
    if args.embed:
        embed = SideSpec(args.embed, args.embed_method, name="embedding model")
        settings.inspect(embed.model).method(embed.method)  # before training, not after
    from .tuning.lab import tune

    def progress(step: int, loss: float, elapsed: float) -> None:
        print(f"[embedlab] step {step}: loss {loss:.4f} ({elapsed:.1f} s)", file=sys.stderr, flush=True)

    result = tune(pairs, args.model, args.out, config, device=args.device, progress=progress,
                  message=lambda text: print(f"[embedlab] {text}", file=sys.stderr, flush=True),
                  overwrite=args.overwrite, access=settings.access)
    if embed is not None:  # the embedding model on the same held-out pairs: the gap whitening and tuning close
        from .session import Session

        heldout = [pairs[i] for i in result.split.heldout]
        side = Session(settings=settings, device=args.device).compare(heldout, sides=[embed], progress=_progress)
        result = result.with_embedding(side.sides[embed.name])
    print(f"{len(result.split.heldout)} held-out pairs, {result.steps} steps in {result.seconds:.1f} s "
          f"(method {result.method}): {result.model} -> {result.out}")
    print(tune_report(result))
    if result.caveat():
        print(result.caveat())
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"[embedlab] wrote {args.json}", file=sys.stderr)
    return 0


def resamples(text: str) -> int:
    value = int(text)
    if value < 100:
        raise argparse.ArgumentTypeError(f"{value}: use at least 100 resamples (the default is {RESAMPLES})")
    return value


def add_bootstrap_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--resamples", type=resamples, default=RESAMPLES,
                   help="bootstrap resamples behind each 95%% interval and paired difference (default %(default)s)")
    p.add_argument("--bootstrap-seed", type=int, default=SEED,
                   help="the bootstrap's seed (default %(default)s)")


def cmd_cache(args) -> int:
    """Exit status 1 where `verify` found and deleted wrong vectors."""
    from . import cache_check
    from .cache import EmbeddingCache

    cache = EmbeddingCache()
    if args.action == "info":
        print(cache_check.info(cache))
    elif args.action == "clear":
        print(f"deleted {cache_check.clear(cache, args.model):,} vectors" + (f" of {args.model}" if args.model else ""))
    else:
        found = cache_check.verify(cache, args.sample)
        print(cache_check.report(found))
        return 1 if any(g.wrong for g in found) else 0
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m embedlab", description="Are GPT models good embedders?")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("models", help="list model presets and embedding methods").set_defaults(run=cmd_models)
    c = sub.add_parser("compare", help="compare a base GPT and an embedding model (or any sides) on question/answer pairs",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="The metrics, for each side:\n" + metrics_help())
    compare_arguments(c)
    c.add_argument("--json", metavar="OUT", help="also write the full result as JSON (the similarity matrix up to "
                   f"{FULL_MATRIX_PAIRS:,} pairs; above that each question's top {TOP_K} answers)")
    c.add_argument("--matrix", metavar="OUT.npy", help="also write each side's question x answer cosine matrix "
                   "(float32) to OUT.npy, or OUT.SIDE.npy with several sides; any number of pairs")
    c.set_defaults(run=cmd_compare)
    a = sub.add_parser("ask", help="ask the pairs a new question: each side's top answers from the table")
    compare_arguments(a, f"the question; each side embeds it as a query and ranks the table's answers (top {TOP_ANSWERS})")
    a.add_argument("--json", metavar="OUT", help="also write the answers as JSON")
    a.set_defaults(run=cmd_ask)
    tune_arguments(sub)
    explain_arguments(sub)  # cli_explain.py
    return p


def compare_arguments(c: argparse.ArgumentParser, question: str | None = None) -> None:
    """The pairs (and a question, for `ask`), the sides and how they run: what `compare` and `ask` share."""
    c.add_argument("pairs", help="CSV or TSV with question,answer header; JSONL; or a JSON list")
    if question:
        c.add_argument("question", help=question)
    c.add_argument("--base", help="base GPT: preset, Hub id, folder, .gguf or vectors:FILE.npz (default: by hardware)")
    c.add_argument("--base-method", choices=list(METHODS), help="default: the model's own default")
    c.add_argument("--embed", help="embedding model: preset, Hub id, folder, .gguf or vectors:FILE.npz (precomputed: "
                   "arrays 'questions' and 'answers', [n, dim], row i = pair i)")
    c.add_argument("--embed-method", choices=list(METHODS))
    c.add_argument("--side", action="append", default=[], metavar="NAME=MODEL[:METHOD]",
                   help=f"a side of its own (repeatable, up to {MAX_SIDES}); NAME is its label, METHOD the model's "
                        "default where left out, e.g. --side gpt=smollm2-135m-instruct:mean")
    c.add_argument("--sweep", action="append", default=[], metavar="MODEL",
                   help="one side per method valid for MODEL, named by the method (chat template on where the "
                        "method takes it, so logits, last-token and mean share one forward pass)")
    c.add_argument("--side-option", action="append", default=[], metavar="NAME.OPTION=VALUE",
                   help=f"an option for one side: {', '.join(OPTION_NAMES)} (chat-template on/off/default; layer "
                        "0 = token embeddings, -1 = last; post none/center/whiten, fitted on all the set's texts, "
                        "no labels), e.g. --side-option gpt.layer=11 --side-option gpt.post=whiten")
    c.add_argument("--layers", action="append", default=[], metavar="MODEL[:METHOD,...]",
                   help="a layer sweep: AUC and margin of every hidden layer of MODEL's methods (default: every "
                        "method that reads a layer) from one forward pass per text; printed after the table")
    c.add_argument("--best-layer", action="store_true",
                   help="with --layers: add each swept method's best layer as a side (named METHOD@LAYER)")
    c.add_argument("--layers-chart", metavar="OUT.html",
                   help="with --layers: write the chart of AUC and margin against depth (embedding models' AUC "
                        "as reference lines)")
    c.add_argument("--task", default=DEFAULT_TASK, help="instruction for the e5 method's queries")
    c.add_argument("--chat-template", action=argparse.BooleanOptionalAction, default=None,
                   help="wrap texts in the chat template (default: on for logits, off otherwise)")
    c.add_argument("--max-length", type=int, help="truncate inputs to this many tokens")
    c.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (default auto)")
    c.add_argument("--dtype", help="auto, float32, bfloat16 or float16 (default auto)")
    c.add_argument("--max-pairs", type=int, help=f"most pairs to read (default: EMBEDLAB_MAX_PAIRS, else "
                   f"{LOCAL_MAX_PAIRS:,}; {MAX_PAIRS} in hosted mode)")
    c.add_argument("--fast", action="store_true",
                   help="int8 fast mode on x86 CPUs: 1.35-1.8x faster by CPU (see docs/performance.md), vectors approximate (ranking kept)")
    c.add_argument("--no-cache", action="store_true", help="do not read or write the on-disk cache")
    add_bootstrap_options(c)


def tune_arguments(sub) -> None:
    d = TuneConfig()
    t = sub.add_parser("tune", help="fine-tune a GPT contrastively on part of the pairs; measure the rest before and after")
    t.add_argument("pairs", help="CSV or TSV with question,answer header; JSONL; or a JSON list (15 pairs or more)")
    t.add_argument("--model", required=True, help="base model: preset, Hub id, folder or .gguf")
    t.add_argument("--out", required=True, metavar="DIR", help="folder for the tuned model (new or empty)")
    t.add_argument("--method", default=d.method, help=f"how texts become vectors, in training and after: "
                   f"{', '.join(trainable_methods())} (default %(default)s)")
    t.add_argument("--holdout", type=float, default=d.holdout, help="share of the pairs held out (default %(default)s)")
    t.add_argument("--seed", type=int, default=d.seed, help="the split, the batches, the initial adapters (default %(default)s)")
    t.add_argument("--steps", type=int, help="at most this many steps (default: until the time budget ends)")
    t.add_argument("--minutes", type=float, default=d.minutes, help="at most this much training time (default %(default)s)")
    t.add_argument("--batch", type=int, default=d.batch, help="pairs per step (default %(default)s)")
    t.add_argument("--lr", type=float, help="learning rate (default: the strategy's own, see TuneConfig)")
    t.add_argument("--scale", type=float, default=d.scale, help="logit scale, 1/temperature (default %(default)s)")
    t.add_argument("--layers", type=int, default=d.layers or 0, help="train the top N layers; 0 for all (default %(default)s)")
    t.add_argument("--lora-rank", type=int, default=d.lora_rank, help="LoRA adapters of this rank on those layers "
                   "instead of their whole weights (default %(default)s: whole weights)")
    t.add_argument("--max-length", type=int, default=d.max_length, help="tokens per text in training (default %(default)s)")
    t.add_argument("--embed", help="an embedding model measured on the same held-out pairs: the table gains its "
                   "column and a line says how much of the gap to it whitening and tuning each close")
    t.add_argument("--embed-method", choices=list(METHODS), help="the embedding model's method (default: its own)")
    t.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (default auto)")
    t.add_argument("--overwrite", action="store_true", help="replace DIR if it holds an earlier tuned model")
    t.add_argument("--json", metavar="OUT", help="also write the result as JSON")
    t.set_defaults(run=cmd_tune)
    k = sub.add_parser("cache", help="what the on-disk cache holds, check it against fresh vectors, or empty it")
    k.add_argument("action", choices=["info", "verify", "clear"], help="info: vectors by model and method; verify: "
                   "recompute a sample of each model's vectors, delete those off beyond the tolerance (exit 1 if "
                   "any); clear: delete vectors")
    k.add_argument("--sample", type=int, default=DEFAULT_SAMPLE, metavar="N", help="verify: vectors per model and method "
                   "(0: all; default %(default)s)")
    k.add_argument("--model", help="clear: only this model's vectors (the name it was loaded by)")
    k.set_defaults(run=cmd_cache)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except EmbedLabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
