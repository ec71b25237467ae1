"""Loading models: from a preset, a Hub id, a model folder or a .gguf file, into a backend.

`locate()` turns a name into a `Source` without loading anything; `load()` builds the backend on the
chosen device. A GGUF file is dequantised once and kept as a safetensors folder in EmbedLab's cache,
so the next start takes a second, not twenty. `fast=True` quantises the model to int8 on the CPU
(`fastmode.py`). Keeping loaded models around is `registry.py`'s job.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

from . import fastmode
from .backends.transformers_backend import TransformersBackend
from .cache import cache_dir
from .devices import choose_device, choose_dtype, dtype_name
from .errors import ModelUnavailableError, UnknownModelError
from .fingerprints import fingerprint as weights_fingerprint
from .methods import Traits, default_method
from .presets import PRESETS

log = logging.getLogger(__name__)

ST_POOLING_MODES = (("pooling_mode_cls_token", "cls"), ("pooling_mode_max_tokens", "max"),
                    ("pooling_mode_mean_tokens", "mean"), ("pooling_mode_lasttoken", "last"))
ST_MODULES = {"Transformer", "Pooling", "Normalize"}


@dataclass(frozen=True)
class Source:
    name: str  # as asked for
    kind: str  # "hub", "folder" or "gguf"
    location: str  # Hub id, folder path or .gguf path
    default_method: str | None = None


def locate(name: str, allow_hub: bool = True, allow_paths: bool = True) -> Source:
    """Where the weights for `name` are; nothing is loaded."""
    name = (name or "").strip()
    if not name:
        raise UnknownModelError(f"no model given; presets: {', '.join(PRESETS)}")
    if name in PRESETS:
        preset = PRESETS[name]
        local = preset.local_path()
        if local is not None:
            kind = "gguf" if local.suffix == ".gguf" else "folder"
            return Source(name, kind, str(local), preset.method)
        return Source(name, "hub", preset.hub_id, preset.method)
    path = Path(name).expanduser()
    looks_like_path = name.endswith(".gguf") or name.startswith(("/", ".", "~")) or path.exists()
    if looks_like_path:
        if not allow_paths:
            raise ModelUnavailableError(f"local model paths are not allowed here; choose a preset: {', '.join(PRESETS)}")
        if path.is_file() and path.suffix == ".gguf":
            return Source(name, "gguf", str(path.resolve()))
        if path.is_dir() and (path / "config.json").exists():
            return Source(name, "folder", str(path.resolve()))
        raise UnknownModelError(f"{name!r} is not a model folder (with config.json) nor a .gguf file")
    if name.count("/") == 1 and all(part.strip() for part in name.split("/")):
        if not allow_hub:
            raise ModelUnavailableError(f"{name!r} is not an allowed model here; choose a preset: {', '.join(PRESETS)}")
        return Source(name, "hub", name)
    raise UnknownModelError(f"unknown model {name!r}: not a preset ({', '.join(PRESETS)}), "
                            f"a Hub id like 'org/name', a model folder or a .gguf file")


def fingerprint(source: Source, revision: str | None = None) -> str:
    """Identity of the weights: file hashes for local models (memoised, see `fingerprints.py`), Hub revision."""
    return weights_fingerprint(source.kind, source.location, revision)


def batch_limits(device: str) -> tuple[int, int]:
    """Texts per batch and tokens per batch (padded width x texts) on a device."""
    return (32, 8192) if device == "cpu" else (64, 65536)


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
        tokenizer.save_pretrained(scratch)
        save_model(model, str(scratch / "model.safetensors"))
        os.replace(scratch, target)  # atomic: a half-written copy is never used
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)
        if not (target / "config.json").exists():
            raise
    return target


def sentence_transformers_config(folder: Path) -> dict | None:
    """Pooling modes, normalisation, max length and casing from a sentence-transformers folder."""
    modules_file = folder / "modules.json"
    if not modules_file.exists():
        return None
    modules = json.loads(modules_file.read_text())
    types = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if not set(types) <= ST_MODULES or "Pooling" not in types:
        log.info("%s: sentence-transformers modules %s are not supported by 'native'", folder, types)
        return None
    pooling_dir = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
    pooling = json.loads((folder / pooling_dir / "config.json").read_text())
    modes = [mode for key, mode in ST_POOLING_MODES if pooling.get(key)]
    if not modes or any(pooling.get(k) for k in ("pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens")):
        return None
    bert_config = folder / "sentence_bert_config.json"
    extra = json.loads(bert_config.read_text()) if bert_config.exists() else {}
    return {"pooling": modes, "normalize": "Normalize" in types, "max_seq_length": extra.get("max_seq_length"),
            "do_lower_case": bool(extra.get("do_lower_case"))}


def traits_of(config, st_config: dict | None = None) -> Traits:
    """What a model is, from its transformers configuration and sentence-transformers one (if any)."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES, MODEL_FOR_MASKED_LM_MAPPING_NAMES

    archs = config.architectures or []
    lm_head = any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in archs)
    causal = lm_head or (config.model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
                         and config.model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES)
    return Traits(causal=causal, lm_head=lm_head and causal, sentence_transformers=st_config is not None)


