"""Running part of a transformer: the layer list cut to some of its layers, kept hidden states given as
`inputs_embeds`, and a token prefix that every row shares run once.

`Stack` wraps a loaded model's transformer (the `base_model` of a causal LM): `only(part)` cuts its
layer list for the duration of a block, `run()` gives the last hidden states of whatever layers are
in it. In a causal model the positions of a shared prefix (the e5 instruction in front of every
query) see only each other, so they are run once and their key/value cache is repeated for every row,
as the embedding backend does (`backends.transformers_backend.shared_prefix`); in training the
gradient flows through that cache as through any tensor.
"""

from __future__ import annotations

import contextlib
import inspect
from typing import Sequence

import torch
from torch import nn

from ..backends.transformers_backend import MIN_SHARED_PREFIX, shared_prefix
from ..prompts import Encoded
from .config import TuneError


def layer_list(decoder: nn.Module, count: int) -> tuple[nn.Module, str, nn.ModuleList]:
    """The module holding the transformer layers, the attribute's name and the list itself."""
    for parent in decoder.modules():
        for name, child in parent.named_children():
            if isinstance(child, nn.ModuleList) and len(child) == count:
                return parent, name, child
    raise TuneError(f"cannot find the {count} transformer layers of {type(decoder).__name__}; this model cannot be tuned")


def padded(rows: Sequence[Encoded], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Right-padded ids [batch, width], their attention mask, and the mask of the positions to pool over."""
    width = max(len(r.ids) for r in rows)
    ids = torch.tensor([r.ids + [pad_id] * (width - len(r.ids)) for r in rows], device=device)
    positions = torch.arange(width, device=device)
    mask = (positions < torch.tensor([len(r.ids) for r in rows], device=device)[:, None]).long()
    pool = mask * (positions >= torch.tensor([r.pool_from for r in rows], device=device)[:, None])
    return ids, mask, pool


class Stack:
    def __init__(self, decoder: nn.Module, count: int, causal: bool):
        self.decoder = decoder
        self.parent, self.name, self.layers = layer_list(decoder, count)
        parameters = inspect.signature(decoder.forward).parameters
        cache_arg = next((name for name in ("cache", "past_key_values") if name in parameters), None)
        self.cache_arg = cache_arg if causal else None  # a shared prefix runs once only where attention is causal

    @contextlib.contextmanager
    def only(self, part: Sequence[nn.Module]):
        """The transformer with its layer list cut to `part` for the duration. Layers find their slot in a
        key/value cache by their `layer_idx`, and the cache counts the tokens it holds by slot 0, so the
        part's layers are numbered from 0 meanwhile."""
        numbered = [(module, module.layer_idx) for layer in part for module in layer.modules()
                    if isinstance(getattr(module, "layer_idx", None), int)]
        setattr(self.parent, self.name, nn.ModuleList(part))
        for position, layer in enumerate(part):
            for module in layer.modules():
                if isinstance(getattr(module, "layer_idx", None), int):
                    module.layer_idx = position
        try:
            yield
        finally:
            setattr(self.parent, self.name, self.layers)
            for module, index in numbered:
                module.layer_idx = index

    def prefix(self, rows: Sequence[Encoded]) -> int:
        """Leading tokens every row shares, where worth running once (0 where not, or not causal)."""
        n = shared_prefix([r.ids for r in rows]) if self.cache_arg and len(rows) > 1 else 0
        return n if n >= MIN_SHARED_PREFIX else 0

    def run(self, mask: torch.Tensor, prefix: int = 0, ids: torch.Tensor | None = None,
            embeds: torch.Tensor | None = None) -> list[torch.Tensor]:
        """Hidden states out of the current layers [batch, width, dim], given token ids or input states:
        one tensor, or where `prefix` > 0 two: the prefix's [1, prefix, dim] and the rest's."""
        def given(rows: slice, columns: slice) -> dict:
            return {"input_ids": ids[rows, columns]} if ids is not None else {"inputs_embeds": embeds[rows, columns]}

        everything = slice(None)
        if not prefix:
            return [self.decoder(**given(everything, everything), attention_mask=mask, use_cache=False).last_hidden_state]
        head = self.decoder(**given(slice(0, 1), slice(0, prefix)), use_cache=True)
        cache = getattr(head, self.cache_arg, None)
        if cache is None:  # the model gave back no cache: run whole rows from now on
            self.cache_arg = None
            return self.run(mask, 0, ids, embeds)
        cache.batch_repeat_interleave(mask.shape[0])
        tail = self.decoder(**given(everything, slice(prefix, None)), attention_mask=mask, use_cache=True,
                            **{self.cache_arg: cache})
        return [head.last_hidden_state, tail.last_hidden_state]


def joined(parts: list[torch.Tensor], batch: int) -> torch.Tensor:
    """`Stack.run`'s parts as one [batch, width, dim] tensor (the prefix repeated for every row)."""
    return parts[0] if len(parts) == 1 else torch.cat([parts[0].expand(batch, -1, -1), parts[1]], dim=1)
