# SPDX-License-Identifier: MIT
"""Regions (shareable memory), their views, and mirrors of mappings."""
from __future__ import annotations

import ctypes
import errno
import mmap
import operator
import os

import numpy as np

from typing import Optional, Union

from . import _lib, _ring, _span
from ._lib import lib

# enum mmr_backend, in order (tests/test_constants.py checks the header).
BACKENDS = ("auto", "memfd", "mremap", "sysv", "posix", "hugetlbfs", "native")
# The flags, compiled into memmirror._ring from memmirror.h.
HUGE_2MB: int = _ring.HUGE_2MB
"""2 MiB hugetlb pages, or fail."""
HUGE_1GB: int = _ring.HUGE_1GB
"""1 GiB hugetlb pages, or fail."""
HUGE: int = _ring.HUGE
"""The best hugetlb size, else THP, else base pages (see page_size)."""
THP: int = _ring.THP
"""shmem transparent huge pages."""
POPULATE: int = _ring.POPULATE
"""Prefault now."""
FIXED: int = _ring.FIXED
"""Map at the address given, replacing what is there."""
FIXED_NOREPLACE: int = _ring.FIXED_NOREPLACE
"""Map at the address given, EEXIST if anything is there."""
REQUIRE_SEALED: int = _ring.REQUIRE_SEALED
"""Region.from_fd: refuse an object whose size a holder of the fd can change."""
ACCEPT_UNSEALED: int = _ring.ACCEPT_UNSEALED
"""Ring.from_fd: attach a ring that is not sealed (every holder is trusted)."""
RING_PRODUCER: int = _ring.RING_PRODUCER
"""Ring.from_fd/from_socket: hold the producer end from the start (a Ring
claims the end it uses by itself; this only makes it earlier)."""
RING_CONSUMER: int = _ring.RING_CONSUMER
"""Ring.from_fd/from_socket: hold the consumer end from the start."""
_BACKEND_MASK = _ring.BACKEND_MASK


def backend_flag(backend: Union[str, int, None]) -> int:
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

    def __init__(self, size: int, backend: Union[str, int, None] = None,
                 flags: int = 0) -> None:
        size = _lib.size_arg(size, "size")
        out = ctypes.c_void_p()
        flags = _lib.int_arg(flags, "flags") | backend_flag(backend)
        _lib.check(lib.mmr_region_create(ctypes.byref(out), size, flags))
        self._h: Optional[_Handle] = _Handle(out.value)

    @classmethod
    def from_fd(cls, fd: int, flags: int = 0) -> "Region":
        """Attach the region behind @fd (duplicated: the caller keeps it)."""
        out = ctypes.c_void_p()
        _lib.check(lib.mmr_region_open_fd(ctypes.byref(out), _lib.int_arg(fd, "fd"),
                                          _lib.int_arg(flags, "flags")))
        self = cls.__new__(cls)
        self._h = _Handle(out.value)
        return self

    def __reduce__(self):
        # Pickled as its fd: a multiprocessing child attaches the same pages.
        from multiprocessing.reduction import DupFd
        fd = self.fd
        if fd is None:
            raise TypeError(f"memmirror: a {self.backend} region has no fd "
                            "to share (use memfd, posix or hugetlbfs)")
        return _rebuild, (DupFd(fd),)

    def _hold(self) -> _Handle:
        # The caller keeps the handle in a local for the whole call: a
        # close() in another thread then only drops the object's reference,
        # and the region outlives the call.
        h = self._h
        if h is None:
            raise ValueError("memmirror: the region is closed")
        return h

    def close(self) -> None:
        """Drop this object's hold on the region: it is destroyed now, or
        when the last array made from it (and the last call running in
        another thread) is done."""
        self._h = None

    def __enter__(self) -> "Region":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """True after close()."""
        return self._h is None

    @property
    def size(self) -> int:
        """The region's size in bytes."""
        h = self._hold()
        return lib.mmr_region_size(h.ptr)

    @property
    def page_size(self) -> int:
        """Its page size: offsets and lengths of views are multiples of it."""
        h = self._hold()
        return lib.mmr_region_page_size(h.ptr)

    @property
    def backend(self) -> str:
        """The backend's name ("memfd", "sysv", ...)."""
        h = self._hold()
        return lib.mmr_backend_name(lib.mmr_region_backend(h.ptr)).decode()

    @property
    def fd(self) -> Optional[int]:
        """The region's fd (owned by it), or None for backends without."""
        h = self._hold()
        ret = lib.mmr_region_fd(h.ptr)
        return None if ret < 0 else ret

    @property
    def view_count(self) -> int:
        """How many views (arrays from view()) are mapped now."""
        h = self._hold()
        return lib.mmr_region_view_count(h.ptr)

    def view(self, offset: int = 0, length: Optional[int] = None, *,
             writable: bool = True, dtype=np.uint8, flags: int = 0) -> np.ndarray:
        """A numpy array over a new mapping of [offset, offset + length)
        (default: to the end). Read-only unless @writable. The mapping is
        unmapped when the array (and every slice of it) is gone."""
        h = self._hold()
        ptr = h.ptr
        offset = _lib.size_arg(offset, "offset")
        if length is None:
            length = lib.mmr_region_size(ptr) - offset
        length = _lib.size_arg(length, "length")
        prot = mmap.PROT_READ | (mmap.PROT_WRITE if writable else 0)
        addr = lib.mmr_view(ptr, offset, length, None, prot, _lib.int_arg(flags, "flags"))
        if not addr:
            raise _lib.errno_error()
        return _span.array(addr, length, not writable,
                           _View(h, addr, length), dtype)

    def resize(self, new_size: int) -> None:
        """Grow or shrink the region (mmr_region_resize())."""
        new_size = _lib.size_arg(new_size, "new_size")
        h = self._hold()
        _lib.check(lib.mmr_region_resize(h.ptr, new_size))

    def seal(self) -> None:
        """Fix the object's size for every holder of its fd (a peer's
        ftruncate() then fails with EPERM instead of SIGBUSing us)."""
        h = self._hold()
        _lib.check(lib.mmr_region_seal(h.ptr))

    def discard(self, offset: int, length: int) -> None:
        """Give [offset, offset + length) back: every view reads zeros."""
        offset = _lib.size_arg(offset, "offset")
        length = _lib.size_arg(length, "length")
        h = self._hold()
        _lib.check(lib.mmr_region_discard(h.ptr, offset, length))

    def __repr__(self) -> str:
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


