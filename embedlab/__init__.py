"""EmbedLab: are GPT models good embedders?

The Python API in four calls:

    import embedlab
    base = embedlab.load_model("smollm2-135m-instruct")         # preset, Hub id, folder, .gguf or URL#MODEL
    vectors = embedlab.embed_texts(base, ["What is GPU?"], method="logits").vectors
    pairs = embedlab.read_pairs("pairs.csv")                     # CSV, TSV, JSONL or JSON
    result = embedlab.compare_pairs(pairs, base="smollm2-135m-instruct", embed="all-minilm-l6-v2")

`result` is a `Comparison`: `result.sides["embed"].metrics.auc`, `.similarity`, `.vectors`;
`result.to_json()` is the command line's JSON output. `embedlab.ask_question(result, "A new question?")` gives
each side's top answers from the table (`.to_json()`). `compare_pairs` checks its input once into a
`CompareRequest` (`embedlab.build_request(session.settings, pairs, sides=...)` builds one;
`session.run(request)` runs it).

The names below are imported on first use, so `import embedlab` (and the dashboard's start) does not
pay for torch and transformers until a model is needed.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "access": ("Access",),
    "ask": ("Asked",),
    "cache": ("EmbeddingCache",),
    "comparison": ("Comparison", "SideResult", "compare", "compare_side"),
    "embedding": ("Embedded", "embed"),
    "errors": ("DeviceError", "EmbedLabError", "MethodError", "ModelUnavailableError", "PairsError",
               "RemoteError", "SideError", "UnknownModelError", "VectorsError"),
    "methods": ("METHODS", "Role"),
    "metrics": ("Metrics",),
    "pairs": ("Pair", "make_pairs", "parse_pairs", "read_pairs"),
    "presets": ("PRESETS", "default_pair"),
    "prompts": ("Options",),
    "request": ("CompareRequest",),
    "session": ("Session", "compare_pairs", "embed_texts"),
    "sides": ("SideSpec", "MAX_SIDES"),
    "sources": ("ModelInfo",),
}
_RENAMED = {"build_request": ("request", "build"), "ask_question": ("ask", "ask"), "load_model": ("loading", "load"), "inspect_model": ("sources", "inspect")}
_WHERE = {name: (module, name) for module, names in _EXPORTS.items() for name in names} | _RENAMED

__all__ = list(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'embedlab' has no attribute {name!r}")
    module, attribute = _WHERE[name]
    value = getattr(importlib.import_module(f".{module}", __name__), attribute)
    globals()[name] = value
    return value
