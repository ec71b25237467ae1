"""The tuned model folder: where it may go, writing it whole or not at all, and its `embedlab-tune.json`.

Everything is written into a scratch folder beside the target (same file system) and moved into
place with one `os.replace` at the very end, so a cancel, an error or a full disk never leaves half a
model under the target's name; the scratch folder is removed on the way out. An existing target is
refused unless it is empty, or `overwrite` is set and it is itself a tuned folder (it then makes way
only once the new folder is complete). The folder is a plain transformers model (config, weights,
tokenizer), so every EmbedLab entry point takes it; `sources.inspect` reads its default method from
the JSON file.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from pathlib import Path

from ..sources import TUNE_FILE
from .config import TuneError

FORMAT = 2  # version of embedlab-tune.json (2: with the training pairs' texts, `train_pairs`)


def check_target(out: str | Path, overwrite: bool = False) -> Path:
    """The absolute target folder, refused before any work if it cannot be (over)written."""
    if not str(out or "").strip():
        raise TuneError("no output folder given; name the folder the tuned model goes to")
    target = Path(out).expanduser().resolve()
    if target.exists():
        if not target.is_dir():
            raise TuneError(f"{target} exists and is not a folder; choose another output folder")
        if any(target.iterdir()) and not (overwrite and (target / TUNE_FILE).exists()):
            hint = "set overwrite to replace it" if (target / TUNE_FILE).exists() else "choose a new or empty folder"
            raise TuneError(f"{target} already exists and is not empty; {hint}")
    parent = target.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise TuneError(f"cannot write the tuned model into {parent}: no such folder, or not writable")
    return target


def check_space(target: Path, need_bytes: int) -> None:
    """Refuse before training where the target's disk has not room for the model (and a tenth more)."""
    free = shutil.disk_usage(target.parent).free
    if free < need_bytes * 1.1:
        raise TuneError(f"not enough disk space for the tuned model in {target.parent}: it needs about "
                        f"{need_bytes / 2**20:,.0f} MiB, {free / 2**20:,.0f} MiB are free")


def scratch_for(target: Path) -> Path:
    return Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.tmp-"))


def disk_error(exc: OSError, target: Path) -> TuneError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return TuneError(f"the disk is full: the tuned model did not fit in {target.parent}; nothing was written")
    return TuneError(f"cannot write the tuned model to {target}: {exc.strerror or exc}; nothing was written")


def save_model(model, tokenizer, folder: Path) -> None:
    """Weights (safetensors), configuration and tokenizer of a plain transformers model."""
    from ..loading import save_tokenizer  # here, so that reading a folder's record (read_info) needs no torch

    model.save_pretrained(folder)
    save_tokenizer(tokenizer, folder)


def write_info(folder: Path, info: dict) -> None:
    text = json.dumps({"format": FORMAT, **info}, indent=2, ensure_ascii=False)
    (folder / TUNE_FILE).write_text(text + "\n", encoding="utf-8")


def publish(scratch: Path, target: Path) -> None:
    """Move the finished scratch folder to the target in one step (an old tuned folder makes way first)."""
    old = None
    if target.exists() and any(target.iterdir()):
        old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.old-"))
        os.replace(target, old / "model")
    try:
        os.replace(scratch, target)
    except OSError:
        if old is not None:
            os.replace(old / "model", target)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def read_info(folder: str | Path) -> dict | None:
    """What `embedlab-tune.json` in `folder` says, or None where there is none (or it cannot be read)."""
    try:
        info = json.loads((Path(folder) / TUNE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None
