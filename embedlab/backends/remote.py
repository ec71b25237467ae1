"""The remote backend: a model behind an OpenAI-compatible `/embeddings` server (vLLM, TEI, infinity).

The server tokenises and pools; EmbedLab writes the input (the e5 instruction on queries) and sends
texts in requests bounded by count and by characters, `in_flight` at a time over one httpx client,
retrying 429s, 5xx answers and lost connections with exponential backoff (a server's Retry-After is
honoured). A slow answer past the timeout, a refused key, an unknown model, a changed dimension or an
answer that is not an embeddings response is a one-line `RemoteError`. The API key (EMBEDLAB_API_KEY_<HOST>,
else EMBEDLAB_API_KEY) goes only into the client's Authorization header: never into a message, a log
line, a repr or a cache key. Caching and the outer batching are `embedding.py`'s, as for every backend.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
import numpy as np

from .. import env
from ..errors import EmbedLabError, RemoteError, UnknownModelError
from ..fingerprints import remote_fingerprint
from ..methods import Method, Role
from ..prompts import Options, written
from ..sources import ModelInfo, split_remote
from . import Backend, Item

KEY_VARIABLE = "EMBEDLAB_API_KEY"
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
NO_LIMIT = 2**31 - 1  # EmbedLab sets no max length (the server truncates by its own): any asked for is an error


@dataclass(frozen=True)
class RemoteConfig:
    """How the client talks to a server; every field also from EMBEDLAB_REMOTE_<FIELD> (upper case)."""

    in_flight: int = 4  # requests sent at once
    batch: int = 32  # texts per request
    batch_chars: int = 32_000  # characters per request (one longer text goes alone)
    timeout: float = 60.0  # seconds to wait for an answer
    retries: int = 4  # further tries after a 429, a 5xx or a lost connection
    backoff: float = 0.5  # seconds before the first retry, doubled each time

    @classmethod
    def from_env(cls) -> "RemoteConfig":
        d = cls()
        return cls(**{name: env.number(f"EMBEDLAB_REMOTE_{name.upper()}", getattr(d, name), type(getattr(d, name)))
                      for name in d.__dataclass_fields__})


def key_variables(url: str) -> list[str]:
    """The environment variables an API key for `url` is read from, most specific first."""
    netloc = urlsplit(url).netloc
    return [f"{KEY_VARIABLE}_{re.sub(r'[^A-Z0-9]+', '_', netloc.upper()).strip('_')}", KEY_VARIABLE]


def api_key(url: str) -> str | None:
    return env.first_set(key_variables(url))


def request_groups(texts: list[str], size: int, chars: int) -> list[tuple[int, int]]:
    """(start, end) spans of `texts`, each at most `size` texts and `chars` characters (or one text)."""
    spans, start, used = [], 0, 0
    for i, text in enumerate(texts):
        if i > start and (i - start >= size or used + len(text) > chars):
            spans.append((start, i))
            start, used = i, 0
        used += len(text)
    if start < len(texts):
        spans.append((start, len(texts)))
    return spans


class RemoteBackend(Backend):
    def __init__(self, *, url: str, model: str, config: RemoteConfig | None = None, **kwargs):
        super().__init__(**kwargs)
        self.url, self.model = url, model
        self.config = config or RemoteConfig()
        self.dim: int | None = None
        self._secret = api_key(url)
        headers = {"Authorization": f"Bearer {self._secret}"} if self._secret else {}
        connect = min(10.0, self.config.timeout)
        self._client = httpx.Client(
            base_url=url + "/", headers=headers, timeout=httpx.Timeout(self.config.timeout, connect=connect),
            limits=httpx.Limits(max_connections=self.config.in_flight, max_keepalive_connections=self.config.in_flight))
        self._pool = ThreadPoolExecutor(self.config.in_flight, thread_name_prefix="embedlab-remote")
        self.requests = 0  # answered requests, for tests and benchmarks

    def __repr__(self) -> str:
        return f"RemoteBackend({self.url}#{self.model})"

    # errors ----------------------------------------------------------------------------------------
    @staticmethod
    def _words(text: str) -> str:
        """A server's words, on one line and cut short."""
        return " ".join(str(text).split())[:200]

    def _fail(self, message: str) -> RemoteError:
        """A one-line error; the key is blotted out should the server have repeated it."""
        message = f"{self.url}: {message}"
        return RemoteError(message.replace(self._secret, "***") if self._secret else message)

    # requests --------------------------------------------------------------------------------------
    def _send(self, method: str, path: str, body: dict | None = None, retries: int | None = None) -> httpx.Response:
        """A request, retried after a 429, a 5xx or a lost connection; other answers are returned as they are."""
        retries = self.config.retries if retries is None else retries
        for attempt in range(retries + 1):
            wait = self.config.backoff * 2 ** attempt
            try:
                response = self._client.request(method, path, json=body)
            except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout):
                raise self._fail(f"no answer within {self.config.timeout:g} s (a slow or overloaded server; "
                                 "raise EMBEDLAB_REMOTE_TIMEOUT or lower EMBEDLAB_REMOTE_BATCH)") from None
            except httpx.TransportError as exc:  # refused, reset, DNS: the server is down or went away
                problem = (f"cannot reach the server ({type(exc).__name__}: {self._words(exc) or 'connection lost'}); "
                           "is it running?")
            else:
                if response.status_code not in RETRY_STATUS:
                    return response
                problem = f"HTTP {response.status_code}: {self._words(response.text)}"
                after = response.headers.get("retry-after", "")
                wait = min(float(after), 30.0) if after.replace(".", "", 1).isdigit() else wait
            if attempt < retries:
                time.sleep(wait)
        tries = f" (after {retries + 1} tries)" if retries else ""
        raise self._fail(problem + tries)

    def _refused(self, response: httpx.Response) -> RemoteError:
        if response.status_code in (401, 403):
            return self._fail(f"HTTP {response.status_code}: the server refused the API key "
                              f"(set {' or '.join(key_variables(self.url))})")
        if response.status_code == 404 and "model" in response.text.lower():
            return self._fail(f"the server does not serve the model {self.model!r}: {self._words(response.text)}")
        return self._fail(f"HTTP {response.status_code}: {self._words(response.text)}")

    def served_models(self) -> list[str] | None:
        """The model ids the server lists at /models (None where it has no such list); one try only."""
        response = self._send("GET", "models", retries=0)
        if response.status_code in (401, 403):
            raise self._refused(response)
        try:
            data = response.json()["data"]
            return [str(entry["id"]) for entry in data]
        except (ValueError, KeyError, TypeError):
            return None

    def request(self, texts: list[str]) -> np.ndarray:
        """One /embeddings request: a float32 row per text, in order."""
        response = self._send("POST", "embeddings", {"model": self.model, "input": texts, "encoding_format": "float"})
        if response.status_code != 200:
            raise self._refused(response)
        try:
            data = sorted(response.json()["data"], key=lambda entry: entry["index"])
            rows = [entry["embedding"] for entry in data]
            vectors = np.asarray(rows, dtype=np.float32)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise self._fail("the answer is not an embeddings response (expected JSON with data[].embedding; "
                             "is the URL the base in front of /embeddings?)") from None
        if vectors.ndim != 2 or len(vectors) != len(texts) or not vectors.shape[1]:
            raise self._fail(f"asked for {len(texts)} vectors, got an answer of shape {vectors.shape} "
                             "(not one vector of one length per text)")
        self.requests += 1
        return vectors

    # the Backend interface -------------------------------------------------------------------------
    def prepare_many(self, texts: list[str], roles: list[Role], method: Method, options: Options) -> list[Item]:
        """Each text as the method writes it (the e5 instruction on queries); the server tokenises."""
        if options.max_length != self.max_length:
            raise EmbedLabError(f"{self.name}: max length cannot be set for a remote model; the server "
                                "truncates by its own limit")
        return [Item(written(None, text, role, method, options), role) for text, role in zip(texts, roles)]

    def embed_batch(self, items: list[Item], method: Method, options: Options) -> np.ndarray:
        texts = [item.text for item in items]
        spans = request_groups(texts, self.config.batch, self.config.batch_chars)
        parts = list(self._pool.map(lambda span: self.request(texts[span[0]:span[1]]), spans))
        for part in parts:
            if self.dim is None:
                self.dim = part.shape[1]
            if part.shape[1] != self.dim:
                raise self._fail(f"the vectors changed dimension between requests ({self.dim}, then {part.shape[1]})")
        return np.concatenate(parts) if parts else np.zeros((0, self.dim or 0), dtype=np.float32)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()


def open_remote(info: ModelInfo, config: RemoteConfig | None = None) -> RemoteBackend:
    """A backend for the remote model `info` (a `URL#MODEL` name), checked against the server: it answers,
    serves the model (where it lists its models) and gives vectors of one dimension."""
    url, model = split_remote(info.source.location)
    config = config or RemoteConfig.from_env()
    backend = RemoteBackend(url=url, model=model, config=config, name=info.name, fingerprint="", traits=info.traits,
                            device="remote", dtype="float32", max_length=NO_LIMIT,
                            default_method=info.default_method, batch_size=config.batch * config.in_flight * 4,
                            batch_tokens=2**62, info={"source": "remote", "location": url, "model": model})
    try:
        served = backend.served_models()
        if served is not None and model not in served:
            raise UnknownModelError(f"{url} does not serve {model!r}; it serves: {', '.join(served) or 'nothing'}")
        backend.dim = backend.request(["dimension probe"]).shape[1]
    except BaseException:
        backend.close()
        raise
    backend.fingerprint = remote_fingerprint(url, model, backend.dim)
    return backend

