# SPDX-License-Identifier: MIT
"""The ring: spans contiguous across the end, across processes."""
import multiprocessing
import pickle

import numpy as np
import pytest

import memmirror
import workers


def addr(a):
    return a.__array_interface__["data"][0]


def test_span_across_the_end_is_one_array():
    with memmirror.Ring(1) as r:
        cap = r.capacity
        base = addr(r.write_span())
        wrapped = 0
        for i in range(3 * cap // workers.RECORD):
            w = r.reserve(workers.RECORD)
            w[:] = np.arange(workers.RECORD) % 256 ^ (i & 0xFF)
            r.produce(workers.RECORD)
            p = r.peek(workers.RECORD)
            start = addr(p) - base
            assert 0 <= start < cap
            wrapped += start + workers.RECORD > cap
            # one contiguous array, no copy: it points into the ring
            assert addr(p) == addr(w) and not p.flags.writeable
            assert np.array_equal(p, np.arange(workers.RECORD) % 256 ^ (i & 0xFF))
            r.consume(workers.RECORD)
        assert wrapped >= 2


def test_spans_in_other_dtypes():
    with memmirror.Ring(1 << 16) as r:
        w = r.reserve(100, np.complex64)
        assert w.dtype == np.complex64 and w.nbytes == 800
        w[:] = np.arange(100) * (1 + 1j)
        r.produce(w.nbytes)
        s = r.read_span(np.complex64)
        assert len(s) == 100 and s[99] == 99 + 99j
        r.consume(s.nbytes)
        assert len(r.read_span()) == 0


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_ring_across_processes(method):
    count = 2000              # about 30 trips round a 64 KiB ring
    ctx = multiprocessing.get_context(method)
    with memmirror.Ring(1 << 16) as r:
        q = ctx.Queue()
        p = ctx.Process(target=workers.produce_records, args=(r, count))
        p.start()
        workers.consume_records(r, count, q)
        p.join(60)
        assert p.exitcode == 0
        assert q.get(timeout=10) == count
        assert r.errors == 0


def test_ring_through_a_queue():
    ctx = multiprocessing.get_context("spawn")
    with memmirror.Ring(1 << 16) as r:
        jobs, results = ctx.Queue(), ctx.Queue()
        p = ctx.Process(target=workers.consume_from_queue, args=(jobs, results, 50))
        p.start()
        jobs.put(r)           # pickled as a duplicate of its fd
        workers.produce_records(r, 50)
        assert results.get(timeout=60) == 50
        p.join(60)
        assert p.exitcode == 0


def test_wait_times_out():
    with memmirror.Ring(1 << 16) as r:
        assert r.wait_readable(1, timeout=0.01) is False
        assert r.wait_writable(r.capacity, timeout=0) is True


def test_close_with_live_span():
    r = memmirror.Ring(1 << 16)
    w = r.reserve(10)
    r.close()
    with pytest.raises(ValueError):
        r.produce(10)
    w[:] = 1                  # the mapping lives as long as the span
    assert w.sum() == 10


def test_ring_without_fd_does_not_pickle():
    with memmirror.Ring(1 << 16, backend="mremap") as r:
        assert r.fd is None
        with pytest.raises(TypeError):
            pickle.dumps(r)
