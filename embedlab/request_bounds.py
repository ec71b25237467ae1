"""The bound on one comparison's work in hosted mode, checked after its models are loaded and before
any of them runs.

A demo on 2 CPU cores must finish every request it accepts in a stated time, and the per-pair and
per-text limits alone allow far more than that (256 pairs x 20,000 characters x 8 sides). A request's
work is counted as the tokens its local models run: every distinct model input (a text as the method
writes it, template and truncation included) once per model, so the methods of a sweep that share a
forward pass count it once; sides computed by a server or given as vectors cost this machine nothing.
Characters cannot be the measure: digits or CJK text make a token of almost every byte, English one of
four. Over the deployment's `max_request_tokens` (EMBEDLAB_MAX_REQUEST_TOKENS; settings.MAX_REQUEST_TOKENS
in hosted mode, no bound elsewhere) the request is refused with the limit and its own count named. Each
text is also cut to `max_text_tokens` (EMBEDLAB_MAX_TEXT_TOKENS; MAX_TEXT_TOKENS in hosted mode): a
CPU's attention cost grows with the square of the length, so 8 texts of 4,096 tokens take far longer
than 64 of 512. Cut texts are counted in the result's `truncated`, as any truncation is.
docs/reliability.md gives the time and memory that the largest allowed request measured.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from .backends import Backend
from .embedding import resolve
from .errors import PairsError
from .methods import Role
from .pairs import Pair
from .sides import SideSpec
from .sources import split_remote

def model_tokens(pairs: Sequence[Pair], sides: Sequence[tuple[Backend, SideSpec]]) -> int:
    """Tokens that the local models of `sides` ((backend, spec) each) run to compare `pairs`."""
    texts = [p.question for p in pairs] + [p.answer for p in pairs]
    roles = [Role.QUERY] * len(pairs) + [Role.PASSAGE] * len(pairs)
    costs: dict[tuple, int] = {}  # (model, its distinct input) -> tokens
    for backend, spec in sides:
        if backend.device == "remote":
            continue
        method, options = resolve(backend, spec.method, spec.options)
        for item in backend.prepare_many(texts, roles, method, options):
            costs[id(backend), tuple(item.encoded.ids) if item.encoded else (item.text, item.role)] = item.cost
    return sum(costs.values())


def capped(spec: SideSpec, max_tokens: int | None) -> SideSpec:
    """`spec` with its texts cut to at most `max_tokens` (None: as it is). A server's side is left as it is:
    the server truncates by its own limit (asking it for a length is an error), on its own machine."""
    if max_tokens is None or split_remote(spec.model) or (spec.options.max_length or max_tokens + 1) <= max_tokens:
        return spec
    return replace(spec, options=replace(spec.options, max_length=max_tokens))


def check_request(pairs: Sequence[Pair], sides: Sequence[tuple[Backend, SideSpec]], limit: int | None,
                  what: str = "comparison", unit: str = "side") -> None:
    """Refuse `sides` on `pairs` over `limit` tokens; `what` and `unit` name the request and its parts
    (a layer sweep: its methods, whose every layer one forward pass reads)."""
    if limit is None:
        return
    tokens = model_tokens(pairs, sides)
    if tokens > limit:
        raise PairsError(f"this {what} would run {tokens:,} tokens through the models ({len(pairs)} pairs, "
                         f"{len(sides)} {unit}(s)), over this deployment's limit of {limit:,} per request; use "
                         f"fewer pairs, shorter texts or fewer {unit}s")
