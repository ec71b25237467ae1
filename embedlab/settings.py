"""Deployment settings: hosted mode and the limits that protect a public demo, read from the environment.

One rule for every entry point (CLI, Python API, dashboard): the limits (EMBEDLAB_MAX_PAIRS,
EMBEDLAB_MAX_TEXT_CHARS, EMBEDLAB_MAX_UPLOAD_MB) and EMBEDLAB_HOSTED=1/0 apply wherever they are set.
Where EMBEDLAB_MAX_PAIRS is not set, a hosted demo takes up to MAX_PAIRS pairs and a person's own
machine up to LOCAL_MAX_PAIRS (large sets are scored in blocks, see `metrics_blocks.py`).
Where EMBEDLAB_HOSTED is not set, only the dashboard turns hosted mode on by itself, on Hugging Face
Spaces (where SPACE_ID is set): a person running the CLI or the Python API on their own machine is not
a visitor. In hosted mode visitors may pick only presets and the extra Hub ids listed in
EMBEDLAB_ALLOWED_MODELS: no arbitrary Hub ids (that would download any weights), no local paths (that
would read the server's files), and precomputed vectors (`vectors:FILE.npz`) only from files the
visitor uploaded. Remote code is never trusted, hosted or not.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .backends.vectors import is_vectors, vectors_path
from .errors import EmbedLabError, ModelUnavailableError, PairsError, VectorsError
from .pairs import MAX_FILE_BYTES, MAX_PAIRS, Pair, check_count
from .presets import PRESETS

MAX_TEXT_CHARS = 20_000
LOCAL_MAX_PAIRS = 100_000  # outside hosted mode, where EMBEDLAB_MAX_PAIRS is not set


def default_max_pairs(hosted: bool) -> int:
    return MAX_PAIRS if hosted else LOCAL_MAX_PAIRS


def upload_folder() -> Path:
    """Where the dashboard's uploads are kept: Gradio's rule (GRADIO_TEMP_DIR, else <tmp>/gradio),
    restated here so the CLI need not import Gradio to check a path."""
    return Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio").resolve()


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
    max_pairs: int | None = None  # None: `default_max_pairs(hosted)`
    max_text_chars: int = MAX_TEXT_CHARS
    max_upload_bytes: int = MAX_FILE_BYTES
    allowed_models: tuple[str, ...] = field(default_factory=tuple)  # beyond the presets, in hosted mode

    def __post_init__(self):
        if self.max_pairs is None:
            object.__setattr__(self, "max_pairs", default_max_pairs(self.hosted))

    @classmethod
    def from_env(cls, dashboard: bool = False) -> "Settings":
        """The settings in the environment; `dashboard` for the web page (hosted by default on Spaces)."""
        hosted = _flag(os.environ.get("EMBEDLAB_HOSTED"))
        if hosted is None:
            hosted = dashboard and bool(os.environ.get("SPACE_ID"))
        extra = tuple(m.strip() for m in os.environ.get("EMBEDLAB_ALLOWED_MODELS", "").split(",") if m.strip())
        return cls(hosted=hosted, max_pairs=_int("EMBEDLAB_MAX_PAIRS", default_max_pairs(hosted)),
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
        if is_vectors(name):
            return self.check_vectors(name)
        if self.hosted and name not in PRESETS and name not in self.allowed_models:
            allowed = ", ".join([*PRESETS, *self.allowed_models])
            raise ModelUnavailableError(f"this deployment only offers these models: {allowed} (got {name!r})")
        return name

    def check_vectors(self, name: str) -> str:
        """A `vectors:FILE.npz` side; in hosted mode only a file the visitor uploaded, within the upload
        size limit (never another of the server's files)."""
        path = vectors_path(name)
        if self.hosted:
            resolved = path.resolve()
            if not resolved.is_relative_to(upload_folder()):
                raise ModelUnavailableError("this deployment takes vectors only as an uploaded .npz file, "
                                            "not a path on the server")
            if resolved.is_file() and resolved.stat().st_size > self.max_upload_bytes:
                raise VectorsError(f"{path.name} is over the {self.max_upload_bytes / 2**20:.1f} MB upload limit")
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
