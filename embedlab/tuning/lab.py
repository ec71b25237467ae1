"""One fine-tune from start to finish: `tune()` and its result, `TuneResult`.

Checks everything a person can get wrong first (settings, pairs and split, model and method, output
folder, disk space), then: the base model's held-out figures with the tuned method ("before"), the
same vectors whitened with a fit on the training texts only ("whitened", `baseline.py`: the label-free
baseline), training (`train.py`), the tuned model saved into a scratch folder, that folder loaded as any model
folder is and measured on the same held-out pairs ("after"), `embedlab-tune.json` written, and the
folder moved into place. A cancel or an error at any point leaves nothing behind.
"""

from __future__ import annotations

import dataclasses
import shutil
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Sequence

from ..cache import EmbeddingCache
from ..analysis import gap as gaps
from ..analysis.intervals import Uncertainty
from ..comparison import SideResult, compare_side, measure_sides
from ..pairs import Pair, pairs_from_value
from ..prompts import Options
from ..access import Access
from ..sources import inspect
from ..tuned import training_texts, tuned_model, tuned_name
from . import output
from .baseline import FITTED_ON, GAP_LABELS, whitened
from .config import TuneCancelled, TuneConfig, TuneError, trainable_methods
from .split import Split, split_pairs
from .train import StepProgress, train

Message = Callable[[str], None]
NEAR_ZERO_LOSS = 0.05  # mean loss of the last few steps under this: the training pairs are learnt by heart
FEW_HELDOUT = 30  # held-out pairs under this: one pair moves top-1 by more than 0.03


@dataclass(frozen=True, eq=False)
class TuneResult:
    model: str  # the base model, as asked for
    out: str  # the tuned model folder
    method: str
    config: TuneConfig
    split: Split
    losses: tuple[float, ...]
    seconds: float  # training, its preparing pass included
    before: SideResult  # the base model with `method`, on the held-out pairs
    after: SideResult  # the tuned folder, on the held-out pairs
    info: dict  # what embedlab-tune.json holds
    whitened: SideResult | None = None  # "before" whitened, fitted on the training texts only (baseline.py)
    embedding: SideResult | None = None  # an embedding model on the held-out pairs, where the caller measured one

    @property
    def sides(self) -> dict[str, SideResult]:
        """The held-out sides by their JSON keys, in order: before, whitened, after, embedding (those present)."""
        every = {"before": self.before, "whitened": self.whitened, "after": self.after, "embedding": self.embedding}
        return {key: side for key, side in every.items() if side is not None}

    @property
    def steps(self) -> int:
        return len(self.losses)

    def caveat(self) -> str:
        """A warning to print beside the result where the loss reached ~0 and few pairs were held out; "" otherwise."""
        tail, n = self.losses[-5:], len(self.split.heldout)
        if not tail or sum(tail) / len(tail) >= NEAR_ZERO_LOSS or n >= FEW_HELDOUT:
            return ""
        return (f"The loss reached ~0 on {len(self.split.train)} training pairs: the model has learnt them by heart. "
                f"Only the {n} held-out pairs say how it does on pairs it has not seen, and {n} is few: "
                f"one pair more or less moves top-1 by {1 / n:.2f}.")

    @cached_property
    def uncertainty(self) -> Uncertainty:
        """Intervals on every held-out side's figures and the paired differences between them (after - before...)."""
        return measure_sides(self.sides, len(self.split.heldout))

    def with_embedding(self, side: SideResult) -> "TuneResult":
        """This result with an embedding model's side measured on the same held-out pairs."""
        return dataclasses.replace(self, embedding=side)

    @cached_property
    def gap(self) -> gaps.Gap | None:
        """What whitening and tuning each close of the held-out AUC gap from before to the embedding model."""
        if self.embedding is None:
            return None
        return gaps.gap(self.uncertainty, "before", "embedding", [k for k in ("whitened", "after") if k in self.sides])

    def gap_words(self) -> str:
        """The gap in one plain sentence; "" without an embedding model."""
        return gaps.gap_words(self.gap, GAP_LABELS, len(self.split.heldout), "held-out pairs") if self.gap else ""

    def to_json(self) -> dict:
        u = self.uncertainty
        extra = {"whitened_fit": FITTED_ON} if self.whitened else {}
        if self.gap:
            extra |= {"gap": {**self.gap.as_dict(), "words": self.gap_words()}}
        return {"model": self.model, "out": self.out, "method": self.method, "split": self.split.as_dict(),
                "loss": [round(x, 6) for x in self.losses], "steps": self.steps, "seconds": round(self.seconds, 3),
                "config": self.config.as_dict(), "bootstrap": u.settings(),
                **{key: {**side.to_json(), **u.side_json(key)} for key, side in self.sides.items()}, **extra}


def _checked_model(model: str, method: str, access: Access | None):
    info = access.inspect(model) if access is not None else inspect(model)
    usable = [m for m in info.methods if m in trainable_methods()]
    if method not in usable:
        raise TuneError(f"cannot fine-tune {info.name!r} with method {method!r}; "
                        f"methods this model can be tuned with: {', '.join(usable) or 'none'}")
    return info


