"""Method options and tokenising: texts + method + options -> token ids and the span to pool over.

`encode_many()` applies a method's input side (its templates, the chat template, EOS, the echo span)
to many texts with one tokenizer call, and returns plain Python lists, so the result can be cached,
sorted by length and padded by the caller. It reads the method's record and never its name.
Truncation keeps the start of the input and is reported, never silent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Sequence

from .errors import MethodError
from .methods import DEFAULT_TASK, TEXT, Method, Role

POST = ("none", "center", "whiten")  # label-free post-processing of a side's vectors (see analysis/post.py)


@dataclass(frozen=True)
class Options:
    """Method options a person can set; `None` means the method's or model's default.

    `layer` indexes the hidden states as transformers' `hidden_states` does (0 the token embeddings, N the
    last layer, negative from the top). `post` and `whiten_dims` act on a side's vectors after embedding
    (`analysis/post.py`); they never change a vector the model computes, so they stay out of its cache key."""

    task: str = DEFAULT_TASK
    chat_template: bool | None = None
    max_length: int | None = None
    layer: int | None = None
    post: str = "none"
    whiten_dims: int | None = None

    def resolved(self, method: Method, model_max_length: int, layers: int | None = None) -> "Options":
        """The options that matter for `method`, defaults filled in, the rest cleared (for cache keys);
        `layers` is the model's number of layers (None where they cannot be read: a server)."""
        return Options(
            task=self.task if "task" in method.options else "",
            chat_template=(method.chat_template if self.chat_template is None else self.chat_template)
            if "chat_template" in method.options else False,
            max_length=min(self.max_length or model_max_length, model_max_length),
            layer=self._layer(method, layers), post=self.post, whiten_dims=self.whiten_dims,
        )

    def _layer(self, method: Method, layers: int | None) -> int | None:
        """The hidden state `method` pools, as a number 0..layers-1; None for the last (however it was asked
        for: by default, as -1 or as `layers`, so all three share cache entries) or where it reads no layer."""
        if "layer" not in method.options or layers is None:
            if self.layer is not None:
                why = ("this model's layers cannot be read (a server computes its vectors, or its layer stack "
                       "was not found)" if layers is None
                       else f"method {method.name.value!r} reads no hidden layer")
                raise MethodError(f"layer {self.layer}: {why}; layer applies to local models with the methods "
                                  "that pool hidden states (last-token, mean, prompteol, echo, e5, cls)")
            return None
        k = layers if self.layer is None else self.layer
        if not -(layers + 1) <= k <= layers:
            raise MethodError(f"layer {k} is out of range: use 0..{layers} (0 the token embeddings, {layers} the "
                              f"last layer) or -{layers + 1}..-1 counted from the top")
        return None if k % (layers + 1) == layers else k % (layers + 1)

    def embedding(self) -> "Options":
        """These options without the post-processing: what the model's vectors (and their cache keys) depend on."""
        return replace(self, post="none", whiten_dims=None)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Encoded:
    ids: list[int]
    pool_from: int = 0  # pool over ids[pool_from:] (echo pools over the second copy only)
    truncated: bool = False


def _has_chat(tokenizer) -> bool:
    return getattr(tokenizer, "chat_template", None) is not None


def written(tokenizer, text: str, role: Role, method: Method, options: Options) -> str:
    """The text as the method writes it (template, and the chat template where that option is on)."""
    template = method.query_template if method.roles and role == Role.QUERY else method.template
    body = template.format(task=options.task, text=text)
    if options.chat_template and _has_chat(tokenizer):
        return tokenizer.apply_chat_template([{"role": "user", "content": body}], tokenize=False,
                                             add_generation_prompt=False)
    return body


def _second_copy_starts(tokenizer, prompts: list[str], texts: Sequence[str], ids: list[list[int]]) -> list[int]:
    """For echo: the first token of each prompt's second copy of its text."""
    seconds = [len(p) - len(t) for p, t in zip(prompts, texts)]
    if getattr(tokenizer, "is_fast", False):
        spans = tokenizer(prompts, add_special_tokens=True, return_offsets_mapping=True)["offset_mapping"]
        # the first real token that ends inside the second copy; one that straddles the boundary
        # (" word" with its leading space) belongs to the second copy
        return [next((i for i, (s, e) in enumerate(row) if e > second and e > s), len(row) - 1)
                for row, second in zip(spans, seconds)]
    return [len(tokenizer(p[:second], add_special_tokens=True)["input_ids"]) for p, second in zip(prompts, seconds)]


def encode_many(tokenizer, texts: Sequence[str], roles: Sequence[Role], method: Method,
                options: Options) -> list[Encoded]:
    """Token ids for each text under `method` with resolved `options` (see Options.resolved)."""
    if not texts:
        return []
    limit = options.max_length
    chat = options.chat_template and _has_chat(tokenizer)
    prompts = [written(tokenizer, text, role, method, options) for text, role in zip(texts, roles)]
    rows = tokenizer(prompts, add_special_tokens=not chat)["input_ids"]
    if method.append_eos:
        eos = tokenizer.eos_token_id
        encoded = []
        for ids in rows:
            while ids and ids[-1] == eos:  # the tokenizer may or may not append EOS itself
                ids = ids[:-1]
            encoded.append(Encoded(ids[: limit - 1] + [eos], 0, len(ids) > limit - 1))
        return encoded
    starts = _second_copy_starts(tokenizer, prompts, texts, rows) if method.pool_repeat else [0] * len(rows)
    if method.template == TEXT and not chat:  # plain text: let the tokenizer truncate, so closing special tokens stay
        long = [i for i, ids in enumerate(rows) if len(ids) > limit]
        if long:
            cut = tokenizer([prompts[i] for i in long], add_special_tokens=True, truncation=True,
                            max_length=limit)["input_ids"]
            for i, ids in zip(long, cut):
                rows[i] = ids
        return [Encoded(ids, 0, i in long) for i, ids in enumerate(rows)]
    return [Encoded(ids[:limit], min(start, min(len(ids), limit) - 1), len(ids) > limit)
            for ids, start in zip(rows, starts)]


def encode(tokenizer, text: str, method: Method, options: Options, role: Role = Role.PASSAGE) -> Encoded:
    """`encode_many` for one text."""
    return encode_many(tokenizer, [text], [role], method, options)[0]
