"""A Hugging Face Hub cache filled from local folders: what a Space's `preload_from_hub` leaves before
the app starts, in the Hub cache's own layout (`models--ORG--NAME/blobs/` holding the files,
`snapshots/<commit>/` linking to them, `refs/main` naming the commit), so the app loads a preset by its
Hub id with the Hub unreachable (HF_HUB_OFFLINE=1). On ZeroGPU the `spaces` package deletes the blobs
whose tensors it has packed at start-up; this layout lets it do so here too.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path


def preload(hub_cache: Path, hub_id: str, folder: Path, move: bool = False) -> Path:
    """Put `folder`'s files into `hub_cache` as the snapshot of `hub_id`'s main branch (moved rather than
    copied with `move`, for multi-GB models); return the snapshot folder."""
    repo = Path(hub_cache) / ("models--" + hub_id.replace("/", "--"))
    commit = hashlib.sha1(hub_id.encode()).hexdigest()
    snapshot = repo / "snapshots" / commit
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        relative = path.relative_to(folder)
        blob = repo / "blobs" / hashlib.sha256(f"{hub_id}/{relative}".encode()).hexdigest()
        (shutil.move if move else shutil.copyfile)(path, blob)
        link = snapshot / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot
