#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Records from one process to another, one at a time, side by side:

  ring        memmirror.Ring: the producer's send() copies the record in; the
              consumer's peek() is the record as an array over the ring, no
              copy, then consume(); a side that must wait polls for 200 us
              (sched_yield() between looks), then waits in the library (a
              short spin, then a futex)
  ring copy   the same, but the consumer copies the record out (recv_into()),
              as every other transport here does
  ring nospin ring, with the polling and the library's spin off
              (set_yield(0), set_spin(0)): sleeps at once
  ring poll   ring, but a side that must wait polls (timeout=0) and calls
              sched_yield() between polls, as the numpy ring does
  ring batch  the consumer takes every complete record there is as one 2-D
              array (peek_records()), one consume() per batch
  numpy ring  a pure-numpy ring over multiprocessing.shared_memory, written
              as one would by hand: indices in the shared block, every record
              copied in and copied out (in two pieces where it wraps), a side
              that must wait spins on sched_yield() (Python has no futex)
  pipe        os.pipe (buffer raised to 1 MiB): write(), readv() into a buffer
  queue       multiprocessing.Queue of numpy arrays (pickled, through a pipe)

Every consumer checks each record's sequence number (its first 8 bytes).
Buffers: max(1 MiB, 4 records). Records per run fixed per size; rounds are
interleaved with the order rotated; the time is the consumer's, from the
start signal to the last record (process start excluded); each ratio is the
median of the per-round ratios (ring's records/s over the other's).

usage: ring_bench.py [--json] [--json-out FILE] [--rounds N] [--quick] [--ways a,b,...]
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

SIZES = (64, 4096, 65536, 1 << 20)
COUNTS = {64: 100000, 4096: 40000, 65536: 6000, 1 << 20: 400}
F_SETPIPE_SZ = 1031
U64 = np.dtype(np.uint64)
ctx = multiprocessing.get_context("fork")


def cap_for(size):
    return max(1 << 20, 4 * size)


def source(size):
    src = np.arange(size, dtype=np.uint8)
    return src, src[:8].view(np.uint64)


# ---- memmirror.Ring ----

def ring_producer(ring, size, count, go, mode):
    src, seq = source(size)
    if mode == "nospin":
        ring.set_spin(0)
        ring.set_yield(0)
    go.wait()
    for i in range(count):
        seq[0] = i
        if mode == "poll":
            while True:
                try:
                    ring.send(src, timeout=0)
                    break
                except TimeoutError:
                    os.sched_yield()
        else:
            ring.send(src)
    ring.close()


def ring_consumer(ring, size, count, mode):
    if mode == "nospin":
        ring.set_spin(0)
        ring.set_yield(0)
    if mode == "copy":
        dst = np.empty(size, np.uint8)
        seq = dst[:8].view(np.uint64)
        for i in range(count):
            ring.recv_into(dst)
            if seq[0] != i:
                raise RuntimeError(f"ring copy: record {i} reads {seq[0]}")
        return
    if mode == "batch":
        i = 0
        while i < count:
            recs = ring.peek_records(size, U64, timeout=None)
            seqs = recs[:, 0]
            if seqs[0] != i or seqs[-1] != i + len(seqs) - 1:
                raise RuntimeError(f"ring batch: records {i}.. read {seqs[:4]}")
            i += len(seqs)
            n = recs.nbytes
            del recs
            ring.consume(n)
        return
    timeout = 0 if mode == "poll" else None
    items = size // 8
    for i in range(count):
        while (r := ring.peek(items, U64, timeout)) is None:
            os.sched_yield()
        if r[0] != i:
            raise RuntimeError(f"ring: record {i} reads {r[0]}")
        del r
        ring.consume(size)


