"""The sides of a comparison: what each one is (`SideSpec`: a model, a method, options, a name), the
checks a set of sides must pass, and the ways people write sides: `NAME=MODEL[:METHOD]` and
`NAME.OPTION=VALUE` on the command line, `{"name", "model", "method", ...}` objects in the API, and a
method sweep (one side per method valid for a model).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Sequence

from .errors import SideError
from .methods import METHODS
from .presets import SIDES, default_pair
from .prompts import POST, Options

MAX_SIDES = 8
MAX_NAME = 40
OPTION_NAMES = {"task": "task", "chat-template": "chat_template", "max-length": "max_length", "layer": "layer",
                "post": "post", "whiten-dims": "whiten_dims"}


@dataclass(frozen=True)
class SideSpec:
    """One side of a comparison: a model, a method (None for its default), method options and a short
    name (its label in tables, figures and JSON; "base" and "embed" for the two classic sides)."""

    model: str
    method: str | None = None
    options: Options = field(default_factory=Options)
    name: str = ""


def default_specs(base: SideSpec | str | None = None, embed: SideSpec | str | None = None) -> dict[str, SideSpec]:
    """The two classic sides; a side with no model is the default pair's (see `presets.default_pair`)."""
    specs = {}
    for side, spec, fallback in zip(SIDES, (base, embed), default_pair()):
        spec = spec if isinstance(spec, SideSpec) else SideSpec(spec or "")
        specs[side] = replace(spec, model=spec.model.strip() or fallback, name=side)
    return specs


def named_specs(sides: Sequence[SideSpec]) -> dict[str, SideSpec]:
    """Sides by name, checked: 1 to MAX_SIDES of them, each named (short, unique) and with a model."""
    if not sides:
        raise SideError("no sides to compare; give at least one model")
    if len(sides) > MAX_SIDES:
        raise SideError(f"{len(sides)} sides is more than {MAX_SIDES}; remove {len(sides) - MAX_SIDES}")
    specs: dict[str, SideSpec] = {}
    for number, spec in enumerate(sides, start=1):
        name = (spec.name or "").strip()
        if not name:
            raise SideError(f"side {number} has no name; name it (a short label such as 'gpt-mean')")
        if len(name) > MAX_NAME:
            raise SideError(f"side {number}: the name {name[:MAX_NAME]!r}... is over {MAX_NAME} characters")
        if name in specs:
            raise SideError(f"side {number}: the name {name!r} is used twice; names must differ")
        if not (spec.model or "").strip():
            raise SideError(f"side {name!r} has no model")
        specs[name] = replace(spec, name=name, model=spec.model.strip())
    return specs


def parse_side(text: str, options: Options | None = None) -> SideSpec:
    """`NAME=MODEL[:METHOD]`. A model may itself hold ':' (paths, URLs), so the part after the last ':'
    is the method only when it names one."""
    name, sep, rest = (text or "").partition("=")
    if not sep or not name.strip() or not rest.strip():
        raise SideError(f"side {text!r}: write it as NAME=MODEL or NAME=MODEL:METHOD, e.g. gpt=smollm2-135m-instruct:mean")
    model, colon, method = rest.rpartition(":")
    if not colon or method not in METHODS:
        model, method = rest, None
    return SideSpec(model.strip(), method, options or Options(), name.strip())


def _option_value(key: str, value: str) -> Any:
    if key == "chat_template":
        words = {"on": True, "true": True, "1": True, "off": False, "false": False, "0": False, "default": None}
        if value.lower() not in words:
            raise SideError(f"chat-template={value!r}: use on, off or default")
        return words[value.lower()]
    if key in ("max_length", "whiten_dims"):
        if not value.isdigit() or int(value) < 1:
            raise SideError(f"{key.replace('_', '-')}={value!r}: use a positive number "
                            f"({'of tokens' if key == 'max_length' else 'of directions'})")
        return int(value)
    if key == "layer":
        if not value.lstrip("-").isdigit():
            raise SideError(f"layer={value!r}: use a layer number (0 the token embeddings, -1 the last layer)")
        return int(value)
    if key == "post" and value not in POST:
        raise SideError(f"post={value!r}: use one of {', '.join(POST)}")
    return value


def with_side_option(specs: Sequence[SideSpec], text: str) -> list[SideSpec]:
    """`NAME.OPTION=VALUE` (OPTION: a key of OPTION_NAMES) applied to the side called NAME."""
    target, sep, value = (text or "").partition("=")
    name, dot, option = target.rpartition(".")
    if not sep or not dot or option not in OPTION_NAMES:
        raise SideError(f"side option {text!r}: write it as NAME.OPTION=VALUE with OPTION one of "
                        f"{', '.join(OPTION_NAMES)}, e.g. gpt.max-length=128")
    if name not in [s.name for s in specs]:
        raise SideError(f"side option {text!r}: there is no side called {name!r} "
                        f"(sides: {', '.join(s.name for s in specs) or 'none'})")
    key = OPTION_NAMES[option]
    return [replace(s, options=replace(s.options, **{key: _option_value(key, value.strip())})) if s.name == name else s
            for s in specs]


def sweep(model: str, methods: Sequence[str], options: Options | None = None, prefix: str = "") -> list[SideSpec]:
    """One side per method of `model` (named by the method). Methods that take the chat-template option
    get it on, so logits, last-token and mean read the same model input, the chat model's own format,
    and share one forward pass."""
    options = options or Options()
    specs = []
    for method in methods:
        chat = True if "chat_template" in METHODS[method].options and options.chat_template is None else options.chat_template
        specs.append(SideSpec(model, method, replace(options, chat_template=chat), f"{prefix}{method}"))
    return specs


def specs_from_value(items: Any, options: Options | None = None) -> list[SideSpec]:
    """Sides from the API's list of {"name", "model", "method"?, and options: "task"?, "chat_template"?,
    "max_length"?, "layer"?, "post"?, "whiten_dims"?, given at the top level or in an "options" object
    (as the JSON output writes them)}."""
    if not isinstance(items, list):
        raise SideError(f"sides must be a list of objects with 'name' and 'model', got {type(items).__name__}")
    specs = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise SideError(f"side {number}: expected an object with 'name' and 'model', got {type(item).__name__}")
        nested = item.get("options") or {}
        if not isinstance(nested, dict):
            raise SideError(f"side {number}: options must be an object, got {type(nested).__name__}")
        given = {**{k: v for k, v in item.items() if k != "options"}, **nested}
        unknown = set(given) - {"name", "model", "method", *OPTION_NAMES.values()}
        if unknown:
            raise SideError(f"side {number}: unknown keys {', '.join(sorted(map(str, unknown)))}")
        opts = options or Options()
        for key in OPTION_NAMES.values():
            value = given.get(key)
            if value is None or value == "" or (key == "max_length" and not value):
                continue
            value = str(value).lower() if isinstance(value, bool) else str(value)
            opts = replace(opts, **{key: value if key == "task" else _option_value(key, value)})
        specs.append(SideSpec(str(item.get("model") or ""), str(item.get("method") or "") or None, opts,
                              str(item.get("name") or "")))
    return specs
