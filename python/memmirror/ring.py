# SPDX-License-Identifier: MIT
"""mmr_ring: a single-producer single-consumer ring mapped twice back to
back, so every span handed out is one contiguous numpy array, even across
the end of the buffer (no copy, no split record).

The per-record calls are in C (memmirror._ring, over the library's inline
fast path); this module adds construction by backend name, pickling
(multiprocessing), the end of the stream at process exit, and asyncio.
"""
from __future__ import annotations

import asyncio
import atexit
import os
import socket
import weakref
from multiprocessing import context as _mp_context
from multiprocessing import util as _mp_util
from typing import Optional, Union

from . import _lib, _ring
from .region import backend_flag

_live: "weakref.WeakSet[Ring]" = weakref.WeakSet()


def _end_all() -> None:
    """End every ring end this process holds: a process that exits (but
    is not killed) ends its streams, as it would close its pipes."""
    for r in list(_live):
        try:
            r.close()
        except Exception:   # pragma: no cover - exit must go on
            pass


class _ExitHook:
    """multiprocessing children leave with os._exit() after running their
    registered finalizers (atexit does not run): register there too, again
    in every child, whose registry starts empty."""

    def arm(self) -> None:
        _mp_util.Finalize(None, _end_all, exitpriority=100)


_exit_hook = _ExitHook()
atexit.register(_end_all)
_exit_hook.arm()
_mp_util.register_after_fork(_exit_hook, _ExitHook.arm)


def _rebuild(dupsock) -> "Ring":
    fd = dupsock.detach()
    try:
        return Ring.from_socket(fd)
    finally:
        os.close(fd)


Timeout = Optional[float]


class Ring(_ring.RingCore):
    """Ring(min_size, backend=None, flags=0): a ring of at least @min_size
    bytes (rounded up to the page size).

    Per record: producer send(data) copies a record in; consumer
    recv_into(buf) copies it out, or peek(n) gives it as a read-only array
    over the ring with no copy (then consume(n)). In place: reserve(n) /
    write_span() give a writable array, fill it, produce(nbytes). In
    batches: peek_records(size) is every complete record there is, as one
    2-D array. dtype arguments: any numpy dtype of plain data (None:
    uint8); counts are in items of it, nbytes in bytes. timeout: 0 does not
    wait (None comes back, or TimeoutError from send/recv), None waits as
    long as it takes, else seconds.

    Ends: the first producer call claims the producer end for this
    process, the first consumer call the consumer end, so a Ring handed to
    another process (multiprocessing Process, Pool, Queue; fork, spawn,
    forkserver) needs nothing set by hand. close(), or the exit of the
    process, ends one's end: the consumer drains what was produced, then
    gets EOFError; the producer gets BrokenPipeError. A peer killed
    without closing raises BrokenPipeError within about 100 ms.

    Threads: one producer thread and one consumer thread may share one
    Ring; close() from any thread never pulls memory from under a call or
    an array: the ring is unmapped when the last of them is done.
    """

    def __new__(cls, min_size: int, backend: Union[str, int, None] = None,
                flags: int = 0) -> "Ring":
        flags = _lib.int_arg(flags, "flags") | backend_flag(backend)
        self = super().__new__(cls, _lib.size_arg(min_size, "min_size"), flags)
        self._track()
        return self

    def _track(self) -> None:
        self._socks: list = []
        _live.add(self)

    @classmethod
    def from_fd(cls, fd: int, flags: int = 0) -> "Ring":
        """Attach the ring behind @fd (duplicated: the caller keeps it). A
        ring attached from a bare fd has no poll fd (use pickling or
        from_socket() for asyncio)."""
        self = super().from_fd(_lib.int_arg(fd, "fd"), _lib.int_arg(flags, "flags"))
        self._track()
        return self

    @classmethod
    def from_socket(cls, sock: int, flags: int = 0) -> "Ring":
        """Take a ring sent by send_to() over the UNIX socket fd @sock,
        with its poll eventfds (mmr_ring_recv())."""
        self = super().from_socket(_lib.int_arg(sock, "sock"), _lib.int_arg(flags, "flags"))
        self._track()
        return self

    def __reduce__(self):
        # The ring and its eventfds go through a socket pair in one
        # mmr_ring_send(); the pickle carries the receiving socket.
        from multiprocessing.reduction import DupFd
        if self.fd is None:
            raise TypeError("memmirror: this ring has no fd to share "
                            "(made with a backend without one: use memfd)")
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.send_to(a.fileno())
        finally:
            a.close()
        dup = DupFd(b.fileno())
        if _mp_context.get_spawning_popen() is None:
            b.close()               # duplicated already
        else:
            self._socks.append(b)   # the child gets it when it is launched
        return _rebuild, (dup,)

    def close(self) -> None:
        """End this process's ends of the ring (the consumer then drains
        and gets EOFError, the producer BrokenPipeError) and drop this
        object's hold on it: it is unmapped now, or when the last array
        over it and the last call running in another thread are done."""
        super().close()
        for s in getattr(self, "_socks", ()):
            s.close()
        self._socks = []

    def __enter__(self) -> "Ring":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    async def wait_readable_async(self, nbytes: int = 1) -> bool:
        """Consumer, in asyncio: until @nbytes can be read, through the
        ring's poll fd and loop.add_reader(). EOFError, BrokenPipeError as
        wait_readable()."""
        return await self._wait_async("consumer", nbytes)

    async def wait_writable_async(self, nbytes: int = 1) -> bool:
        """Producer, in asyncio: until @nbytes are free. BrokenPipeError
        when the consumer is gone."""
        return await self._wait_async("producer", nbytes)

    async def _wait_async(self, end: str, nbytes: int) -> bool:
        loop = asyncio.get_running_loop()
        fd = self.poll_fd(end)
        while not self.poll_arm(end, nbytes):
            fut = loop.create_future()

            def ready(fut=fut) -> None:
                if not fut.done():
                    fut.set_result(None)
            loop.add_reader(fd, ready)
            try:
                await fut
            finally:
                loop.remove_reader(fd)
        return True

    def __repr__(self) -> str:
        if self.closed:
            return "<memmirror.Ring closed>"
        return f"<memmirror.Ring {self.capacity} bytes>"


__all__ = ["Ring"]
