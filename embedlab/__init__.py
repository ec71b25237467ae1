"""EmbedLab: are GPT models good embedders?

The Python API in four calls:

    import embedlab
    base = embedlab.load_model("smollm2-135m-instruct")         # preset, Hub id, folder or .gguf
    vectors = embedlab.embed_texts(base, ["What is GPU?"], method="logits").vectors
    pairs = embedlab.read_pairs("pairs.csv")                     # CSV, TSV, JSONL or JSON
    result = embedlab.compare_pairs(pairs, base="smollm2-135m-instruct", embed="all-minilm-l6-v2")

`result` has the same shape as the command line's JSON output.
"""

from __future__ import annotations

from .cache import EmbeddingCache
from .compare import SideSpec, compare, compare_side
from .embedding import Embedded, embed
from .errors import EmbedLabError, MethodError, ModelUnavailableError, PairsError, UnknownModelError
from .loading import load as load_model
from .methods import METHODS, Role
from .pairs import Pair, make_pairs, parse_pairs, read_pairs
from .presets import PRESETS, default_pair
from .prompts import Options
from .session import Session, compare_pairs, embed_texts

__all__ = [
    "EmbeddingCache", "SideSpec", "compare", "compare_side", "Embedded", "embed", "EmbedLabError", "MethodError",
    "ModelUnavailableError", "PairsError", "UnknownModelError", "load_model", "METHODS", "Role", "Pair",
    "make_pairs", "parse_pairs", "read_pairs", "PRESETS", "default_pair", "Options", "Session", "compare_pairs",
    "embed_texts",
]
