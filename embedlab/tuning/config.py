"""What a fine-tune run is asked to do (`TuneConfig`), its limits, and the errors it can end with.

Every setting a person can get wrong is checked here, before any model loads, and each mistake is a
`TuneError` of one line. `TuneCancelled` is what a cancel (the caller's `threading.Event`) ends with.
The defaults are the measured choice for a 2-core CPU (`python -m benchmarks.tune --strategies`): the
weights of the top 2 layers train on top of the frozen lower part, whose hidden states are computed
once and kept; logit scale 50 (e5's temperature 0.02) beat 20 on held-out pairs at every step count.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import EmbedLabError
from ..methods import DEFAULT_TASK, METHODS, Method

MAX_MINUTES = 60.0  # a time budget above this is refused
MAX_STEPS = 100_000
MIN_HELDOUT, MIN_TRAIN = 5, 10  # pairs on each side of the split
MAX_HOLDOUT = 0.5


class TuneError(EmbedLabError):
    """A fine-tune that cannot start or finish: bad pairs, settings or model, a full disk."""


class TuneCancelled(TuneError):
    """The caller cancelled the fine-tune; nothing was written."""


@dataclass(frozen=True)
class TuneConfig:
    method: str = "e5"  # how texts become vectors, in training and in the tuned folder's default
    holdout: float = 0.2  # share of the pairs held out for the before/after figures
    seed: int = 0  # the split, the batches and the adapters' initial weights
    steps: int | None = None  # at most this many steps (None: until the time budget ends)
    minutes: float = 1.0  # at most this much training time
    batch: int = 16  # pairs per step; the other pairs of a batch are each pair's negatives
    lr: float | None = None  # learning rate (None: the strategy's own)
    scale: float = 50.0  # cosine similarity x scale are the logits of the loss (1 / temperature; e5's 0.02)
    layers: int | None = 2  # train the top N layers (None: all of them)
    lora_rank: int = 0  # 0: train those layers' weights; N: LoRA adapters of rank N on their linear layers
    max_length: int = 128  # tokens per text in training (evaluation reads whole texts)
    task: str = DEFAULT_TASK  # the e5 method's instruction for queries
    checkpointing: bool | None = None  # gradient checkpointing (None: on CUDA when every layer trains)

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else (5e-4 if self.lora_rank else 1e-4)

    def as_dict(self) -> dict:
        return asdict(self) | {"lr": self.learning_rate}

    def check(self) -> Method:
        """The method record; a TuneError for the first setting that is out of range."""
        method = METHODS.get(str(self.method))
        if method is None:
            raise TuneError(f"unknown method {self.method!r}; choose one of: {', '.join(trainable_methods())}")
        if method.name.value not in trainable_methods():
            raise TuneError(f"method {self.method!r} cannot be trained (it has no pooled hidden state to tune); "
                            f"choose one of: {', '.join(trainable_methods())}")
        if not 0 < self.holdout <= MAX_HOLDOUT:
            raise TuneError(f"held-out share {self.holdout!r} is outside (0, {MAX_HOLDOUT}]; e.g. 0.2 holds out a fifth")
        if not 0 < self.minutes <= MAX_MINUTES:
            raise TuneError(f"time budget of {self.minutes!r} minutes is outside (0, {MAX_MINUTES:g}]")
        if self.steps is not None and not 1 <= self.steps <= MAX_STEPS:
            raise TuneError(f"{self.steps} steps is outside 1..{MAX_STEPS}")
        if self.batch < 2:
            raise TuneError(f"a batch of {self.batch} pairs has no negatives; use at least 2")
        if not self.learning_rate > 0 or not self.scale > 0:
            raise TuneError(f"learning rate ({self.learning_rate}) and scale ({self.scale}) must be positive")
        if self.layers is not None and self.layers < 1:
            raise TuneError(f"layers={self.layers}: train at least 1 layer (or all of them)")
        if self.lora_rank < 0 or self.max_length < 8:
            raise TuneError(f"LoRA rank {self.lora_rank} must be 0 or more and max length {self.max_length} at least 8")
        return method


def trainable_methods() -> list[str]:
    """Methods whose vector is a pooled hidden state (no LM-head projection, no model-own pipeline)."""
    return [name for name, m in METHODS.items() if not m.project and not m.follows_model]
