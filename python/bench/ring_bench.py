#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A numpy consumer of a record stream from another process, three ways:

  mmr ring   memmirror.Ring: the consumer's record is a numpy array straight
             over the double-mapped ring, contiguous even when it wraps
  shm        multiprocessing.shared_memory with the same SPSC protocol in
             Python: a view when the record is in one piece, a copy
             (np.concatenate) when it wraps the end of the buffer
  pipe       os.pipe (sized like the rings), readv into a bytearray

Both shared-memory ways wait the same way (sched_yield in a loop), so the
comparison is about the data path (WAIT: the ring's own futex wait,
wait_readable/wait_writable, costs a wake-up per record when the two
sides alternate record by record).

The producer writes float32 records (item 0: the sequence number), the
consumer checks the number and sums the record. Record sizes do not divide
the 1 MiB buffers, so records wrap. Rounds are interleaved; each ratio is
the median of the per-round ratios.

usage: ring_bench.py [--json] [--rounds N] [--mib M]
"""
import argparse
import fcntl
import json
import multiprocessing
import os
import platform
import statistics
import sys
import time

import numpy as np

import memmirror

CAP = 1 << 20
RECORD_ITEMS = (1000, 16000, 64000)   # 4000, 64000 and 256000 bytes
F_SETPIPE_SZ = 1031
ctx = multiprocessing.get_context("fork")


def record_source(items):
    return np.arange(items, dtype=np.float32)


# ---- mmr ring ----

def ring_producer(ring, items, count, go):
    src = record_source(items)
    nbytes = src.nbytes
    go.wait()
    for i in range(count):
        while (w := ring.reserve(items, np.float32)) is None:
            os.sched_yield()      # the same wait as shm's (see WAIT)
        w[:] = src
        w[0] = i
        ring.produce(nbytes)


def ring_consumer(ring, items, count):
    nbytes = items * 4
    acc = 0.0
    for i in range(count):
        while (r := ring.peek(items, np.float32)) is None:
            os.sched_yield()
        if r[0] != i:
            raise RuntimeError(f"ring: record {i} reads {r[0]}")
        acc += float(r.sum())
        ring.consume(nbytes)
    return acc


def run_ring(items, count):
    ring = memmirror.Ring(CAP)
    go = ctx.Event()
    p = ctx.Process(target=ring_producer, args=(ring, items, count, go))
    p.start()
    t0 = time.perf_counter()
    go.set()
    acc = ring_consumer(ring, items, count)
    dt = time.perf_counter() - t0
    p.join()
    ring.close()
    return dt, acc


# ---- multiprocessing.shared_memory, copy on wrap ----

HEAD, TAIL = 0, 8                 # int64 slots, one cache line apart


def shm_producer(name, items, count, go):
    from multiprocessing import shared_memory
    shm = shared_memory.SharedMemory(name=name)
    idx = np.ndarray((16,), np.int64, shm.buf)
    data = np.ndarray((CAP,), np.uint8, shm.buf, offset=128)
    src = record_source(items)
    raw = src.view(np.uint8)
    nbytes = src.nbytes
    go.wait()
    head = 0
    for i in range(count):
        while CAP - (head - idx[TAIL]) < nbytes:
            os.sched_yield()
        src[0] = i
        off = head % CAP
        first = min(nbytes, CAP - off)
        data[off:off + first] = raw[:first]
        if first < nbytes:
            data[:nbytes - first] = raw[first:]
        head += nbytes
        idx[HEAD] = head          # x86: stores stay in program order
    del idx, data
    shm.close()


def run_shm(items, count):
    from multiprocessing import shared_memory
    shm = shared_memory.SharedMemory(create=True, size=CAP + 128)
    idx = np.ndarray((16,), np.int64, shm.buf)
    idx[:] = 0
    data = np.ndarray((CAP,), np.uint8, shm.buf, offset=128)
    nbytes = items * 4
    go = ctx.Event()
    p = ctx.Process(target=shm_producer, args=(shm.name, items, count, go))
    p.start()
    t0 = time.perf_counter()
    go.set()
    acc, tail = 0.0, 0
    for i in range(count):
        while idx[HEAD] - tail < nbytes:
            os.sched_yield()
        off = tail % CAP
        if off + nbytes <= CAP:
            r = data[off:off + nbytes].view(np.float32)
        else:                     # the record wraps: copy it together
            r = np.concatenate((data[off:], data[:nbytes - (CAP - off)])).view(np.float32)
        if r[0] != i:
            raise RuntimeError(f"shm: record {i} reads {r[0]}")
        acc += float(r.sum())
        tail += nbytes
        idx[TAIL] = tail
    dt = time.perf_counter() - t0
    p.join()
    del idx, data, r
    shm.close()
    shm.unlink()
    return dt, acc


# ---- pipe ----

def pipe_producer(wfd, items, count, go):
    src = record_source(items)
    mv = memoryview(src).cast("B")
    go.wait()
    for i in range(count):
        src[0] = i
        done = 0
        while done < len(mv):
            done += os.write(wfd, mv[done:])
    os.close(wfd)


def run_pipe(items, count):
    rfd, wfd = os.pipe()
    try:
        fcntl.fcntl(wfd, F_SETPIPE_SZ, CAP)
    except OSError:
        pass                      # above /proc/sys/fs/pipe-max-size
    nbytes = items * 4
    go = ctx.Event()
    p = ctx.Process(target=pipe_producer, args=(wfd, items, count, go))
    p.start()
    os.close(wfd)
    buf = bytearray(nbytes)
    mv = memoryview(buf)
    r = np.frombuffer(buf, np.float32)
    t0 = time.perf_counter()
    go.set()
    acc = 0.0
    for i in range(count):
        got = 0
        while got < nbytes:
            n = os.readv(rfd, [mv[got:]])
            if n == 0:
                raise RuntimeError("pipe: early end of stream")
            got += n
        if r[0] != i:
            raise RuntimeError(f"pipe: record {i} reads {r[0]}")
        acc += float(r.sum())
    dt = time.perf_counter() - t0
    p.join()
    os.close(rfd)
    return dt, acc


WAYS = (("ring", run_ring), ("shm", run_shm), ("pipe", run_pipe))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print JSON, not a table")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--mib", type=int, default=64, help="MiB streamed per run")
    args = ap.parse_args()
    if args.rounds < 1 or args.mib < 1:
        ap.error("--rounds and --mib must be at least 1")
    rows = []
    for items in RECORD_ITEMS:
        nbytes = items * 4
        count = (args.mib << 20) // nbytes
        wraps = sum(1 for i in range(count) if (i * nbytes) % CAP + nbytes > CAP)
        gbps = {name: [] for name, _ in WAYS}
        for _ in range(args.rounds):
            for name, fn in WAYS:
                dt, _ = fn(items, count)
                gbps[name].append(count * nbytes / dt / 1e9)
        ratio = lambda a, b: statistics.median(x / y for x, y in zip(gbps[a], gbps[b]))
        rows.append({
            "record_bytes": nbytes, "records": count, "wrapping_records": wraps,
            "gbps_median": {k: statistics.median(v) for k, v in gbps.items()},
            "ring_over_shm": ratio("ring", "shm"),
            "ring_over_pipe": ratio("ring", "pipe"),
        })
    info = {"schema": "memmirror-python-ring-bench/1", "python": platform.python_version(),
            "numpy": np.__version__, "cpus": os.cpu_count(), "rounds": args.rounds,
            "mib_per_run": args.mib, "buffer_bytes": CAP, "rows": rows}
    if args.json:
        json.dump(info, sys.stdout, indent=1)
        print()
        return
    print(f"numpy consumer, producer in another process: {args.mib} MiB per run, "
          f"{args.rounds} rounds, 1 MiB buffers, median GB/s")
    print(f"{'record':>8} {'wrap':>6} {'mmr ring':>9} {'shm+copy':>9} {'pipe':>7} "
          f"{'ring/shm':>9} {'ring/pipe':>9}")
    for r in rows:
        g = r["gbps_median"]
        print(f"{r['record_bytes']:>7}B {r['wrapping_records'] / r['records']:>6.1%} "
              f"{g['ring']:>9.2f} {g['shm']:>9.2f} {g['pipe']:>7.2f} "
              f"{r['ring_over_shm']:>8.2f}x {r['ring_over_pipe']:>8.2f}x")


if __name__ == "__main__":
    main()
