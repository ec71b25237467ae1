"""Which presets can run on this machine and, in one short line, why one cannot.

Two reasons: a GPU preset (a 7B model) where no GPU holds it (ZeroGPU attaches one for each call, so
there it can), and weights that are neither installed (the offline pack) nor in the Hugging Face cache
while the Hub cannot be reached (HF_HUB_OFFLINE set, or no connection to it within HUB_TIMEOUT
seconds, asked once per process). The page marks such presets unavailable and refuses them with that
line (`dashboard.choices`); the settings refuse a preset that cannot be fetched everywhere, and a GPU
preset in hosted mode (`settings.check_model`). Everything else is for the loader to try.
"""

from __future__ import annotations

import functools
import socket
from urllib.parse import urlsplit

from . import env
from .devices import cuda_memory_gb, on_zerogpu
from .presets import PRESETS

HUB_TIMEOUT = 1.5  # seconds to wait for a connection to the Hub
HUB = "https://huggingface.co"


def hub_offline_by_setting() -> bool:
    return env.is_on("HF_HUB_OFFLINE")


@functools.lru_cache(maxsize=1)
def _connects(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=HUB_TIMEOUT):
            return True
    except OSError:
        return False


def hub_reachable() -> bool:
    """Whether models can be fetched from the Hub here (HF_ENDPOINT, where set, is the Hub)."""
    if hub_offline_by_setting():
        return False
    parts = urlsplit(env.text("HF_ENDPOINT", HUB))
    return _connects(parts.hostname or "huggingface.co", parts.port or (80 if parts.scheme == "http" else 443))


def in_hub_cache(hub_id: str) -> bool:
    """Whether the Hub model's configuration is in the local Hugging Face cache (no network)."""
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(hub_id, "config.json"), str)
    except Exception:  # noqa: BLE001 - an odd cache is as good as none
        return False


def gpu_missing(name: str) -> str | None:
    """Why the GPU preset `name` cannot run here, or None (not a GPU preset, or a GPU holds it)."""
    preset = PRESETS.get(name)
    if preset is None or not preset.gpu_gb or on_zerogpu() or cuda_memory_gb() >= preset.gpu_gb:
        return None
    have = cuda_memory_gb()
    return f"needs a GPU with about {preset.gpu_gb:.0f} GB; this machine has " + (f"{have:.0f} GB" if have else "none")


def cannot_fetch(name: str) -> str | None:
    """Why the preset `name` cannot be loaded here for want of its weights, or None."""
    preset = PRESETS.get(name)
    if preset is None or preset.local_path() is not None or in_hub_cache(preset.hub_id) or hub_reachable():
        return None
    return "not installed here and the Hugging Face Hub cannot be reached"


def why_unavailable(name: str) -> str | None:
    """One short line saying why the preset `name` cannot run here; None where it can (or is not a preset)."""
    return gpu_missing(name) or cannot_fetch(name)


def refusal(name: str, why: str) -> str:
    """The one line that refuses a preset that cannot run here, wherever it is named (page, API, CLI)."""
    return f"{name} cannot run here: {why}"
