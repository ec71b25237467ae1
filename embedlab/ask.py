"""Asking a comparison a new question: which answers of its table each side retrieves for it.

`ask()` embeds the question once per side, as a query, with that side's model, method and options,
through the session's cache (so a question that is already in the table comes from the cache), and
ranks the comparison's own answer vectors by cosine similarity: each side's top TOP_ANSWERS answers,
and, when the question equals one of the table's questions, the rank that side gives that pair's
answer (the "intended" one). The answers are never embedded again. A side of precomputed vectors
cannot embed a question and is skipped, with the reason. The question is checked once, here, against
the session's limits (hosted mode: its length).

What it leaves out: the figures (the page draws the question on each PCA map from `query_vectors`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .backends.vectors import METHOD as VECTORS_METHOD
from .comparison import Comparison
from .errors import EmbedLabError, PairsError
from .methods import Role
from .metrics import cos_sim

TOP_ANSWERS = 5


@dataclass(frozen=True)
class Answer:
    pair: int  # 0-based pair number in the table
    answer: str
    cosine: float


@dataclass(frozen=True)
class SideAnswers:
    answers: tuple[Answer, ...]  # best first
    intended_rank: int | None  # 1 = the intended answer came first; None when the question is not in the table
    cached: bool  # the question's vector came from the cache
    query_vector: np.ndarray = field(repr=False)

    def to_json(self) -> dict:
        return {"answers": [{"pair": a.pair, "answer": a.answer, "cosine": round(a.cosine, 6)} for a in self.answers],
                "intended_rank": self.intended_rank, "cached": self.cached}


@dataclass(frozen=True)
class Asked:
    question: str
    intended: int | None  # 0-based number of the pair whose question this is, if any
    sides: dict[str, SideAnswers]
    skipped: dict[str, str]  # side name -> why it gives no answers

    def to_json(self) -> dict:
        """{"question", "intended", "sides": {name: {"answers": [{"pair", "answer", "cosine"}], "intended_rank",
        "cached"}}, "skipped": {name: why}}: pair numbers are 0-based, cosines in [-1, 1]."""
        return {"question": self.question, "intended": self.intended,
                "sides": {name: side.to_json() for name, side in self.sides.items()}, "skipped": self.skipped}


def check_question(question: str, max_chars: int) -> str:
    """The question stripped; refused when empty or longer than `max_chars`."""
    question = (question or "").strip() if isinstance(question, str) else ""
    if not question:
        raise PairsError("the question is empty; type a question to ask")
    if len(question) > max_chars:
        raise PairsError(f"the question is {len(question):,} characters, over the limit of {max_chars:,}; shorten it")
    return question


def intended_pair(comparison: Comparison, question: str) -> int | None:
    """The first pair whose question is `question` (both stripped), or None."""
    return next((i for i, p in enumerate(comparison.pairs) if p.question.strip() == question), None)


def rank_answers(query_vector: np.ndarray, answer_vectors: np.ndarray, intended: int | None,
                 texts: list[str], top: int = TOP_ANSWERS) -> tuple[tuple[Answer, ...], int | None]:
    """The `top` answers nearest `query_vector` by cosine (ties: the lower pair number first) and the
    1-based rank of answer `intended` (1 + how many answers score strictly higher)."""
    scores = cos_sim(query_vector[None, :], answer_vectors)[0]
    order = np.lexsort((np.arange(len(scores)), -scores))[:top]
    answers = tuple(Answer(int(i), texts[i], float(scores[i])) for i in order)
    rank = None if intended is None else int(np.sum(scores > scores[intended])) + 1
    return answers, rank


def ask(comparison: Comparison, question: str, session=None) -> Asked:
    """Each side's answers to `question` from `comparison` (which must carry its vectors), the question
    embedded with `session` (the default session where None)."""
    from .session import default_session

    session = session or default_session()
    question = check_question(question, session.settings.max_text_chars)
    intended = intended_pair(comparison, question)
    n = len(comparison.pairs)
    texts = [p.answer for p in comparison.pairs]
    sides, skipped = {}, {}
    for name, side in comparison.sides.items():
        if side.method == VECTORS_METHOD:
            skipped[name] = "precomputed vectors cannot embed a new question"
            continue
        if side.vectors is None:
            raise EmbedLabError(f"side {name!r}: the comparison holds no vectors to answer from; compare again")
        embedded = session.embed(side.model, [question], side.method, side.options, roles=[Role.QUERY])
        vector = embedded.vectors[0]
        answers, rank = rank_answers(vector, side.vectors[n:], intended, texts)
        sides[name] = SideAnswers(answers, rank, embedded.cached == 1, vector)
    return Asked(question, intended, sides, skipped)
