"""The training loop: batches of training pairs, the contrastive loss, a step or time budget, progress
and cancel.

Each step takes `batch` training pairs (shuffled each epoch by the seed; the last short batch of an
epoch is dropped), embeds their questions (as queries) and answers (as passages) with the trainable
model, and takes one AdamW step on the symmetric InfoNCE loss (a short linear warm-up, gradients
clipped at norm 1). It stops after `steps` steps or `minutes` of training, whichever comes first; the
time spent preparing (tokenising, the frozen part's one-time pass) counts, and a budget that ends
before the first step is a TuneError. With a step count that ends first, the same seed gives the
same weights. `progress(step, loss, elapsed)` is called after every
step; `cancel` is checked before every step and between the preparing pass's batches.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch

from ..methods import Role
from ..pairs import Pair
from .config import MAX_STEPS, TuneCancelled, TuneConfig, TuneError
from .loss import info_nce
from .model import Trainable

StepProgress = Callable[[int, float, float], None]  # (step, loss, seconds since training began)
WARMUP = 5  # steps


@dataclass
class Trained:
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0  # preparing and stepping
    prepare_seconds: float = 0.0  # of which the one-time pass (tokenising, the frozen lower part)

    @property
    def steps(self) -> int:
        return len(self.losses)


def batches(count: int, size: int, seed: int):
    """Endless batches of `size` indices into `count` training pairs, each epoch shuffled anew."""
    rng = np.random.default_rng(seed)
    size = min(size, count)
    while True:
        order = rng.permutation(count).tolist()
        for start in range(0, count - size + 1, size):
            yield order[start:start + size]


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise TuneCancelled("cancelled; nothing was written")


def train(trainable: Trainable, pairs: Sequence[Pair], config: TuneConfig, progress: StepProgress | None = None,
          cancel: threading.Event | None = None) -> Trained:
    """Tune `trainable` on `pairs` (the training side of the split) within the config's budget."""
    began = time.perf_counter()
    deadline = began + config.minutes * 60
    n = len(pairs)
    trainable.prepare([p.question for p in pairs] + [p.answer for p in pairs],
                      [Role.QUERY] * n + [Role.PASSAGE] * n, cancel=lambda: bool(cancel and cancel.is_set()))
    result = Trained(prepare_seconds=time.perf_counter() - began)
    parameters = trainable.parameters()
    optimizer = torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=0.0)
    warmup = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / WARMUP))
    draw = batches(n, config.batch, config.seed)
    for _ in range(config.steps or MAX_STEPS):
        _check(cancel)
        if time.perf_counter() >= deadline:
            break
        chosen = next(draw)
        queries = trainable.vectors(chosen)
        passages = trainable.vectors([n + i for i in chosen])
        loss = info_nce(queries, passages, config.scale, [pairs[i].question for i in chosen],
                        [pairs[i].answer for i in chosen])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        warmup.step()
        result.losses.append(float(loss.detach()))
        result.seconds = time.perf_counter() - began
        if progress:
            progress(result.steps, result.losses[-1], result.seconds)
    _check(cancel)
    result.seconds = time.perf_counter() - began
    if not result.losses:
        raise TuneError(f"the time budget of {config.minutes:g} min ended before the first step (preparing took "
                        f"{result.prepare_seconds:.0f} s); allow more minutes, or fewer or shorter texts (max length)")
    return result
