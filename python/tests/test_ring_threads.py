# SPDX-License-Identifier: MIT
"""One Ring, a producer thread and a consumer thread; close() racing calls
from other threads, never a crash; arrays keep the memory mapped."""
import random
import threading
import zlib

import numpy as np
import pytest

import memmirror


def record(i):
    n = 8 + (i * 37) % 500
    body = bytes((i + k) & 0xFF for k in range(min(n, 16))) * (n // 16 + 1)
    return i.to_bytes(4, "little") + body[:n - 4]


def test_one_ring_two_threads_checksums():
    count = 20000
    want = zlib.crc32(b"".join(record(i) for i in range(count)))
    got = []
    with memmirror.Ring(1 << 14) as r:      # small: both sides wait often
        def produce():
            for i in range(count):
                rec = record(i)
                if i % 3 == 0:
                    r.send(len(rec).to_bytes(4, "little") + rec, timeout=30)
                else:
                    w = r.reserve(4 + len(rec), timeout=30)
                    w[:4] = np.frombuffer(len(rec).to_bytes(4, "little"), np.uint8)
                    w[4:] = np.frombuffer(rec, np.uint8)
                    del w
                    r.produce(4 + len(rec))
            r.shutdown()

        def consume():
            crc = 0
            try:
                while True:
                    n = int.from_bytes(r.recv(4, timeout=30), "little")
                    if len(got) % 2:
                        body = bytearray(n)
                        r.recv_into(body, timeout=30)
                    else:
                        body = r.peek(n, timeout=30).tobytes()
                        r.consume(n)
                    crc = zlib.crc32(body, crc)
                    got.append(int.from_bytes(body[:4], "little"))
            except EOFError:
                got.append(crc)
        threads = [threading.Thread(target=produce), threading.Thread(target=consume)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert got[:-1] == list(range(count))
        assert got[-1] == want
        assert r.errors == 0


def test_two_waiters_on_one_end_are_refused():
    with memmirror.Ring(1 << 16) as r:
        errors = []

        def wait():
            try:
                r.wait_readable(1, timeout=0.5)
            except RuntimeError as e:
                errors.append(e)
        ts = [threading.Thread(target=wait) for _ in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert len(errors) == 1 and "one thread per end" in str(errors[0])


CALLS = [
    lambda r: r.wait_readable(1, timeout=0.05),
    lambda r: r.wait_writable(r.capacity, timeout=0.05),
    lambda r: r.peek(8, timeout=0.01),
    lambda r: r.send(b"x" * 100, timeout=0.01),
    lambda r: r.recv(100, timeout=0.01),
    lambda r: r.read_span().sum(),
    lambda r: r.write_span().fill(1),
    lambda r: r.peek_records(4, timeout=0.01),
    lambda r: r.capacity + r.errors,
    lambda r: r.send(BIG, timeout=0.01),           # copied without the GIL
    lambda r: r.recv_into(bytearray(len(BIG)), timeout=0.01),
]
BIG = bytes(100000)


def hammer(obj, calls, stop):
    while not stop.is_set():
        try:
            random.choice(calls)(obj)
        except (ValueError, OSError, EOFError, TimeoutError, RuntimeError):
            if obj.closed:
                return


def race(make, calls, rounds):
    rng = random.Random(1)
    kept = []
    for i in range(rounds):
        obj = make()
        stop = threading.Event()
        ts = [threading.Thread(target=hammer, args=(obj, calls, stop)) for _ in range(2)]
        for t in ts:
            t.start()
        if rng.random() < 0.5:
            threading.Event().wait(rng.random() * 0.002)
        if i % 50 == 0:                  # an array alive across the close
            kept.append(obj.read_span() if isinstance(obj, memmirror.Ring) else obj.view())
        obj.close()
        stop.set()
        for t in ts:
            t.join(10)
            assert not t.is_alive()
    for a in kept:
        a.sum()                          # still mapped


def test_1000_ring_close_races():
    race(lambda: memmirror.Ring(1 << 18), CALLS, 1000)


def test_1000_region_close_races():
    calls = [lambda g: g.view(0, 4096)[0], lambda g: g.size, lambda g: g.view_count,
             lambda g: g.discard(0, 4096), lambda g: repr(g)]
    race(lambda: memmirror.Region(1 << 16), calls, 1000)


def test_close_wakes_a_blocked_waiter():
    r = memmirror.Ring(1 << 16)
    out = []

    def wait():
        try:
            r.wait_readable(1)
        except ValueError as e:
            out.append(e)
    t = threading.Thread(target=wait)
    t.start()
    threading.Event().wait(0.05)
    r.close()
    t.join(5)
    assert not t.is_alive() and out and "closed" in str(out[0])


def test_arrays_keep_the_ring_mapped():
    r = memmirror.Ring(1 << 16)
    w = r.reserve(100, timeout=0)
    r.close()
    with pytest.raises(ValueError):
        r.produce(100)
    w[:] = 7
    assert int(w.sum()) == 700
    with pytest.raises(TypeError):
        memmirror.Ring(1 << 16).reserve(2, object)
