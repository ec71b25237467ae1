"""The remote backend (`URL#MODEL`): names, methods, the hosted allow-list and the key's variables
without a server; then the client against a real HTTP server on loopback (`remoteservers.FakeServer`):
vectors, request sizes, requests in flight, retries, timeouts, every one-line error, and a key that
is sent but never shown. The real infinity server is tests/engine/test_remote_infinity.py's."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.support.infinity import ROOT
from embedlab.backends.remote import RemoteConfig, key_variables, open_remote, request_groups
from embedlab.cache import EmbeddingCache
from embedlab.embedding import embed
from embedlab.errors import EmbedLabError, MethodError, ModelUnavailableError, RemoteError, UnknownModelError
from embedlab.fingerprints import remote_fingerprint
from embedlab.methods import E5_QUERY, DEFAULT_TASK, Role
from embedlab.prompts import Options
from embedlab.settings import Settings
from embedlab.sources import inspect, split_remote
from tests.support.remoteservers import FakeServer, expected

FAST = RemoteConfig(in_flight=2, batch=4, batch_chars=1000, timeout=5, retries=3, backoff=0.01)


# names, methods, settings: no server ------------------------------------------------------------------
def test_a_remote_name_is_url_hash_model():
    assert split_remote("http://127.0.0.1:7997/v1/#all-MiniLM-L6-v2") == ("http://127.0.0.1:7997/v1", "all-MiniLM-L6-v2")
    assert split_remote("https://api.example.com/v1#org/model") == ("https://api.example.com/v1", "org/model")
    assert split_remote("all-minilm-l6-v2") is None and split_remote("org/name") is None
    with pytest.raises(UnknownModelError, match="URL#MODEL"):
        split_remote("http://127.0.0.1:7997/v1")
    with pytest.raises(UnknownModelError, match="EMBEDLAB_API_KEY"):
        split_remote("http://user:secret@host/v1#m")


def test_a_remote_model_takes_the_methods_a_server_honours():
    info = inspect("http://127.0.0.1:9/v1#m")  # nothing is contacted
    assert info.source.kind == "remote" and info.default_method == "native"
    assert info.methods == ["native", "e5"]
    with pytest.raises(MethodError, match="valid methods: native, e5"):
        info.method("logits")


def test_the_dashboard_says_how_a_server_honours_each_method():
    from embedlab.dashboard.choices import method_choices
    from embedlab.methods import METHODS

    offered, default, note = method_choices("http://127.0.0.1:9/v1#m", Settings())
    assert [value for _, value in offered] == ["native", "e5"] and default == "native" and note == ""
    assert all(METHODS[value].served in label for label, value in offered)


def test_hosted_mode_allows_only_listed_endpoints(monkeypatch):
    monkeypatch.setenv("EMBEDLAB_HOSTED", "1")
    monkeypatch.setenv("EMBEDLAB_ALLOWED_ENDPOINTS", "http://10.0.0.5:7997/v1/, https://e.example/v1")
    settings = Settings.from_env()
    assert settings.allowed_endpoints == ("http://10.0.0.5:7997/v1", "https://e.example/v1")
    assert settings.check_model("http://10.0.0.5:7997/v1#any-model") == "http://10.0.0.5:7997/v1#any-model"
    with pytest.raises(ModelUnavailableError, match="only offers"):
        settings.check_model("http://169.254.169.254/v1#m")
    with pytest.raises(ModelUnavailableError):
        Settings(hosted=True).inspect("http://127.0.0.1:9/v1#m")
    assert Settings(hosted=False).inspect("http://127.0.0.1:9/v1#m").methods == ["native", "e5"]


def test_the_key_is_read_per_host_first():
    assert key_variables("http://127.0.0.1:7997/v1") == ["EMBEDLAB_API_KEY_127_0_0_1_7997", "EMBEDLAB_API_KEY"]
    assert key_variables("https://api.example.com/v1")[0] == "EMBEDLAB_API_KEY_API_EXAMPLE_COM"


def test_requests_are_bounded_by_count_and_characters():
    texts = ["a" * 10] * 7 + ["b" * 50] + ["c"] * 2
    spans = request_groups(texts, size=3, chars=40)
    assert spans == [(0, 3), (3, 6), (6, 7), (7, 8), (8, 10)]  # the 50-character text goes alone
    assert [t for a, b in spans for t in texts[a:b]] == texts
    assert request_groups([], 3, 40) == []


def test_settings_for_the_client_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("EMBEDLAB_REMOTE_IN_FLIGHT", "8")
    monkeypatch.setenv("EMBEDLAB_REMOTE_TIMEOUT", "2.5")
    config = RemoteConfig.from_env()
    assert (config.in_flight, config.timeout, config.batch) == (8, 2.5, RemoteConfig().batch)
    monkeypatch.setenv("EMBEDLAB_REMOTE_BATCH", "lots")
    with pytest.raises(EmbedLabError, match="EMBEDLAB_REMOTE_BATCH='lots'"):
        RemoteConfig.from_env()


def test_remote_vectors_never_share_a_fingerprint():
    one = remote_fingerprint("http://a:1/v1/", "m", 384)
    assert one == remote_fingerprint("http://a:1/v1", "m", 384) and one.startswith("remote:")
    assert len({one, remote_fingerprint("http://b:1/v1", "m", 384), remote_fingerprint("http://a:1/v1", "n", 384)}) == 3


# against a real HTTP server on loopback ------------------------------------------------------------------
@pytest.fixture
def server():
    with FakeServer() as fake:
        yield fake


def backend_for(name: str, config: RemoteConfig = FAST):
    return open_remote(inspect(name), config)


@pytest.mark.slow
def test_vectors_come_back_in_order_in_bounded_requests(server):
    backend = backend_for(server.name())
    texts = [f"text {i} " + "x" * (i * 37 % 300) for i in range(40)]
    result = embed(backend, texts, cache=EmbeddingCache(use_disk=False))
    np.testing.assert_array_equal(result.vectors, expected(texts))
    posts = server.posts[1:]  # the first is load's dimension probe
    assert sorted(t for post in posts for t in post) == sorted(texts)
    assert all(len(post) <= FAST.batch and (len(post) == 1 or sum(map(len, post)) <= FAST.batch_chars) for post in posts)
    assert backend.fingerprint == remote_fingerprint(server.url, server.model, server.dim)
    for length in (128, 4096):
        with pytest.raises(EmbedLabError, match="max length cannot be set for a remote model"):
            embed(backend, texts, options=Options(max_length=length))


@pytest.mark.slow
def test_e5_writes_the_instruction_on_queries_only(server):
    backend = backend_for(server.name())
    result = embed(backend, ["q?", "an answer"], [Role.QUERY, Role.PASSAGE], method="e5")
    query = E5_QUERY.format(task=DEFAULT_TASK, text="q?")
    assert server.posts[-1] == [query, "an answer"] or server.posts[-1] == ["an answer", query]
    np.testing.assert_array_equal(result.vectors, expected([query, "an answer"]))


@pytest.mark.slow
def test_requests_run_in_flight_together(server):
    server.delay = 0.3
    backend = backend_for(server.name(), RemoteConfig(in_flight=4, batch=2, backoff=0.01))
    start = time.perf_counter()
    embed(backend, [f"t{i}" for i in range(16)])  # 8 requests of 2
    assert server.peak == 4
    assert time.perf_counter() - start < 8 * 0.3  # not one after another


@pytest.mark.slow
def test_500s_then_success_is_retried(server):
    backend = backend_for(server.name())
    server.fail_first = len(server.posts) + 2  # the next two requests fail
    result = embed(backend, ["a", "b"])
    np.testing.assert_array_equal(result.vectors, expected(["a", "b"]))
    assert len(server.posts) == 1 + 3 and server.posts[1] == server.posts[3]


@pytest.mark.slow
def test_a_429_waits_as_long_as_the_server_asks(server):
    backend = backend_for(server.name())
    server.fail_first, server.fail_status, server.retry_after = len(server.posts) + 1, 429, "1.5"
    start = time.perf_counter()
    np.testing.assert_array_equal(embed(backend, ["a"]).vectors, expected(["a"]))
    assert time.perf_counter() - start >= 1.5  # not FAST.backoff's 0.01 s


@pytest.mark.slow
def test_a_server_that_keeps_failing_is_a_clear_error(server):
    backend = backend_for(server.name())
    server.fail_first = 100
    with pytest.raises(RemoteError, match=r"HTTP 500.*after 4 tries"):
        embed(backend, ["a"])


@pytest.mark.slow
def test_a_slow_server_times_out_and_nothing_is_cached(server, tmp_path):
    backend = backend_for(server.name(), RemoteConfig(timeout=0.5, retries=2, backoff=0.01))
    server.delay = 2
    cache = EmbeddingCache(tmp_path)
    start = time.perf_counter()
    with pytest.raises(RemoteError, match=r"no answer within 0.5 s.*EMBEDLAB_REMOTE_TIMEOUT"):
        embed(backend, ["a", "b"], cache=cache)
    assert time.perf_counter() - start < 1.9  # a timeout is not retried
    assert cache.stats()["disk_vectors"] == 0


@pytest.mark.slow
def test_a_server_that_is_down_is_a_clear_error():
    from tests.support.processes import free_port

    with pytest.raises(RemoteError, match=r"cannot reach the server.*is it running\?"):
        backend_for(f"http://127.0.0.1:{free_port()}/v1#m")


@pytest.mark.slow
def test_a_wrong_model_name_is_a_clear_error(server):
    with pytest.raises(UnknownModelError, match="does not serve 'other'; it serves: fake-model"):
        backend_for(f"{server.url}#other")
    server.list_models = False  # a server without /models says so when asked for vectors
    with pytest.raises(RemoteError, match="does not serve the model 'other'"):
        backend_for(f"{server.url}#other")


@pytest.mark.slow
def test_a_remote_only_comparison_imports_neither_torch_nor_transformers(server, tmp_path):
    """A server computes every vector: the process needs no local engine (seconds of imports saved)."""
    code = ("import sys; from embedlab.session import Session; from embedlab.cache import EmbeddingCache; "
            f"s = Session(cache=EmbeddingCache({str(tmp_path)!r})); "
            f"r = s.compare([{{'question': 'What is GPU?', 'answer': 'A chip.'}}, {{'question': 'Where?', 'answer': 'Here.'}}], "
            f"base='{server.url}#fake-model', embed='{server.url}#fake-model'); "
            "print(r.sides['base'].metrics.auc, sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "EMBEDLAB_CACHE_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    auc, imported = done.stdout.strip().split(" ", 1)
    assert 0 <= float(auc) <= 1 and imported == "[]"


def test_a_changed_dimension_is_a_clear_error(server):
    backend = backend_for(server.name())
    server.change_dim_after = len(server.posts)
    with pytest.raises(RemoteError, match=r"changed dimension.*\(8, then 9\)"):
        embed(backend, ["a", "b"])


@pytest.mark.slow
def test_an_answer_that_is_not_embeddings_is_a_clear_error(server):
    server.not_embeddings = True
    with pytest.raises(RemoteError, match="not an embeddings response"):
        backend_for(server.name())


@pytest.mark.slow
def test_the_key_is_sent_and_never_shown(server, monkeypatch, caplog, tmp_path):
    secret = "sk-test-do-not-show-3141592653"
    monkeypatch.setenv("EMBEDLAB_API_KEY", "the-general-key")
    monkeypatch.setenv(key_variables(server.url)[0], secret)  # the per-host variable wins
    caplog.set_level(logging.DEBUG)
    backend = backend_for(server.name())
    cache = EmbeddingCache(tmp_path)
    embed(backend, ["a"], cache=cache)
    assert set(server.auth) == {f"Bearer {secret}"}
    server.fail_first, server.fail_status = 100, 401
    with pytest.raises(RemoteError, match="refused the API key") as refused:
        embed(backend, ["b"], cache=cache)
    server.fail_status, server.echo_auth = 400, True  # a careless server repeats the header in its answer
    with pytest.raises(RemoteError, match=r"HTTP 400.*Bearer \*\*\*") as echoed:
        embed(backend, ["c"], cache=cache)
    shown = [str(refused.value), str(echoed.value), repr(backend), str(backend.info), caplog.text, backend.fingerprint]
    assert not any(secret in text for text in shown)
    cache.close()
    assert all(secret.encode() not in path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())


def test_without_infinity_the_server_tests_fail_in_ci_and_skip_elsewhere(monkeypatch, tmp_path):
    from tests.support import remoteservers

    monkeypatch.setattr(remoteservers.infinity, "INFINITY", tmp_path / "absent" / "infinity_emb")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="setup-infinity.sh"):
        remoteservers.need_infinity()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="setup-infinity.sh"):
        remoteservers.need_infinity()