def _private(buf) -> bool:
    """bytes and bytearray live in the private heap: never mirrorable."""
    obj = buf.obj if isinstance(buf, memoryview) else buf
    while isinstance(obj, np.ndarray) and obj.base is not None:
        obj = obj.base
    if isinstance(obj, memoryview):
        obj = obj.obj
    return isinstance(obj, (bytes, bytearray))


def mirror(buf, *, dtype=np.uint8, flags: int = 0) -> np.ndarray:
    """mmr_mirror(): the pages of @buf mapped a second time; returns a
    numpy array over the new mapping, unmapped when the array is gone.

    @buf: any buffer over a shared mapping (mmap.mmap, a
    multiprocessing.shared_memory buffer, a Region view), or a slice of
    one, that starts on a page boundary and whose length is a multiple of
    the page size (mmap.PAGESIZE). Anything else is OSError EINVAL saying
    what is allowed: "private memory cannot be mirrored" for bytes,
    bytearray, numpy arrays of their own and MAP_PRIVATE mappings; for a
    range that is not whole pages, the whole pages inside it.
    """
    if _private(buf):
        raise OSError(errno.EINVAL, "memmirror.mirror: private memory cannot be "
                      f"mirrored: a {type(buf).__name__} lives in this process's "
                      "private heap; mirror an mmap.mmap, a "
                      "multiprocessing.shared_memory buffer or a Region view")
    addr, nbytes, readonly = _span.address(buf)
    page = mmap.PAGESIZE
    if addr % page or nbytes % page or not nbytes:
        skip = -addr % page
        whole = (nbytes - skip) // page * page if nbytes > skip else 0
        inside = (f"the whole pages inside it are bytes [{skip}, {skip + whole})"
                  if whole else "it holds no whole page")
        raise OSError(errno.EINVAL, "memmirror.mirror: only whole pages of a shared "
                      f"mapping can be mirrored: this buffer starts {addr % page} "
                      f"bytes into a page and is {nbytes} bytes long; pass a slice "
                      f"that starts on a page boundary and is a multiple of {page} "
                      f"bytes long ({inside})")
    new = lib.mmr_mirror(addr, nbytes, None, _lib.int_arg(flags, "flags"))
    if not new:
        raise _lib.errno_error()
    return _span.array(new, nbytes, readonly, _Mirror(new, nbytes), dtype)


__all__ = ["Region", "mirror", "BACKENDS", "HUGE_2MB", "HUGE_1GB", "HUGE",
           "THP", "POPULATE", "FIXED", "FIXED_NOREPLACE", "REQUIRE_SEALED",
           "ACCEPT_UNSEALED", "RING_PRODUCER", "RING_CONSUMER"]
