"""What a Compare says while it waits for its turn: the session runs one piece of model work at a time
(its compute lock), so a Compare pressed during a fine-tune or another visitor's comparison waits, and
says which, with the fine-tune's training time left (`tune_runs.training_left`), instead of a progress
bar that stands at 0%.

It only waits and reports: the lock itself is taken by the session's `compare`.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from .tune_runs import training_left

POLL_SECONDS = 1.0


def waiting_words(left: float | None) -> str:
    """The status line for a Compare waiting its turn, `left` being the running fine-tune's training
    seconds left (None: no fine-tune runs, so another comparison holds the models)."""
    if left is None:
        return "Waiting for another comparison on this server to finish (one runs at a time)"
    if left > 0:
        return f"Waiting for the fine-tune running on this server: about {left:.0f} s of training left"
    return "Waiting for the fine-tune running on this server: training done, measuring and saving"


def wait_turn(lock: threading.Lock, report: Callable[[int, int, str], None]) -> None:
    """While `lock` is held by other work, report what this Compare waits for, once a second."""
    while lock.locked():
        report(0, 0, waiting_words(training_left()))
        time.sleep(POLL_SECONDS)
