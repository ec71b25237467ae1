"""Loading models: from a preset, a Hub id, a model folder, a .gguf file or a remote server, into a backend.

`load()` builds the backend on the chosen device from the model's inspection (`sources.inspect`),
so it agrees with what the method checks were made against. A GGUF file is dequantised once and kept as a safetensors folder in EmbedLab's cache,
so the next start takes a second, not twenty. `save_tokenizer()` is how EmbedLab writes a tokenizer
into a model folder (that copy and a fine-tune's output). `fast=True` quantises the model to int8 on the CPU
(`fastmode.py`). Keeping loaded models around is `registry.py`'s job. Reading weights is serialised in
the process (`_READING`): two `from_pretrained` calls in two threads at once (the dashboard's warm-up
and a fine-tune's own load of the same GGUF model) broke one of them ("Cannot copy out of meta tensor").
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path

import torch

from . import fastmode
from .backends import Backend
from .backends.transformers_backend import TransformersBackend
from .env import cache_dir
from .devices import choose_device, choose_dtype, dtype_name
from .errors import ModelUnavailableError
from .fingerprints import fingerprint as weights_fingerprint
from .sources import ModelInfo, Source, inspect, read_config

log = logging.getLogger(__name__)
_READING = threading.RLock()  # one thread reads (or converts) weights at a time

def fingerprint(source: Source, revision: str | None = None) -> str:
    """Identity of the weights: file hashes for local models (memoised, see `fingerprints.py`), Hub revision."""
    return weights_fingerprint(source.kind, source.location, revision)


def batch_limits(device: str) -> tuple[int, int]:
    """Texts per batch and tokens per batch (padded width x texts) on a device."""
    return (32, 8192) if device == "cpu" else (64, 65536)


def save_tokenizer(tokenizer, folder: Path) -> None:
    """`save_pretrained`, and the tokenizer's `legacy` setting written back: transformers 5 leaves it out of
    tokenizer_config.json. Where AutoTokenizer rebuilds a LlamaTokenizer from its settings (a model_type
    "llama" folder) a reload then falls back to legacy off, which tokenises text after a special token
    differently: with Mistral's tokenizer (SOLAR-10.7B) "<s>[INST]" would start "[" instead of "▁["."""
    tokenizer.save_pretrained(folder)
    legacy = getattr(tokenizer, "legacy", None)
    config_file = Path(folder) / "tokenizer_config.json"
    if legacy is None or not config_file.exists():
        return
    config = json.loads(config_file.read_text(encoding="utf-8"))
    if config.get("legacy") != legacy:
        config["legacy"] = legacy
        config_file.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def converted_gguf(path: Path, digest: str) -> Path:
    """A safetensors copy of a GGUF model in the cache folder, made on first use."""
    target = cache_dir() / "converted" / digest.removeprefix("gguf:")[:24]
    if (target / "config.json").exists():
        return target
    from safetensors.torch import save_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.info("converting %s (one-time dequantisation, ~20 s)", path.name)
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32)
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.config.architectures = [type(model).__name__]
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=".tmp-"))
    try:
        model.config.save_pretrained(scratch)
        save_tokenizer(tokenizer, scratch)
        save_model(model, str(scratch / "model.safetensors"))
        os.replace(scratch, target)  # atomic: a half-written copy is never used
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)
        if not (target / "config.json").exists():
            raise
    return target


def load(model: str | ModelInfo, device: str | None = None, dtype: str | None = None, allow_hub: bool = True,
         allow_paths: bool = True, trust_remote_code: bool = False, fast: bool = False,
         device_map: bool = True) -> Backend:
    """Load `model` (a name, or its inspection) onto a device, ready to embed; `fast` for int8 on a CPU.
    On CUDA the weights go to the GPU as they are read (`device_map="auto"`); `device_map=False` reads
    them on the CPU and moves the whole model with `.to(device)`, which is what ZeroGPU's start-up CUDA
    emulation intercepts (see dashboard/zerogpu.py)."""
    from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer

    info = model if isinstance(model, ModelInfo) else inspect(model, allow_hub=allow_hub, allow_paths=allow_paths)
    if info.source.kind == "remote":  # a server computes the vectors: no device, dtype or weights here
        from .backends.remote import open_remote

        return open_remote(info)
    source, name = info.source, info.name
    device = choose_device(device)
    torch_dtype = choose_dtype(device, dtype)
    if fast:
        fastmode.check_supported(device)  # before any weights are read
        torch_dtype = torch.float32
    location, config = source.location, info.config
    fp = fingerprint(source) if source.kind != "hub" else None
    if source.kind == "gguf":
        with _READING:
            location = str(converted_gguf(Path(location), fp))
        config = read_config(location, name)
    elif trust_remote_code:
        config = read_config(location, name, trust_remote_code=True)
    if source.kind == "hub":
        fp = fingerprint(source, getattr(config, "_commit_hash", None))
    traits = info.traits
    auto = AutoModelForCausalLM if traits.lm_head else AutoModel
    placement = {"device_map": "auto"} if device == "cuda" and device_map else {}
    try:
        with _READING:
            tokenizer = AutoTokenizer.from_pretrained(location, trust_remote_code=trust_remote_code)
            model = auto.from_pretrained(location, dtype=torch_dtype, trust_remote_code=trust_remote_code, **placement)
    except OSError as exc:
        raise ModelUnavailableError(f"cannot load {name!r}: {exc}".split("\n")[0]) from None
    if not placement:
        model = model.to(device)
    model.eval()
    parameters = sum(p.numel() for p in model.parameters())  # counted before fast mode packs them away
    if fast:
        fastmode.quantize(model, device)
    st_config = info.st_config
    limits = [getattr(config, "max_position_embeddings", None), tokenizer.model_max_length]
    if st_config and st_config["max_seq_length"]:
        limits.append(st_config["max_seq_length"])
    max_length = min([int(n) for n in limits if n and n < 1e6] + [4096 if traits.causal else 512])
    batch_size, batch_tokens = batch_limits(device)
    return TransformersBackend(
        model=model, tokenizer=tokenizer, st_config=st_config, name=name, fingerprint=fp, traits=traits,
        device=device, dtype=fastmode.DTYPE_NAME if fast else dtype_name(torch_dtype), max_length=max_length,
        default_method=info.default_method, batch_size=batch_size, batch_tokens=batch_tokens,
        info={"source": source.kind, "location": source.location, "parameters": parameters, "fast": fast})
