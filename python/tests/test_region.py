# SPDX-License-Identifier: MIT
"""Regions, views and mirrors: the same bytes through several arrays."""
import mmap
import multiprocessing
import os

import numpy as np
import pytest

import memmirror
import workers

MiB = 1 << 20


def fd_count():
    return len(os.listdir("/proc/self/fd"))


def test_two_views_alias():
    with memmirror.Region(MiB) as r:
        a = r.view()
        b = r.view(writable=False)
        assert a.__array_interface__["data"][0] != b.__array_interface__["data"][0]
        a[12345] = 0xAB
        assert b[12345] == 0xAB
        m = memoryview(b)
        a[:] = np.arange(MiB, dtype=np.uint8)
        assert m[255] == 255 and m[256] == 0
        assert not b.flags.writeable
        with pytest.raises(ValueError):
            b[0] = 1


def test_view_of_part_and_dtype():
    with memmirror.Region(4 * 4096) as r:
        whole = r.view(dtype=np.float32)
        part = r.view(4096, 4096, dtype=np.float32)
        part[:] = 1.5
        assert whole[1024:2048].sum() == 1024 * 1.5
        assert whole[:1024].sum() == 0


def test_view_unmapped_with_its_last_array():
    with memmirror.Region(MiB) as r:
        a = r.view()
        s = a[10:20]
        del a
        assert r.view_count == 1     # the slice keeps the mapping
        s[0] = 1
        del s
        assert r.view_count == 0


def test_close_with_live_arrays_keeps_memory():
    before = fd_count()
    r = memmirror.Region(MiB, backend="memfd")
    a = r.view()
    r.close()
    with pytest.raises(ValueError):
        r.view()
    a[-1] = 7                       # still mapped: no crash
    assert a[-1] == 7
    assert fd_count() == before + 1
    del a                           # last holder: region destroyed
    assert fd_count() == before


def test_discard_reads_zeros_everywhere():
    with memmirror.Region(MiB) as r:
        a, b = r.view(), r.view()
        a[:] = 9
        r.discard(0, r.page_size)
        assert b[0] == 0 and b[r.page_size] == 9


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_region_shared_with_another_process(method):
    with memmirror.Region(MiB, backend="memfd") as r:
        v = r.view(writable=False)
        p = multiprocessing.get_context(method).Process(
            target=workers.write_region, args=(r, 777, 42))
        p.start()
        p.join(60)
        assert p.exitcode == 0
        assert v[777] == 42


def test_region_without_fd_does_not_pickle():
    import pickle
    with memmirror.Region(MiB, backend="mremap") as r:
        with pytest.raises(TypeError):
            pickle.dumps(r)


def test_mirror_of_shared_mmap():
    m = mmap.mmap(-1, 4 * 4096)      # MAP_SHARED | MAP_ANONYMOUS
    x = memmirror.mirror(m)
    m[100] = 5
    assert x[100] == 5
    x[200] = 6
    assert m[200] == 6
    del x


def test_mirror_refuses_private_memory():
    m = mmap.mmap(-1, 4096, flags=mmap.MAP_PRIVATE)
    with pytest.raises(OSError) as e:
        memmirror.mirror(m)
    assert e.value.errno == 22
    assert "mmr_mirror" in str(e.value)


def test_huge_pages_or_a_reason():
    try:
        r = memmirror.Region(2 * MiB, flags=memmirror.HUGE_2MB)
    except OSError as e:
        # No 2 MiB pages reserved here: the message says how to get some.
        assert "huge" in e.strerror.lower(), e
        pytest.skip(f"no 2 MiB huge pages: {e.strerror}")
    with r:
        assert r.page_size == 2 * MiB
        a, b = r.view(), r.view(writable=False)
        a[-1] = 3
        assert b[-1] == 3


def test_mirror_of_shared_memory_pages_inside():
    from multiprocessing import shared_memory
    page = mmap.PAGESIZE
    shm = shared_memory.SharedMemory(create=True, size=10000)
    try:
        with pytest.raises(OSError) as e:
            memmirror.mirror(shm.buf)
        msg = e.value.strerror
        assert e.value.errno == 22 and "whole pages" in msg
        assert f"bytes [0, {2 * page})" in msg, msg
        x = memmirror.mirror(shm.buf[:2 * page])
        y = memmirror.mirror(shm.buf[page:2 * page], dtype=np.uint32)
        shm.buf[page + 4] = 9
        assert x[page + 4] == 9 and y[1] == 9
        x[5] = 3
        assert shm.buf[5] == 3
        with pytest.raises(OSError) as e:
            memmirror.mirror(shm.buf[100:2 * page])
        assert f"bytes [{page - 100}, {2 * page - 100})" in e.value.strerror
        with pytest.raises(OSError) as e:
            memmirror.mirror(shm.buf[1:100])
        assert "no whole page" in e.value.strerror
        del x, y, e               # the traceback holds slices of shm.buf
    finally:
        shm.close()
        shm.unlink()


def test_mirror_of_a_region_view_and_private_arrays():
    with memmirror.Region(4 * mmap.PAGESIZE) as r:
        v = r.view()
        x = memmirror.mirror(v[mmap.PAGESIZE:])
        v[mmap.PAGESIZE] = 4
        assert x[0] == 4
    for private in (np.zeros(8192, np.uint8), bytearray(8192)):
        with pytest.raises(OSError) as e:
            memmirror.mirror(private)
        assert e.value.errno == 22
    with pytest.raises(OSError) as e:
        memmirror.mirror(memoryview(bytearray(8192))[4096:])
    assert "private memory cannot be mirrored" in e.value.strerror
