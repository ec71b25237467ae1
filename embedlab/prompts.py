"""Prompt templates and tokenising: text + method + options -> token ids and the span to pool over.

`encode()` is the one place that knows each method's input format. It returns plain Python lists, so
the result can be cached, sorted by length and padded by the caller. Truncation keeps the start of the
input and is reported, never silent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .methods import DEFAULT_TASK, Method, Name, Role

E5_QUERY = "Instruct: {task}\nQuery: {text}"
PROMPTEOL = 'This sentence : "{text}" means in one word:"'
ECHO = "Rewrite the sentence: {text}, rewritten sentence: {text}"


@dataclass(frozen=True)
class Options:
    """Method options a person can set; `None` means the method's or model's default."""

    task: str = DEFAULT_TASK
    chat_template: bool | None = None
    max_length: int | None = None

    def resolved(self, method: Method, model_max_length: int) -> "Options":
        """The options that matter for `method`, defaults filled in, the rest cleared (for cache keys)."""
        return Options(
            task=self.task if "task" in method.options else "",
            chat_template=(method.chat_template if self.chat_template is None else self.chat_template)
            if "chat_template" in method.options else False,
            max_length=min(self.max_length or model_max_length, model_max_length),
        )

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Encoded:
    ids: list[int]
    pool_from: int = 0  # pool over ids[pool_from:] (echo pools over the second copy only)
    truncated: bool = False


def _chat(tokenizer, text: str) -> str:
    if getattr(tokenizer, "chat_template", None) is None:
        return text
    return tokenizer.apply_chat_template([{"role": "user", "content": text}], tokenize=False,
                                         add_generation_prompt=False)


def _ids(tokenizer, text: str, special: bool) -> list[int]:
    return tokenizer(text, add_special_tokens=special)["input_ids"]


def _echo(tokenizer, text: str) -> tuple[list[int], int]:
    prompt = ECHO.format(text=text)
    second = len(prompt) - len(text)
    if getattr(tokenizer, "is_fast", False):
        enc = tokenizer(prompt, add_special_tokens=True, return_offsets_mapping=True)
        # the first real token that ends inside the second copy; one that straddles the boundary
        # (" word" with its leading space) belongs to the second copy
        spans = enc["offset_mapping"]
        pool_from = next((i for i, (s, e) in enumerate(spans) if e > second and e > s), len(spans) - 1)
        return enc["input_ids"], pool_from
    ids = _ids(tokenizer, prompt, True)
    return ids, len(_ids(tokenizer, prompt[:second], True))


def encode(tokenizer, text: str, method: Method, options: Options, role: Role = Role.PASSAGE) -> Encoded:
    """Token ids for one text under `method` with resolved `options` (see Options.resolved)."""
    name = method.name
    pool_from = 0
    if name == Name.E5:
        body = E5_QUERY.format(task=options.task, text=text) if role == Role.QUERY else text
        ids = _ids(tokenizer, body, True)
        eos = tokenizer.eos_token_id
        while ids and ids[-1] == eos:  # the tokenizer may or may not append EOS itself
            ids = ids[:-1]
        truncated = len(ids) > options.max_length - 1
        return Encoded(ids[: options.max_length - 1] + [eos], 0, truncated)
    if name == Name.PROMPTEOL:
        ids = _ids(tokenizer, PROMPTEOL.format(text=text), True)
    elif name == Name.ECHO:
        ids, pool_from = _echo(tokenizer, text)
    elif options.chat_template and getattr(tokenizer, "chat_template", None) is not None:
        ids = _ids(tokenizer, _chat(tokenizer, text), False)
    else:
        ids = _ids(tokenizer, text, True)
        if len(ids) > options.max_length:  # let the tokenizer truncate, so closing special tokens stay
            full = len(ids)
            ids = tokenizer(text, add_special_tokens=True, truncation=True, max_length=options.max_length)["input_ids"]
            return Encoded(ids, 0, full > len(ids))
    truncated = len(ids) > options.max_length
    ids = ids[: options.max_length]
    return Encoded(ids, min(pool_from, len(ids) - 1), truncated)
