"""Embedding methods: each one a single record saying how a text becomes model input and how the
model's output becomes a vector.

A `Method` holds its prompt templates (passages, and queries where they differ), whether EOS is
appended, whether it pools over the second copy of an echoed text, its pooling (a key of
`pooling.POOLING`, or MODEL_POOLING for the model's own sentence-transformers pipeline) and whether
the LM head projects the pooled state. `prompts.py` applies the input side, the backend the output
side, and neither ever tests a method's name. Which methods a model can take follows from its
`Traits` (see `sources.py`); a model behind a remote server takes only those that say how a server
honours them (`served`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .errors import MethodError

DEFAULT_TASK = "Given a question, retrieve passages that answer the question"
MODEL_POOLING = "model"  # the model's own pooling and normalisation (its sentence-transformers config)
TEXT = "{text}"
E5_QUERY = "Instruct: {task}\nQuery: {text}"
PROMPTEOL = 'This sentence : "{text}" means in one word:"'
ECHO = "Rewrite the sentence: {text}, rewritten sentence: {text}"


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
    """What a model can do, as far as choosing a method is concerned."""

    causal: bool  # decoder-only: each position sees only the tokens before it
    lm_head: bool  # has a vocabulary projection (…ForCausalLM)
    sentence_transformers: bool  # ships a sentence-transformers configuration EmbedLab can follow
    server: bool = False  # a remote server computes the vectors (it tokenises and pools; see backends/remote.py)


@dataclass(frozen=True)
class Method:
    name: Name
    summary: str
    source: str
    pooling: str  # a key of pooling.POOLING, or MODEL_POOLING
    needs: tuple[str, ...] = ()  # Traits fields that must be true
    forbids: tuple[str, ...] = ()  # Traits fields that must be false
    template: str = TEXT  # how a text is written (a passage, and a query unless query_template says otherwise)
    query_template: str | None = None  # queries written differently (they then cache apart from passages)
    append_eos: bool = False  # end every input with exactly one EOS token, whatever the tokenizer does
    pool_repeat: bool = False  # the template writes the text twice: pool over the second copy only
    project: bool = False  # the LM head projects the pooled state to vocabulary logits
    chat_template: bool = False  # default for the chat-template option, where the method has one
    options: tuple[str, ...] = field(default=("max_length",))
    served: str = ""  # how a remote server honours the method ("" where it cannot: the pooling is the server's)

    @property
    def roles(self) -> bool:
        """Whether queries and passages are written differently."""
        return self.query_template is not None

    @property
    def follows_model(self) -> bool:
        """Whether the model's own pipeline (pooling, normalisation, lower-casing) applies."""
        return self.pooling == MODEL_POOLING

    def applies(self, traits: Traits) -> bool:
        if traits.server:
            return bool(self.served)
        return all(getattr(traits, need) for need in self.needs) and not any(getattr(traits, f) for f in self.forbids)


METHODS: dict[str, Method] = {m.name.value: m for m in (
    Method(Name.LOGITS, "Chat-template the text as one user message; embedding = LM-head logits at the "
           "last position.", "the original EmbedLab experiment", "last", needs=("lm_head",), project=True,
           chat_template=True, options=("chat_template", "max_length")),
    Method(Name.LAST_TOKEN, "Last hidden state at the last real token.", "standard pooling", "last",
           options=("chat_template", "max_length", "layer")),
    Method(Name.MEAN, "Masked mean of the last hidden state over all tokens.", "standard pooling", "mean",
           options=("chat_template", "max_length", "layer")),
    Method(Name.CLS, "Last hidden state at the first token ([CLS] in encoders).", "BERT (Devlin et al. 2019)",
           "cls", forbids=("causal",), options=("max_length", "layer")),
    Method(Name.NATIVE, "The model's own sentence-transformers pipeline (pooling, normalisation); identical "
           "to SentenceTransformer.encode.", "sentence-transformers", MODEL_POOLING, needs=("sentence_transformers",),
           served="the server's own pooling and normalisation"),
    Method(Name.E5, f"Queries as {E5_QUERY!r}, passages as they are, EOS appended once, last-token pooling.",
           "intfloat/e5-mistral-7b-instruct model card (Wang et al. 2024)", "last", needs=("causal",),
           query_template=E5_QUERY, append_eos=True, options=("task", "max_length", "layer"),
           served="the instruction written on queries here; the server's own pooling"),
    Method(Name.PROMPTEOL, f"{PROMPTEOL!r} and the last token's hidden state.", "PromptEOL (Jiang et al. 2023)",
           "last", needs=("causal",), template=PROMPTEOL, options=("max_length", "layer")),
    Method(Name.ECHO, f"{ECHO!r}: mean of the hidden states over the second copy only.",
           "Echo embeddings (Springer et al. 2024)", "mean", needs=("causal",), template=ECHO, pool_repeat=True,
           options=("max_length", "layer")),
)}


def get_method(name: str) -> Method:
    try:
        return METHODS[str(name)]
    except KeyError:
        raise MethodError(f"unknown method {name!r}; choose one of: {', '.join(METHODS)}") from None


def valid_methods(traits: Traits) -> list[str]:
    return [name for name, method in METHODS.items() if method.applies(traits)]


def default_method(traits: Traits) -> str:
    if traits.server:
        return Name.NATIVE.value
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
