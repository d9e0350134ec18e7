# SPDX-License-Identifier: MIT
"""memmirror: the same memory at several addresses, from Python.

Pure Python over libmemmirror.so.0 (ctypes) with numpy arrays as views:

    Region(size)          shareable memory; .view() maps it, as an array
    mirror(buf)           a shared mapping (mmap, shared_memory) mapped again
    Ring(min_size)        a double-mapped SPSC ring: every span one array,
                          contiguous across the end; shareable by fd with
                          multiprocessing

Errors are OSError (or its errno subclasses) carrying mmr_last_error().
"""
from ._lib import last_error
from .circbuf import CircBuf
from .region import (ACCEPT_UNSEALED, BACKENDS, FIXED, FIXED_NOREPLACE, HUGE,
                     HUGE_1GB, HUGE_2MB, POPULATE, REQUIRE_SEALED, THP, Region,
                     mirror)
from .ring import Ring

__version__ = "0.1.0"

__all__ = ["Region", "Ring", "mirror", "last_error", "BACKENDS", "HUGE",
           "HUGE_2MB", "HUGE_1GB", "THP", "POPULATE", "FIXED",
           "FIXED_NOREPLACE", "REQUIRE_SEALED", "ACCEPT_UNSEALED"]
