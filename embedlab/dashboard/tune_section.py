"""The dashboard's Fine-tune section: tune the base GPT on the table's pairs while the page watches.

`TuneSection.start` checks everything a visitor can get wrong (pairs, held-out share, time budget and
this deployment's limits, model and method) before it takes the server's one training slot (see
`tune_runs.py`: a second visitor is told the server is busy, not queued), and streams the run's steps
to the page: a progress bar and the loss curve, then the held-out heatmaps (`tune_view.py`) of the
base GPT before tuning, whitened without labels and after tuning, and of the embedding model, on one
colour scale, with their metrics.

The tuned model lives in the visitor's own folder (`visitors.folder`, one model at a time), removed
when the visitor leaves (`end_session`, on demo.unload). Compare then offers it as a model choice and
runs it in a session of the visitor's own (`visitors.py`), whose settings allow that folder even in
hosted mode. `tune_json` is the API's fine-tune: the command line's JSON, no folder kept.
It leaves out the lab's finer settings (batch, learning rate, layers, LoRA): the command line has them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import shutil
import uuid
from pathlib import Path
from typing import Iterator

import gradio as gr

from ..errors import EmbedLabError
from ..pairs import pairs_from_value
from ..session import Session, forget, get_session, register
from ..sides import SideSpec
from ..tuning.config import TuneCancelled, TuneConfig
from ..tuning.split import split_pairs
from . import choices, figures, tables, views, visitors
from .gpu_errors import words
from .handlers import Dashboard, _ui_error
from .sides_form import EXTRA_ROWS
from .tune_runs import BUSY, SLOT, FileFlag, Training
from .tune_view import SIDE_NAMES, heldout_comparison, summary

DEFAULT_SECONDS = 60
UPDATE_SECONDS = 1.0  # the loss curve is drawn again at most this often


def progress_html(text: str, done: float | None = None) -> str:
    """The status line; with `done` (0 to 1), a progress bar above it."""
    bar = f"<progress class='tune-bar' max='1' value='{done:.3f}'></progress>" if done is not None else ""
    return f"<div class='tune-status'>{bar}<p class='run-line'>{html.escape(text)}</p></div>"


def before_note(method: str) -> str:
    """Why "before tuning" can differ from what Compare shows for the same GPT."""
    return (f"Before tuning reads the base GPT with {method}, the method it is tuned with, so before and after "
            "differ only by the training; Compare reads it with the method chosen there (the model's default "
            "may be another one), so its figures can differ.")


class TuneSection:
    """The Fine-tune section's events; `dashboard` gives the shared session's name and settings."""

    def __init__(self, dashboard: Dashboard):
        self.dashboard = dashboard
        self.settings = dashboard.settings
        self.running: Training | None = None

    def checked(self, pairs: list, base: str, embed: str, embed_method: str | None, seconds: float | None,
                holdout: float | None, method: str | None) -> tuple[TuneConfig, SideSpec | None]:
        """The lab's settings and the embedding model's side (None without `embed`); an EmbedLabError for
        the first thing that is wrong (pairs, limits, settings, models and methods), before any model loads."""
        self.settings.check_pairs(pairs)
        choices.check_available([base, embed or ""])
        seconds = float(seconds or 0)
        self.settings.check_tune(pairs, seconds)
        config = TuneConfig(method=(method or "").strip() or TuneConfig.method, minutes=seconds / 60,
                            holdout=float(holdout if holdout is not None else 0))
        config.check()
        split_pairs(pairs, config.holdout, config.seed)  # too few pairs, duplicates, too few left to train on
        base = visitors.resolve(base)  # tuning a visitor's tuned model: its folder
        owner = get_session(visitors.session_for(self.dashboard.session_name, [base])).settings
        owner.inspect(base).method(config.method)  # e.g. a causal-only method on an encoder-only model
        if not (embed or "").strip():
            return config, None
        spec = SideSpec(embed.strip(), embed_method or None, name=SIDE_NAMES[-1])
        self.settings.inspect(spec.model).method(spec.method)
        return config, spec

    def _begin(self, visitor: str, pairs: list, base: str, config: TuneConfig, spec: SideSpec, out: Path) -> Training:
        """Take the slot (or refuse with BUSY) and start training into `out`."""
        if not SLOT.acquire(blocking=False):
            raise gr.Error(BUSY, print_exception=False)
        try:
            flag = FileFlag(visitors.folder(visitor) / "cancel")
            flag.clear()
            out.parent.mkdir(parents=True, exist_ok=True)
            base = visitors.resolve(base.strip())
            session = visitors.session_for(self.dashboard.session_name, [base])
            training = Training(visitor, (session, [p.as_dict() for p in pairs], base,
                                          str(out), config, spec, str(flag.path)))
            self.running = training
            training.thread.start()
        except BaseException:
            SLOT.release()
            raise
        return training

    # the page --------------------------------------------------------------------------------------
    def start(self, rows, base: str, embed: str, embed_method: str | None, seconds: float, holdout: float,
              method: str | None, request: gr.Request = None) -> Iterator[tuple]:
        """Stream a fine-tune on the table's pairs to the page. Yields, in app.py's order: the status (a
        progress bar and a line), the loss curve, the results column, the heatmaps' caption, the four
        held-out heatmaps, their metrics, the base model's choices, each extra side's model choices and
        (outside hosted mode) the download button."""
        try:
            pairs = tables.rows_to_pairs(rows)
            config, spec = self.checked(pairs, base, embed, embed_method, seconds, holdout, method)
            if spec is None:
                raise EmbedLabError("choose an embedding model: its held-out heatmap stands beside the tuned one")
        except EmbedLabError as exc:
            raise _ui_error(exc) from None
        visitor = visitors.key(request)
        out = visitors.folder(visitor) / f"model-{uuid.uuid4().hex[:8]}"
        training = self._begin(visitor, pairs, base, config, spec, out)
        budget, losses, shown, drawn = config.minutes * 60, [], 0.0, 0

        def step_update(elapsed: float) -> tuple:
            nonlocal shown, drawn
            shown, drawn = elapsed, len(losses)
            return self._update(progress_html(f"step {drawn}: loss {losses[-1]:.4f} ({elapsed:.0f} of {budget:.0f} s)",
                                              min(1.0, elapsed / budget)), figures.loss_curve(losses))

        yield self._update(progress_html("starting", 0.0), None, results=False)
        for event in training.follow():
            if event[0] != "step" and drawn < len(losses):  # training is over: its last step shown, as the result counts
                yield step_update(last_elapsed)
            if event[0] == "say":
                yield self._update(progress_html(visitors.without_paths(event[1]), min(1.0, shown / budget)))
            elif event[0] == "step":
                _, step, loss, last_elapsed = event
                losses.append(loss)
                if last_elapsed - shown >= UPDATE_SECONDS or step == 1:
                    yield step_update(last_elapsed)
            elif event[0] == "error":
                exc = event[1]
                if isinstance(exc, TuneCancelled):
                    gr.Warning("fine-tune cancelled; nothing was written")
                    yield self._update(progress_html("Cancelled; nothing was written."),
                                       figures.loss_curve(losses) if losses else None)
                    return
                raise _ui_error(exc if isinstance(exc, (EmbedLabError, gr.Error))
                                else EmbedLabError(f"the fine-tune failed: {exc}")) from None
            else:
                yield self._finish(visitor, pairs, *event[1:], out)

    def _tail(self, value) -> list:
        """The download button's output, where the page has one (outside hosted mode)."""
        return [] if self.settings.hosted else [value]

    def _update(self, status: str, loss=None, results: bool | None = None) -> tuple:
        skip = gr.skip()
        return (status, skip if loss is None and results is None else loss,
                skip if results is None else gr.update(visible=results), *[skip] * (3 + len(SIDE_NAMES) + EXTRA_ROWS), *self._tail(skip))

    def _finish(self, visitor: str, pairs: list, result, side, out: Path) -> tuple:
        """The results on the page; the new folder allowed in the visitor's own session, older ones removed."""
        for old in visitors.folder(visitor).glob("model-*"):
            if old != out:
                shutil.rmtree(old, ignore_errors=True)
        main = get_session(self.dashboard.session_name)
        own = Session(cache=main.cache, settings=dataclasses.replace(main.settings, own_models=(str(out),)))
        own.compute_lock = main.compute_lock  # still one computation at a time in the process
        register(visitors.session_name(self.dashboard.session_name, visitor), own)
        comparison = heldout_comparison(pairs, result, side)
        zrange = figures.color_range([r.similarity for r in comparison.sides.values()])
        choice = visitors.choice(out)
        every = list(dict.fromkeys(choices.model_choices("base", self.settings)[0]
                                   + choices.model_choices("embed", self.settings)[0]))
        caveat = f"<p class='caveat'>{html.escape(result.caveat())}</p>" if result.caveat() else ""
        return (progress_html(summary(result, comparison), 1.0) + caveat, figures.loss_curve(result.losses),
                gr.update(visible=True), f"<p class='caption'><b>Held-out pairs.</b> "
                f"{html.escape(figures.heatmaps_title(zrange))}. {html.escape(before_note(result.method))}</p>",
                *figures.side_heatmaps(comparison), views.metrics_html(comparison),
                gr.update(choices=[*choices.model_choices("base", self.settings)[0], choice]),
                *[gr.update(choices=[*every, choice])] * EXTRA_ROWS, *self._tail(gr.update(visible=True)))

    def cancel(self, request: gr.Request = None) -> str:
        """Stop this visitor's fine-tune at its next step; nothing is written."""
        visitor = visitors.key(request)
        running = self.running
        if running is None or running.visitor != visitor or not running.thread.is_alive():
            gr.Warning("no fine-tune of yours is running")
            return gr.skip()
        FileFlag(visitors.folder(visitor) / "cancel").set()
        return progress_html("cancelling at the next step")

    def download(self, request: gr.Request = None) -> dict:
        """The visitor's tuned model folder as a zip (outside hosted mode)."""
        if self.settings.hosted:
            raise gr.Error("this deployment keeps tuned models on the server only", print_exception=False)
        models = sorted(visitors.folder(visitors.key(request)).glob("model-*"))
        if not models:
            raise gr.Error("fine-tune first: there is no tuned model yet", print_exception=False)
        from .exports import new_folder

        return gr.update(value=shutil.make_archive(str(new_folder() / "embedlab-tuned-model"), "zip", models[-1]),
                         visible=True)

    def end_session(self, request: gr.Request = None) -> None:
        """The visitor left: their fine-tune stopped, their session forgotten, their folder removed."""
        self.release(visitors.key(request))

    def release(self, visitor: str) -> None:
        folder = visitors.folder(visitor)
        running = self.running
        if running is not None and running.visitor == visitor and running.thread.is_alive():
            FileFlag(folder / "cancel").set()
            running.thread.join()  # the lab stops at its next step, leaving nothing behind
        forget(visitors.session_name(self.dashboard.session_name, visitor))
        shutil.rmtree(folder, ignore_errors=True)

    # the API ---------------------------------------------------------------------------------------
    def tune_json(self, pairs: list[dict] | str, model: str, seconds: float = DEFAULT_SECONDS,
                  method: str = TuneConfig.method, holdout: float = TuneConfig.holdout,
                  request: gr.Request = None) -> dict:
        """Fine-tune a base GPT on part of the pairs; measure the held-out rest before and after.

        Args:
            pairs: a list of {"question", "answer"} objects (15 or more), or that list as a JSON string
            model: the base GPT, a preset or model id
            seconds: the training time budget in seconds
            method: how texts become vectors, in training and after (e5, mean, ...)
            holdout: the share of the pairs held out, in (0, 0.5]
        Returns:
            the command line's JSON: {"model", "out", "method", "split", "loss", "steps", "seconds", "config",
            "before", "after"}; "out" is null: the server keeps no tuned folder for the API
        """
        try:
            pairs = pairs_from_value(pairs)
            config, _ = self.checked(pairs, model, None, None, seconds, holdout, method)
        except EmbedLabError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        visitor = visitors.key(request)
        out = visitors.folder(visitor) / f"api-{uuid.uuid4().hex[:8]}"
        training = self._begin(visitor, pairs, model, config, None, out)
        try:
            for event in training.follow():
                if event[0] == "error":
                    raise gr.Error(words(event[1]), print_exception=False)
                if event[0] == "done":
                    return event[1].to_json() | {"out": None}
        finally:
            training.thread.join()
            shutil.rmtree(out, ignore_errors=True)
            with contextlib.suppress(OSError):
                out.parent.rmdir()  # the API caller's folder, unless their page holds a tuned model there
        raise gr.Error("the fine-tune ended without a result", print_exception=False)
