"""The C allocator's hold on freed memory, for a long-running server (the dashboard).

glibc's malloc gives each thread that allocates an arena of its own (up to 8 per core) and keeps the
pages it has freed for later, so a server whose requests run on many threads grows to a plateau of
freed-but-held memory that resident-memory figures cannot tell from a leak (the soak measured it:
docs/reliability.md). `limit_arenas` caps the arenas (what MALLOC_ARENA_MAX does, from inside the
process, before its threads start); `release_freed` hands free pages back to the system
(malloc_trim) after big work. Both do nothing where the C library is not glibc (macOS, musl), and
neither changes what is computed. Memory that Python or torch still holds is not theirs to free.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

M_ARENA_MAX = -8  # glibc's mallopt parameter number for the arena cap (malloc.h)
SERVER_ARENAS = 2  # enough for a server that computes one request at a time


@functools.lru_cache(maxsize=1)
def _glibc():
    """The C library when it is glibc (it has malloc_trim and mallopt), else None."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def limit_arenas(arenas: int = SERVER_ARENAS) -> bool:
    """Let glibc make at most `arenas` malloc arenas from now on (threads started later share them); whether
    it could. Call it first thing in a server: arenas made already stay."""
    libc = _glibc()
    return bool(libc is not None and libc.mallopt(M_ARENA_MAX, arenas) == 1)


def release_freed() -> bool:
    """Hand the pages malloc holds free back to the system; whether any were (False where not glibc)."""
    libc = _glibc()
    return bool(libc is not None and libc.malloc_trim(0) == 1)
