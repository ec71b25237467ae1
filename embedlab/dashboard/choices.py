"""What the page offers and reads back: the models and methods to choose from, the devices, and the
method options from the Advanced panel. Describing a model reads its configuration only."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..availability import refusal, why_unavailable

from ..backends.vectors import is_vectors
from ..devices import offered
from ..errors import EmbedLabError, ModelUnavailableError
from ..methods import METHODS
from ..presets import PRESETS, presets_for
from ..prompts import Options
from ..settings import Settings
from . import visitors

CHAT_TEMPLATE = {"default": None, "on": True, "off": False}  # Advanced panel choice -> Options value


def offered_preset(name: str) -> str | tuple[str, str]:
    """A preset as a model choice: its name, or where it cannot run here (label saying why, name)."""
    why = why_unavailable(name)
    return (f"{name} (unavailable here: {why})", name) if why else name


def check_available(models: Iterable[str]) -> None:
    """Refuse, in one short line, a preset that cannot run here (`availability.why_unavailable`)."""
    for name in models:
        why = why_unavailable((name or "").strip())
        if why:
            raise ModelUnavailableError(refusal(name.strip(), why))


def model_choices(side: str, settings: Settings) -> tuple[list, bool]:
    """The models to offer for a side ("base" or "embed"), presets that cannot run here marked, and
    whether visitors may type another one."""
    return ([offered_preset(name) for name in presets_for(side)] + [m for m in settings.allowed_models if m not in PRESETS],
            settings.free_models)


def every_model(settings: Settings) -> list[str]:
    """The models an extra side row offers: both sides' models, once each."""
    return list(dict.fromkeys(model_choices("base", settings)[0] + model_choices("embed", settings)[0]))


def row_model_choices(model: str | None, settings: Settings) -> list:
    """An extra row's model choices: `every_model`, and the row's own uploaded vectors or tuned model
    (its page name, `visitors.model_id`) where it has them."""
    own = [model] if is_vectors(model) else []
    folder = visitors.resolve(model)
    if folder != model and Path(folder).is_dir():
        own = [visitors.choice(Path(folder))]
    return every_model(settings) + own


def method_choices(model: str, settings: Settings) -> tuple[list, str | None, str]:
    """The methods valid for `model`, its default, and a note ("" when the model could be described). A
    remote model's methods are offered as (label, name): the label says how the server honours each.
    Precomputed vectors (`vectors:FILE.npz`) take no method."""
    if is_vectors(model):
        return [], None, ""
    try:
        info = settings.inspect(model)
    except EmbedLabError as exc:
        return list(METHODS), None, f"{exc}; showing every method"
    if info.traits.server:
        return [(f"{name} ({METHODS[name].served})", name) for name in info.methods], info.default_method, ""
    return info.methods, info.default_method, ""


def options(task: str | None, chat_template: str | None, max_length: float | None) -> Options:
    """Method options from the Advanced panel; a blank task, "default" or a max length of 0 mean the defaults."""
    if chat_template is not None and chat_template not in CHAT_TEMPLATE:
        raise EmbedLabError(f"chat template {chat_template!r}: use one of {', '.join(CHAT_TEMPLATE)}")
    length = int(max_length) if max_length else None
    if length is not None and length < 0:
        raise EmbedLabError(f"max length {length}: use a positive number of tokens, or 0 for the model's own")
    return Options(task=(task or "").strip() or Options().task, chat_template=CHAT_TEMPLATE.get(chat_template),
                   max_length=length)


def available_devices() -> list[str]:
    """The devices to offer, "auto" first (see `devices.offered`)."""
    return offered()
