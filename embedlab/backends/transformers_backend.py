"""The transformers backend: any Hub, folder or GGUF model run locally with PyTorch.

One forward pass through the base model gives the last hidden states; the method's pooling picks the
vector; for `logits`, the LM head projects only the pooled (last) position, never every token.
`native` follows the model's sentence-transformers configuration (Pooling and Normalize modules).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..methods import Method, Name, Role
from ..pooling import POOLING
from ..prompts import Options, encode
from . import Backend, Item


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

    def prepare(self, text: str, role: Role, method: Method, options: Options) -> Item:
        if method.name == Name.NATIVE and self.st_config.get("do_lower_case"):
            text = text.lower()
        return Item(text, role, encode(self.tokenizer, text, method, options, role))

    def _pool(self, hidden: torch.Tensor, mask: torch.Tensor, pool_mask: torch.Tensor, method: Method):
        if method.name != Name.NATIVE:
            return POOLING[method.pooling](hidden, pool_mask)
        modes = self.st_config["pooling"]
        pooled = torch.cat([POOLING[mode](hidden, mask) for mode in modes], dim=-1)
        return F.normalize(pooled, p=2, dim=-1) if self.st_config.get("normalize") else pooled

    @torch.inference_mode()
    def embed_batch(self, items: list[Item], method: Method, options: Options) -> np.ndarray:
        width = max(len(item.encoded.ids) for item in items)
        ids = torch.full((len(items), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(items), width), dtype=torch.long)
        pool_mask = torch.zeros((len(items), width), dtype=torch.long)
        for row, item in enumerate(items):
            n = len(item.encoded.ids)
            ids[row, :n] = torch.tensor(item.encoded.ids)
            mask[row, :n] = 1
            pool_mask[row, item.encoded.pool_from:n] = 1
        ids, mask, pool_mask = (t.to(self.input_device) for t in (ids, mask, pool_mask))
        hidden = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        pooled = self._pool(hidden, mask, pool_mask.to(hidden.device), method)
        if method.name == Name.LOGITS:
            pooled = self.head(pooled.to(self.head.weight.device))
        return pooled.float().cpu().numpy()

    def close(self) -> None:
        self.model = self.encoder = self.head = None
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
