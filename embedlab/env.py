"""Reading environment variables: the lowest layer of EmbedLab, imported by any module and importing
nothing of EmbedLab's but `errors`.

Every variable the package reads is read here, in one of a few shapes: text, a yes/no flag, a positive
number, a comma-separated list, the first of several that is set. What the variables mean is the
reader's business (`settings.py` for the deployment's limits, `backends/remote.py` for a server's
timeouts and keys, `cache.py` for its folder); this module only turns their text into values, with a
one-line error that names the variable where the text cannot be read.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Sequence

from .errors import EmbedLabError

YES = ("1", "true", "yes", "on")
NO = ("0", "false", "no", "off")


def text(name: str, default: str = "") -> str:
    """The variable's value, stripped; `default` where it is unset or blank."""
    return os.environ.get(name, "").strip() or default


def is_on(name: str, words: Sequence[str] = YES) -> bool:
    """Whether the variable holds one of `words` (any case); unset or anything else is off."""
    return text(name).lower() in words


def flag(name: str) -> bool | None:
    """A yes/no variable (1/true/yes/on or 0/false/no/off); None where unset or blank."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    if value.strip().lower() in YES:
        return True
    if value.strip().lower() in NO:
        return False
    raise EmbedLabError(f"{name}={value!r}: use 1 or 0")


def number(name: str, default, kind=int):
    """A positive number (`kind` int or float), `default` where unset; a one-line error names the variable
    otherwise."""
    value = text(name)
    if not value:
        return default
    whole = kind is int
    try:
        result = kind(value)
    except ValueError:
        raise EmbedLabError(f"{name}={value!r}: expected {'a whole number' if whole else 'a number'}") from None
    if result <= 0:
        raise EmbedLabError(f"{name}={value!r}: must be {'at least 1' if whole else 'above 0'}")
    return result


def listed(name: str, strip: str = "") -> tuple[str, ...]:
    """A comma-separated variable as its non-blank items, each stripped (and of `strip` at its end)."""
    return tuple(item.strip().rstrip(strip) for item in os.environ.get(name, "").split(",") if item.strip())


def first_set(names: Sequence[str]) -> str | None:
    """The value of the first of `names` that is set and not empty; None where none is."""
    return next((os.environ[n] for n in names if os.environ.get(n)), None)


def upload_folder() -> Path:
    """Where the dashboard's uploads are kept: Gradio's rule (GRADIO_TEMP_DIR, else <tmp>/gradio),
    restated here so the CLI need not import Gradio to check a path."""
    return Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio").resolve()


def cache_dir() -> Path:
    """EmbedLab's cache folder: $EMBEDLAB_CACHE_DIR, else $XDG_CACHE_HOME/embedlab, else ~/.cache/embedlab."""
    if os.environ.get("EMBEDLAB_CACHE_DIR"):
        return Path(os.environ["EMBEDLAB_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "embedlab"
