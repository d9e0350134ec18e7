# SPDX-License-Identifier: MIT
"""Regions (shareable memory), their views, and mirrors of mappings."""
import ctypes
import mmap
import operator
import os

import numpy as np

from . import _lib, _span
from ._lib import lib

# enum mmr_backend and the flags of memmirror.h
BACKENDS = ("auto", "memfd", "mremap", "sysv", "posix", "hugetlbfs", "native")
HUGE_2MB = 0x10
HUGE_1GB = 0x20
HUGE = 0x40
THP = 0x80
POPULATE = 0x100
FIXED = 0x200
FIXED_NOREPLACE = 0x400
# Region.from_fd: refuse an object whose size a holder of the fd can change.
REQUIRE_SEALED = 0x10000
# Ring.from_fd: attach a ring that is not sealed (every holder is trusted).
ACCEPT_UNSEALED = 0x20000
_BACKEND_MASK = 0xF


def backend_flag(backend):
    """The flag bits of a backend given by name ("memfd") or number."""
    if backend is None:
        return 0
    if isinstance(backend, str):
        ret = lib.mmr_backend_from_name(backend.encode())
        if ret < 0:
            # mmr_backend_from_name() sets no mmr_last_error() message.
            raise OSError(-ret, f"mmr_backend_from_name: no backend named "
                          f"{backend!r}: use one of {', '.join(BACKENDS)}")
        return ret
    backend = operator.index(backend)
    if not 0 <= backend < len(BACKENDS):
        raise ValueError(f"memmirror: no backend number {backend}")
    return backend


class _Handle:
    """Owns one mmr_region; destroyed when the last reference goes (the
    Region and every array made from it hold one)."""
    __slots__ = ("ptr",)

    def __init__(self, ptr):
        self.ptr = ptr

    # The functions are bound at definition: at interpreter exit the
    # module's globals may be gone before the last handle.
    def __del__(self, _destroy=lib.mmr_region_destroy):
        if self.ptr:
            _destroy(self.ptr)
            self.ptr = None


class _View:
    """Owns one view: unmapped when the last array over it goes."""
    __slots__ = ("handle", "addr", "nbytes")

    def __init__(self, handle, addr, nbytes):
        self.handle, self.addr, self.nbytes = handle, addr, nbytes

    def __del__(self, _unview=lib.mmr_unview):
        if self.handle.ptr:
            _unview(self.handle.ptr, self.addr, self.nbytes)


def _rebuild(dupfd):
    fd = dupfd.detach()
    try:
        return Region.from_fd(fd)
    finally:
        os.close(fd)