def run_ring(size, count, mode):
    ring = memmirror.Ring(cap_for(size))
    go = ctx.Event()
    p = ctx.Process(target=ring_producer, args=(ring, size, count, go,
                                                mode if mode != "copy" else ""))
    p.start()
    t0 = time.perf_counter()
    go.set()
    ring_consumer(ring, size, count, mode)
    dt = time.perf_counter() - t0
    p.join()
    ring.close()
    return dt


# ---- a pure-numpy ring over multiprocessing.shared_memory ----

HEAD, TAIL = 0, 8                 # int64 slots, a cache line apart


def shm_producer(name, cap, size, count, go):
    from multiprocessing import shared_memory
    shm = shared_memory.SharedMemory(name=name)
    idx = np.ndarray((16,), np.int64, shm.buf)
    data = np.ndarray((cap,), np.uint8, shm.buf, offset=128)
    src, seq = source(size)
    go.wait()
    head = 0
    for i in range(count):
        while cap - (head - idx[TAIL]) < size:
            os.sched_yield()
        seq[0] = i
        off = head % cap
        first = min(size, cap - off)
        data[off:off + first] = src[:first]
        if first < size:
            data[:size - first] = src[first:]
        head += size
        idx[HEAD] = head          # x86: stores stay in program order
    del idx, data
    shm.close()


def run_shm(size, count, _mode):
    from multiprocessing import shared_memory
    cap = cap_for(size)
    shm = shared_memory.SharedMemory(create=True, size=cap + 128)
    idx = np.ndarray((16,), np.int64, shm.buf)
    idx[:] = 0
    data = np.ndarray((cap,), np.uint8, shm.buf, offset=128)
    dst = np.empty(size, np.uint8)
    seq = dst[:8].view(np.uint64)
    go = ctx.Event()
    p = ctx.Process(target=shm_producer, args=(shm.name, cap, size, count, go))
    p.start()
    t0 = time.perf_counter()
    go.set()
    tail = 0
    for i in range(count):
        while idx[HEAD] - tail < size:
            os.sched_yield()
        off = tail % cap
        first = min(size, cap - off)
        dst[:first] = data[off:off + first]
        if first < size:
            dst[first:] = data[:size - first]
        if seq[0] != i:
            raise RuntimeError(f"numpy ring: record {i} reads {seq[0]}")
        tail += size
        idx[TAIL] = tail
    dt = time.perf_counter() - t0
    p.join()
    del idx, data
    shm.close()
    shm.unlink()
    return dt


# ---- os.pipe ----

def pipe_producer(wfd, size, count, go):
    src, seq = source(size)
    mv = memoryview(src)
    go.wait()
    for i in range(count):
        seq[0] = i
        done = 0
        while done < size:
            done += os.write(wfd, mv[done:])
    os.close(wfd)


def run_pipe(size, count, _mode):
    rfd, wfd = os.pipe()
    try:
        fcntl.fcntl(wfd, F_SETPIPE_SZ, 1 << 20)
    except OSError:
        pass                      # above /proc/sys/fs/pipe-max-size
    go = ctx.Event()
    p = ctx.Process(target=pipe_producer, args=(wfd, size, count, go))
    p.start()
    os.close(wfd)
    dst = np.empty(size, np.uint8)
    seq = dst[:8].view(np.uint64)
    mv = memoryview(dst)
    t0 = time.perf_counter()
    go.set()
    for i in range(count):
        got = 0
        while got < size:
            n = os.readv(rfd, [mv[got:]])
            if n == 0:
                raise RuntimeError("pipe: early end of stream")
            got += n
        if seq[0] != i:
            raise RuntimeError(f"pipe: record {i} reads {seq[0]}")
    dt = time.perf_counter() - t0
    p.join()
    os.close(rfd)
    return dt


# ---- multiprocessing.Queue ----

def queue_producer(q, size, count, go):
    src, seq = source(size)
    go.wait()
    for i in range(count):
        seq[0] = i
        q.put(src.copy())         # put() pickles later, in a thread


