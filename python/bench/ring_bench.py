#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A numpy consumer of a record stream from another process, three ways:

  ring spin  memmirror.Ring: the consumer's record is a numpy array straight
             over the double-mapped ring, contiguous even when it wraps;
             a side that must wait spins on sched_yield(), as shm does
  ring wait  the same, waiting with Ring.wait_readable/wait_writable (futex)
  shm        multiprocessing.shared_memory with the same SPSC protocol in
             Python: a view when the record is in one piece, a copy
             (np.concatenate) when it wraps the end of the buffer; waits
             spinning on sched_yield() (pure Python has no futex)
  pipe       os.pipe (sized like the rings), readv into a bytearray

Compare ring spin with shm (same wait, the data path differs) and ring wait
with pipe (both sleep in the kernel). Each run returns (wall seconds,
CPU seconds of both processes while streaming, process start excluded).
Besides GB/s the CPU time per GiB is printed: on a loaded machine a
spinning side burns CPU that the other side could use.

The producer writes float32 records (item 0: the sequence number), the
consumer checks the number and then either sums the record ("sum") or reads
its last item ("fields": a header and a trailer, as a record parser that
needs the record in one piece but not all of it), or takes every complete
record there is as one 2-D array and sums it with one numpy call ("batch":
the ring's read_span() is one array even across the end; shm takes views
of the runs before and after the end and copies the one record that
straddles it; the pipe reads up to 1 MiB at once). Record sizes do not divide
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


def check_batch(way, recs, first):
    want = np.arange(first, first + len(recs), dtype=np.float32)
    if not np.array_equal(recs[:, 0], want):
        raise RuntimeError(f"{way}: records {first}.. read {recs[:4, 0]}")


# ---- mmr ring ----

def ring_producer(ring, items, count, go, cpu, spin):
    src = record_source(items)
    nbytes = src.nbytes
    go.wait()
    c0 = time.process_time()
    for i in range(count):
        while (w := ring.reserve(items, np.float32)) is None:
            if spin:
                os.sched_yield()
            else:
                ring.wait_writable(nbytes)
        w[:] = src
        w[0] = i
        ring.produce(nbytes)
    cpu.value = time.process_time() - c0


def ring_consumer(ring, items, count, spin, work):
    nbytes = items * 4
    acc = 0.0
    for i in range(count):
        while (r := ring.peek(items, np.float32)) is None:
            if spin:
                os.sched_yield()
            else:
                ring.wait_readable(nbytes)
        if r[0] != i:
            raise RuntimeError(f"ring: record {i} reads {r[0]}")
        acc += work(r)
        ring.consume(nbytes)
    return acc


