"""Reading a transformers model's hidden states at chosen layers, as the forward pass reaches them.

`LayerTap(encoder)` finds the model's stack of layers (the `nn.ModuleList` as long as the config's
`num_hidden_layers`) and numbers its states as transformers' `hidden_states` does: 0 the input to the
first layer (the token embeddings), k the output of layer k, N the model's last hidden state (after the
final norm, where the model has one). `run()` makes one forward call with hooks that hand each wanted
state to a callback the moment it exists, so the caller pools it and lets it go (a sweep of every layer
never holds every layer of a batch), and stops the call after the highest wanted state below N: the
layers above it never run. It knows nothing of pooling, methods or batches.
"""

from __future__ import annotations

from typing import Callable, Iterable

from torch import nn

Visit = Callable[[int, object], None]  # (state number, hidden [batch, seq, dim])


class _Reached(Exception):
    """Raised by a hook once the highest wanted state is read: the layers above it are not run."""


class LayerTap:
    def __init__(self, encoder: nn.Module):
        n = getattr(getattr(encoder, "config", None), "num_hidden_layers", None)
        self.stack = next((m for m in encoder.modules() if isinstance(m, nn.ModuleList) and len(m) == n), None)
        self.layers: int | None = n if self.stack is not None and n else None  # None: only the last state

    def run(self, call: Callable[[], object], wanted: Iterable[int | None], visit: Visit):
        """`call()` (one forward pass), handing `visit` each wanted state; the call's output, or None where it
        was stopped early. None in `wanted` is the last state, as is `self.layers`."""
        last = self.layers
        wanted = {last if k is None else k for k in wanted}
        below = sorted(k for k in wanted if k != last)
        stop = below[-1] if below and last not in wanted else None

        def seen(k: int, hidden) -> None:
            visit(k, hidden)
            if k == stop:
                raise _Reached

        hooks = []
        for k in below:
            if k == 0:
                hooks.append(self.stack[0].register_forward_pre_hook(
                    lambda module, args, kwargs: seen(0, args[0] if args else kwargs["hidden_states"]), with_kwargs=True))
            else:
                hooks.append(self.stack[k - 1].register_forward_hook(
                    lambda module, args, out, k=k: seen(k, out[0] if isinstance(out, tuple) else out)))
        try:
            out = call()
        except _Reached:
            return None
        finally:
            for hook in hooks:
                hook.remove()
        if last in wanted:
            visit(last, out.last_hidden_state)
        return out
