"""A Compare's request (`request.py`): built and checked once at the edge, frozen and picklable (ZeroGPU
sends it to a forked worker), and trusted by the engine: a vectors file is read once, the device is
chosen once, and a request runs to the same numbers as the Python API's compare."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from tests.support import tinymodels
from embedlab import request as request_module
from embedlab import registry as registry_module
from embedlab import side_sources
from embedlab.cache import EmbeddingCache
from embedlab.errors import MethodError, PairsError, PostError, SideError
from embedlab.prompts import Options
from embedlab.metrics import cos_sim
from embedlab.pairs import Pair
from embedlab.registry import ModelRegistry
from embedlab.request import CompareRequest, build, from_python
from embedlab.session import Session
from embedlab.settings import Settings
from embedlab.sides import SideSpec
from embedlab.sources import inspect

PAIRS = [Pair("What is GPU?", "A chip that does maths quickly."),
         Pair("Where is OpenAI?", "OpenAI is based at San Francisco."),
         Pair("What is the quick brown fox?", "It jumps over the lazy dog.")]


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    return str(tinymodels.llama_causal(tmp_path_factory.mktemp("request") / "llama"))


@pytest.fixture
def npz(tmp_path):
    rng = np.random.default_rng(0)
    q = rng.standard_normal((len(PAIRS), 6)).astype(np.float32)
    path = tmp_path / "mine.npz"
    np.savez(path, questions=q, answers=q + rng.standard_normal(q.shape).astype(np.float32))
    return path


def session() -> Session:
    return Session(cache=EmbeddingCache(use_disk=False), registry=ModelRegistry(), settings=Settings())


def test_a_request_resolves_each_method_and_pickles_whole(llama, npz):
    req = build(Settings(), PAIRS, [SideSpec(llama, name="gpt"), SideSpec(f"vectors:{npz}", name="mine")])
    assert isinstance(req, CompareRequest) and req.pairs == tuple(PAIRS)
    assert [s.method for s in req.sides] == [inspect(llama).default_method, "vectors"]  # the default, named
    assert req.device == "cpu" and [s.name for s in req.model_sides()] == ["gpt"]
    again = pickle.loads(pickle.dumps(req))
    assert again.sides == req.sides and again.pairs == req.pairs and again.device == req.device
    assert again.access == req.access and again.given[0].side == "mine"
    np.testing.assert_array_equal(again.given[0].vectors, req.given[0].vectors)


def test_a_request_of_files_alone_chooses_no_device(npz, monkeypatch):
    monkeypatch.setattr(request_module, "choose_device", lambda device: pytest.fail("no local model, no device"))
    req = build(Settings(), PAIRS, [SideSpec(f"vectors:{npz}", name="mine")])
    assert req.device is None


def test_the_python_api_reads_a_vectors_file_once_and_chooses_the_device_once(llama, npz, monkeypatch):
    reads, chosen = [], []
    real_read, real_choose = side_sources.read_vectors, request_module.choose_device
    monkeypatch.setattr(side_sources, "read_vectors", lambda *a: reads.append(a) or real_read(*a))
    monkeypatch.setattr(request_module, "choose_device", lambda d: chosen.append(d) or real_choose(d))
    monkeypatch.setattr(registry_module, "choose_device", lambda d: pytest.fail("the registry chose again"))
    result = session().compare(PAIRS, sides=[SideSpec(llama, name="gpt"), SideSpec(f"vectors:{npz}", name="mine")])
    assert len(reads) == 1 and chosen == [None]
    with np.load(npz) as data:  # the file's side, computed independently
        np.testing.assert_allclose(result.sides["mine"].similarity, cos_sim(data["questions"], data["answers"]),
                                   atol=1e-6)


def test_a_built_request_runs_to_the_python_apis_numbers(llama):
    sides = [SideSpec(llama, "mean", name="m"), SideSpec(llama, "logits", name="l")]
    ran = session().run(build(Settings(), PAIRS, sides))
    direct = session().compare(PAIRS, sides=sides)
    for name in ("m", "l"):
        np.testing.assert_allclose(ran.sides[name].similarity, direct.sides[name].similarity, atol=1e-6)


def test_every_check_happens_before_any_model_loads(llama, npz):
    never = ModelRegistry(loader=lambda *a, **k: pytest.fail("a model was loaded"))
    s = Session(cache=EmbeddingCache(use_disk=False), registry=never, settings=Settings(max_pairs=2))
    with pytest.raises(PairsError, match="3 pairs is over the limit of 2"):
        s.compare(PAIRS, sides=[SideSpec(llama, name="gpt")])
    s = Session(cache=EmbeddingCache(use_disk=False), registry=never, settings=Settings())
    with pytest.raises(MethodError, match="side 'gpt': method 'native' does not apply"):
        s.compare(PAIRS, sides=[SideSpec(llama, "native", name="gpt")])
    with pytest.raises(SideError, match="used twice"):
        s.compare(PAIRS, sides=[SideSpec(llama, name="a"), SideSpec(llama, name="a")])
    with pytest.raises(MethodError, match="side 'mine': precomputed vectors take no method"):
        s.compare(PAIRS, sides=[SideSpec(f"vectors:{npz}", "mean", name="mine")])
    with pytest.raises(PostError, match="side 'gpt': whiten_dims=9"):
        s.compare(PAIRS, sides=[SideSpec(llama, options=Options(post="whiten", whiten_dims=9), name="gpt")])


def test_from_python_reads_pairs_as_the_api_takes_them(llama):
    as_json = '[{"question": "q1", "answer": "a1"}, {"question": "q2", "answer": "a2"}]'
    req = from_python(Settings(), as_json, base=llama, embed=llama)
    assert req.pairs == (Pair("q1", "a1"), Pair("q2", "a2")) and [s.name for s in req.sides] == ["base", "embed"]
    with pytest.raises(PairsError, match="not valid JSON"):
        from_python(Settings(), "[{", base=llama, embed=llama)