def _baselines(backend, info, heldout: list[Pair], train: list[Pair], method: str, options: Options,
               cache: EmbeddingCache | None, cancel, say) -> tuple:
    """The base model before tuning on the held-out pairs (named as a tuned model is, where it is one), and its
    held-out vectors whitened with a fit on the training texts only (the label-free baseline)."""
    say(f"measuring {info.name} ({method}) on {len(heldout)} held-out pairs")
    before = compare_side(backend, heldout, method, options, cache)
    earlier = tuned_model(info.source.location) if info.source.kind == "folder" else None
    if earlier is not None:  # tuning a tuned model: its name, not its folder's path
        before = dataclasses.replace(before, model=earlier.name)
    _check(cancel)
    say(f"whitening {info.name}'s held-out vectors with a fit on the {len(train)} training pairs' texts")
    return before, whitened(backend, train, before, options, cache)


def _measured_from_disk(folder, device: str, heldout: list[Pair], method: str, options: Options):
    """The tuned model as saved in `folder`, loaded from disk and measured on the held-out pairs."""
    from ..loading import load

    backend = load(str(folder), device=device, allow_paths=True)
    try:
        return compare_side(backend, heldout, method, options)
    finally:
        backend.close()


def _record(info, backend, method: str, options: Options, split, pairs, config: TuneConfig, what, trained,
            sides: dict) -> dict:
    """What `embedlab-tune.json` keeps of a run: the base model, the method, the split and the training pairs'
    texts (what a comparison marks as seen), the settings, the loss, and each held-out side's metrics."""
    return {"base": {"model": info.name, "fingerprint": backend.fingerprint, "source": info.source.kind},
            "method": method, "options": options.as_dict(), "split": split.as_dict(),
            "train_pairs": training_texts(pairs, split.train),
            "hyperparameters": config.as_dict(), "trained": what,
            "loss": [round(x, 6) for x in trained.losses], "steps": trained.steps,
            "seconds": round(trained.seconds, 3), "prepare_seconds": round(trained.prepare_seconds, 3),
            "device": backend.device, **{name: side.metrics.as_dict() for name, side in sides.items()},
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def tune(pairs: Sequence[Pair] | Any, model: str, out: str, config: TuneConfig | None = None, *,
         device: str | None = None, progress: StepProgress | None = None, cancel: threading.Event | None = None,
         message: Message | None = None, cache: EmbeddingCache | None = None, overwrite: bool = False,
         access: Access | None = None) -> TuneResult:
    """Fine-tune `model` contrastively on part of `pairs` and write it to the folder `out`; `access` says
    what may be named (None: anything)."""
    import torch

    from ..loading import load

    config = config or TuneConfig()
    say = message or (lambda text: None)
    method = config.check()
    pairs = pairs_from_value(pairs)
    split = split_pairs(pairs, config.holdout, config.seed)
    info = _checked_model(model, method.name.value, access)
    target = output.check_target(out, overwrite)
    heldout = [pairs[i] for i in split.heldout]
    options = Options(task=config.task)
    say(f"loading {info.name}")
    backend = load(info, device=device)
    try:
        output.check_space(target, sum(p.numel() * p.element_size() for p in backend.model.parameters()))
        what = _what_trained(config, int(getattr(backend.model.config, "num_hidden_layers", 0) or 0))
        _check(cancel)
        before, white = _baselines(backend, info, heldout, [pairs[i] for i in split.train], method.name.value, options,
                                   cache, cancel, say)
        say(f"training on {len(split.train)} pairs on {backend.device} (at most {config.minutes:g} min"
            + (f" or {config.steps} steps)" if config.steps else ")"))
        torch.manual_seed(config.seed)
        from .model import Trainable

        trainable = Trainable(backend, method, config)
        trained = train(trainable, [pairs[i] for i in split.train], config, progress, cancel)
        tuned = trainable.finish()
        scratch = output.scratch_for(target)
    except BaseException:
        backend.close()
        raise
    try:
        say(f"saving to {target}")
        try:
            output.save_model(tuned, backend.tokenizer, scratch)
        finally:
            del trainable, tuned
            backend.close()  # the tuned folder is measured as saved, from disk
        _check(cancel)
        say(f"measuring the tuned model on the {len(heldout)} held-out pairs")
        after = _measured_from_disk(scratch, backend.device, heldout, method.name.value, options)
        record = _record(info, backend, method.name.value, options, split, pairs, config, what, trained,
                         {"before": before, "after": after, "whitened": white})
        after = dataclasses.replace(after, model=tuned_name(record))  # its name, not the folder's path
        output.write_info(scratch, record)
        _check(cancel)
        output.publish(scratch, target)
    except OSError as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        raise output.disk_error(exc, target) from None
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    say(f"wrote {target}")
    return TuneResult(info.name, str(target), method.name.value, config, split, tuple(trained.losses),
                      trained.seconds, before, after, record, white)


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise TuneCancelled("cancelled; nothing was written")


def _what_trained(config: TuneConfig, total: int) -> str:
    layers = "all layers" if config.layers is None or (total and config.layers >= total) else f"top {config.layers} layers"
    return f"LoRA rank {config.lora_rank} on the linear layers of {layers}" if config.lora_rank else f"weights of {layers}"

