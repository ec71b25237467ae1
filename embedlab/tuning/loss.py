"""The contrastive objective: InfoNCE with in-batch negatives, in both directions.

Row i of the questions should match row i of the answers and no other row: the logits are the cosine
similarities times `scale` (1 / temperature; e5 uses 50, sentence-transformers'
MultipleNegativesRankingLoss 20), and the loss is the mean of the cross-entropy question -> answers
and answer -> questions. An off-diagonal pair whose texts are equal to the diagonal's (the same answer
given to two questions) is no negative and is masked out.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F


def same_text(texts: Sequence[str]) -> torch.Tensor:
    """[n, n] bool: texts i and j are equal and i != j."""
    n = len(texts)
    return torch.tensor([[i != j and texts[i] == texts[j] for j in range(n)] for i in range(n)], dtype=torch.bool)


def info_nce(queries: torch.Tensor, passages: torch.Tensor, scale: float,
             query_texts: Sequence[str] | None = None, passage_texts: Sequence[str] | None = None) -> torch.Tensor:
    """Symmetric InfoNCE of matching rows of `queries` and `passages` ([n, dim] each), a scalar."""
    q = F.normalize(queries.float(), dim=-1)
    p = F.normalize(passages.float(), dim=-1)
    logits = scale * q @ p.T  # [question i, answer j]
    labels = torch.arange(len(q), device=q.device)
    to_passages, to_queries = logits, logits.T
    if passage_texts is not None:  # question i must not be pushed away from a copy of its own answer
        to_passages = to_passages.masked_fill(same_text(passage_texts).to(q.device), float("-inf"))
    if query_texts is not None:
        to_queries = to_queries.masked_fill(same_text(query_texts).to(q.device), float("-inf"))
    return (F.cross_entropy(to_passages, labels) + F.cross_entropy(to_queries, labels)) / 2
