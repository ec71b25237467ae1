"""`python -m embedlab explain PAIRS --base GPT --embed MODEL`: how much of the raw GPT's gap to the
embedding model the label-free fixes close (best layer, centring, whitening) and how much is left to
contrastive training (`analysis/explain.py`), as a table and plain sentences, and JSON with `--json`.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from .analysis.layers import layer_methods
from .methods import METHODS
from .pairs import read_pairs
from .prompts import Options
from .settings import Settings


def cmd_explain(args) -> int:
    from .analysis.explain import explain
    from .analysis.explain_report import explain_json, explain_table
    from .cache import EmbeddingCache
    from .cli import _progress
    from .session import Session

    settings = Settings.from_env()
    pairs = read_pairs(args.pairs, max_pairs=args.max_pairs or settings.max_pairs)
    session = Session(cache=EmbeddingCache(use_disk=not args.no_cache), device=args.device, settings=settings)
    done = explain(session, pairs, args.base, args.embed, args.method, args.embed_method,
                   Options(max_length=args.max_length), _progress)
    done = replace(done, comparison=replace(done.comparison, resamples=args.resamples, seed=args.bootstrap_seed))
    print(explain_table(done))
    if args.json:
        Path(args.json).write_text(json.dumps(explain_json(done), indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"[embedlab] wrote {args.json}", file=sys.stderr)
    return 0


def explain_arguments(sub) -> None:
    from .cli import add_bootstrap_options

    x = sub.add_parser("explain", help="how much of a GPT's gap to an embedding model is geometry (best layer, "
                       "centring, whitening; no labels) and how much is contrastive training")
    x.add_argument("pairs", help="CSV or TSV with question,answer header; JSONL; or a JSON list")
    x.add_argument("--base", required=True, help="the base GPT: preset, Hub id, folder or .gguf")
    x.add_argument("--embed", required=True, help="the embedding model: preset, Hub id, folder, .gguf or URL#MODEL")
    x.add_argument("--method", choices=layer_methods(list(METHODS)), help="how the GPT's texts become vectors "
                   "(default: the model's own where it reads a layer, else mean)")
    x.add_argument("--embed-method", choices=list(METHODS), help="the embedding model's method (default: its own)")
    x.add_argument("--max-length", type=int, help="truncate inputs to this many tokens")
    x.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (default auto)")
    x.add_argument("--max-pairs", type=int, help="most pairs to read")
    x.add_argument("--no-cache", action="store_true", help="do not read or write the on-disk cache")
    x.add_argument("--json", metavar="OUT", help="also write the result as JSON (with the comparison and the sweep)")
    add_bootstrap_options(x)
    x.set_defaults(run=cmd_explain)
