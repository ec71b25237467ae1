"""Deployment settings: hosted mode and the limits that protect a public demo, read from the environment.

One rule for every entry point (CLI, Python API, dashboard): the limits (EMBEDLAB_MAX_PAIRS,
EMBEDLAB_MAX_TEXT_CHARS, EMBEDLAB_MAX_UPLOAD_MB) and EMBEDLAB_HOSTED=1/0 apply wherever they are set.
Where EMBEDLAB_HOSTED is not set, only the dashboard turns hosted mode on by itself, on Hugging Face
Spaces (where SPACE_ID is set): a person running the CLI or the Python API on their own machine is not
a visitor. In hosted mode visitors may pick only presets and the extra Hub ids listed in
EMBEDLAB_ALLOWED_MODELS: no arbitrary Hub ids (that would download any weights), no local paths (that
would read the server's files), and no GPU preset where there is no GPU for it (a 7B model would
exhaust a CPU Space's memory). Remote code is never trusted, hosted or not.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .devices import cuda_memory_gb, on_zerogpu
from .errors import EmbedLabError, ModelUnavailableError, PairsError
from .pairs import MAX_FILE_BYTES, MAX_PAIRS, Pair, check_count
from .presets import PRESETS

MAX_TEXT_CHARS = 20_000


def _flag(value: str | None) -> bool | None:
    if value is None or value.strip() == "":
        return None
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise EmbedLabError(f"EMBEDLAB_HOSTED={value!r}: use 1 or 0")


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise EmbedLabError(f"{name}={value!r}: expected a whole number") from None
    if number < 1:
        raise EmbedLabError(f"{name}={value!r}: must be at least 1")
    return number


@dataclass(frozen=True)
class Settings:
    hosted: bool = False
    max_pairs: int = MAX_PAIRS
    max_text_chars: int = MAX_TEXT_CHARS
    max_upload_bytes: int = MAX_FILE_BYTES
    allowed_models: tuple[str, ...] = field(default_factory=tuple)  # beyond the presets, in hosted mode

    @classmethod
    def from_env(cls, dashboard: bool = False) -> "Settings":
        """The settings in the environment; `dashboard` for the web page (hosted by default on Spaces)."""
        hosted = _flag(os.environ.get("EMBEDLAB_HOSTED"))
        if hosted is None:
            hosted = dashboard and bool(os.environ.get("SPACE_ID"))
        extra = tuple(m.strip() for m in os.environ.get("EMBEDLAB_ALLOWED_MODELS", "").split(",") if m.strip())
        return cls(hosted=hosted, max_pairs=_int("EMBEDLAB_MAX_PAIRS", MAX_PAIRS),
                   max_text_chars=_int("EMBEDLAB_MAX_TEXT_CHARS", MAX_TEXT_CHARS),
                   max_upload_bytes=_int("EMBEDLAB_MAX_UPLOAD_MB", MAX_FILE_BYTES // 2**20) * 2**20,
                   allowed_models=extra)

    @property
    def free_models(self) -> bool:
        """Whether any Hub id, folder or .gguf path may be named (outside hosted mode)."""
        return not self.hosted

    @property
    def permissions(self) -> tuple[bool, bool]:
        """(Hub ids allowed, local paths allowed): what the model registry and inspection may open."""
        return self.free_models or bool(self.allowed_models), self.free_models

    def check_model(self, name: str) -> str:
        name = (name or "").strip()
        if self.hosted and name not in PRESETS and name not in self.allowed_models:
            allowed = ", ".join([*PRESETS, *self.allowed_models])
            raise ModelUnavailableError(f"this deployment only offers these models: {allowed} (got {name!r})")
        preset = PRESETS.get(name)
        if self.hosted and preset is not None and preset.gpu_gb and not (on_zerogpu() or cuda_memory_gb() >= preset.gpu_gb):
            runs = ", ".join(n for n, p in PRESETS.items() if not p.gpu_gb)
            raise ModelUnavailableError(f"{name!r} needs a GPU with about {preset.gpu_gb:.0f} GB and this deployment has "
                                        f"none (it would not fit in memory); the presets that run here: {runs}")
        return name

    def inspect(self, name: str):
        """`name`'s `sources.ModelInfo` (configuration only, no weights), if this deployment allows it."""
        from .sources import inspect

        allow_hub, allow_paths = self.permissions
        return inspect(self.check_model(name), allow_hub=allow_hub, allow_paths=allow_paths)

    def check_pairs(self, pairs: list[Pair]) -> None:
        check_count(pairs, self.max_pairs)
        for number, pair in enumerate(pairs, start=1):
            for column, text in (("question", pair.question), ("answer", pair.answer)):
                if len(text) > self.max_text_chars:
                    raise PairsError(f"pair {number}: the {column} is {len(text):,} characters, over the limit "
                                     f"of {self.max_text_chars:,}; shorten it")
