# SPDX-License-Identifier: MIT
"""The end of a stream, both ways, under every start method: EOFError once
drained after the producer ends, BrokenPipeError when a peer dies without
closing or (for the producer) the consumer is gone. Nothing set by hand."""
import multiprocessing
import os
import signal
import threading
import time

import numpy as np
import pytest

import memmirror
import workers

METHODS = ["fork", "forkserver", "spawn"]
COUNT = 100


def drain(ring, count):
    buf = np.empty(16, np.uint32)
    for i in range(count):
        ring.recv_into(buf, timeout=30)
        assert buf[0] == i and buf[15] == i


@pytest.mark.parametrize("method", METHODS)
def test_producer_returns_consumer_gets_eof(method):
    ctx = multiprocessing.get_context(method)
    with memmirror.Ring(1 << 16) as r:
        p = ctx.Process(target=workers.send_then_return, args=(r, COUNT))
        p.start()
        drain(r, COUNT)
        t0 = time.monotonic()
        with pytest.raises(EOFError):
            r.recv_into(np.empty(16, np.uint32), timeout=30)
        with pytest.raises(EOFError):
            r.wait_readable(1)
        assert time.monotonic() - t0 < 20
        p.join(30)
        assert p.exitcode == 0


@pytest.mark.parametrize("method", METHODS)
def test_producer_killed_consumer_gets_broken_pipe(method):
    ctx = multiprocessing.get_context(method)
    with memmirror.Ring(1 << 16) as r:
        ready = ctx.Event()
        p = ctx.Process(target=workers.send_then_hang, args=(r, COUNT, ready))
        p.start()
        assert ready.wait(30)
        t0 = time.monotonic()
        os.kill(p.pid, signal.SIGKILL)
        drain(r, COUNT)       # what it produced stays readable
        with pytest.raises(BrokenPipeError):
            r.wait_readable(1, timeout=10)
        dt = time.monotonic() - t0
        print(f"{method}: death seen {dt * 1000:.0f} ms after the kill")
        assert dt < 1.0       # 50 ms in the library; slack for a loaded machine
        p.join(30)


@pytest.mark.parametrize("method", METHODS)
def test_consumer_returns_producer_gets_broken_pipe(method):
    ctx = multiprocessing.get_context(method)
    with memmirror.Ring(1 << 16) as r:
        p = ctx.Process(target=workers.recv_then_return, args=(r, 10))
        p.start()
        t0 = time.monotonic()
        with pytest.raises(BrokenPipeError):
            for i in range(1 << 20):       # fills the ring, then waits
                r.send(np.full(16, i, np.uint32), timeout=30)
        assert time.monotonic() - t0 < 20
        with pytest.raises(BrokenPipeError):
            r.wait_writable(r.capacity, timeout=10)
        p.join(30)
        assert p.exitcode == 0


@pytest.mark.parametrize("method", METHODS)
def test_consumer_killed_producer_gets_broken_pipe(method):
    ctx = multiprocessing.get_context(method)
    with memmirror.Ring(1 << 16) as r:
        ready = ctx.Event()
        p = ctx.Process(target=workers.recv_then_hang, args=(r, 10, ready))
        p.start()
        for i in range(10):
            r.send(np.full(16, i, np.uint32), timeout=30)
        assert ready.wait(30)
        os.kill(p.pid, signal.SIGKILL)
        p.join(30)
        # Room needs no consumer: the producer learns when it must wait.
        t0 = time.monotonic()
        with pytest.raises(BrokenPipeError):
            for i in range(1 << 20):
                r.send(np.zeros(16, np.uint32), timeout=10)
        assert time.monotonic() - t0 < 1.0


def test_shutdown_ends_the_stream_between_threads():
    with memmirror.Ring(1 << 16) as r:
        got = []

        def consume():
            try:
                while True:
                    got.append(r.recv(8, timeout=10))
            except EOFError:
                got.append("eof")
        t = threading.Thread(target=consume)
        t.start()
        for i in range(50):
            r.send(i.to_bytes(8, "little"))
        r.shutdown()          # the consumer thread drains, then EOF
        t.join(10)
        assert got[-1] == "eof" and len(got) == 51
        with pytest.raises(BrokenPipeError):
            r.send(b"x")
        assert [int.from_bytes(g, "little") for g in got[:-1]] == list(range(50))


def test_eof_with_records_left_reads_them_first():
    with memmirror.Ring(1 << 16) as r:
        other = memmirror.Ring.from_fd(r.fd)     # another handle: the producer
        other.send(b"a" * 100)
        other.close()
        assert r.wait_readable(100, timeout=1) is True
        with pytest.raises(EOFError):
            r.wait_readable(101, timeout=1)
        assert r.recv(100) == b"a" * 100
        with pytest.raises(EOFError):
            r.peek(1)
        other.close()


def test_ring_through_a_pool():
    ctx = multiprocessing.get_context("spawn")
    with memmirror.Ring(1 << 16) as r, ctx.Pool(1) as pool:
        res = pool.apply_async(workers.send_then_return, (r, COUNT))
        drain(r, COUNT)
        res.get(30)
        # The worker lives on; its copy of the ring went with the task.
        with pytest.raises(EOFError):
            r.wait_readable(1, timeout=30)


def test_roles_given_at_open_work_as_claimed_ones():
    with memmirror.Ring(1 << 16) as r:
        prod = memmirror.Ring.from_fd(r.fd, memmirror.RING_PRODUCER)
        assert prod.ends == (False, False)      # claimed by the library, not yet used
        prod.send(b"abc")
        assert prod.ends == (True, False)
        prod.close()
        assert r.recv(3) == b"abc"
        with pytest.raises(EOFError):
            r.wait_readable(1, timeout=1)
