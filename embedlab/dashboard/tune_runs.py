"""Where the dashboard's fine-tunes run: one at a time on the server, in a thread, on a GPU where ZeroGPU
gives one; the Fine-tune section (`tune_section.py`) starts them and shows what they report.

`SLOT` is the server's one training slot, taken without waiting by the section (a second visitor is
told the server is busy rather than queued) and released by the `Training` thread when the run ends,
whether or not anyone still reads it. `run_tune` is the model work (the lab's `tune()` and the
embedding model's held-out figures) as a stream of events; `FileFlag` is its cancel flag, a file, so
a ZeroGPU worker process sees it too.
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path
from typing import Iterator

from .. import allocator
from ..session import get_session
from ..sides import SideSpec
from ..tuning.config import TuneConfig
from .zerogpu import gpu, tune_duration

SLOT = threading.Lock()  # one fine-tune at a time on this server (a Space)
BUSY = "another fine-tune is running on this server (one at a time); try again when it has finished"
# the fine-tune running now, if any: its training budget in seconds and, from its last step, the seconds it
# had trained then ("trained", the lab's own clock, which leaves out loading) and when (time.monotonic)
RUNNING: dict = {}


def training_left() -> float | None:
    """Seconds left of the running fine-tune's training budget (all of it before its first step; 0 once spent:
    it is measuring or saving), or None when no fine-tune runs."""
    run = dict(RUNNING)
    if not run:
        return None
    trained = run["trained"] + time.monotonic() - run["at"] if "at" in run else 0.0
    return max(0.0, run["budget"] - trained)


class FileFlag:
    """A cancel flag that a ZeroGPU worker process sees too: a file, set by creating it."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def is_set(self) -> bool:
        return self.path.exists()

    def set(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch()

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


@gpu(tune_duration, "the fine-tune")
def run_tune(session_name: str, pairs: list[dict], base: str, out: str, config: TuneConfig, embed: SideSpec | None,
             cancel_path: str, device: str | None = None) -> Iterator[tuple]:
    """Fine-tune `base` into `out`, then measure `embed` (if any) on the same held-out pairs, as a stream
    of events: ("say", text), ("step", step, loss, seconds), and last ("done", TuneResult, embedding SideResult) or
    ("error", exception). The base model's load, training and measures hold the session's compute lock."""
    from ..tuning.lab import tune

    session = get_session(session_name)
    events: queue.Queue = queue.Queue()

    def work() -> None:
        try:
            if session.compute_lock.locked():
                events.put(("say", "waiting for a comparison to finish"))
            with session.compute_lock:
                result = tune(pairs, base, out, config, device=device,
                              cancel=FileFlag(Path(cancel_path)), progress=lambda step, loss, seconds: events.put(("step", step, loss, seconds)),
                              message=lambda text: events.put(("say", text)), cache=session.cache,
                              access=session.settings.access)
            side = None
            if embed is not None:
                heldout = [pairs[i] for i in result.split.heldout]
                events.put(("say", f"measuring {embed.model} on the {len(heldout)} held-out pairs"))
                side = session.compare(heldout, sides=[embed], device=device).sides[embed.name]
            events.put(("done", result, side))
        except BaseException as exc:  # noqa: BLE001 - handed to the page as the run's last event
            events.put(("error", exc))

    threading.Thread(target=work, name="embedlab-tune", daemon=True).start()
    while True:
        event = events.get()
        yield event
        if event[0] in ("done", "error"):
            return


class Training:
    """One fine-tune on the server: it holds SLOT from start to end (released by its own thread, so a
    visitor who leaves mid-way never keeps the slot) and queues `run_tune`'s events for the page."""

    def __init__(self, visitor: str, args: tuple):
        self.visitor = visitor
        self.events: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, args=args, name="embedlab-training", daemon=True)

    def _run(self, *args) -> None:
        RUNNING.update(budget=args[4].minutes * 60)  # args[4]: its TuneConfig
        try:
            for event in run_tune(*args):
                if event[0] == "step":  # ("step", step, loss, seconds trained)
                    RUNNING.update(trained=event[3], at=time.monotonic())
                self.events.put(event)
        except BaseException as exc:  # noqa: BLE001 - shown on the page
            self.events.put(("error", exc))
        finally:
            RUNNING.clear()
            allocator.release_freed()  # the training copy and its optimiser state, freed, go back to the system
            SLOT.release()

    def follow(self) -> Iterator[tuple]:
        while True:
            event = self.events.get()
            yield event
            if event[0] in ("done", "error"):
                return
