"""The page's question box: a visitor's own question asked of the comparison on the page.

`ask` rebuilds the page's sides from the visitor's state (each side's model, method and resolved
options, so the table's vectors come back from the cache rather than the model) and asks them through
`compute.compute_answers`, the same path as the `ask_json` endpoint; `answers_html` is the pure view.
What it leaves out: the question's point on the PCA maps.
"""

from __future__ import annotations

import html

import gradio as gr

from ..ask import check_question
from ..backends.vectors import METHOD as VECTORS_METHOD
from ..errors import EmbedLabError
from ..sides import SideSpec
from .compute import PageSession, compute_answers
from .page_errors import on_page
from .results import ViewState


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
    def __init__(self, session: PageSession):
        self.session = session

    @on_page
    def ask(self, state: ViewState | None, question: str) -> str:
        """The answers to `question` from the comparison on the visitor's page, as HTML."""
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
        asked = compute_answers(session, self.session.request(comparison.pairs, specs, session), question)
        labels = {name: f"{side.model} ({side.method})" for name, side in comparison.sides.items()}
        return answers_html({**asked, "skipped": {**asked["skipped"], **skipped}}, labels)
