"""The Fine-tune section's events: tune the base GPT on the table's pairs while the page watches.

`TuneEvents.start` checks everything a visitor can get wrong (pairs, held-out share, time budget and
this deployment's limits, model and method) before it takes the server's one training slot (see
`tune_runs.py`: a second visitor is told the server is busy, not queued), and streams the run's steps
to the page as `{component: value}` for what each step changes: a progress bar and the loss curve,
then the held-out heatmaps (`tune_view.py`) of the base GPT before tuning, whitened without labels and
after tuning, and of the embedding model, on one colour scale, with their metrics (the words are
`tune_section.py`'s).

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
from .compute import PageSession
from .gpu_errors import words
from .layout import Layout
from .page_errors import for_api, on_page
from .tune_runs import BUSY, SLOT, FileFlag, Training
from .tune_section import DEFAULT_SECONDS, heatmaps_caption, progress_html
from .tune_view import SIDE_NAMES, heldout_comparison, summary

UPDATE_SECONDS = 1.0  # the loss curve is drawn again at most this often


class TuneEvents:
    """The Fine-tune section's events, for the page laid out in `layout` (None: the API's only)."""

    def __init__(self, layout: Layout | None, session: PageSession):
        self.layout = layout
        self.session = session
        self.settings = session.settings
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
        base, owner = self.session.owner(base)  # tuning a visitor's tuned model: its folder
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
            training = Training(visitor, (self.session.session_for([base]), [p.as_dict() for p in pairs], base,
                                          str(out), config, spec, str(flag.path)))
            self.running = training
            training.thread.start()
        except BaseException:
            SLOT.release()
            raise
        return training

    # the page --------------------------------------------------------------------------------------
    @on_page
    def start(self, rows, base: str, embed: str, embed_method: str | None, seconds: float, holdout: float,
              method: str | None, request: gr.Request = None) -> Iterator[dict]:
        """Stream a fine-tune on the table's pairs to the page: the status (a progress bar and a line) and
        the loss curve as it runs, then the results (`_finish`)."""
        pairs = tables.rows_to_pairs(rows)
        config, spec = self.checked(pairs, base, embed, embed_method, seconds, holdout, method)
        if spec is None:
            raise EmbedLabError("choose an embedding model: its held-out heatmap stands beside the tuned one")
        visitor = visitors.key(request)
        out = visitors.folder(visitor) / f"model-{uuid.uuid4().hex[:8]}"
        training = self._begin(visitor, pairs, base, config, spec, out)
        budget, losses, shown_seconds, drawn = config.minutes * 60, [], 0.0, 0

        def step_update(elapsed: float) -> dict:
            nonlocal shown_seconds, drawn
            shown_seconds, drawn = elapsed, len(losses)
            return self._update(progress_html(f"step {drawn}: loss {losses[-1]:.4f} ({elapsed:.0f} of {budget:.0f} s)",
                                              min(1.0, elapsed / budget)), figures.loss_curve(losses))

        yield self._update(progress_html("starting", 0.0), results=False)
        for event in training.follow():
            if event[0] != "step" and drawn < len(losses):  # training is over: its last step shown, as the result counts
                yield step_update(last_elapsed)
            if event[0] == "say":
                yield self._update(progress_html(visitors.without_paths(event[1]), min(1.0, shown_seconds / budget)))
            elif event[0] == "step":
                _, step, loss, last_elapsed = event
                losses.append(loss)
                if last_elapsed - shown_seconds >= UPDATE_SECONDS or step == 1:
                    yield step_update(last_elapsed)
            elif event[0] == "error":
                if isinstance(event[1], TuneCancelled):
                    gr.Warning("fine-tune cancelled; nothing was written")
                    yield self._update(progress_html("Cancelled; nothing was written."),
                                       figures.loss_curve(losses) if losses else None)
                    return
                raise event[1] if isinstance(event[1], (EmbedLabError, gr.Error)) \
                    else EmbedLabError(f"the fine-tune failed: {event[1]}")
            else:
                yield self._finish(visitor, pairs, *event[1:], out)

    def _update(self, status: str, loss=None, results: bool | None = None) -> dict:
        """The status line, and the loss curve and the results' visibility where given."""
        tune = self.layout.tune
        return {tune.status: status, **({tune.loss: loss} if loss is not None or results is not None else {}),
                **({tune.results: gr.update(visible=results)} if results is not None else {})}

    def _finish(self, visitor: str, pairs: list, result, side, out: Path) -> dict:
        """The results on the page, the tuned model offered in every model list but the embedding model's;
        the new folder allowed in the visitor's own session, older ones removed."""
        for old in visitors.folder(visitor).glob("model-*"):
            if old != out:
                shutil.rmtree(old, ignore_errors=True)
        main = get_session(self.session.session_name)
        own = Session(cache=main.cache, settings=dataclasses.replace(main.settings, own_models=(str(out),)))
        own.compute_lock = main.compute_lock  # still one computation at a time in the process
        register(visitors.session_name(self.session.session_name, visitor), own)
        comparison = heldout_comparison(pairs, result, side)
        choice = visitors.choice(out)
        caveat = f"<p class='caveat'>{html.escape(result.caveat())}</p>" if result.caveat() else ""
        layout, tune = self.layout, self.layout.tune
        offered = {row.model: gr.update(choices=[*choices.every_model(self.settings), choice])
                   for row in layout.side_rows}
        return {tune.status: progress_html(summary(result, comparison), 1.0) + caveat,
                tune.loss: figures.loss_curve(result.losses), tune.results: gr.update(visible=True),
                tune.caption: heatmaps_caption(comparison, result.method),
                **dict(zip(tune.heatmaps, figures.side_heatmaps(comparison))), tune.metrics: views.metrics_html(comparison),
                layout.classic["base"].model: gr.update(choices=[*choices.model_choices("base", self.settings)[0], choice]),
                **offered, **({tune.zip: gr.update(visible=True)} if tune.zip is not None else {})}

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
        forget(visitors.session_name(self.session.session_name, visitor))
        shutil.rmtree(folder, ignore_errors=True)

    # the API ---------------------------------------------------------------------------------------
    @for_api
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
        pairs = pairs_from_value(pairs)
        config, _ = self.checked(pairs, model, None, None, seconds, holdout, method)
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
