# SPDX-License-Identifier: MIT
"""mmr_ring: a single-producer single-consumer ring mapped twice back to
back, so every span handed out is one contiguous numpy array, even across
the end of the buffer (no copy, no split record)."""
import ctypes
import errno
import os

import numpy as np

from . import _lib, _span
from ._lib import lib
from .region import backend_flag


class _Handle:
    """Owns one mmr_ring; destroyed when the last reference goes (the Ring
    and every span array hold one)."""
    __slots__ = ("ptr",)

    def __init__(self, ptr):
        self.ptr = ptr

    def __del__(self, _destroy=lib.mmr_ring_destroy):
        if self.ptr:
            _destroy(self.ptr)
            self.ptr = None


def _rebuild(dupfd, flags):
    fd = dupfd.detach()
    try:
        return Ring.from_fd(fd, flags)
    finally:
        os.close(fd)


def _timeout_ms(timeout):
    if timeout is None:
        return -1
    if timeout < 0:
        raise ValueError("memmirror: timeout must be None or >= 0 seconds")
    return min(int(timeout * 1000), 0x7FFFFFFF)


class Ring:
    """Ring(min_size, backend=None, flags=0): a ring of at least
    @min_size bytes (rounded up to the page size).

    Producer: reserve(n) or write_span() give a writable array, fill it,
    then produce(nbytes). Consumer: peek(n) or read_span() give a read-only
    array, use it in place, then consume(nbytes). One process (or thread)
    produces, one consumes.

    A Ring pickles as its fd, so it can be passed to a multiprocessing
    Process or through a Queue; Ring.from_fd(fd) attaches one by hand.
    """

    def __init__(self, min_size, backend=None, flags=0, *, _ptr=None):
        if _ptr is None:
            min_size = _lib.size_arg(min_size, "min_size")
            out = ctypes.c_void_p()
            flags = _lib.int_arg(flags, "flags") | backend_flag(backend)
            _lib.check(lib.mmr_ring_create(ctypes.byref(out), min_size, flags))
            _ptr = out.value
        self._h = _Handle(_ptr)
        self._flags = 0
        self._avail = ctypes.c_size_t()
        # Bytes the last span proved free (producer) or filled (consumer):
        # the other side only adds to them, so produce/consume within them
        # cannot be refused and skip the error-count check (fast path).
        self._wknown = 0
        self._rknown = 0

    @classmethod
    def from_fd(cls, fd, flags=0):
        """Attach the ring behind @fd (duplicated: the caller keeps it)."""
        out = ctypes.c_void_p()
        _lib.check(lib.mmr_ring_open_fd(ctypes.byref(out), _lib.int_arg(fd, "fd"),
                                        _lib.int_arg(flags, "flags")))
        return cls(0, _ptr=out.value)

    def __reduce__(self):
        from multiprocessing.reduction import DupFd
        fd = self.fd
        if fd is None:
            raise TypeError("memmirror: this ring has no fd to share "
                            "(made with a backend without one)")
        return _rebuild, (DupFd(fd), self._flags)

    @property
    def _ptr(self):
        h = self._h
        if h is None:
            raise ValueError("memmirror: the ring is closed")
        return h.ptr

    def close(self):
        """Drop this object's hold: the ring is destroyed now, or when the
        last span array made from it goes."""
        self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def closed(self):
        return self._h is None

    @property
    def capacity(self):
        return lib.mmr_ring_capacity(self._ptr)

    @property
    def fd(self):
        """The shared object's fd (owned by the ring), or None."""
        ret = lib.mmr_ring_fd(self._ptr)
        return None if ret < 0 else ret

    @property
    def errors(self):
        """Misuses refused so far, by either side (mmr_ring_error())."""
        return lib.mmr_ring_error(self._ptr)

    # ---- producer ----

    def write_span(self, dtype=np.uint8):
        """Every contiguous free byte, as a writable array (maybe empty)."""
        ptr = self._ptr
        addr = lib.mmr_ring_write_ptr(ptr, ctypes.byref(self._avail))
        n = self._avail.value if addr else 0
        self._wknown = n
        return _span.array(addr, n, False, self._h, dtype)

    def reserve(self, count, dtype=np.uint8):
        """@count items of @dtype of free space, as a writable array, or
        None while there is less (OSError EINVAL if it can never fit)."""
        nbytes = _lib.size_arg(count * np.dtype(dtype).itemsize, "size")
        addr = lib.mmr_ring_reserve(self._ptr, nbytes)
        if not addr:
            err = ctypes.get_errno()
            if err == errno.EAGAIN:
                return None
            raise _lib.error(err)
        self._wknown = nbytes
        return _span.array(addr, nbytes, False, self._h, dtype)

    def produce(self, nbytes):
        """Publish @nbytes written at the start of the last span."""
        if 0 <= nbytes <= self._wknown:
            lib.mmr_ring_produce(self._ptr, nbytes)
            self._wknown -= nbytes
            return
        self._wknown = 0
        self._call_checked(lib.mmr_ring_produce, nbytes)

    # ---- consumer ----

    def read_span(self, dtype=np.uint8):
        """Every contiguous filled byte, as a read-only array (maybe empty)."""
        ptr = self._ptr
        addr = lib.mmr_ring_read_ptr(ptr, ctypes.byref(self._avail))
        n = self._avail.value if addr else 0
        self._rknown = n
        return _span.array(addr, n, True, self._h, dtype, protected=False)

    def peek(self, count, dtype=np.uint8):
        """The next @count items of @dtype, as a read-only array, or None
        while fewer are there (OSError EINVAL if they can never fit)."""
        nbytes = _lib.size_arg(count * np.dtype(dtype).itemsize, "size")
        addr = lib.mmr_ring_peek(self._ptr, nbytes)
        if not addr:
            err = ctypes.get_errno()
            if err == errno.EAGAIN:
                return None
            raise _lib.error(err)
        self._rknown = nbytes
        return _span.array(addr, nbytes, True, self._h, dtype, protected=False)

    def consume(self, nbytes):
        """Release @nbytes read at the start of the last span."""
        if 0 <= nbytes <= self._rknown:
            lib.mmr_ring_consume(self._ptr, nbytes)
            self._rknown -= nbytes
            return
        self._rknown = 0
        self._call_checked(lib.mmr_ring_consume, nbytes)

    # ---- waiting ----

    def wait_readable(self, nbytes=1, timeout=None):
        """Sleep until @nbytes can be read; False after @timeout seconds
        (None: no limit)."""
        return self._wait(lib.mmr_ring_wait_readable, nbytes, timeout)

    def wait_writable(self, nbytes=1, timeout=None):
        """Sleep until @nbytes can be written; False after @timeout."""
        return self._wait(lib.mmr_ring_wait_writable, nbytes, timeout)

    def _wait(self, fn, nbytes, timeout):
        ret = fn(self._ptr, _lib.size_arg(nbytes, "nbytes"), _timeout_ms(timeout))
        if ret == -errno.ETIMEDOUT:
            return False
        _lib.check(ret)
        return True

    def _call_checked(self, fn, nbytes):
        # produce/consume return nothing: a refused misuse shows as one
        # more in the shared error count, with its message.
        ptr = self._ptr
        nbytes = _lib.size_arg(nbytes, "nbytes")
        before = lib.mmr_ring_error(ptr)
        fn(ptr, nbytes)
        if lib.mmr_ring_error(ptr) != before:
            raise _lib.error(errno.EINVAL)

    def __repr__(self):
        if self._h is None:
            return "<memmirror.Ring closed>"
        return f"<memmirror.Ring {self.capacity} bytes>"


__all__ = ["Ring"]
