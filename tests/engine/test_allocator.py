"""The C allocator's hold on freed memory (embedlab/allocator.py), each check in a fresh Python process so
that arenas and freed pages are its own: `release_freed` hands fragmented free pages back to the system,
`limit_arenas` makes threads share arenas. Both are glibc's; elsewhere the tests are skipped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from embedlab import allocator

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(allocator._glibc() is None, reason="the C library is not glibc")

FRAGMENTED = """
import sys, threading, psutil
from embedlab import allocator
rss = lambda: psutil.Process().memory_info().rss
out = {}
def work():
    blocks = [bytearray(16384) for _ in range(12000)]  # about 190 MB in 16 KB blocks (malloc, not mmap)
    kept = blocks[::16]  # one block in 16 stays, so the freed ones lie between them: no heap top to shrink
    del blocks
    out["before"] = rss()
    released = allocator.release_freed() if sys.argv[1] == "release" else None
    out["after"], out["released"] = rss(), released
    return kept
threading.Thread(target=work).start()  # a thread's own arena, as a server's request runs in
import time; time.sleep(0.1)
while "after" not in out: time.sleep(0.05)
print(out["before"], out["after"], out["released"])
"""

ARENAS = """
import ctypes, sys, threading
from embedlab import allocator
if sys.argv[1] == "limit":
    assert allocator.limit_arenas(2)
def work(go):
    go.wait()
    blocks = [bytearray(4096) for _ in range(2000)]
    go.wait()
    del blocks
go = threading.Barrier(9)
threads = [threading.Thread(target=work, args=(go,)) for _ in range(8)]
for t in threads: t.start()
go.wait(); go.wait()
for t in threads: t.join()
ctypes.CDLL(None).malloc_stats()  # one "Arena N:" block per arena, on stderr
"""


def run(script: str, arg: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script, arg], cwd=ROOT, capture_output=True, text=True, check=True,
                          timeout=120)


def test_release_freed_hands_a_threads_fragmented_free_pages_back():
    kept_before, kept_after, _ = run(FRAGMENTED, "keep").stdout.split()
    before, after, released = run(FRAGMENTED, "release").stdout.split()
    freed = 15 / 16 * 12000 * 16384
    assert int(kept_before) - int(kept_after) < freed / 4  # without it, glibc keeps the freed pages
    assert released == "True" and int(before) - int(after) > freed / 2


def test_limit_arenas_makes_threads_share_two_arenas():
    assert run(ARENAS, "free").stderr.count("Arena ") > 2  # 8 threads allocating at once: arenas of their own
    assert run(ARENAS, "limit").stderr.count("Arena ") == 2
