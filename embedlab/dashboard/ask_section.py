"""The page's Ask box: a new question asked of the comparison on the visitor's page.

`ask` rebuilds the page's sides from the visitor's state (each side's model, method and resolved
options, so the table's vectors come back from the cache rather than the model) and asks them through
`compute.compute_answers`, the same path as the `ask_json` endpoint; `answers_html` is the pure view.
The question also appears on each side's PCA map as a star, placed by the map's own PCA (`pca.py`,
kept in the visitor's state), so its position is comparable with the table's questions and answers.
Sides that cannot embed a question (precomputed vectors) keep their map as it was.
"""

from __future__ import annotations

import html

import gradio as gr
import numpy as np
import plotly.graph_objects as go

from ..ask import check_question
from ..backends.vectors import METHOD as VECTORS_METHOD
from ..errors import EmbedLabError
from ..sides import SideSpec
from . import figures, side_order
from .compute import PageSession, compute_answers
from .page_errors import on_page
from .results import ViewState, slots

QUESTION_MARK = {"symbol": "star", "size": 18, "color": "#111111", "line": {"color": "#ffffff", "width": 1}}


def question_trace(point: np.ndarray, question: str) -> go.Scatter:
    """The asked question as one marked point on a PCA map."""
    return go.Scatter(x=[float(point[0])], y=[float(point[1])], mode="markers", name="your question",
                      marker=QUESTION_MARK, hovertext=[f"<b>Your question</b> {figures.hover_text(question)}"],
                      hovertemplate="%{hovertext}<extra></extra>")


def maps_with_question(state: ViewState, query_vectors: dict[str, np.ndarray], question: str) -> list[go.Figure]:
    """Each side's PCA map (as the page draws it) with the question's point where that side embedded it."""
    points, explained = state.points()
    shown = state.sampled_comparison()
    maps = []
    for name, place in side_order.shown(state.comparison):  # in the order the page shows them
        fig = figures.side_projection(shown, name, points[name], explained[name], place)
        if name in query_vectors:
            fig.add_trace(question_trace(state.pca[name].project(query_vectors[name])[0], question))
        maps.append(fig)
    return maps


def answers_html(asked: dict, labels: dict[str, str]) -> str:
    """Each side's top answers (cosine, pair number counted from 1, the answer) and the intended rank,
    under the side's name and `labels[name]` (its model and method)."""
    esc = lambda text: html.escape(str(text), quote=False)  # noqa: E731
    parts = []
    if asked["intended"] is not None:
        parts.append(f"<p class='caption'>This is pair {asked['intended'] + 1}'s question; its answer is the "
                     "intended one.</p>")
    for name, side in asked["sides"].items():
        rank = "" if side["intended_rank"] is None else f" &middot; intended answer ranked {side['intended_rank']}"
        rows = "".join(f"<tr><td>{i}</td><td>{a['cosine']:.4f}</td><td>{a['pair'] + 1}</td><td>{esc(a['answer'])}</td></tr>"
                       for i, a in enumerate(side["answers"], 1))
        parts.append(f"<div class='ask-side table-box'><h4>{esc(name)}: {esc(labels[name])}{rank}</h4><table class='metrics'><thead><tr><th>#</th><th>cosine</th>"
                     f"<th>pair</th><th>answer</th></tr></thead><tbody>{rows}</tbody></table></div>")
    parts += [f"<p class='caption'>{esc(name)}: skipped, {esc(why)}</p>" for name, why in asked["skipped"].items()]
    return "".join(parts)


class AskSection:
    """The Ask box's event, for the page laid out with `answers` and the PCA `maps` (SIDE_SLOTS plots)."""

    def __init__(self, session: PageSession, answers=None, maps: list | None = None):
        self.session, self.answers, self.maps = session, answers, list(maps or [])

    @on_page
    def ask(self, state: ViewState | None, question: str) -> dict:
        """The answers to `question` from the comparison on the visitor's page, as HTML, and each side's
        PCA map with the question on it."""
        if not state:
            raise gr.Error("compare first: there is nothing to ask yet", print_exception=False)
        comparison = state.comparison
        specs = [SideSpec(side.model, side.method, side.options, name)
                 for name, side in comparison.sides.items() if side.method != VECTORS_METHOD]
        skipped = {name: "precomputed vectors cannot embed a new question"
                   for name, side in comparison.sides.items() if side.method == VECTORS_METHOD}
        question = check_question(question, self.session.settings.max_text_chars)
        if not specs:
            raise EmbedLabError("every side is precomputed vectors, which cannot embed a new question")
        session = self.session.session_for([spec.model for spec in specs])
        asked = compute_answers(session, self.session.request(comparison.pairs, specs, session), question,
                                vectors=True)
        labels = {name: f"{side.model} ({side.method})" for name, side in comparison.sides.items()}
        maps = maps_with_question(state, asked.pop("query_vectors"), question)
        return {self.answers: answers_html({**asked, "skipped": {**asked["skipped"], **skipped}}, labels),
                **dict(zip(self.maps, slots(maps)))}
