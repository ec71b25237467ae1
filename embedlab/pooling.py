"""Pooling: turn per-token hidden states into one vector per text.

Each strategy is a small pure function `(hidden, mask) -> Tensor` with hidden `[batch, seq, dim]` and
mask `[batch, seq]` (1 for the tokens to pool over). The last real token is found from the mask, so the
functions are right for left and right padding alike. Inputs are never modified.
"""

from __future__ import annotations

from typing import Callable

import torch

PoolFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def last_token(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Hidden state at the last position whose mask is 1."""
    positions = torch.arange(mask.shape[1], device=mask.device)
    last = (positions * (mask > 0)).argmax(dim=1)
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]


def mean(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Average of the hidden states where the mask is 1."""
    weights = mask.to(hidden.dtype).unsqueeze(-1)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


def cls(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Hidden state at the first position whose mask is 1 (the [CLS] token of encoders)."""
    first = (mask > 0).int().argmax(dim=1)
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), first]


def max_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Element-wise maximum over the positions where the mask is 1."""
    blocked = torch.finfo(hidden.dtype).min
    return hidden.masked_fill(mask.unsqueeze(-1) == 0, blocked).max(dim=1).values


POOLING: dict[str, PoolFn] = {"last": last_token, "mean": mean, "cls": cls, "max": max_pool}
