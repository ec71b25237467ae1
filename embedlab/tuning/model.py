"""The model being tuned: which part trains, and how texts become pooled vectors with gradients.

The top `layers` transformer layers train (their weights, or LoRA adapters of `lora_rank` on their
linear layers, through `peft`); everything below is frozen. Where the frozen lower part is not empty,
its output for every training text is computed once (`prepare`) and kept, so a step runs only the
top layers: the model's own forward with the layer list cut to the top part and the kept states
given as `inputs_embeds`. A numerical check against the whole model's forward guards that shortcut;
an architecture where it does not hold (one that scales or adds to `inputs_embeds`) runs whole texts.
A prefix every text of a batch shares (the e5 instruction of queries) runs once (`forward.Stack`).
Texts are tokenised by the method's own input side (`prompts.encode_many`) and pooled with
`pooling.POOLING`, as EmbedLab embeds them.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from typing import Callable, Sequence

import torch
from torch import nn

from ..methods import Method, Role
from ..pooling import POOLING
from ..prompts import Encoded, Options, encode_many
from .config import TuneCancelled, TuneConfig
from .forward import Stack, joined, padded

log = logging.getLogger(__name__)
BATCH_TOKENS = 8192  # padded tokens per forward call of the one-time lower pass


class Trainable:
    def __init__(self, backend, method: Method, config: TuneConfig):
        self.model, self.decoder, self.tokenizer = backend.model, backend.encoder, backend.tokenizer
        self.method, self.pad_id, self.device = method, backend.pad_id, backend.input_device
        self.options = Options(task=config.task, max_length=config.max_length).resolved(method, backend.max_length)
        count = int(getattr(self.model.config, "num_hidden_layers", 0) or 0)
        self.stack = Stack(self.decoder, count, backend.traits.causal)
        self.layers = self.stack.layers
        self.top = count if config.layers is None else min(config.layers, count)
        self.split_at = count - self.top  # layers below this index stay frozen
        self.dtype = next(self.model.parameters()).dtype
        self.autocast = self.device.type == "cuda" and self.dtype in (torch.bfloat16, torch.float16)
        self.model.requires_grad_(False)
        self.lora = config.lora_rank > 0
        if self.lora:
            from peft import LoraConfig, get_peft_model

            trained = {id(m) for layer in self.layers[self.split_at:] for m in layer.modules()}
            linear = [name for name, m in self.model.named_modules() if isinstance(m, nn.Linear) and id(m) in trained]
            lora = LoraConfig(r=config.lora_rank, lora_alpha=2 * config.lora_rank, lora_dropout=0.0,
                              target_modules=linear)
            with warnings.catch_warnings():  # peft reads an attribute transformers 5 deprecates
                warnings.simplefilter("ignore", FutureWarning)
                self.wrapped = get_peft_model(self.model, lora)
        else:
            trained = list(self.layers[self.split_at:]) + [self._final_norm()]
            for module in filter(None, trained):
                module.float().requires_grad_(True)  # fp32 master weights under bf16 autocast
        self.checkpointing = config.checkpointing if config.checkpointing is not None else (
            self.device.type == "cuda" and self.split_at == 0)
        if self.checkpointing:
            enable = getattr(self.model, "activation_checkpointing_enable", None) or self.model.gradient_checkpointing_enable
            enable()  # non-reentrant checkpoints, transformers' default
            self.model.train()  # transformers checkpoints only in training mode
        self.cached = self.split_at > 0
        self.share_prefix = not self.checkpointing  # checkpointed layers keep no key/value cache
        self.encoded: list[Encoded] = []
        self.states: list[torch.Tensor] = []

    def _final_norm(self) -> nn.Module | None:
        norm = getattr(self.decoder, "norm", None)
        return norm if isinstance(norm, nn.Module) else None

    def parameters(self) -> list[nn.Parameter]:
        return [p for p in self.model.parameters() if p.requires_grad]

    def _autocast(self):
        return torch.autocast("cuda", dtype=self.dtype) if self.autocast else contextlib.nullcontext()

    def prepare(self, texts: Sequence[str], roles: Sequence[Role], cancel: Callable[[], bool]) -> None:
        """Tokenise the training texts; where the lower part is frozen, run it once over them and keep its output."""
        self.encoded = encode_many(self.tokenizer, list(texts), list(roles), self.method, self.options)
        if not self.cached:
            return
        self.states = [None] * len(texts)  # type: ignore[list-item]
        captured: list[torch.Tensor] = []
        hook = self.layers[self.split_at - 1].register_forward_hook(
            lambda module, args, out: captured.append(out[0] if isinstance(out, tuple) else out))
        order = sorted(range(len(texts)), key=lambda i: (roles[i] != Role.QUERY, -len(self.encoded[i].ids)))
        try:
            with torch.no_grad(), self.stack.only(self.layers[:self.split_at]), self._autocast():
                while order:  # queries first, then passages, longest first: rows of a call share a prefix
                    size = max(1, BATCH_TOKENS // len(self.encoded[order[0]].ids))
                    chunk = [i for i in order[:size] if roles[i] == roles[order[0]]]
                    order = order[len(chunk):]
                    if cancel():
                        raise TuneCancelled("cancelled; nothing was written")
                    rows = [self.encoded[i] for i in chunk]
                    ids, mask, _ = padded(rows, self.pad_id, self.device)
                    captured.clear()
                    parts = len(self.stack.run(mask, self.stack.prefix(rows), ids=ids))
                    states = joined(captured[-parts:], len(rows))  # the frozen part's output, not the model's
                    for row, i in enumerate(chunk):
                        self.states[i] = states[row, :len(self.encoded[i].ids)].detach().to(self.dtype)
        finally:
            hook.remove()
        self._check_shortcut()

    def _check_shortcut(self) -> None:
        """The top layers on kept states must give what the whole model gives; else run whole texts."""
        sample = list(range(min(4, len(self.encoded))))
        with torch.no_grad():
            fast = self.vectors(sample)
            self.cached, self.share_prefix = False, False
            whole = self.vectors(sample)
        self.share_prefix = not self.checkpointing
        error = float((fast.float() - whole.float()).norm() / whole.float().norm().clamp(min=1e-9))
        self.cached = error < (1e-3 if self.dtype == torch.float32 else 3e-2)
        if not self.cached:
            log.warning("kept lower-layer states do not reproduce %s's forward (error %.2g); running whole texts",
                        type(self.model).__name__, error)
            self.states = []

    def vectors(self, indices: Sequence[int]) -> torch.Tensor:
        """Pooled vectors [len(indices), dim] of the prepared texts at `indices`, with gradients where training."""
        rows = [self.encoded[i] for i in indices]
        ids, mask, pool = padded(rows, self.pad_id, self.device)
        prefix = self.stack.prefix(rows) if self.share_prefix else 0
        with self._autocast():
            if self.cached:
                states = torch.zeros(*ids.shape, self.states[indices[0]].shape[-1], dtype=self.dtype, device=self.device)
                for row, i in enumerate(indices):
                    states[row, :len(rows[row].ids)] = self.states[i]
                with self.stack.only(self.layers[self.split_at:]):
                    hidden = joined(self.stack.run(mask, prefix, embeds=states), len(rows))
            else:
                hidden = joined(self.stack.run(mask, prefix, ids=ids), len(rows))
            return POOLING[self.method.pooling](hidden, pool)

    def finish(self) -> nn.Module:
        """The tuned model as a plain transformers model: adapters merged, weights in the loaded dtype, eval mode."""
        model = self.wrapped.merge_and_unload() if self.lora else self.model
        if self.checkpointing:
            (getattr(model, "activation_checkpointing_disable", None) or model.gradient_checkpointing_disable)()
        model.to(self.dtype).requires_grad_(False).eval()
        self.states = []
        return model
