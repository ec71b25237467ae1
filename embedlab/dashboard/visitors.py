"""What one dashboard visitor owns on the server: a key from their Gradio session, a folder for their
fine-tuned model, and a session of their own (registered by name, so ZeroGPU workers find it too) whose
settings allow that folder as a model even in hosted mode. Which session a comparison runs in follows
from its models: a visitor's own folder names its owner's session, anything else the shared one.
Making and removing these is the Fine-tune section's business (`tune_section.py`).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Iterable

from ..session import get_session, is_registered

ROOT = Path(tempfile.gettempdir()) / "embedlab-tuned"  # a folder per visitor under it


def key(request) -> str:
    """A short name for the visitor behind a Gradio request (one per page load), safe in paths."""
    session_hash = getattr(request, "session_hash", None) or "anonymous"
    return hashlib.sha256(session_hash.encode()).hexdigest()[:16]


def folder(visitor: str) -> Path:
    return ROOT / visitor


def session_name(main: str, visitor: str) -> str:
    return f"{main}-visitor-{visitor}"


def session_for(main: str, models: Iterable[str]) -> str:
    """The session to run `models` in: the owner's, where one is a visitor's own tuned folder, else `main`."""
    for model in models:
        path = Path((model or "").strip())
        name = session_name(main, path.parent.name)
        if path.parent.parent == ROOT and is_registered(name) and str(path) in get_session(name).settings.own_models:
            return name
    return main
