# SPDX-License-Identifier: MIT
"""memmirror: the same memory at several addresses, from Python.

    Region(size)          shareable memory; .view() maps it, as an array
    mirror(buf)           whole pages of a shared mapping (mmap,
                          shared_memory) mapped again
    Ring(min_size)        a double-mapped SPSC ring: every record one
                          array, contiguous across the end; hand it to
                          other processes with multiprocessing

Regions and mirrors go through ctypes; the ring's per-record path is the C
extension memmirror._ring. Errors are OSError (or its errno subclasses)
carrying mmr_last_error(); the end of a ring's stream is EOFError.
"""
from . import _ring
from ._lib import last_error
from .circbuf import CircBuf
from .region import (ACCEPT_UNSEALED, BACKENDS, FIXED, FIXED_NOREPLACE, HUGE,
                     HUGE_1GB, HUGE_2MB, POPULATE, REQUIRE_SEALED,
                     RING_CONSUMER, RING_PRODUCER, THP, Region, mirror)
from .ring import Ring

__version__: str = _ring.HEADER_VERSION
"""The version of this package, the project's (the file VERSION)."""


def library_version() -> str:
    """The version of libmemmirror running (mmr_version())."""
    return _ring.library_version()


__all__ = ["Region", "Ring", "mirror", "last_error", "library_version",
           "BACKENDS", "HUGE", "HUGE_2MB", "HUGE_1GB", "THP", "POPULATE",
           "FIXED", "FIXED_NOREPLACE", "REQUIRE_SEALED", "ACCEPT_UNSEALED",
           "RING_PRODUCER", "RING_CONSUMER"]
