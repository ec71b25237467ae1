"""What a cached vector is keyed on: everything that determines it, gathered in one place.

A vector follows from the model's weights (its fingerprint), how they run (dtype, device kind: CUDA's
kernels round differently from the CPU's), the method's whole recipe (its templates, pooling and flags,
not only its name, so a changed template never serves the old vectors), every method option (all fields
of `Options`, so an option added later is keyed with no edit here), the role and the text, and the
versions of the libraries that compute it locally (torch's kernels, transformers' model code, tokenizers'
splitting; gguf's dequantisation for a GGUF file). A model behind a server computes with the server's
libraries: its fingerprint (URL, served model, dimension) is all this side can know. How keys are hashed
is `cache.py`'s business; what computes the vectors is the backends'.
"""

from __future__ import annotations

import functools
from dataclasses import asdict
from importlib import metadata

from .backends import Backend
from .methods import Method
from .prompts import Options

ENGINE_LIBRARIES = ("torch", "transformers", "tokenizers")
GGUF_LIBRARY = "gguf"
DESCRIPTIVE = ("summary", "source")  # a method's fields that only describe it


@functools.cache
def library_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def libraries(backend: Backend) -> dict[str, str]:
    """The versions of the libraries that compute `backend`'s vectors in this process ({} for a server's)."""
    if backend.device == "remote":
        return {}
    names = ENGINE_LIBRARIES + ((GGUF_LIBRARY,) if backend.fingerprint.startswith("gguf:") else ())
    return {name: library_version(name) for name in names}


def recipe(method: Method) -> dict:
    """The method's record as it shapes vectors (its name, templates, pooling and flags)."""
    return {k: (v.value if k == "name" else v) for k, v in asdict(method).items() if k not in DESCRIPTIVE}


def key_parts(backend: Backend, method: Method, options: Options) -> dict:
    """Everything but role and text that a vector of `backend` under `method` and resolved `options` depends on."""
    return {"model": backend.fingerprint, "dtype": backend.dtype, "device": backend.device.split(":")[0],
            "method": recipe(method), "options": options.as_dict(), "libraries": libraries(backend)}
