"""Embedding servers on loopback for the remote backend's tests and benchmark.

`FakeServer`: a real HTTP server (http.server, in a thread) that answers /v1/embeddings like an
OpenAI-compatible server, with faults on demand: the first N answers 500, a delay, a changed
dimension, an answer that is not an embeddings response. Its vectors are a deterministic function of
the text, so a test can check them by hand; it records each request's texts and Authorization header.

`running_infinity`: the real infinity-emb server (`tests.support.infinity`, from its own `.venv-infinity`
made by scripts/setup-infinity.sh), serving the offline MiniLM folder on the CPU. Where that
environment is absent the tests skip, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from tests.support import infinity
from tests.support.infinity import ROOT, SERVED
from tests.support.processes import free_port


def fake_vector(text: str, dim: int = 8) -> list[float]:
    """The fake server's vector for `text`: from the text's SHA-256, so any text has its own."""
    digest = hashlib.sha256(text.encode()).digest()
    return [round(b / 255 - 0.5, 6) for b in digest[:dim]]


class FakeServer:
    def __init__(self, model: str = "fake-model", dim: int = 8):
        self.model, self.dim = model, dim
        self.fail_first = 0  # answer this many POSTs with HTTP 500 first
        self.fail_status = 500
        self.retry_after = None  # a Retry-After header on failed answers (seconds, as text)
        self.echo_auth = False  # failed answers repeat the Authorization header (a careless server)
        self.delay = 0.0  # seconds before each POST's answer
        self.change_dim_after = None  # answers after this many use dim + 1
        self.not_embeddings = False  # answer POSTs with JSON that is not an embeddings response
        self.list_models = True
        self.posts: list[list[str]] = []  # texts of every POST, failed ones too
        self.auth: list[str | None] = []
        self.peak = 0  # the most POSTs answered at once
        self._open = 0
        self._lock = threading.Lock()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status: int, body: dict | str, retry_after: str | None = None) -> None:
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(status)
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/v1/models" and server.list_models:
                    self._answer(200, {"object": "list", "data": [{"id": server.model, "object": "model"}]})
                else:
                    self._answer(404, {"error": "not found"})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server._lock:
                    server.posts.append(list(body["input"]))
                    server.auth.append(self.headers.get("Authorization"))
                    count = len(server.posts)
                    server._open += 1
                    server.peak = max(server.peak, server._open)
                try:
                    if server.delay:
                        time.sleep(server.delay)
                    self._reply(body, count)
                finally:
                    with server._lock:
                        server._open -= 1

            def _reply(self, body: dict, count: int) -> None:
                if count <= server.fail_first:
                    echo = {"received": self.headers.get("Authorization")} if server.echo_auth else {}
                    return self._answer(server.fail_status, {"error": "overloaded", **echo}, server.retry_after)
                if body.get("model") != server.model:
                    return self._answer(404, {"error": f"model {body.get('model')!r} not found"})
                if server.not_embeddings:
                    return self._answer(200, "<html>a web page</html>")
                dim = server.dim + (server.change_dim_after is not None and count > server.change_dim_after)
                data = [{"object": "embedding", "index": i, "embedding": fake_vector(t, dim)}
                        for i, t in reversed(list(enumerate(body["input"])))]  # out of order: the client sorts
                self._answer(200, {"object": "list", "model": server.model, "data": data})

        return Handler

    def name(self) -> str:
        return f"{self.url}#{self.model}"

    def __enter__(self) -> "FakeServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def expected(texts: list[str], dim: int = 8) -> np.ndarray:
    return np.asarray([fake_vector(t, dim) for t in texts], dtype=np.float32)


def need_infinity() -> None:
    """Skip where infinity's environment is absent; in CI fail, loudly, instead."""
    if infinity.INFINITY.exists():
        return
    message = f"{infinity.INFINITY} is missing: run scripts/setup-infinity.sh (scripts/test.sh does)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the remote tests need infinity-emb: {message}", pytrace=False)
    pytest.skip(message)


@contextlib.contextmanager
def running_infinity(log_dir: Path):
    """`tests.support.infinity.running_infinity`, skipped (or failed, in CI) where infinity is not installed."""
    need_infinity()
    with infinity.running_infinity(log_dir) as started:
        yield started
