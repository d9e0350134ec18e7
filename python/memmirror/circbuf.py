# SPDX-License-Identifier: MIT
"""CircBuf: N bytes mapped twice, back to back (mmr_circbuf_create(3)).

    cb = CircBuf(1 << 16)       # N rounded up to the page size: cb.size
    a = cb.array                # 2 * N bytes; a[i] and a[i + N] are one byte
    a[cb.size - 3:cb.size + 5] = b"wrapped!"    # across the end, in place

No protocol: the caller keeps its own offsets (modulo cb.size). The array
(and every slice of it) keeps the mapping alive after close().
"""
import ctypes

import numpy as np

from . import _lib, _span
from ._lib import lib
from .region import backend_flag

_vp, _sz, _uint = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint
for _name, _res, _args in (
        ("mmr_circbuf_create", ctypes.c_int, [ctypes.POINTER(_vp), _sz, _uint]),
        ("mmr_circbuf_destroy", None, [_vp]),
        ("mmr_circbuf_base", _vp, [_vp]),
        ("mmr_circbuf_size", _sz, [_vp]),
        ("mmr_circbuf_page_size", _sz, [_vp]),
        ("mmr_circbuf_trim", None, [])):
    _f = getattr(lib, _name)
    _f.restype, _f.argtypes = _res, _args


class _Handle:
    """Owns one mmr_circbuf: destroyed when the last reference goes (the
    CircBuf and every array over it hold one)."""
    __slots__ = ("ptr",)

    def __init__(self, ptr):
        self.ptr = ptr

    def __del__(self, _destroy=lib.mmr_circbuf_destroy):
        if self.ptr:
            _destroy(self.ptr)
            self.ptr = None


class CircBuf:
    """mmr_circbuf: CircBuf(min_size, backend=None, flags=0).

    backend: a name ("memfd", "sysv", ...) or None for $MMR_BACKEND or the
    best that works here; flags: HUGE, HUGE_2MB, HUGE_1GB, THP, POPULATE.
    """

    def __init__(self, min_size, backend=None, flags=0):
        out = ctypes.c_void_p()
        flags = _lib.int_arg(flags, "flags") | backend_flag(backend)
        _lib.check(lib.mmr_circbuf_create(ctypes.byref(out),
                                          _lib.size_arg(min_size, "min_size"), flags))
        self._h = _Handle(out.value)
        self.size = lib.mmr_circbuf_size(out.value)
        self.page_size = lib.mmr_circbuf_page_size(out.value)
        self._base = lib.mmr_circbuf_base(out.value)

    def _handle(self):
        if self._h is None:
            raise ValueError("memmirror: the buffer is closed")
        return self._h

    def as_array(self, dtype=np.uint8):
        """The 2 * size bytes as a writable numpy array of @dtype."""
        return _span.array(self._base, 2 * self.size, False, self._handle(), dtype)

    @property
    def array(self):
        return self.as_array()

    def close(self):
        """Drop this object's hold: the buffer is released now, or when the
        last array over it goes."""
        self._h = None

    @property
    def closed(self):
        return self._h is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def trim():
        """Unmap the released buffers the library keeps for reuse."""
        lib.mmr_circbuf_trim()
