"""How long each ZeroGPU call asks for: a Compare (or a sweep, which is a Compare of many sides) and a
fine-tune, each computed from its own arguments (ZeroGPU's dynamic duration), so a visitor's daily quota
is charged for the work asked and short calls queue first.

Every constant here is an ESTIMATE, not a measurement: no ZeroGPU GPU has run these calls yet
(benchmarks/zerogpu_calls.py measures them on a GPU; put its figures here). A call has three parts:
- the start: ZeroGPU forks a worker, initialises CUDA and moves every model placed at start-up onto
  the GPU (all of them, not only the ones the call uses), at MOVE_GB_PER_SECOND;
- the model work: each side embeds every question and answer, a 7B model in SECONDS_PER_TEXT_7B and a
  smaller one in proportion to its size (never under MIN_SECONDS_PER_TEXT);
- for a layer sweep, the same pass for each swept method with every layer pooled as it goes
  (LAYER_POOLING times the last layer alone), then each layer's bootstrap on the CPU inside the call
  (BOOTSTRAP_SECONDS_PER_LAYER at 100 pairs, growing with the square of the pairs), for
  LAYERS_ESTIMATE layers (the model's own count is not read here), and the embedding model's sides;
- for a fine-tune, the lab's own disk work in the worker (loading the base model, saving the tuned model
  whole and loading it back to measure it as saved) at LOAD_GB_PER_SECOND, the training budget, and
  the held-out pairs measured before and after (and on the embedding model beside them).
The `spaces` package multiplies the asked duration by its GPU's `duration_factor` (1.5 on the RTX Pro
6000 `large` size) before it asks the quota (`quota_seconds`). What the call does is not limited here.
"""

from __future__ import annotations

import math

from ..errors import EmbedLabError
from ..pairs import pairs_from_value
from ..presets import PRESETS

# estimates (see above) ------------------------------------------------------------------------------
FORK_SECONDS = 4.0  # fork, CUDA initialisation, first kernels
MOVE_GB_PER_SECOND = 5.0  # the placed weights, from the packed files to the GPU
SECONDS_PER_TEXT_7B = 0.02  # one short text through a 7B model in bf16, batched
MIN_SECONDS_PER_TEXT = 0.002
LOAD_GB_PER_SECOND = 1.0  # a fine-tune's model read from or written to disk in the worker
UNKNOWN_GB = 15.0  # a model that is not a preset (an allowed Hub id): taken as 7B-class
SMALL_GB = 0.5  # a preset that runs on a CPU (gpu_gb 0)
LAYER_POOLING = 1.3  # all layers of a method against its last layer alone (issue 21's bound)
LAYERS_ESTIMATE = 32  # a 7B Mistral's layers (SmolLM2-135M has 30)
BOOTSTRAP_SECONDS_PER_LAYER = 0.65  # 1,000 resamples of 100 pairs (a 2-core AMD EPYC: 62 layers in 39 s)

# facts ----------------------------------------------------------------------------------------------
SEVEN_B_GB = 15.0  # a 7B model in bf16 (the Mistral presets' gpu_gb)
COMPARE_CEILING = 120  # the longest Compare a visitor is charged for
FREE_DAY_SECONDS = 300  # a free account's daily ZeroGPU quota (docs of 2026-07)
DURATION_FACTOR = 1.5  # what `spaces` multiplies a `large` call's duration by on the RTX Pro 6000


def model_gb(name: str) -> float:
    preset = PRESETS.get(name)
    if preset is None:
        return UNKNOWN_GB
    return preset.gpu_gb or SMALL_GB


def start_seconds(placed: list[str]) -> float:
    """The worker's start with the models `placed` at start-up on the emulated GPU."""
    return FORK_SECONDS + sum(model_gb(name) for name in placed) / MOVE_GB_PER_SECOND


def seconds_per_text(name: str) -> float:
    return max(MIN_SECONDS_PER_TEXT, SECONDS_PER_TEXT_7B * model_gb(name) / SEVEN_B_GB)


def _texts(pairs) -> int:
    try:
        return 2 * len(pairs_from_value(pairs))
    except EmbedLabError:  # the call fails at once with the engine's own message
        return 0


def compare_seconds(placed: list[str], pairs, specs) -> int:
    """A Compare of `specs` (sides with a `.model`) on `pairs`: the start, then each side embedding every
    question and answer; at most COMPARE_CEILING."""
    texts = _texts(pairs)
    work = sum(texts * seconds_per_text(spec.model) for spec in specs)
    return min(COMPARE_CEILING, math.ceil(start_seconds(placed) + work))


def layer_seconds(placed: list[str], pairs, model: str, methods: int, references) -> int:
    """A layer sweep of `methods` methods of `model` on `pairs`, beside the `references` sides (with a
    `.model`): the start, the sweep's pass and bootstraps, the references' Compare; at most COMPARE_CEILING."""
    texts = _texts(pairs)
    sweep = methods * (texts * seconds_per_text(model) * LAYER_POOLING
                       + LAYERS_ESTIMATE * BOOTSTRAP_SECONDS_PER_LAYER * (texts / 200) ** 2)
    work = sweep + sum(texts * seconds_per_text(spec.model) for spec in references)
    return min(COMPARE_CEILING, math.ceil(start_seconds(placed) + work))


def tune_seconds(placed: list[str], pairs, base: str, budget_seconds: float, embed=None,
                 heldout_share: float = 0.0) -> int:
    """A fine-tune of `base` for `budget_seconds` on `pairs`: the start, the base model's load, save and
    reload in the worker, the training, and the base model before and after and `embed` (a side, or
    None) on the held-out pairs."""
    heldout_texts = math.ceil(_texts(pairs) * heldout_share)
    measure = heldout_texts * (2 * seconds_per_text(base) + (seconds_per_text(embed.model) if embed else 0))
    disk = 3 * model_gb(base) / LOAD_GB_PER_SECOND  # load, save the tuned model, load it back
    return math.ceil(start_seconds(placed) + disk + budget_seconds + measure)


def quota_seconds(seconds: float) -> float:
    """What ZeroGPU asks of a visitor's quota for a call of `seconds` on the default `large` size."""
    return seconds * DURATION_FACTOR
