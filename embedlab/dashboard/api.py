"""The JSON API: the endpoints made for callers (and served as MCP tools, see `mcp.py`), so their
docstrings are written for an agent: what is computed, in what units, within which limits.

`compare_json` and `compare_many_json` compare sides on pairs, `layers_json` sweeps a GPT's layers,
`ask_json` asks a new question against a table, `models` says what this server offers and allows, `status` what it holds. They run the same
compute path as the page (`compute.py`), in the shared session, whose settings are the deployment's
limits and allowed models. An error a caller can act on comes back as a `gr.Error` in the engine's
plain words (`page_errors.for_api`). The fine-tune endpoint, `tune_json`, is `tune_events.py`'s.
"""

from __future__ import annotations

import json

from ..ask import TOP_ANSWERS, check_question
from ..errors import SideError
from ..methods import METHODS
from ..presets import PRESETS, default_pair
from ..session import get_session
from ..sides import MAX_SIDES, SideSpec, default_specs, specs_from_value
from . import choices, layer_view, zerogpu
from .compute import PageSession, compute, compute_answers, compute_layers
from .page_errors import for_api


def specs_from_api(sides: list[dict] | str | None, default: bool = False) -> list[SideSpec]:
    """The API's `sides` (a list of objects, or that list as a JSON string); with `default`, an empty
    value means the default pair."""
    if default and not sides:
        return list(default_specs().values())
    try:
        return specs_from_value(json.loads(sides) if isinstance(sides, str) else sides)
    except json.JSONDecodeError as exc:
        raise SideError(f"sides: not valid JSON ({exc.msg})") from None


