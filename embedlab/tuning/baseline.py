"""The fine-tune lab's label-free baseline: the base GPT's held-out vectors, whitened.

`whitened()` fits BERT-whitening (`analysis/post.py`, K by its default rule) on the base model's
vectors of the TRAINING pairs' texts only (questions as queries, answers as passages, the tuned
method and options; no labels), and applies it to the held-out vectors "before" already holds. The
held-out texts never enter the fit, so the whitened figures are as honest as the tuned ones: both
learn from the training pairs, one without labels in milliseconds, the other with them in minutes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from ..analysis.post import fit
from ..backends import Backend
from ..cache import EmbeddingCache
from ..comparison import SideResult, side_result
from ..embedding import Embedded, embed
from ..methods import Role
from ..pairs import Pair
from ..prompts import Options

GAP_LABELS = {"before": "the base GPT", "whitened": "whitening (fitted on the training texts, no labels)",
              "after": "tuning", "embedding": "the embedding model"}  # the lab's sides in the gap sentence
FITTED_ON = "the training pairs' question and answer texts only (no labels; the held-out texts never enter the fit)"


def whitened(backend: Backend, train: Sequence[Pair], before: SideResult, options: Options,
             cache: EmbeddingCache | None = None) -> SideResult:
    """`before` (raw held-out vectors of `backend`) whitened with a fit on the `train` pairs' texts."""
    texts = [p.question for p in train] + [p.answer for p in train]
    roles = [Role.QUERY] * len(train) + [Role.PASSAGE] * len(train)
    fitted = embed(backend, texts, roles, before.method, options.embedding(), cache)
    done = fit(fitted.vectors, "whiten")
    held = Embedded(done.apply(before.vectors), before.method, before.options, fitted.cached, fitted.computed,
                    before.truncated, fitted.seconds)
    side = side_result(backend, held, len(before.vectors) // 2)
    return replace(side, model=before.model, options=replace(side.options, post="whiten",
                                                             whiten_dims=done.basis.shape[1]))
