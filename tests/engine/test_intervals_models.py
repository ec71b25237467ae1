"""The verdict rule on real pairs and the offline models: the original experiment's 2 pairs crown no
side; on the 30-pair example MiniLM stays clearly better than SmolLM2's raw logits."""

from pathlib import Path

import pytest

from embedlab.cache import EmbeddingCache
from embedlab.pairs import read_pairs
from embedlab.report import verdict
from embedlab.session import Session
from embedlab.sides import SideSpec

ASSETS = Path(__file__).resolve().parents[2] / "assets"
SIDES = [SideSpec("smollm2-135m-instruct", "logits", name="logits"), SideSpec("all-minilm-l6-v2", name="minilm")]


@pytest.fixture(scope="module")
def session(offline_registry, tmp_path_factory):
    return Session(cache=EmbeddingCache(tmp_path_factory.mktemp("cache")), registry=offline_registry)


@pytest.mark.slow
def test_the_original_two_pairs_crown_no_side(session):
    result = session.compare(read_pairs(ASSETS / "original-experiment.csv"), sides=SIDES)
    words = verdict(result)
    print(f"\n{words}")
    assert "better" not in words and "no verdict on these 2 pairs" in words and "add pairs" in words
    assert result.uncertainty.interval("minilm", "auc") is None


@pytest.mark.slow
def test_on_thirty_pairs_minilm_stays_clearly_better_than_raw_logits(session):
    result = session.compare(read_pairs(ASSETS / "examples-30.csv"), sides=SIDES)
    d = result.uncertainty.difference("minilm", "logits", "auc")
    words = verdict(result)
    print(f"\n{words}")
    assert d.low > 0 and d.clear() == 1
    assert "all-minilm-l6-v2 (native) tells matching pairs apart better" in words
