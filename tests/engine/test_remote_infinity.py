"""The remote backend against a real infinity-emb server on loopback, serving the offline MiniLM folder:
its vectors equal the local model's `native` ones within 1e-4 through the Python API, the command line,
the dashboard's handler and `compare_json` on a started app; remote and local vectors never share a
cache row; a server killed mid-run is a clear error and leaves nothing cached. infinity runs from its
own environment (scripts/setup-infinity.sh); without it these tests skip, or fail in CI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from embedlab.backends.remote import RemoteConfig, open_remote
from embedlab.cache import EmbeddingCache
from embedlab.embedding import embed
from embedlab.errors import RemoteError
from embedlab.methods import Role
from embedlab.session import Session, register
from embedlab.settings import Settings
from embedlab.sources import inspect
from tests.support.remoteservers import ROOT, SERVED, running_infinity

pytestmark = pytest.mark.slow

LOCAL = "all-minilm-l6-v2"
TOLERANCE = 1e-4
PAIRS = [{"question": "Where is the headquarter of OpenAI?", "answer": "OpenAI is based at San Francisco."},
         {"question": "What is a GPU?", "answer": "A graphics processing unit is a circuit that performs many "
                                                  "mathematical calculations quickly."},
         {"question": "Qu'est-ce que la photosynthèse ?", "answer": "Plants turn light, water and CO₂ into sugar. " * 20}]


@pytest.fixture(scope="module")
def infinity(tmp_path_factory):
    with running_infinity(tmp_path_factory.mktemp("infinity")) as (_, url):
        yield f"{url}#{SERVED}"


def texts_of(pairs):
    return [p["question"] for p in pairs] + [p["answer"] for p in pairs]


def test_api_vectors_equal_the_local_native_ones_and_cache_apart(infinity, minilm, tmp_path):
    texts, roles = texts_of(PAIRS), [Role.QUERY] * 3 + [Role.PASSAGE] * 3
    cache = EmbeddingCache(tmp_path)
    local = embed(minilm, texts, roles, "native", cache=cache)
    session = Session(cache=cache, settings=Settings())
    remote = session.embed(infinity, texts, "native", roles=roles)
    assert remote.computed == len(texts)  # the local rows in the same cache are not the remote model's
    np.testing.assert_allclose(remote.vectors, local.vectors, atol=TOLERANCE)
    again = session.embed(infinity, texts, "native", roles=roles)
    assert again.cached == len(texts)
    np.testing.assert_array_equal(again.vectors, remote.vectors)


def test_cli_remote_side_equals_the_local_one(infinity, tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join(json.dumps(p) for p in PAIRS), encoding="utf-8")
    out = tmp_path / "out.json"
    run = subprocess.run([sys.executable, "-m", "embedlab", "compare", str(pairs), "--side", f"remote={infinity}",
                          "--side", f"local={LOCAL}:native", "--json", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(out.read_text())["results"]
    assert results["remote"]["method"] == "native" and results["remote"]["device"] == "remote"
    np.testing.assert_allclose(results["remote"]["similarity"], results["local"]["similarity"], atol=TOLERANCE)
    assert "remote" in run.stdout and "local" in run.stdout


def test_dashboard_handler_remote_side_equals_the_local_one(infinity, tmp_path):
    from embedlab.dashboard import tables
    from embedlab.pairs import make_pairs
    from tests.support.pages import page

    register("remote-dashboard", Session(cache=EmbeddingCache(tmp_path), settings=Settings()))
    dashboard = page("remote-dashboard")
    offered = dashboard.form.methods(infinity)
    assert [value for _, value in offered.choices] == ["native", "e5"] and offered.value == "native"
    assert "server" in offered.choices[0][0]  # the label says the server pools
    rows = tables.pairs_to_rows(make_pairs(PAIRS))
    state = dashboard.page.compare(rows, infinity, "native", LOCAL, "native", "", "default", None,
                                   "auto")[dashboard.page.layout.state]
    sides = state.comparison.sides
    np.testing.assert_allclose(sides["base"].similarity, sides["embed"].similarity, atol=TOLERANCE)
    np.testing.assert_allclose(state.projections["base"][0], state.projections["embed"][0],
                               atol=1e-3)  # the PCA map, made from the remote vectors


def test_compare_json_on_a_started_app(infinity, app_server):
    from gradio_client import Client

    client = Client(app_server, verbose=False, download_files=False)
    result = client.predict(pairs=PAIRS, base=infinity, base_method="", embed=LOCAL, embed_method="native",
                            api_name="/compare_json")
    base, local = result["results"]["base"], result["results"]["embed"]
    assert base["model"] == infinity and base["method"] == "native"
    np.testing.assert_allclose(base["similarity"], local["similarity"], atol=TOLERANCE)


def test_a_server_killed_mid_run_is_a_clear_error_and_nothing_is_cached(tmp_path):
    with running_infinity(tmp_path) as (proc, url):
        backend = open_remote(inspect(f"{url}#{SERVED}"), RemoteConfig(in_flight=1, batch=4, retries=2, backoff=0.2))
        texts = [f"passage {i}: " + "words that take the model a while to read " * 25 for i in range(400)]

        def kill_after_three_answers() -> None:
            while backend.requests < 4 and proc.poll() is None:
                time.sleep(0.01)
            proc.kill()

        killer = threading.Thread(target=kill_after_three_answers)
        killer.start()
        cache = EmbeddingCache(tmp_path / "cache")
        try:
            with pytest.raises(RemoteError, match=r"cannot reach the server.*after 3 tries"):
                embed(backend, texts, cache=cache)
        finally:
            killer.join()
        assert 4 <= backend.requests < 101  # it was killed mid-run, not before or after
        assert cache.stats()["disk_vectors"] == 0


def test_the_benchmark_runs_at_toy_size(tmp_path):
    from tests.support.remoteservers import need_infinity

    need_infinity()
    run = subprocess.run([sys.executable, "-m", "benchmarks.remote", "--texts", "24", "--repeats", "1"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    record = json.loads(run.stdout)
    assert record["item"] == 12 and record["ratio"] > 0 and record["checks"]["max_abs_diff"] <= 1e-5
    assert "texts/s" in run.stderr
