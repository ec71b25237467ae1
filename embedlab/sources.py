"""Where a model comes from and what it can do, read once, before any weights load.

`locate()` turns a name (preset, Hub id, folder, .gguf file) into a `Source`; `inspect()` reads the
model's configuration and sentence-transformers files (no weights) into a `ModelInfo`: its traits,
default method and valid methods. A name `URL#MODEL` (URL in front of `/embeddings` on an
OpenAI-compatible server) is a remote model: recognised here, contacted only when loaded. The CLI,
the Python API and the dashboard check every method against a `ModelInfo` before loading any model, and `loading.load()` builds on the same inspection,
so "which methods fit" has one answer everywhere.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ModelUnavailableError, UnknownModelError
from .libraries import import_engine
from .methods import Method, Traits, check_method, default_method, valid_methods
from .presets import PRESETS

log = logging.getLogger(__name__)

ST_POOLING_MODES = (("pooling_mode_cls_token", "cls"), ("pooling_mode_max_tokens", "max"),
                    ("pooling_mode_mean_tokens", "mean"), ("pooling_mode_lasttoken", "last"))
ST_MODULES = {"Transformer", "Pooling", "Normalize"}
GGUF_TRAITS = Traits(causal=True, lm_head=True, sentence_transformers=False)  # GGUF files hold decoder LMs
TUNE_FILE = "embedlab-tune.json"  # written by `embedlab.tuning` into a fine-tuned model folder
REMOTE_SCHEMES = ("http://", "https://")
REMOTE_EXAMPLE = "http://127.0.0.1:7997/v1#all-MiniLM-L6-v2"
REMOTE_TRAITS = Traits(causal=False, lm_head=False, sentence_transformers=False, server=True)


@dataclass(frozen=True)
class Source:
    name: str  # as asked for
    kind: str  # "hub", "folder", "gguf" or "remote"
    location: str  # Hub id, folder path, .gguf path or URL#MODEL
    default_method: str | None = None  # a preset's own choice, where it has one


@dataclass(frozen=True, eq=False)
class ModelInfo:
    source: Source
    traits: Traits
    st_config: dict | None = None  # what `native` follows (pooling modes, normalisation, casing, length)
    config: object = field(default=None, repr=False)  # the transformers configuration (None for GGUF)

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def default_method(self) -> str:
        return self.source.default_method or default_method(self.traits)

    @property
    def methods(self) -> list[str]:
        return valid_methods(self.traits)

    def method(self, name: str | None = None) -> Method:
        """`name` (or the default) checked against this model: a MethodError names the valid ones."""
        return check_method(name or self.default_method, self.traits, self.name)


def offline_presets() -> str:
    """The presets whose weights are installed here (the offline pack may be absent, as on a Space)."""
    return ", ".join(name for name, preset in PRESETS.items() if preset.local_path() is not None) or "none"


def split_remote(name: str) -> tuple[str, str] | None:
    """(base URL, served model) of a remote model name `URL#MODEL`; None for any other name."""
    if not name.lower().startswith(REMOTE_SCHEMES):
        return None
    url, sep, model = name.partition("#")
    url, model = url.strip().rstrip("/"), model.strip()
    parts = urlsplit(url)
    if not sep or not model or not parts.hostname:
        raise UnknownModelError(f"{name!r}: write a remote model as URL#MODEL, URL being the base in front of "
                                f"/embeddings, e.g. {REMOTE_EXAMPLE}")
    if parts.username or parts.password:
        raise UnknownModelError("a remote model's URL must not hold credentials; put the key in EMBEDLAB_API_KEY")
    return url, model


def locate(name: str, allow_hub: bool = True, allow_paths: bool = True) -> Source:
    """Where the weights for `name` are; nothing is read."""
    name = (name or "").strip()
    if not name:
        raise UnknownModelError(f"no model given; presets: {', '.join(PRESETS)}")
    remote = split_remote(name)
    if remote:
        return Source(name, "remote", "#".join(remote), default_method(REMOTE_TRAITS))
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
            return Source(name, "folder", str(path.resolve()), tuned_method(path))
        raise UnknownModelError(f"{name!r} is not a model folder (with config.json) nor a .gguf file")
    if name.count("/") == 1 and all(part.strip() for part in name.split("/")):
        if not allow_hub:
            raise ModelUnavailableError(f"{name!r} is not an allowed model here; choose a preset: {', '.join(PRESETS)}")
        return Source(name, "hub", name)
    raise UnknownModelError(f"unknown model {name!r}: not a preset ({', '.join(PRESETS)}), "
                            f"a Hub id like 'org/name', a model folder, a .gguf file or a remote URL#MODEL")


def tuned_method(folder: Path) -> str | None:
    """The method a fine-tuned folder was trained with (its `embedlab-tune.json`), else None."""
    try:
        method = json.loads((folder / TUNE_FILE).read_text(encoding="utf-8")).get("method")
    except (OSError, ValueError, AttributeError):
        return None
    return method if isinstance(method, str) and method else None


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
    import_engine()
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES, MODEL_FOR_MASKED_LM_MAPPING_NAMES

    archs = config.architectures or []
    lm_head = any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in archs)
    causal = lm_head or (config.model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
                         and config.model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES)
    return Traits(causal=causal, lm_head=lm_head and causal, sentence_transformers=st_config is not None)


def read_config(location: str, name: str, trust_remote_code: bool = False):
    import_engine()
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(location, trust_remote_code=trust_remote_code)
    except OSError as exc:
        hub = f" ({location} on the Hugging Face Hub)" if location != name and not os.path.isabs(location) else ""
        raise ModelUnavailableError(f"cannot load {name!r}{hub}: {exc}".split("\n")[0] +
                                    f" (presets installed here, which need no download: {offline_presets()})") from None


@functools.lru_cache(maxsize=64)
def _hub_st_config(hub_id: str) -> dict | None:
    """The sentence-transformers files of a Hub model (from the local Hub cache when offline)."""
    from huggingface_hub import snapshot_download

    try:
        return sentence_transformers_config(Path(snapshot_download(hub_id, allow_patterns=["*.json"])))
    except Exception:  # noqa: BLE001 - the files are optional; without them the model has no `native`
        return None


def inspect(name: str, allow_hub: bool = True, allow_paths: bool = True) -> ModelInfo:
    """Traits, default and valid methods of `name` from its configuration files alone."""
    source = locate(name, allow_hub=allow_hub, allow_paths=allow_paths)
    if source.kind == "remote":
        return ModelInfo(source, REMOTE_TRAITS)
    if source.kind == "gguf":
        return ModelInfo(source, GGUF_TRAITS)
    config = read_config(source.location, source.name)
    st_config = (sentence_transformers_config(Path(source.location)) if source.kind == "folder"
                 else _hub_st_config(source.location))
    return ModelInfo(source, traits_of(config, st_config), st_config, config)
