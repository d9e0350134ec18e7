# SPDX-License-Identifier: MIT
"""Code run in child processes by the tests (importable by spawn)."""
import numpy as np

RECORD = 1000  # bytes: does not divide the ring, so records wrap


def produce_records(ring, count):
    """Write @count records; record i is RECORD bytes of i % 251, with its
    number in the first 4 bytes."""
    for i in range(count):
        while (span := ring.reserve(RECORD)) is None:
            ring.wait_writable(RECORD, timeout=10)
        span[:] = i % 251
        span[:4].view(np.uint32)[0] = i
        del span
        ring.produce(RECORD)


def consume_records(ring, count, queue):
    """Read @count records and report how many were intact."""
    good = 0
    for i in range(count):
        while (span := ring.peek(RECORD)) is None:
            if not ring.wait_readable(RECORD, timeout=10):
                queue.put(-1)
                return
        body_ok = bool(np.all(span[4:] == i % 251))
        good += span[:4].view(np.uint32)[0] == i and body_ok
        del span
        ring.consume(RECORD)
    queue.put(good)


def write_region(region, offset, value):
    """Write @value at @offset of a region received from the parent."""
    v = region.view()
    v[offset] = value


def consume_from_queue(jobs, results, count):
    """Get a ring through a Queue, then consume @count records from it."""
    ring = jobs.get(timeout=60)
    consume_records(ring, count, results)


def send_then_return(ring, count, ready=None):
    """Producer: @count records of 64 bytes, then return without close():
    the process's exit ends the stream."""
    for i in range(count):
        ring.send(np.full(16, i, np.uint32), timeout=30)
    if ready is not None:
        ready.set()


def send_then_hang(ring, count, ready):
    """Producer: @count records, then wait to be killed."""
    send_then_return(ring, count)
    ready.set()
    import time
    time.sleep(60)


def recv_then_return(ring, count, ready=None):
    """Consumer: @count records, then return (the exit ends its end)."""
    buf = np.empty(16, np.uint32)
    for _ in range(count):
        ring.recv_into(buf, timeout=30)
    if ready is not None:
        ready.set()


def recv_then_hang(ring, count, ready):
    """Consumer: @count records, then wait to be killed."""
    recv_then_return(ring, count)
    ready.set()
    import time
    time.sleep(60)


def send_slowly(ring, count):
    """Producer: @count 4-byte records, 2 ms apart."""
    import time
    for i in range(count):
        time.sleep(0.002)
        ring.send(i.to_bytes(4, "little"), timeout=30)
