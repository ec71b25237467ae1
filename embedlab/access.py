"""What a caller may name: `Access`, the one policy object that the model registry, the inspection of a
model and the fine-tune lab are given (from the deployment's `settings.Settings.access`).

Outside hosted mode anything may be named: presets, Hub ids, folders, .gguf files, servers (`URL#MODEL`)
and vectors files. In hosted mode only the presets, the Hub ids of `allowed_models`, the servers of
`allowed_endpoints`, a visitor's own fine-tuned folders (`own_models`) and vectors files the visitor
uploaded (under the upload folder, within `max_upload_bytes`); a preset that needs a GPU the deployment
lacks is refused, as is one whose weights cannot be fetched here (`availability.py`). The reasons are
written in `settings.py`'s docstring.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .availability import cannot_fetch, gpu_missing, refusal
from .backends.vectors import is_vectors, vectors_path
from .env import upload_folder
from .errors import ModelUnavailableError, VectorsError
from .presets import PRESETS
from .sources import ModelInfo, inspect, split_remote


@dataclass(frozen=True)
class Access:
    hosted: bool = False
    allowed_models: tuple[str, ...] = field(default_factory=tuple)  # Hub ids beyond the presets, in hosted mode
    allowed_endpoints: tuple[str, ...] = field(default_factory=tuple)  # server base URLs, in hosted mode
    own_models: tuple[str, ...] = field(default_factory=tuple)  # one visitor's fine-tuned folders, in hosted mode
    max_upload_bytes: int | None = None  # a vectors file's largest size, in hosted mode (None: no limit)

    @property
    def hub(self) -> bool:
        """Whether Hub ids may be opened at all (any outside hosted mode; the allowed ones in it)."""
        return not self.hosted or bool(self.allowed_models)

    @property
    def paths(self) -> bool:
        """Whether local paths may be opened at all (any outside hosted mode; a visitor's own folders in it)."""
        return not self.hosted or bool(self.own_models)

    def check_model(self, name: str) -> str:
        """`name` (stripped) if a caller may name it here; otherwise a one-line error saying what may be."""
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
            if self.max_upload_bytes is not None and resolved.is_file() and resolved.stat().st_size > self.max_upload_bytes:
                raise VectorsError(f"{path.name} is over the {self.max_upload_bytes / 2**20:.1f} MB upload limit")
        return name

    def inspect(self, name: str) -> ModelInfo:
        """`name`'s configuration (no weights), if it may be named here."""
        name = self.check_model(name)
        return inspect(name, allow_hub=self.hub, allow_paths=not self.hosted or name in self.own_models)
