"""Processes the tests and the benchmarks start: a free loopback port, whether a URL answers, stopping a process."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    """Whether `url` answers 200 now."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def stop(proc: subprocess.Popen, grace: float) -> None:
    """Ask a process to end; kill it if it has not within `grace` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_until_served(proc: subprocess.Popen, url: str, timeout: float, log_path: Path, name: str) -> None:
    """Return once `url` answers 200; a RuntimeError with the log's tail if `proc` ends or `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while not answers(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = Path(log_path).read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{name} did not start (exit {proc.poll()}):\n{tail}")
        time.sleep(0.5)
