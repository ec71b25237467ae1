"""Deployment settings: hosted mode and the limits that protect a public demo, read from the environment.

One rule for every entry point (CLI, Python API, dashboard): the limits (EMBEDLAB_MAX_PAIRS,
EMBEDLAB_MAX_TEXT_CHARS, EMBEDLAB_MAX_UPLOAD_MB) and EMBEDLAB_HOSTED=1/0 apply wherever they are set.
Where EMBEDLAB_MAX_PAIRS is not set, a hosted demo takes up to MAX_PAIRS pairs and a person's own
machine up to LOCAL_MAX_PAIRS (large sets are scored in blocks, see `metrics_blocks.py`); likewise
uploads up to MAX_FILE_BYTES and LOCAL_MAX_UPLOAD_MB (EMBEDLAB_MAX_UPLOAD_MB).
Where EMBEDLAB_HOSTED is not set, only the dashboard turns hosted mode on by itself, on Hugging Face
Spaces (where SPACE_ID is set): a person running the CLI or the Python API on their own machine is not a
visitor. In hosted mode visitors may pick only presets and the extra Hub ids listed in
EMBEDLAB_ALLOWED_MODELS: no arbitrary Hub ids (that would download any weights), no local paths (that
would read the server's files), and precomputed vectors (`vectors:FILE.npz`) only from files the visitor
uploaded. Remote embedding servers (`URL#MODEL` names) are open to visitors only where
EMBEDLAB_ALLOWED_ENDPOINTS lists the URL (or EMBEDLAB_ALLOWED_MODELS the whole name): otherwise a visitor
could make the server call any address it can reach. Hosted mode offers no GPU preset where there is no
GPU for it (a 7B model would exhaust a CPU Space's memory). Remote code is never trusted, hosted or not.
A visitor's own fine-tuned folders (`own_models`, set on that visitor's session only by the dashboard's
Fine-tune section) are the one exception to "no paths". Hosted mode also limits the dashboard's fine-
tunes: EMBEDLAB_MAX_TUNE_SECONDS of training and EMBEDLAB_MAX_TUNE_PAIRS pairs; elsewhere a fine-tune may
run for the lab's own MAX_MINUTES. EMBEDLAB_MAX_REQUEST_TOKENS and EMBEDLAB_MAX_TEXT_TOKENS bound one
comparison's work (see `request_bounds.py`; MAX_REQUEST_TOKENS and MAX_TEXT_TOKENS in hosted mode, no
bound elsewhere).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .backends.vectors import is_vectors, vectors_path
from .availability import cannot_fetch, gpu_missing, refusal
from .errors import EmbedLabError, ModelUnavailableError, PairsError, VectorsError
from .pairs import MAX_FILE_BYTES, MAX_PAIRS, Pair, check_count
from .presets import PRESETS
from .sources import split_remote

MAX_TEXT_CHARS = 20_000
MAX_TUNE_SECONDS = 90  # hosted mode: training time per fine-tune on the dashboard
MAX_TUNE_PAIRS = 200  # hosted mode: pairs per fine-tune on the dashboard
LOCAL_MAX_PAIRS = 100_000  # outside hosted mode, where EMBEDLAB_MAX_PAIRS is not set
LOCAL_MAX_UPLOAD_MB = 256  # outside hosted mode: a 30,000-pair vectors file of 384 dimensions is 88 MiB
MAX_REQUEST_TOKENS = 16_384  # hosted mode: tokens run by local models per comparison (see request_bounds.py)
MAX_TEXT_TOKENS = 512  # hosted mode: tokens per text (longer ones are cut, and counted as truncated)


def default_max_pairs(hosted: bool) -> int:
    return MAX_PAIRS if hosted else LOCAL_MAX_PAIRS


def default_upload_mb(hosted: bool) -> int:
    return MAX_FILE_BYTES // 2**20 if hosted else LOCAL_MAX_UPLOAD_MB


def upload_folder() -> Path:
    """Where the dashboard's uploads are kept: Gradio's rule (GRADIO_TEMP_DIR, else <tmp>/gradio),
    restated here so the CLI need not import Gradio to check a path."""
    return Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio").resolve()


def env_flag(name: str) -> bool | None:
    """Environment variable `name` as 1/0 (also true/false, yes/no, on/off); None where it is unset or blank."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise EmbedLabError(f"{name}={value!r}: use 1 or 0")