def describe(name: str, allow_hub: bool = True, allow_paths: bool = True) -> tuple[Traits, str]:
    """Traits and default method of `name` from its configuration alone, without loading weights."""
    from transformers import AutoConfig

    source = locate(name, allow_hub=allow_hub, allow_paths=allow_paths)
    if source.kind == "gguf":  # GGUF files hold decoder-only language models
        traits = Traits(causal=True, lm_head=True, sentence_transformers=False)
        return traits, source.default_method or default_method(traits)
    try:
        config = AutoConfig.from_pretrained(source.location)
    except OSError as exc:
        raise ModelUnavailableError(f"cannot load {name!r}: {exc}".split("\n")[0]) from None
    st_config = sentence_transformers_config(Path(source.location)) if source.kind == "folder" else None
    traits = traits_of(config, st_config)
    return traits, source.default_method or default_method(traits)


def load(name: str, device: str | None = None, dtype: str | None = None, allow_hub: bool = True,
         allow_paths: bool = True, trust_remote_code: bool = False, fast: bool = False) -> TransformersBackend:
    """Load `name` (preset, Hub id, folder or .gguf) onto a device, ready to embed; `fast` for int8 on a CPU."""
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoTokenizer

    source = locate(name, allow_hub=allow_hub, allow_paths=allow_paths)
    device = choose_device(device)
    torch_dtype = choose_dtype(device, dtype)
    if fast:
        fastmode.check_supported(device)  # before any weights are read
        torch_dtype = torch.float32
    location = source.location
    fp = fingerprint(source) if source.kind != "hub" else None
    if source.kind == "gguf":
        location = str(converted_gguf(Path(location), fp))
    try:
        config = AutoConfig.from_pretrained(location, trust_remote_code=trust_remote_code)
    except OSError as exc:
        raise ModelUnavailableError(f"cannot load {name!r}: {exc}".split("\n")[0] +
                                    " (is it available offline? presets that work offline: "
                                    f"{', '.join(p for p, v in PRESETS.items() if v.package)})") from None
    st_config = sentence_transformers_config(Path(location)) if source.kind != "hub" else None
    if source.kind == "hub":
        from huggingface_hub import snapshot_download

        try:  # the local snapshot, so its sentence-transformers files can be read
            folder = Path(snapshot_download(location, allow_patterns=["*.json"]))
            st_config = sentence_transformers_config(folder)
        except Exception:  # noqa: BLE001 - the config is optional; the model itself loaded
            st_config = None
        fp = fingerprint(source, getattr(config, "_commit_hash", None))
    traits = traits_of(config, st_config)
    auto = AutoModelForCausalLM if traits.lm_head else AutoModel
    placement = {"device_map": "auto"} if device == "cuda" else {}
    try:
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
    limits = [getattr(config, "max_position_embeddings", None), tokenizer.model_max_length]
    if st_config and st_config["max_seq_length"]:
        limits.append(st_config["max_seq_length"])
    max_length = min([int(n) for n in limits if n and n < 1e6] + [4096 if traits.causal else 512])
    preferred = source.default_method or default_method(traits)
    batch_size, batch_tokens = batch_limits(device)
    return TransformersBackend(
        model=model, tokenizer=tokenizer, st_config=st_config, name=name, fingerprint=fp, traits=traits,
        device=device, dtype=fastmode.DTYPE_NAME if fast else dtype_name(torch_dtype), max_length=max_length,
        default_method=preferred, batch_size=batch_size, batch_tokens=batch_tokens,
        info={"source": source.kind, "location": source.location, "parameters": parameters, "fast": fast})
