"""The API endpoints that the page has no control for: `ask_json` (a new question against the table)
and `models` (what this server offers and allows), plus the rule that reads the API's `sides`. They are
also MCP tools (see `mcp.py`), so their docstrings are written for an agent: what is computed, in what
units, within which limits. Limits and allowed models are the session's settings, as for the page.
"""

from __future__ import annotations

import json

import gradio as gr

from ..ask import TOP_ANSWERS, ask, check_question
from ..errors import EmbedLabError, SideError
from ..methods import METHODS
from ..presets import PRESETS, default_pair
from ..session import get_session
from ..sides import MAX_SIDES, SideSpec, default_specs, specs_from_value
from .zerogpu import compare_duration, gpu


def specs_from_api(sides: list[dict] | str | None, default: bool = False) -> list[SideSpec]:
    """The API's `sides` (a list of objects, or that list as a JSON string); with `default`, an empty
    value means the default pair."""
    if default and not sides:
        return list(default_specs().values())
    try:
        return specs_from_value(json.loads(sides) if isinstance(sides, str) else sides)
    except json.JSONDecodeError as exc:
        raise SideError(f"sides: not valid JSON ({exc.msg})") from None


@gpu(compare_duration, "the question")  # the comparison (cached, or not yet) and one text per side
def compute_answers(session_name: str, pairs: list[dict], specs: list[SideSpec], question: str,
                    vectors: bool = False) -> dict:
    """Compare `specs` on `pairs` (from the cache where it holds them) and ask the comparison `question`;
    with `vectors`, also each side's question vector ("query_vectors", for the page's PCA maps)."""
    try:
        session = get_session(session_name)
        asked = ask(session.compare(pairs, sides=specs), question, session)
        extra = {"query_vectors": {name: side.query_vector for name, side in asked.sides.items()}} if vectors else {}
        return {**asked.to_json(), **extra}
    except EmbedLabError as exc:
        raise gr.Error(str(exc), print_exception=False) from None


class AgentApi:
    def __init__(self, dashboard):
        self.dashboard = dashboard

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
        try:
            question = check_question(question, self.dashboard.settings.max_text_chars)
            specs = specs_from_api(sides, default=True)
            self.dashboard.place(specs)
        except EmbedLabError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        return compute_answers(self.dashboard.session_name, pairs, specs, question)

    def models(self) -> dict:
        """What this EmbedLab server offers: its model presets, the embedding methods, and its limits.

        Returns:
            {"presets": [{"name", "side": "base" (a plain GPT) or "embed" (a trained embedding model),
            "hub_id", "summary"}], "default_pair": [base, embed], "methods": {name: summary},
            "hosted": bool (true: only presets and "allowed_models" may be named, no files or other Hub
            ids), "allowed_models": [...], "limits": {"max_pairs", "max_text_chars" (per question or
            answer), "max_sides", "max_tune_seconds", "max_tune_pairs", "top_answers"}}
        """
        settings = self.dashboard.settings
        return {"presets": [{"name": p.name, "side": p.side, "hub_id": p.hub_id, "summary": p.summary}
                            for p in PRESETS.values()],
                "default_pair": list(default_pair()),
                "methods": {name: method.summary for name, method in METHODS.items()},
                "hosted": settings.hosted, "allowed_models": list(settings.allowed_models),
                "limits": {"max_pairs": settings.max_pairs, "max_text_chars": settings.max_text_chars,
                           "max_sides": MAX_SIDES, "max_tune_seconds": settings.tune_seconds_limit,
                           "max_tune_pairs": settings.max_tune_pairs if settings.hosted else None,
                           "top_answers": TOP_ANSWERS}}