def env_number(name: str, default, kind=int):
    """A positive number from environment variable `name` (`kind` int or float), `default` where unset; a
    one-line error names the variable otherwise. The one reader of numeric settings (remote.py's too)."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    whole = kind is int
    try:
        number = kind(value)
    except ValueError:
        raise EmbedLabError(f"{name}={value!r}: expected {'a whole number' if whole else 'a number'}") from None
    if number <= 0:
        raise EmbedLabError(f"{name}={value!r}: must be {'at least 1' if whole else 'above 0'}")
    return number


@dataclass(frozen=True)
class Settings:
    hosted: bool = False
    max_pairs: int | None = None  # None: `default_max_pairs(hosted)`
    max_text_chars: int = MAX_TEXT_CHARS
    max_upload_bytes: int | None = None  # None: `default_upload_mb(hosted)`
    allowed_models: tuple[str, ...] = field(default_factory=tuple)  # beyond the presets, in hosted mode
    allowed_endpoints: tuple[str, ...] = field(default_factory=tuple)  # remote base URLs, in hosted mode
    max_tune_seconds: int = MAX_TUNE_SECONDS  # hosted mode only
    max_tune_pairs: int = MAX_TUNE_PAIRS  # hosted mode only
    own_models: tuple[str, ...] = field(default_factory=tuple)  # one visitor's fine-tuned folders, allowed when hosted
    max_request_tokens: int | None = None  # tokens run by local models per comparison; hosted: MAX_REQUEST_TOKENS
    max_text_tokens: int | None = None  # tokens per text; hosted: MAX_TEXT_TOKENS

    def __post_init__(self):
        if self.max_pairs is None:
            object.__setattr__(self, "max_pairs", default_max_pairs(self.hosted))
        if self.max_upload_bytes is None:
            object.__setattr__(self, "max_upload_bytes", default_upload_mb(self.hosted) * 2**20)
        if self.hosted:
            for name, default in (("max_request_tokens", MAX_REQUEST_TOKENS), ("max_text_tokens", MAX_TEXT_TOKENS)):
                if getattr(self, name) is None:
                    object.__setattr__(self, name, default)

    @classmethod
    def from_env(cls, dashboard: bool = False) -> "Settings":
        """The settings in the environment; `dashboard` for the web page (hosted by default on Spaces)."""
        hosted = env_flag("EMBEDLAB_HOSTED")
        if hosted is None:
            hosted = dashboard and bool(os.environ.get("SPACE_ID"))
        extra = tuple(m.strip() for m in os.environ.get("EMBEDLAB_ALLOWED_MODELS", "").split(",") if m.strip())
        endpoints = tuple(u.strip().rstrip("/") for u in os.environ.get("EMBEDLAB_ALLOWED_ENDPOINTS", "").split(",")
                          if u.strip())
        return cls(hosted=hosted, max_pairs=env_number("EMBEDLAB_MAX_PAIRS", default_max_pairs(hosted)),
                   max_text_chars=env_number("EMBEDLAB_MAX_TEXT_CHARS", MAX_TEXT_CHARS),
                   max_upload_bytes=env_number("EMBEDLAB_MAX_UPLOAD_MB", default_upload_mb(hosted)) * 2**20,
                   allowed_models=extra, allowed_endpoints=endpoints,
                   max_tune_seconds=env_number("EMBEDLAB_MAX_TUNE_SECONDS", MAX_TUNE_SECONDS),
                   max_tune_pairs=env_number("EMBEDLAB_MAX_TUNE_PAIRS", MAX_TUNE_PAIRS),
                   max_request_tokens=env_number("EMBEDLAB_MAX_REQUEST_TOKENS", None),
                   max_text_tokens=env_number("EMBEDLAB_MAX_TEXT_TOKENS", None))

    @property
    def free_models(self) -> bool:
        """Whether any Hub id, folder or .gguf path may be named (outside hosted mode)."""
        return not self.hosted

    @property
    def permissions(self) -> tuple[bool, bool]:
        """(Hub ids allowed, local paths allowed): what the model registry and inspection may open."""
        return self.free_models or bool(self.allowed_models), self.free_models or bool(self.own_models)

    def check_model(self, name: str) -> str:
        name = (name or "").strip()
        if is_vectors(name):
            return self.check_vectors(name)
        if self.hosted and name not in PRESETS and name not in self.allowed_models and name not in self.own_models:
            remote = split_remote(name)
            if remote and remote[0] in self.allowed_endpoints:
                return name
            allowed = ", ".join([*PRESETS, *self.allowed_models, *(f"{u}#MODEL" for u in self.allowed_endpoints)])
            raise ModelUnavailableError(f"this deployment only offers these models: {allowed} (got {name!r})")
        preset = PRESETS.get(name)
        if self.hosted and gpu_missing(name):
            runs = ", ".join(n for n, p in PRESETS.items() if not p.gpu_gb)
            raise ModelUnavailableError(f"{name!r} needs a GPU with about {preset.gpu_gb:.0f} GB and this deployment has "
                                        f"none (it would not fit in memory); the presets that run here: {runs}")
        missing = cannot_fetch(name)
        if missing:
            raise ModelUnavailableError(refusal(name, missing))
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
        name = self.check_model(name)
        return inspect(name, allow_hub=allow_hub, allow_paths=self.free_models or name in self.own_models)

    @property
    def tune_seconds_limit(self) -> float:
        """The longest fine-tune the dashboard may start: the hosted limit, else the lab's own."""
        from .tuning.config import MAX_MINUTES

        return self.max_tune_seconds if self.hosted else MAX_MINUTES * 60

    def check_tune(self, pairs: list[Pair], seconds: float) -> None:
        """A dashboard fine-tune's time budget and, in hosted mode, its number of pairs."""
        from .tuning.config import TuneError

        limit = self.tune_seconds_limit
        if not 0 < seconds <= limit:
            raise TuneError(f"time budget of {seconds:g} s is outside (0, {limit:g}] s"
                            + (" (this deployment's limit)" if self.hosted else ""))
        if self.hosted and len(pairs) > self.max_tune_pairs:
            raise PairsError(f"{len(pairs)} pairs is over this deployment's fine-tune limit of "
                             f"{self.max_tune_pairs}; remove {len(pairs) - self.max_tune_pairs}")

    def check_pairs(self, pairs: list[Pair]) -> None:
        check_count(pairs, self.max_pairs)
        for number, pair in enumerate(pairs, start=1):
            for column, text in (("question", pair.question), ("answer", pair.answer)):
                if len(text) > self.max_text_chars:
                    raise PairsError(f"pair {number}: the {column} is {len(text):,} characters, over the limit "
                                     f"of {self.max_text_chars:,}; shorten it")
