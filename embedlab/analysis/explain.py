"""How much of a raw GPT's gap to an embedding model is geometry, and how much is training: `explain()`.

On one set of pairs it runs the base GPT (one method that reads a layer) five ways, all label-free:
raw (the last layer), centred, whitened, at its best layer (the layer sweep's pick, `layers.py`) and
whitened at that layer; and the embedding model beside them. Each way's AUC has its interval, and
`analysis/gap.py` says what share of the gap from raw to the embedding model each closes. What no
label-free way closes is what contrastive training (and whatever else differs in the embedding
model: its size, data, architecture) adds.

Honest about fitting: centring and whitening are fitted on all the set's question and answer texts
(no labels, but the very texts they score: transductive), and the best layer is chosen on these same
pairs; both flatter a little. The fine-tune lab's whitened figure (fitted on training pairs, scored
on held-out ones) is the stricter test. Words and tables are `explain_report.py`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Sequence

from ..backends.vectors import is_vectors
from ..comparison import Comparison
from ..embedding import Progress
from ..pairs import Pair, pairs_from_value
from ..prompts import Options
from ..sides import SideSpec
from .gap import Gap, gap
from .layers import LayerSweep, layer_methods, layer_sweep

RAW, CENTRED, WHITENED, EMBED = "raw", "centred", "whitened", "embedding model"
FIT = ("centring and whitening are fitted on all {texts} question and answer texts of this set: no labels, "
       "but they see the texts they score (transductive), and the best layer is chosen on these same pairs, so "
       "both flatter a little; the fine-tune lab's whitened figure, fitted on training pairs and scored on "
       "held-out ones, is the stricter test")


def default_method(methods: Sequence[str], default: str) -> str:
    """The model's own default where it reads a layer, else mean pooling, else the first method that reads one."""
    readable = layer_methods(methods)
    return default if default in readable else "mean" if "mean" in readable else (readable or [default])[0]


@dataclass(frozen=True, eq=False)
class Explanation:
    comparison: Comparison  # the sides RAW, CENTRED, WHITENED, the best layer (raw, whitened), EMBED
    sweep: LayerSweep  # every layer of `method`, raw
    method: str

    @property
    def best_layer(self) -> int:
        return self.sweep.best(self.method)

    @property
    def steps(self) -> list[str]:
        """The label-free ways of reading the base GPT, in order (raw first)."""
        return [name for name in self.comparison.sides if name != EMBED]

    @cached_property
    def gap(self) -> Gap:
        return gap(self.comparison.uncertainty, RAW, EMBED, self.steps[1:])

    def labels(self) -> dict[str, str]:
        """Each side as the sentence names it."""
        n, best = self.sweep.layers, self.best_layer
        return {RAW: f"the raw GPT ({self.method}, last layer)", CENTRED: "centring", WHITENED: "whitening",
                layer_name(best): f"the best layer ({best} of {n}, chosen on these pairs)",
                layer_name(best, True): "whitening at that layer", EMBED: "the embedding model"}

    def fit_note(self) -> str:
        return FIT.format(texts=2 * len(self.comparison.pairs))


def layer_name(layer: int, whitened: bool = False) -> str:
    return f"layer {layer}{', whitened' if whitened else ''}"


def explain(session, pairs: Sequence[Pair] | Sequence[dict], base: str, embed: str, method: str | None = None,
            embed_method: str | None = None, options: Options | None = None,
            progress: Progress | None = None) -> Explanation:
    """The base GPT raw, centred, whitened and at its best layer (raw and whitened) beside `embed`, on `pairs`."""
    pairs = pairs_from_value(pairs)
    info = session.inspect(base)
    if not is_vectors(embed):
        session.inspect(embed).method(embed_method)  # a wrong embedding model fails before the sweep, not after
    method = method or default_method(info.methods, info.default_method)
    swept = layer_sweep(session, pairs, base, [method], options, progress)
    read = swept.options[method]  # the sweep's reading (the chat template where the method takes it)
    best = swept.side(method)
    sides = [SideSpec(base, method, read, RAW), SideSpec(base, method, replace(read, post="center"), CENTRED),
             SideSpec(base, method, replace(read, post="whiten"), WHITENED),
             replace(best, name=layer_name(swept.best(method))),
             replace(best, options=replace(best.options, post="whiten"), name=layer_name(swept.best(method), True)),
             SideSpec(embed, embed_method, options or Options(), EMBED)]
    return Explanation(session.compare(pairs, sides=sides, progress=progress), swept, method)
