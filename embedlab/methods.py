"""Embedding methods: how a text becomes model input, and which pooling turns the output into a vector.

A method is a small recipe: a prompt template, a pooling strategy from `pooling.py`, and whether the
LM head projects the pooled state to vocabulary logits. `encode()` does the tokenising for every
method, so batching code never needs to know which method it runs. Running models lives in
`backends/`; this module only says what to feed them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .errors import MethodError

DEFAULT_TASK = "Given a question, retrieve passages that answer the question"


class Role(str, Enum):
    QUERY = "query"
    PASSAGE = "passage"


class Name(str, Enum):
    LOGITS = "logits"
    LAST_TOKEN = "last-token"
    MEAN = "mean"
    CLS = "cls"
    NATIVE = "native"
    E5 = "e5"
    PROMPTEOL = "prompteol"
    ECHO = "echo"


@dataclass(frozen=True)
class Traits:
    """What a loaded model can do, as far as choosing a method is concerned."""

    causal: bool  # decoder-only: each position sees only the tokens before it
    lm_head: bool  # has a vocabulary projection (…ForCausalLM)
    sentence_transformers: bool  # ships a sentence-transformers configuration


@dataclass(frozen=True)
class Method:
    name: Name
    summary: str
    source: str
    pooling: str  # a key of pooling.POOLING
    needs: tuple[str, ...] = ()  # Traits fields that must be true
    forbids: tuple[str, ...] = ()  # Traits fields that must be false
    roles: bool = False  # queries and passages are formatted differently
    chat_template: bool = False  # default for the chat-template option, where the method has one
    options: tuple[str, ...] = field(default=("max_length",))

    def applies(self, traits: Traits) -> bool:
        return all(getattr(traits, need) for need in self.needs) and not any(getattr(traits, f) for f in self.forbids)


METHODS: dict[str, Method] = {m.name.value: m for m in (
    Method(Name.LOGITS, "Chat-template the text as one user message; embedding = LM-head logits at the "
           "last position.", "the original EmbedLab experiment", "last", needs=("lm_head",),
           chat_template=True, options=("chat_template", "max_length")),
    Method(Name.LAST_TOKEN, "Last hidden state at the last real token.", "standard pooling", "last",
           options=("chat_template", "max_length")),
    Method(Name.MEAN, "Masked mean of the last hidden state over all tokens.", "standard pooling", "mean",
           options=("chat_template", "max_length")),
    Method(Name.CLS, "Last hidden state at the first token ([CLS] in encoders).", "BERT (Devlin et al. 2019)",
           "cls", forbids=("causal",)),
    Method(Name.NATIVE, "The model's own sentence-transformers pipeline (pooling, normalisation); identical "
           "to SentenceTransformer.encode.", "sentence-transformers", "native", needs=("sentence_transformers",)),
    Method(Name.E5, "Queries as 'Instruct: {task}\\nQuery: {text}', passages as they are, EOS appended once, "
           "last-token pooling.", "intfloat/e5-mistral-7b-instruct model card (Wang et al. 2024)", "last",
           needs=("causal",), roles=True, options=("task", "max_length")),
    Method(Name.PROMPTEOL, "'This sentence : \"{text}\" means in one word:\"' and the last token's hidden state.",
           "PromptEOL (Jiang et al. 2023)", "last", needs=("causal",)),
    Method(Name.ECHO, "The text written twice; mean of the hidden states over the second copy only.",
           "Echo embeddings (Springer et al. 2024)", "mean", needs=("causal",)),
)}


def get_method(name: str) -> Method:
    try:
        return METHODS[str(name)]
    except KeyError:
        raise MethodError(f"unknown method {name!r}; choose one of: {', '.join(METHODS)}") from None


def valid_methods(traits: Traits) -> list[str]:
    return [name for name, method in METHODS.items() if method.applies(traits)]


def default_method(traits: Traits) -> str:
    if traits.lm_head:
        return Name.LOGITS.value
    if traits.sentence_transformers:
        return Name.NATIVE.value
    return Name.LAST_TOKEN.value if traits.causal else Name.MEAN.value


def check_method(name: str, traits: Traits, model: str = "this model") -> Method:
    method = get_method(name)
    if not method.applies(traits):
        raise MethodError(f"method {name!r} does not apply to {model}; valid methods: "
                          f"{', '.join(valid_methods(traits))}")
    return method
