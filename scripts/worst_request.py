"""The largest comparison hosted mode accepts, run on this machine: wall time and peak resident memory.

The worst shape per token is the longest input: every text runs to the hosted token cap (digits make a
token of each character, so 20,000 of them are cut to the cap), as many texts as the request
budget (settings.MAX_REQUEST_TOKENS) allows, through the heaviest preset that runs on a CPU. The script
checks that this request is accepted and that one more pair is refused with the limit named, then runs
it (or its first `--pairs` pairs, to measure a part) and prints the figures.

    .venv/bin/python scripts/worst_request.py             # the whole worst request
    .venv/bin/python scripts/worst_request.py --pairs 1   # one pair of it (2 texts)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from embedlab.cache import EmbeddingCache  # noqa: E402
from embedlab.errors import PairsError  # noqa: E402
from embedlab.pairs import Pair  # noqa: E402
from embedlab.request_bounds import capped, model_tokens  # noqa: E402
from embedlab.session import Session  # noqa: E402
from embedlab.settings import MAX_TEXT_CHARS, Settings  # noqa: E402
from embedlab.sides import SideSpec  # noqa: E402

MODEL = "smollm2-135m-instruct"  # the heaviest preset that runs on a CPU


def long_text(i: int) -> str:
    return (f"{i} " + " ".join(str((i * 7 + k) % 10) for k in range(MAX_TEXT_CHARS)))[:MAX_TEXT_CHARS]


def worst_pairs(session: Session, side: SideSpec) -> list[Pair]:
    """As many max-length pairs as the budget allows, checked against the real token count."""
    backend, limit = session.backend(MODEL), session.settings.max_request_tokens
    per_pair = model_tokens([Pair(long_text(0), long_text(1))], [(backend, side)])
    pairs = [Pair(long_text(2 * i), long_text(2 * i + 1)) for i in range(limit // per_pair)]
    assert model_tokens(pairs, [(backend, side)]) <= limit
    return pairs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=int, help="run only this many pairs of the worst request")
    args = ap.parse_args()
    settings = Settings(hosted=True)
    session = Session(cache=EmbeddingCache(use_disk=False), settings=settings)
    side = capped(SideSpec(MODEL, name="gpt"), settings.max_text_tokens)  # as the session cuts it
    pairs = worst_pairs(session, side)
    try:
        session.compare(pairs + [Pair(long_text(-1), long_text(-2))], sides=[side])
        refused = None
    except PairsError as exc:
        refused = str(exc)
    session = Session(cache=EmbeddingCache(use_disk=False), registry=session.registry, settings=settings)  # nothing cached
    run = pairs[: args.pairs] if args.pairs else pairs
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    result = session.compare(run, sides=[side])
    seconds = time.perf_counter() - start
    print(json.dumps({"model": MODEL, "limit_tokens": session.settings.max_request_tokens, "worst_pairs": len(pairs),
                      "ran_pairs": len(run), "ran_tokens": model_tokens(run, [(session.backend(MODEL), side)]),
                      "seconds": round(seconds, 1), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                      "rss_before_mb": before // 1024, "truncated": result.sides[next(iter(result.sides))].truncated,
                      "one_more_pair": refused, "load_average": os.getloadavg(), "cpus": os.cpu_count()}, indent=1))
    return 0 if refused else 1


if __name__ == "__main__":
    sys.exit(main())
