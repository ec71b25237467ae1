"""The transformers backend: any Hub, folder or GGUF model run locally with PyTorch.

One forward pass through the base model gives the hidden states; each method pools the layer it reads
(the last by default; `layers.py` taps the others and stops the pass above the highest one read); for `logits`, the LM head projects only the pooled (last) position, never every token.
`native` follows the model's sentence-transformers configuration (Pooling and Normalize modules).

In a decoder-only model a position sees only the positions before it, so the token prefix that every
text of a batch shares (SmolLM2's chat template puts the same system prompt in front of each text) is
run once and its key/value cache reused by every row: the same numbers, computed once. The last prefix
is kept, so the next batch (or a single text) with the same start skips it too. Encoders attend both
ways and never take that path. Quantisation (the opt-in fast mode) lives in `embedlab.fastmode`.
"""

from __future__ import annotations

import copy
import inspect

import numpy as np
import torch
import torch.nn.functional as F

from ..methods import MODEL_POOLING, Method, Role
from ..pooling import POOLING
from ..prompts import Options, encode_many
from . import Backend, Item
from .layers import LayerTap

MIN_SHARED_PREFIX = 4  # tokens; a shorter shared prefix is not worth a second forward call


def shared_prefix(rows: list[list[int]]) -> int:
    """How many leading tokens every row has in common, leaving each row at least one token of its own."""
    limit = min(len(row) for row in rows) - 1
    first = rows[0]
    n = 0
    while n < limit and all(row[n] == first[n] for row in rows):
        n += 1
    return n