def ring_consumer_batch(ring, items, count, spin):
    """Every complete record there is, as one (k, items) array, across the
    end of the ring too: one numpy call per batch."""
    nbytes = items * 4
    acc, i = 0.0, 0
    while i < count:
        span = ring.read_span(np.float32)
        k = min(len(span) // items, count - i)
        if k == 0:
            del span
            if spin:
                os.sched_yield()
            else:
                ring.wait_readable(nbytes)
            continue
        recs = span[:k * items].reshape(k, items)
        check_batch("ring", recs, i)
        acc += float(recs.sum())
        del span, recs
        ring.consume(k * nbytes)
        i += k
    return acc


def run_ring(items, count, work, spin):
    ring = memmirror.Ring(CAP)
    go, cpu = ctx.Event(), ctx.Value("d", 0.0)
    p = ctx.Process(target=ring_producer, args=(ring, items, count, go, cpu, spin))
    p.start()
    t0, c0 = time.perf_counter(), time.process_time()
    go.set()
    if work is None:
        ring_consumer_batch(ring, items, count, spin)
    else:
        ring_consumer(ring, items, count, spin, work)
    dt, c = time.perf_counter() - t0, time.process_time() - c0
    p.join()
    ring.close()
    return dt, c + cpu.value


# ---- multiprocessing.shared_memory, copy on wrap ----

HEAD, TAIL = 0, 8                 # int64 slots, one cache line apart


def shm_producer(name, items, count, go, cpu):
    from multiprocessing import shared_memory
    shm = shared_memory.SharedMemory(name=name)
    idx = np.ndarray((16,), np.int64, shm.buf)
    data = np.ndarray((CAP,), np.uint8, shm.buf, offset=128)
    src = record_source(items)
    raw = src.view(np.uint8)
    nbytes = src.nbytes
    go.wait()
    c0 = time.process_time()
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
    cpu.value = time.process_time() - c0
    del idx, data
    shm.close()


def shm_consumer_batch(idx, data, items, count):
    """Every complete record there is: views of the runs of records that
    fit before the end, a copy of the one record that straddles it."""
    nbytes = items * 4
    acc, tail, i = 0.0, 0, 0
    while i < count:
        k = min((int(idx[HEAD]) - tail) // nbytes, count - i)
        if k == 0:
            os.sched_yield()
            continue
        j = 0
        while j < k:
            pos = (tail + j * nbytes) % CAP
            n = min((CAP - pos) // nbytes, k - j)
            if n:
                recs = data[pos:pos + n * nbytes].view(np.float32).reshape(n, items)
            else:                 # the record that wraps: copied together
                n = 1
                recs = np.concatenate((data[pos:], data[:nbytes - (CAP - pos)])
                                      ).view(np.float32).reshape(1, items)
            check_batch("shm", recs, i + j)
            acc += float(recs.sum())
            j += n
        tail += k * nbytes
        idx[TAIL] = tail
        i += k
    return acc


def run_shm(items, count, work):
    from multiprocessing import shared_memory
    shm = shared_memory.SharedMemory(create=True, size=CAP + 128)
    idx = np.ndarray((16,), np.int64, shm.buf)
    idx[:] = 0
    data = np.ndarray((CAP,), np.uint8, shm.buf, offset=128)
    nbytes = items * 4
    go, cpu = ctx.Event(), ctx.Value("d", 0.0)
    p = ctx.Process(target=shm_producer, args=(shm.name, items, count, go, cpu))
    p.start()
    t0, c0 = time.perf_counter(), time.process_time()
    go.set()
    if work is None:
        shm_consumer_batch(idx, data, items, count)
        count = 0
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
        acc += work(r)
        tail += nbytes
        idx[TAIL] = tail
    dt, c = time.perf_counter() - t0, time.process_time() - c0
    p.join()
    del idx, data
    shm.close()
    shm.unlink()
    return dt, c + cpu.value


# ---- pipe ----

def pipe_producer(wfd, items, count, go, cpu):
    src = record_source(items)
    mv = memoryview(src).cast("B")
    go.wait()
    c0 = time.process_time()
    for i in range(count):
        src[0] = i
        done = 0
        while done < len(mv):
            done += os.write(wfd, mv[done:])
    cpu.value = time.process_time() - c0
    os.close(wfd)


def pipe_consumer_batch(rfd, buf, items, count):
    """Read what the pipe has (up to 1 MiB), take the complete records as
    one array, move the partial one to the front."""
    nbytes = items * 4
    mv = memoryview(buf)
    have, i, acc = 0, 0, 0.0
    while i < count:
        n = os.readv(rfd, [mv[have:]])
        if n == 0:
            raise RuntimeError("pipe: early end of stream")
        have += n
        k = min(have // nbytes, count - i)
        if k:
            recs = np.frombuffer(buf, np.float32, k * items).reshape(k, items)
            check_batch("pipe", recs, i)
            acc += float(recs.sum())
            del recs
            rest = have - k * nbytes
            buf[:rest] = buf[k * nbytes:have]
            have, i = rest, i + k
    return acc


def run_pipe(items, count, work):
    rfd, wfd = os.pipe()
    try:
        fcntl.fcntl(wfd, F_SETPIPE_SZ, CAP)
    except OSError:
        pass                      # above /proc/sys/fs/pipe-max-size
    nbytes = items * 4
    go, cpu = ctx.Event(), ctx.Value("d", 0.0)
    p = ctx.Process(target=pipe_producer, args=(wfd, items, count, go, cpu))
    p.start()
    os.close(wfd)
    buf = bytearray(nbytes if work else CAP)
    mv = memoryview(buf)
    r = np.frombuffer(buf, np.float32)
    t0, c0 = time.perf_counter(), time.process_time()
    go.set()
    acc = 0.0
    if work is None:
        pipe_consumer_batch(rfd, buf, items, count)
        count = 0
    for i in range(count):
        got = 0
        while got < nbytes:
            n = os.readv(rfd, [mv[got:]])
            if n == 0:
                raise RuntimeError("pipe: early end of stream")
            got += n
        if r[0] != i:
            raise RuntimeError(f"pipe: record {i} reads {r[0]}")
        acc += work(r)
    dt, c = time.perf_counter() - t0, time.process_time() - c0
    p.join()
    os.close(rfd)
    return dt, c + cpu.value


WAYS = (("ring_spin", lambda i, c, w: run_ring(i, c, w, True)),
        ("ring_wait", lambda i, c, w: run_ring(i, c, w, False)),
        ("shm", run_shm), ("pipe", run_pipe))

# What the consumer does with a record: read every item (a decoder, a
# checksum), or two fields, the first and the last item (a header and a
# trailer: the record must be contiguous, but most of it is not read).
# "batch": the consumer takes every complete record there is at once and
# sums them with one numpy call (None: each way has its own batch loop).
WORK = {"sum": lambda r: float(r.sum()), "fields": lambda r: float(r[-1]),
        "batch": None}




def measure_row(items, work, args):
    nbytes = items * 4
    count = (args.mib << 20) // nbytes
    wraps = sum(1 for i in range(count) if (i * nbytes) % CAP + nbytes > CAP)
    gbps = {name: [] for name, _ in WAYS}
    cpu = {name: [] for name, _ in WAYS}
    gib = count * nbytes / (1 << 30)
    for _ in range(args.rounds):
        for name, fn in WAYS:
            dt, c = fn(items, count, WORK[work])
            gbps[name].append(count * nbytes / dt / 1e9)
            cpu[name].append(c / gib)
    ratio = lambda a, b: statistics.median(x / y for x, y in zip(gbps[a], gbps[b]))
    return {
        "consumer": work, "record_bytes": nbytes, "records": count,
        "wrapping_records": wraps,
        "gbps_median": {k: statistics.median(v) for k, v in gbps.items()},
        "cpu_s_per_gib_median": {k: statistics.median(v) for k, v in cpu.items()},
        "ring_spin_over_shm": ratio("ring_spin", "shm"),
        "ring_wait_over_pipe": ratio("ring_wait", "pipe"),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print JSON, not a table")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--mib", type=int, default=64, help="MiB streamed per run")
    args = ap.parse_args()
    if args.rounds < 1 or args.mib < 1:
        ap.error("--rounds and --mib must be at least 1")
    rows = []
    for work in WORK:
        for items in RECORD_ITEMS:
            rows.append(measure_row(items, work, args))
    info = {"schema": "memmirror-python-ring-bench/3", "python": platform.python_version(),
            "numpy": np.__version__, "cpus": os.cpu_count(), "rounds": args.rounds,
            "mib_per_run": args.mib, "buffer_bytes": CAP, "rows": rows}
    if args.json:
        json.dump(info, sys.stdout, indent=1)
        print()
        return
    print(f"numpy consumer, producer in another process: {args.mib} MiB per run, "
          f"{args.rounds} rounds, 1 MiB buffers; medians: GB/s (CPU s/GiB, both sides)")
    print(f"{'consumer':>8} {'record':>8} {'wrap':>5} {'ring spin':>13} {'shm+copy':>13} {'spin/shm':>8} "
          f"{'ring wait':>13} {'pipe':>13} {'wait/pipe':>9}")
    for r in rows:
        g, c = r["gbps_median"], r["cpu_s_per_gib_median"]
        cell = lambda k: f"{g[k]:.2f} ({c[k]:4.1f})"
        print(f"{r['consumer']:>8} {r['record_bytes']:>7}B {r['wrapping_records'] / r['records']:>5.1%} "
              f"{cell('ring_spin'):>13} {cell('shm'):>13} {r['ring_spin_over_shm']:>7.2f}x "
              f"{cell('ring_wait'):>13} {cell('pipe'):>13} {r['ring_wait_over_pipe']:>8.2f}x")


if __name__ == "__main__":
    main()
