"""The command line: `python -m embedlab models` and `python -m embedlab compare PAIRS`.

Errors a person can fix print one line and exit with status 2; progress goes to stderr so that
stdout holds only the table.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import EmbedLabError, SideError
from .methods import DEFAULT_TASK, METHODS
from .pairs import read_pairs
from .presets import PRESETS, default_pair
from .prompts import Options
from .report import table
from .settings import Settings
from .sides import MAX_SIDES, SideSpec, parse_side, sweep, with_side_option


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


def cmd_compare(args) -> int:
    from .cache import EmbeddingCache
    from .session import Session

    settings = Settings.from_env()
    max_pairs = args.max_pairs or settings.max_pairs
    pairs = read_pairs(args.pairs, max_pairs=max_pairs)
    options = Options(task=args.task, chat_template=args.chat_template, max_length=args.max_length)
    registry = None
    if args.fast:
        from .registry import ModelRegistry

        allow_hub, allow_paths = settings.permissions
        registry = ModelRegistry(allow_hub=allow_hub, allow_paths=allow_paths, fast=True)
    session = Session(cache=EmbeddingCache(use_disk=not args.no_cache), registry=registry, device=args.device,
                      dtype=args.dtype, max_pairs=max_pairs, settings=settings)
    result = session.compare(pairs, SideSpec(args.base or "", args.base_method, options),
                             SideSpec(args.embed or "", args.embed_method, options), progress=_progress,
                             sides=chosen_sides(args, options, session))
    print(table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"[embedlab] wrote {args.json}", file=sys.stderr)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m embedlab", description="Are GPT models good embedders?")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("models", help="list model presets and embedding methods").set_defaults(run=cmd_models)
    c = sub.add_parser("compare", help="compare a base GPT and an embedding model (or any sides) on question/answer pairs")
    c.add_argument("pairs", help="CSV or TSV with question,answer header; JSONL; or a JSON list")
    c.add_argument("--base", help="base GPT: preset, Hub id, folder or .gguf (default: by hardware)")
    c.add_argument("--base-method", choices=list(METHODS), help="default: the model's own default")
    c.add_argument("--embed", help="embedding model: preset, Hub id, folder or .gguf")
    c.add_argument("--embed-method", choices=list(METHODS))
    c.add_argument("--side", action="append", default=[], metavar="NAME=MODEL[:METHOD]",
                   help=f"a side of its own (repeatable, up to {MAX_SIDES}); NAME is its label, METHOD the model's "
                        "default where left out, e.g. --side gpt=smollm2-135m-instruct:mean")
    c.add_argument("--sweep", action="append", default=[], metavar="MODEL",
                   help="one side per method valid for MODEL, named by the method (chat template on where the "
                        "method takes it, so logits, last-token and mean share one forward pass)")
    c.add_argument("--side-option", action="append", default=[], metavar="NAME.OPTION=VALUE",
                   help="an option for one side: task, chat-template (on/off/default) or max-length, "
                        "e.g. --side-option gpt.max-length=128")
    c.add_argument("--task", default=DEFAULT_TASK, help="instruction for the e5 method's queries")
    c.add_argument("--chat-template", action=argparse.BooleanOptionalAction, default=None,
                   help="wrap texts in the chat template (default: on for logits, off otherwise)")
    c.add_argument("--max-length", type=int, help="truncate inputs to this many tokens")
    c.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (default auto)")
    c.add_argument("--dtype", help="auto, float32, bfloat16 or float16 (default auto)")
    c.add_argument("--max-pairs", type=int, help="most pairs to read (default: EMBEDLAB_MAX_PAIRS, else 256)")
    c.add_argument("--fast", action="store_true",
                   help="int8 fast mode on x86 CPUs: about 1.8x faster, vectors approximate (ranking kept)")
    c.add_argument("--no-cache", action="store_true", help="do not read or write the on-disk cache")
    c.add_argument("--json", metavar="OUT", help="also write the full result as JSON")
    c.set_defaults(run=cmd_compare)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except EmbedLabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