class TransformersBackend(Backend):
    def __init__(self, *, model, tokenizer, st_config: dict | None = None, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.tokenizer = tokenizer
        self.st_config = st_config or {}
        self.encoder = model.base_model if self.traits.lm_head else model
        self.head = model.get_output_embeddings() if self.traits.lm_head else None
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (tokenizer.eos_token_id or 0)
        self.input_device = next(model.parameters()).device
        parameters = inspect.signature(self.encoder.forward).parameters
        cache_arg = next((name for name in ("cache", "past_key_values") if name in parameters), None)
        self.cache_arg = cache_arg if self.traits.causal else None  # reuse shared prefixes only where causal
        self._prefix: tuple[tuple[int, ...], object, dict] | None = None  # ids, cache, hidden states by layer
        self.tap = LayerTap(self.encoder)
        self.layers = self.tap.layers

    def prepare_many(self, texts: list[str], roles: list[Role], method: Method, options: Options) -> list[Item]:
        model_input = list(texts)
        if method.follows_model and self.st_config.get("do_lower_case"):
            model_input = [text.lower() for text in texts]
        encoded = encode_many(self.tokenizer, model_input, roles, method, options)
        return [Item(text, role, enc) for text, role, enc in zip(texts, roles, encoded)]

    def _model_pooling(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The model's own sentence-transformers pooling (its modes concatenated) and normalisation."""
        pooled = torch.cat([POOLING[mode](hidden, mask) for mode in self.st_config["pooling"]], dim=-1)
        return F.normalize(pooled, p=2, dim=-1) if self.st_config.get("normalize") else pooled

    def _pool(self, hidden: torch.Tensor, pool_mask: torch.Tensor, method: Method) -> torch.Tensor:
        pool = self._model_pooling if method.pooling == MODEL_POOLING else POOLING[method.pooling]
        return pool(hidden, pool_mask)

    def _prefix_length(self, rows: list[list[int]]) -> int:
        """Tokens at the start of every row to run once: the kept prefix where all rows begin with it, else
        what the rows share (0 where that is too short to pay for itself, or the model is not causal)."""
        if not self.cache_arg:
            return 0
        if self._prefix is not None:
            known = self._prefix[0]
            if all(len(row) > len(known) and tuple(row[:len(known)]) == known for row in rows):
                return len(known)
        n = shared_prefix(rows) if len(rows) > 1 else 0
        return n if n >= MIN_SHARED_PREFIX else 0

    def _prefix_state(self, ids: list[int]):
        """The key/value cache and the hidden states (every layer's) of a prefix, run once and kept until
        another comes."""
        key = tuple(ids)
        if self._prefix is None or self._prefix[0] != key:
            states: dict = {}
            out = self.tap.run(lambda: self.encoder(input_ids=torch.tensor([ids], device=self.input_device),
                                                    use_cache=True),
                               range((self.layers or 0) + 1) if self.layers else [None], states.__setitem__)
            self._prefix = (key, getattr(out, self.cache_arg), states)
        return self._prefix[1], self._prefix[2]

    def _forward(self, ids: torch.Tensor, mask: torch.Tensor, prefix: int, wanted: set, visit) -> None:
        """One forward pass: `visit(k, hidden [batch, width, dim])` for each wanted layer k (None: the last),
        no layer above the highest one run; the first `prefix` tokens (the same in every row) run once."""
        if prefix:
            kept, states = self._prefix_state(ids[0, :prefix].tolist())
            if kept is None:  # the model gave back no cache after all: stop trying, run whole rows
                self.cache_arg, self._prefix, prefix = None, None, 0
        if not prefix:
            self.tap.run(lambda: self.encoder(input_ids=ids, attention_mask=mask), wanted, visit)
            return
        cache = copy.deepcopy(kept)  # the forward below appends to it
        cache.batch_repeat_interleave(ids.shape[0])
        self.tap.run(lambda: self.encoder(input_ids=ids[:, prefix:], attention_mask=mask, use_cache=True,
                                          **{self.cache_arg: cache}), wanted,
                     lambda k, tail: visit(k, torch.cat([states[k].expand(ids.shape[0], -1, -1), tail], dim=1)))

    def embed_batch(self, items: list[Item], method: Method, options: Options) -> np.ndarray:
        return self.embed_shared(items, [(method, options, [(i, item.encoded.pool_from) for i, item in enumerate(items)])])[0]

    @torch.inference_mode()
    def embed_shared(self, items: list[Item], uses) -> list[np.ndarray]:
        """One forward pass over `items`; each use pools (and projects) the rows it reads at its layer, as
        the pass reaches that layer."""
        rows = [item.encoded.ids for item in items]
        width = max(len(row) for row in rows)
        ids = torch.tensor([row + [self.pad_id] * (width - len(row)) for row in rows], dtype=torch.long)
        lengths = torch.tensor([len(row) for row in rows])
        positions = torch.arange(width)
        mask = (positions < lengths[:, None]).long()
        at: dict = {}  # layer -> the uses that read it
        for use in uses:
            at.setdefault(use[1].layer if use[1].layer is not None else self.layers, []).append(use)
        pooled: dict[int, np.ndarray] = {}

        def pool_layer(layer, hidden: torch.Tensor) -> None:
            for use in at[layer]:
                pooled[id(use)] = self._pool_use(hidden, mask, positions, use, len(items))

        self._forward(ids.to(self.input_device), mask.to(self.input_device), self._prefix_length(rows), set(at),
                      pool_layer)
        return [pooled[id(use)] for use in uses]

    def _pool_use(self, hidden: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor, use, count: int) -> np.ndarray:
        """One use's vectors from one layer's hidden states: its rows, pooled from their start, projected
        where the method says."""
        method, _, reads = use
        picked = [row for row, _ in reads]
        starts = torch.tensor([start for _, start in reads])
        every = picked == list(range(count))  # the usual case: no copy of the hidden states
        pool_mask = (mask if every else mask[picked]) * (positions >= starts[:, None])
        chosen = hidden if every else hidden[torch.tensor(picked, device=hidden.device)]
        vectors = self._pool(chosen, pool_mask.to(hidden.device), method)
        if method.project:
            vectors = self.head(vectors.to(self.head.weight.device))
        return vectors.float().cpu().numpy()

    def close(self) -> None:
        self.model = self.encoder = self.head = self._prefix = None
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
