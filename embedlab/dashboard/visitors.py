"""What one dashboard visitor owns on the server: a key from their Gradio session, a folder for their
fine-tuned model, and a session of their own (registered by name, so ZeroGPU workers find it too) whose
settings allow that folder as a model even in hosted mode. Which session a comparison runs in follows
from its models: a visitor's own folder names its owner's session, anything else the shared one.
Making and removing these is the Fine-tune section's business (`tune_section.py`).

The page never holds a server path: a visitor's tuned folder is offered as `model_id()`, a name
("tuned:VISITOR:model-1a2b3c4d") that `resolve()` turns back into the folder on the server, labelled
with the tuned model's own name (`tuned.tuned_name`, e.g. "tuned smollm2-135m-instruct (e5, 221 steps)").
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path
from typing import Iterable

from ..session import get_session, is_registered

ROOT = Path(tempfile.gettempdir()) / "embedlab-tuned"  # a folder per visitor under it
# Gradio keeps a copy of the page's configuration per visitor and per API client (~0.3 MiB for this page,
# measured by tests/dashboard/test_visitor_sessions.py) and drops one only when there are more than this many,
# the least recently active first (its default, 10,000, is ~3 GiB); a visitor's results go with theirs.
SESSIONS_KEPT = 1000
TOKEN = "tuned:"  # what the page holds for a visitor's tuned folder: TOKEN + visitor + ":" + folder name
_TOKEN = re.compile(rf"{TOKEN}([0-9a-f]+):((?:model|api)-[0-9a-f]+)")


def key(request) -> str:
    """A short name for the visitor behind a Gradio request (one per page load), safe in paths."""
    session_hash = getattr(request, "session_hash", None) or "anonymous"
    return hashlib.sha256(session_hash.encode()).hexdigest()[:16]


def folder(visitor: str) -> Path:
    return ROOT / visitor


def session_name(main: str, visitor: str) -> str:
    return f"{main}-visitor-{visitor}"


def model_id(out: Path) -> str:
    """The page's name for a visitor's tuned folder `out` (ROOT/VISITOR/model-...): no server path in it."""
    return f"{TOKEN}{out.parent.name}:{out.name}"


def resolve(model: str | None) -> str | None:
    """The folder a `model_id` stands for; any other model as it is (an unknown id stays, and is refused
    as an unknown model where it is used)."""
    found = _TOKEN.fullmatch((model or "").strip())
    return str(folder(found[1]) / found[2]) if found else model


def choice(out: Path) -> tuple[str, str]:
    """A visitor's tuned folder as a model choice: (its name, its `model_id`)."""
    from ..tuned import tuned_model

    tuned = tuned_model(out)
    return (tuned.name if tuned else f"tuned model {out.name}"), model_id(out)


def without_paths(text: str) -> str:
    """`text` with each visitor folder path in it put as the page names it (`model_id`), so that messages
    (progress, errors) show no server path."""
    root = re.escape(str(ROOT))
    text = re.sub(rf"{root}/([0-9a-f]+)/((?:model|api)-[0-9a-f]+)", lambda m: model_id(Path(m[1]) / m[2]), text)
    return re.sub(rf"{root}[^\s'\"]*", "your folder on the server", text)


def session_for(main: str, models: Iterable[str]) -> str:
    """The session to run `models` in: the owner's, where one is a visitor's own tuned folder, else `main`."""
    for model in models:
        path = Path((resolve(model) or "").strip())
        name = session_name(main, path.parent.name)
        if path.parent.parent == ROOT and is_registered(name) and str(path) in get_session(name).settings.own_models:
            return name
    return main
