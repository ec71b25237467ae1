"""The dashboard hands the memory its big work freed back to the system (`allocator.release_freed`): after
each comparison, and after each fine-tune ends, whether it finished or failed. Tiny random models."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.support import tinymodels
from embedlab import allocator
from embedlab.cache import EmbeddingCache
from embedlab.dashboard import tune_runs
from embedlab.dashboard.api import Api
from embedlab.dashboard.compute import PageSession
from embedlab.dashboard.tune_events import TuneEvents
from embedlab.session import Session, register
from embedlab.settings import Settings

pytestmark = pytest.mark.usefixtures("one_torch_thread")
PAIRS = [{"question": f"question {i} about topic {i % 7}", "answer": f"answer {i} on topic {i % 7}"} for i in range(20)]


@pytest.fixture
def releases(monkeypatch) -> list:
    """Each call of `allocator.release_freed`, as the SLOT's state then (a fine-tune releases before its slot)."""
    calls = []
    monkeypatch.setattr(allocator, "release_freed", lambda: calls.append(tune_runs.SLOT.locked()) or True)
    return calls


@pytest.fixture(scope="module")
def llama(tmp_path_factory) -> str:
    return str(tinymodels.llama_causal(tmp_path_factory.mktemp("tiny") / "llama"))


def page_session(name: str, settings: Settings | None = None) -> PageSession:
    register(name, Session(cache=EmbeddingCache(use_disk=False), settings=settings or Settings()))
    return PageSession(name)


def test_each_comparison_releases_what_it_freed_even_when_it_fails(releases, llama):
    api = Api(page_session("release-compare"))
    api.compare_many_json(PAIRS[:4], [{"name": "a", "model": llama, "method": "mean"}])
    assert len(releases) == 1
    api.compare_many_json(PAIRS[:4], [{"name": "b", "model": llama, "method": "e5"}])  # computed, not cached
    assert len(releases) == 2
    bounded = Api(page_session("release-refused", Settings(max_request_tokens=8)))  # refused inside the run
    with pytest.raises(Exception, match="8"):
        bounded.compare_many_json(PAIRS[:4], [{"name": "c", "model": llama, "method": "mean"}])
    assert len(releases) == 3


def test_a_fine_tune_releases_what_it_freed_before_it_frees_the_slot(releases, llama):
    tune = TuneEvents(None, page_session("release-tune"))
    tune.tune_json(PAIRS, llama, seconds=2, method="mean", request=SimpleNamespace(session_hash="release"))
    assert releases[-1] is True  # the fine-tune's own release, while it still held the one training slot
    assert not tune_runs.SLOT.locked()
