"""A stand-in for the ZeroGPU device API that the real `spaces` package calls on a Space
(`SPACES_ZERO_DEVICE_API_URL`), on 127.0.0.1, recording every request.

Its four requests, as `spaces/zero/api.py` and `client.py` (0.51) send them: POST /startup-report once
the app has placed its models; POST /schedule?durationSeconds=... before each GPU call (200 with a GPU
to use, or 429 with the visitor's quota left and when it comes back); POST /allow?pid=... from the
worker process that will use the GPU; POST /release?fail=... after the call. `refuse_next` makes the
next /schedule answer 429 as ZeroGPU does when a visitor's quota is used up.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

QUOTA_LEFT = 10  # seconds of quota a refusal says are left
QUOTA_WAIT = 600  # seconds until the quota comes back (the package shows it as 0:10:00)


class DeviceAPI:
    """The API on a free port of 127.0.0.1 (`url`) while in a `with` block; `gpu_uuid` is the GPU it hands
    out (the worker sets CUDA_VISIBLE_DEVICES to it: on a GPU machine, that GPU's UUID from nvidia-smi).
    With `idle`, each GPU is handed out as idle, so the package reuses the worker it left on it (here
    nothing takes the GPU back from a worker, as ZeroGPU does on release; a new worker per call would
    keep every earlier one's memory)."""

    def __init__(self, gpu_uuid: str = "GPU-standin", idle: bool = False):
        self.gpu_uuid, self.idle = gpu_uuid, idle
        self.calls: list[tuple[str, dict]] = []  # (path, query) in order
        self.refusals = 0  # how many /schedule requests to refuse with 429 next
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                api.calls.append((url.path, query))
                status, body, headers = api.answer(url.path, query)
                payload = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, path: str, query: dict) -> tuple[int, dict | None, dict]:
        if path == "/schedule":
            if self.refusals:
                self.refusals -= 1
                return 429, {"left": QUOTA_LEFT, "wait": QUOTA_WAIT}, {"X-Authenticated": "regular"}
            token = f"allow-{sum(p == '/schedule' for p, _ in self.calls)}"
            return 200, {"idle": self.idle, "nvidiaIndex": 0, "nvidiaUUID": self.gpu_uuid, "allowToken": token}, {}
        if path in ("/startup-report", "/allow", "/release"):
            return 200, None, {}
        return 404, None, {}

    def refuse_next(self) -> None:
        self.refusals += 1

    def paths(self) -> list[str]:
        return [path for path, _ in self.calls]

    def __enter__(self) -> "DeviceAPI":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def space_env(api_url: str, home: Path) -> dict:
    """A ZeroGPU Space's environment: the real `spaces` package on, talking to `api_url`; the Hub cache
    under `home` where the package looks for files to prune once packed; the Hub itself unreachable."""
    return {"SPACES_ZERO_GPU": "true", "SPACES_ZERO_DEVICE_API_URL": api_url, "SPACE_ID": "someone/embedlab",
            "HOME": str(home), "HF_HOME": str(home / ".cache" / "huggingface"), "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1"}
