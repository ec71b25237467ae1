"""Visitors' ZeroGPU quotas: each GPU call's duration, recomputed here by hand from gpu_time.py's
estimates, and checked against what a free visitor's day holds (5 minutes, as the `spaces` package
charges it: the duration times its GPU's duration_factor, read from the package's own table)."""

from __future__ import annotations

import json
import math
from importlib.resources import files
from types import SimpleNamespace

from embedlab.dashboard import gpu_time as t
from embedlab.dashboard.tune_section import DEFAULT_SECONDS
from embedlab.pairs import read_pairs
from embedlab.presets import GPU_PAIR, PRESETS
from embedlab.settings import MAX_TUNE_PAIRS, MAX_TUNE_SECONDS
from embedlab.tuning.config import TuneConfig
from tests.support.apphelpers import ROOT

PLACED = list(dict.fromkeys([*GPU_PAIR, *PRESETS]))  # what a ZeroGPU Space places at start-up
PLACED_GB = 15.0 + 15.0 + 0.5 + 0.5  # the two 7B presets and the two small ones, by hand
SPECS = [SimpleNamespace(model=name) for name in GPU_PAIR]


def test_the_default_compare_of_the_mistral_pair_asks_for_its_start_and_its_texts_only():
    pairs = read_pairs(ROOT / "assets" / "original-experiment.csv")
    texts = 2 * len(pairs)
    by_hand = t.FORK_SECONDS + PLACED_GB / t.MOVE_GB_PER_SECOND + texts * 2 * t.SECONDS_PER_TEXT_7B
    asked = t.compare_seconds(PLACED, [p.as_dict() for p in pairs], SPECS)
    assert asked == math.ceil(by_hand)
    assert asked < 60  # the `spaces` package's default duration, which the call would otherwise ask


def test_small_models_cost_in_proportion_and_a_sweep_grows_with_its_sides_up_to_the_ceiling():
    pairs = [{"question": f"q{i}?", "answer": f"a{i}."} for i in range(100)]
    small = [SimpleNamespace(model="all-minilm-l6-v2")]
    assert t.seconds_per_text("all-minilm-l6-v2") == max(t.MIN_SECONDS_PER_TEXT, t.SECONDS_PER_TEXT_7B * 0.5 / 15)
    assert t.seconds_per_text("org/not-a-preset") == t.SECONDS_PER_TEXT_7B  # unknown: taken as 7B-class
    one = t.compare_seconds(PLACED, pairs, small)
    sweep = t.compare_seconds(PLACED, pairs, small * 8)
    assert one < sweep == math.ceil(t.start_seconds(PLACED) + 8 * 200 * t.seconds_per_text("all-minilm-l6-v2"))
    assert t.compare_seconds(PLACED, pairs * 10, SPECS * 4) == t.COMPARE_CEILING
    assert t.compare_seconds(PLACED, "not json", SPECS) == math.ceil(t.start_seconds(PLACED))  # fails at once


def test_a_fine_tune_asks_for_its_budget_plus_its_start_load_and_measures_and_the_default_fits_a_free_day():
    pairs = [{"question": f"q{i}?", "answer": f"a{i}."} for i in range(MAX_TUNE_PAIRS)]
    embed = SimpleNamespace(model=GPU_PAIR[1])
    holdout = TuneConfig.holdout
    heldout_texts = math.ceil(2 * MAX_TUNE_PAIRS * holdout)
    for budget in (DEFAULT_SECONDS, MAX_TUNE_SECONDS):
        by_hand = (t.FORK_SECONDS + PLACED_GB / t.MOVE_GB_PER_SECOND + 3 * 15.0 / t.LOAD_GB_PER_SECOND + budget
                   + heldout_texts * 3 * t.SECONDS_PER_TEXT_7B)
        asked = t.tune_seconds(PLACED, pairs, GPU_PAIR[0], budget, embed, holdout)
        assert asked == math.ceil(by_hand)
        assert t.quota_seconds(asked) <= t.FREE_DAY_SECONDS  # the hosted limit fits a free visitor's day


def test_the_duration_factor_is_the_spaces_packages_own_for_zerogpus_gpu():
    table = json.loads(files("spaces.zero").joinpath("configs.json").read_text())
    blackwell = [c for c in table if "RTX PRO 6000" in c["model"]]
    assert [c["duration_factor"] for c in blackwell] == [t.DURATION_FACTOR]
    assert t.quota_seconds(100) == 100 * t.DURATION_FACTOR
    # the presets placed at start-up stay under the size above which `spaces` asks for `xlarge` (2x quota)
    assert sum(p.gpu_gb for p in PRESETS.values()) * 1e9 < blackwell[0]["xlarge_threshold"]