def run_queue(size, count, _mode):
    q = ctx.Queue(maxsize=max(4, cap_for(size) // size))
    go = ctx.Event()
    p = ctx.Process(target=queue_producer, args=(q, size, count, go))
    p.start()
    t0 = time.perf_counter()
    go.set()
    for i in range(count):
        r = q.get()
        if r[:8].view(np.uint64)[0] != i:
            raise RuntimeError(f"queue: record {i} reads {r[:8]}")
    dt = time.perf_counter() - t0
    p.join()
    return dt


WAYS = {
    "ring": (run_ring, ""), "ring_copy": (run_ring, "copy"),
    "ring_nospin": (run_ring, "nospin"), "ring_poll": (run_ring, "poll"),
    "ring_batch": (run_ring, "batch"),
    "numpy_ring": (run_shm, ""), "pipe": (run_pipe, ""), "queue": (run_queue, ""),
}
# Goals of issue 25: ring over each of these, at every size.
GOALS = {"numpy_ring": 1.5, "pipe": 1.0, "queue": 5.0}


def measure(size, ways, rounds, count):
    rate = {w: [] for w in ways}
    for k in range(rounds):
        order = ways[k % len(ways):] + ways[:k % len(ways)]
        for w in order:
            fn, mode = WAYS[w]
            rate[w].append(count / fn(size, count, mode))
    return rate


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print JSON, not a table")
    ap.add_argument("--json-out", metavar="FILE", help="also write the JSON to FILE")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="a tenth of the records")
    ap.add_argument("--ways", default=",".join(WAYS), help="which transports")
    args = ap.parse_args()
    ways = [w for w in args.ways.split(",") if w]
    if args.rounds < 1 or not ways or any(w not in WAYS for w in ways):
        ap.error(f"--rounds >= 1, --ways from {','.join(WAYS)}")
    rows = []
    for size in SIZES:
        count = COUNTS[size] // (10 if args.quick else 1)
        rate = measure(size, ways, args.rounds, count)
        row = {"record_bytes": size, "records": count,
               "records_per_s_median": {w: statistics.median(v) for w, v in rate.items()},
               "ring_over": {}}
        if "ring" in rate:
            for w in ways:
                if w != "ring":
                    row["ring_over"][w] = statistics.median(
                        a / b for a, b in zip(rate["ring"], rate[w]))
        rows.append(row)
    info = {"schema": "memmirror-python-ring-bench/4", "python": platform.python_version(),
            "numpy": np.__version__, "cpus": os.cpu_count(), "rounds": args.rounds,
            "ways": ways, "goals_ring_over": GOALS, "rows": rows}
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(info, f, indent=1)
    if args.json:
        json.dump(info, sys.stdout, indent=1)
        print()
        return
    print(f"records between two processes, one at a time: {args.rounds} rounds, medians; "
          f"records/s (MB/s); last columns: ring's rate over the other's")
    others = [w for w in ways if w != "ring"]
    print(f"{'record':>8} " + " ".join(f"{w:>18}" for w in ways) + "  " +
          " ".join(f"{'/' + w:>12}" for w in others if "ring" in ways))
    for r in rows:
        size = r["record_bytes"]
        m = r["records_per_s_median"]
        cells = " ".join(f"{m[w]:>8.0f} ({m[w] * size / 1e6:>6.0f})" for w in ways)
        ratios = " ".join(f"{r['ring_over'][w]:>11.2f}x" for w in others if w in r["ring_over"])
        print(f"{size:>7}B {cells}  {ratios}")
    if "ring" in ways:
        for w, goal in GOALS.items():
            if w in ways:
                miss = [r["record_bytes"] for r in rows if r["ring_over"][w] < goal]
                print(f"goal ring >= {goal}x {w}: " +
                      ("met at every size" if not miss else
                       "MISSED at " + ", ".join(f"{s} B" for s in miss)))


if __name__ == "__main__":
    main()
