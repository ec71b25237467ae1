"""Importing the engine's libraries (torch, transformers) once, one thread at a time.

The dashboard serves its page before these are imported and then imports them in a background
thread while visitors' requests may need them too. Two threads importing torch and transformers at
the same moment can each be handed the other's half-initialised module (Python breaks the import
locks' deadlock that way: "cannot import name 'AutoConfig' from 'transformers'"). Every place that
first touches them calls `import_engine()`, which imports them under one lock.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_imported = False


def import_engine() -> None:
    global _imported
    if _imported:
        return
    with _lock:
        if not _imported:
            import torch  # noqa: F401
            from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoTokenizer  # noqa: F401
            from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES  # noqa: F401

            _imported = True
