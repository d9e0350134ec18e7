# SPDX-License-Identifier: MIT
"""asyncio: the ring's poll fd with loop.add_reader(); the loop keeps
running other tasks while the consumer waits."""
import asyncio
import multiprocessing

import pytest

import memmirror
import workers


async def consume(ring):
    got, ticks = [], 0
    stop = asyncio.Event()

    async def ticker():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.001)
    t = asyncio.create_task(ticker())
    try:
        while True:
            await asyncio.wait_for(ring.wait_readable_async(4), 30)
            got.append(int.from_bytes(ring.recv(4), "little"))
    except EOFError:
        pass
    stop.set()
    await t
    return got, ticks


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_add_reader(method):
    ctx = multiprocessing.get_context(method)
    with memmirror.Ring(1 << 16) as r:
        p = ctx.Process(target=workers.send_slowly, args=(r, 50))
        p.start()
        got, ticks = asyncio.run(consume(r))
        p.join(30)
        assert got == list(range(50))
        assert ticks >= 10            # the loop ran while the ring was empty


def test_poll_fd_needs_one_end():
    with memmirror.Ring(1 << 16) as r:
        r.send(b"x")                  # this object holds the producer end too
        with pytest.raises(OSError) as e:
            r.poll_fd("consumer")
        assert "exactly one end" in e.value.strerror
        with pytest.raises(ValueError):
            r.poll_fd("sideways")