class Api:
    """The JSON endpoints, run in `session`'s session."""

    def __init__(self, session: PageSession):
        self.session = session

    @for_api
    def compare_json(self, pairs: list[dict] | str, base: str | None = None, base_method: str | None = None,
                     embed: str | None = None, embed_method: str | None = None) -> dict:
        """Compare a base GPT and an embedding model on question/answer pairs: how well each model's
        embeddings match every question with its own answer rather than another pair's.

        Each model embeds the questions (as queries) and the answers; the cosine similarity (in [-1, 1])
        of every question with every answer forms the matrix. Metrics: top1 (share of questions whose own
        answer scores highest), mrr (mean reciprocal rank), auc (chance a matching pair outscores a
        non-matching one; 0.5 is chance), mean_pos / mean_neg (mean cosine of matching / other pairs),
        margin (mean_pos - mean_neg). Limits: the server's max_pairs and max_text_chars (see the models
        tool); in hosted mode only the presets and allowed models may be named.

        Args:
            pairs: a list of {"question", "answer"} objects, or that list as a JSON string
            base: the base GPT, a preset or model id (empty: the default pair's)
            base_method: an embedding method valid for the base model (empty: the model's default)
            embed: the embedding model, a preset or model id (empty: the default pair's)
            embed_method: an embedding method valid for the embedding model (empty: the model's default)
        Returns:
            the command line's JSON result: {"pairs": [...], "results": {"base": ..., "embed": ...}}, each
            result with "similarity" (the question x answer cosine matrix), "metrics", "model", "method"
        """
        specs = list(default_specs(SideSpec(base or "", base_method or None),
                                   SideSpec(embed or "", embed_method or None)).values())
        return compute(self.session.session_name, self.session.request(pairs, specs, from_value=True)).to_json()

    @for_api
    def compare_many_json(self, pairs: list[dict] | str, sides: list[dict] | str) -> dict:
        """Compare any number of sides (up to 8; each a model and an embedding method) on question/answer
        pairs, with the same cosine matrix and metrics as compare_json (auc: 0.5 is chance, 1 is perfect).

        Args:
            pairs: a list of {"question", "answer"} objects, or that list as a JSON string
            sides: a list of {"name", "model", "method"?, "task"?, "chat_template"?, "max_length"?} objects
                (method empty: the model's default), or that list as a JSON string
        Returns:
            the command line's JSON result: {"pairs": [...], "sides": [names], "results": {name: ...}}
        """
        specs = specs_from_api(sides)
        return compute(self.session.session_name, self.session.request(pairs, specs, from_value=True)).to_json()

    @for_api
    def layers_json(self, pairs: list[dict] | str, model: str | None = None, methods: list[str] | str | None = None,
                    embed: str | None = None) -> dict:
        """Sweep every hidden layer of a GPT on question/answer pairs: how well each layer's pooled vectors
        match every question with its own answer (AUC, margin, top1, ... as compare_json), from one
        forward pass per text, beside an embedding model's AUC on the same pairs (the reference).

        Layers are numbered as transformers' hidden_states: 0 the token embeddings, N the last layer.
        Limits: those of compare_json; the sweep's tokens count against max_request_tokens as a Compare
        of its methods would.

        Args:
            model: the GPT, a preset or model id (empty: the default pair's base GPT)
            methods: the methods to sweep, each one that pools a hidden layer (last-token, mean,
                prompteol, echo, e5, cls), as a list or comma-separated (empty: the model's default method
                where it reads a layer, and mean or last-token)
            embed: the reference embedding model (empty: the default pair's)
        Returns:
            {"model", "layers": N, "seconds", "bootstrap", "methods": {method: {"best_layer", "metrics":
            [per layer 0..N], "geometry", "intervals", "best_minus_last"}}, "best": {"method", "layer"},
            "references": {embed model: AUC}}
        """
        specs = list(default_specs(SideSpec(model or ""), SideSpec(embed or "")).values())
        request = self.session.request(pairs, specs, from_value=True)
        swept = request.sides[0]
        named = [m.strip() for m in methods.split(",")] if isinstance(methods, str) else list(methods or [])
        chosen = [m for m in named if m] or layer_view.sweep_methods(
            swept.model, self.session.settings.inspect(swept.model).methods, swept.method)
        sweep, references = compute_layers(self.session.session_name, request, chosen)
        best = sweep.best_method()
        return {**sweep.to_json(), "best": {"method": best, "layer": sweep.best(best)}, "references": references}

    def status(self) -> dict:
        """What this server holds: models loaded (and how often each was loaded), the cache, the devices.

        Returns:
            {"loaded": [...], "loads": {model: count}, "cache": {...}, "devices": [...], "hosted": bool,
             "zerogpu": bool, "warm_up": {"state": "idle" | "loading" | "ready" | "failed", "models": [...],
             "failed": {model: why}, ...}}
        """
        s = get_session(self.session.session_name)
        cache = {k: v for k, v in s.cache.stats().items() if k != "path"}  # no server paths to visitors
        return {"loaded": s.registry.loaded(), "loads": dict(s.registry.loads), "cache": cache,
                "devices": choices.available_devices(), "hosted": s.settings.hosted, "zerogpu": zerogpu.ON_ZEROGPU,
                "warm_up": dict(self.session.warm)}

    @for_api
    def ask_json(self, pairs: list[dict] | str, question: str, sides: list[dict] | str | None = None) -> dict:
        """Ask a new question against a table of question/answer pairs: which of the table's answers each
        side (a model and embedding method) retrieves for it, nearest first.

        Each side embeds the question once, as a query, and ranks every answer of the table by cosine
        similarity (a number in [-1, 1], higher is closer). The answers' vectors are those of the
        comparison of the same pairs (cached on the server), never embedded again.

        Args:
            pairs: the table, a list of {"question", "answer"} objects or that list as a JSON string
                (at most the server's max_pairs, see the models tool)
            question: any question; when it equals a question of the table, that pair's answer is the
                "intended" one and each side says where it ranked it
            sides: a list of {"name", "model", "method"?} objects (up to 8; method empty: the model's
                default), or that list as a JSON string; empty: the default base GPT and embedding model
        Returns:
            {"question", "intended": pair number or null, "sides": {name: {"answers": [{"pair", "answer",
            "cosine"}] (the top 5, best first; pair numbers 0-based), "intended_rank": 1-based or null,
            "cached": bool}}, "skipped": {name: why}} (sides of precomputed vectors cannot embed a question)
        """
        question = check_question(question, self.session.settings.max_text_chars)
        specs = specs_from_api(sides, default=True)
        return compute_answers(self.session.session_name, self.session.request(pairs, specs, from_value=True), question)

    def models(self) -> dict:
        """What this EmbedLab server offers: its model presets, the embedding methods, and its limits.

        Returns:
            {"presets": [{"name", "side": "base" (a plain GPT) or "embed" (a trained embedding model),
            "hub_id", "summary"}], "default_pair": [base, embed], "methods": {name: summary},
            "hosted": bool (true: only presets and "allowed_models" may be named, no files or other Hub
            ids), "allowed_models": [...], "limits": {"max_pairs", "max_text_chars" (per question or
            answer), "max_sides", "max_tune_seconds", "max_tune_pairs", "top_answers"}}
        """
        settings = self.session.settings
        return {"presets": [{"name": p.name, "side": p.side, "hub_id": p.hub_id, "summary": p.summary}
                            for p in PRESETS.values()],
                "default_pair": list(default_pair()),
                "methods": {name: method.summary for name, method in METHODS.items()},
                "hosted": settings.hosted, "allowed_models": list(settings.allowed_models),
                "limits": {"max_pairs": settings.max_pairs, "max_text_chars": settings.max_text_chars,
                           "max_sides": MAX_SIDES, "max_tune_seconds": settings.tune_seconds_limit,
                           "max_tune_pairs": settings.max_tune_pairs if settings.hosted else None,
                           "top_answers": TOP_ANSWERS}}