class Region:
    """mmr_region: memory that can be mapped at several addresses.

    Region(size, backend=None, flags=0) makes one (backend: a name such as
    "memfd", or None for the best that works here); Region.from_fd(fd)
    attaches one another process shares. view() maps it (or part of it)
    and returns a numpy array over the mapping; every view of the same
    bytes sees every store at once. A Region pickles as its fd, so it can
    be passed to a multiprocessing Process or through a Queue.
    """

    def __init__(self, size, backend=None, flags=0, *, _ptr=None):
        if _ptr is None:
            size = _lib.size_arg(size, "size")
            out = ctypes.c_void_p()
            flags = _lib.int_arg(flags, "flags") | backend_flag(backend)
            _lib.check(lib.mmr_region_create(ctypes.byref(out), size, flags))
            _ptr = out.value
        self._h = _Handle(_ptr)

    @classmethod
    def from_fd(cls, fd, flags=0):
        """Attach the region behind @fd (duplicated: the caller keeps it)."""
        out = ctypes.c_void_p()
        _lib.check(lib.mmr_region_open_fd(ctypes.byref(out), _lib.int_arg(fd, "fd"),
                                          _lib.int_arg(flags, "flags")))
        return cls(0, _ptr=out.value)

    def __reduce__(self):
        # Pickled as its fd: a multiprocessing child attaches the same pages.
        from multiprocessing.reduction import DupFd
        fd = self.fd
        if fd is None:
            raise TypeError(f"memmirror: a {self.backend} region has no fd "
                            "to share (use memfd, posix or hugetlbfs)")
        return _rebuild, (DupFd(fd),)

    @property
    def _ptr(self):
        h = self._h
        if h is None:
            raise ValueError("memmirror: the region is closed")
        return h.ptr

    def close(self):
        """Drop this object's hold on the region: it is destroyed now, or
        when the last array made from it goes."""
        self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def closed(self):
        return self._h is None

    @property
    def size(self):
        return lib.mmr_region_size(self._ptr)

    @property
    def page_size(self):
        return lib.mmr_region_page_size(self._ptr)

    @property
    def backend(self):
        return lib.mmr_backend_name(lib.mmr_region_backend(self._ptr)).decode()

    @property
    def fd(self):
        """The region's fd (owned by it), or None for backends without."""
        ret = lib.mmr_region_fd(self._ptr)
        return None if ret < 0 else ret

    @property
    def view_count(self):
        return lib.mmr_region_view_count(self._ptr)

    def view(self, offset=0, length=None, *, writable=True, dtype=np.uint8,
             flags=0):
        """A numpy array over a new mapping of [offset, offset + length)
        (default: to the end). Read-only unless @writable. The mapping is
        unmapped when the array (and every slice of it) is gone."""
        ptr = self._ptr
        offset = _lib.size_arg(offset, "offset")
        if length is None:
            length = lib.mmr_region_size(ptr) - offset
        length = _lib.size_arg(length, "length")
        prot = mmap.PROT_READ | (mmap.PROT_WRITE if writable else 0)
        addr = lib.mmr_view(ptr, offset, length, None, prot, _lib.int_arg(flags, "flags"))
        if not addr:
            raise _lib.errno_error()
        return _span.array(addr, length, not writable,
                           _View(self._h, addr, length), dtype)

    def resize(self, new_size):
        _lib.check(lib.mmr_region_resize(self._ptr, _lib.size_arg(new_size, "new_size")))

    def seal(self):
        """Fix the object's size for every holder of its fd (a peer's
        ftruncate() then fails with EPERM instead of SIGBUSing us)."""
        _lib.check(lib.mmr_region_seal(self._ptr))

    def discard(self, offset, length):
        """Give [offset, offset + length) back: every view reads zeros."""
        _lib.check(lib.mmr_region_discard(self._ptr, _lib.size_arg(offset, "offset"),
                                          _lib.size_arg(length, "length")))

    def __repr__(self):
        if self._h is None:
            return "<memmirror.Region closed>"
        return (f"<memmirror.Region {self.size} bytes, {self.backend}, "
                f"{self.view_count} views>")


class _Mirror:
    __slots__ = ("addr", "nbytes")

    def __init__(self, addr, nbytes):
        self.addr, self.nbytes = addr, nbytes

    def __del__(self, _munmap=_lib.libc.munmap):
        _munmap(self.addr, self.nbytes)


def mirror(buf, *, dtype=np.uint8, flags=0):
    """mmr_mirror(): the pages of @buf (a shared mapping, such as an
    mmap.mmap or multiprocessing.shared_memory buffer) mapped a second
    time; returns a numpy array over the new mapping, unmapped when the
    array is gone. Private memory (bytes, bytearray, MAP_PRIVATE) cannot
    be mirrored: OSError EINVAL."""
    addr, nbytes, readonly = _span.address(buf)
    new = lib.mmr_mirror(addr, nbytes, None, _lib.int_arg(flags, "flags"))
    if not new:
        raise _lib.errno_error()
    return _span.array(new, nbytes, readonly, _Mirror(new, nbytes), dtype)


__all__ = ["Region", "mirror", "BACKENDS", "HUGE_2MB", "HUGE_1GB", "HUGE",
           "THP", "POPULATE", "FIXED", "FIXED_NOREPLACE"]
