# SPDX-License-Identifier: MIT
"""Bad input: an OSError with the library's message (or a ValueError for
what Python itself refuses), never a crash."""
import errno
import os

import pytest

import memmirror


def oserror(fn, *args, **kw):
    with pytest.raises(OSError) as e:
        fn(*args, **kw)
    assert str(e.value) and "mmr_" in e.value.strerror, e.value
    return e.value


def test_unknown_backend():
    e = oserror(memmirror.Region, 4096, backend="nonesuch")
    assert e.errno == errno.EINVAL


def test_view_outside_the_region():
    with memmirror.Region(1 << 16) as r:
        assert oserror(r.view, 1 << 16, 4096).errno == errno.EINVAL
        assert oserror(r.view, 1, 4096).errno == errno.EINVAL   # unaligned
        with pytest.raises(ValueError):
            r.view(-4096)
        assert r.view_count == 0


def test_open_fd_of_nothing():
    assert oserror(memmirror.Region.from_fd, -1).errno in (errno.EBADF, errno.EINVAL)
    assert oserror(memmirror.Ring.from_fd, -1).errno in (errno.EBADF, errno.EINVAL)


def test_ring_from_a_region_that_is_no_ring():
    with memmirror.Region(1 << 16, backend="memfd") as r:
        r.view()[:] = 0xFF
        # Unsealed: refused before anything is mapped.
        assert oserror(memmirror.Ring.from_fd, r.fd).errno == errno.EPERM
        r.seal()
        assert oserror(memmirror.Ring.from_fd, r.fd).errno == errno.EINVAL


def test_sealed_region_survives_a_peers_truncate():
    with memmirror.Region(1 << 16, backend="memfd") as r:
        assert oserror(memmirror.Region.from_fd, r.fd,
                       memmirror.REQUIRE_SEALED).errno == errno.EPERM
        v = r.view()
        v[:] = 7
        r.seal()
        with pytest.raises(PermissionError):
            os.ftruncate(r.fd, 0)
        assert v[-1] == 7
        with memmirror.Region.from_fd(r.fd, memmirror.REQUIRE_SEALED) as peer:
            assert peer.view()[-1] == 7


def test_ring_misuse_is_refused_and_counted():
    with memmirror.Ring(1 << 16) as r:
        cap = r.capacity
        e = oserror(r.produce, cap + 1)
        assert e.errno == errno.EINVAL and "mmr_ring_produce" in e.strerror
        e = oserror(r.consume, 1)
        assert e.errno == errno.EINVAL and "mmr_ring_consume" in e.strerror
        assert r.errors == 2
        assert oserror(r.reserve, cap + 1).errno == errno.EINVAL
        assert oserror(r.peek, cap + 1).errno == errno.EINVAL
        assert r.peek(1) is None            # empty: not an error
        with pytest.raises(ValueError):
            r.produce(-1)
        with pytest.raises(ValueError):
            r.wait_readable(1, timeout=-1)
        assert oserror(r.wait_readable, cap + 1, 0).errno == errno.EINVAL


def test_mirror_of_unaligned_or_private_memory():
    for buf in (bytearray(100), b"x" * 8192, memoryview(b"abcd")):
        with pytest.raises(OSError) as e:
            memmirror.mirror(buf)
        assert e.value.errno == errno.EINVAL
        assert "private memory cannot be mirrored" in e.value.strerror, e.value


def test_no_fd_leaked_by_failures():
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        with pytest.raises(OSError):
            memmirror.Region(4096, backend="nonesuch")
        with pytest.raises(OSError):
            memmirror.Ring.from_fd(0)
    assert len(os.listdir("/proc/self/fd")) == before


def test_misuse_after_a_span_is_still_refused():
    # produce/consume within the last span skip the error check (they cannot
    # be refused); anything beyond it must still be checked.
    with memmirror.Ring(1 << 16) as r:
        r.reserve(100)
        r.produce(60)
        r.produce(40)
        assert oserror(r.produce, r.capacity).errno == errno.EINVAL
        r.peek(100)
        r.consume(100)
        assert oserror(r.consume, 1).errno == errno.EINVAL
        assert r.errors == 2


def test_sizes_that_do_not_fit_are_refused_not_cut():
    # ctypes would silently cut 2**64 + 4096 to 4096.
    with pytest.raises(OverflowError):
        memmirror.Region(2**64 + 4096)
    with pytest.raises(OverflowError):
        memmirror.Ring(2**64 + 4096)
    with pytest.raises(TypeError):
        memmirror.Region(4096.0)
    with memmirror.Ring(1 << 16) as r:
        with pytest.raises(OverflowError):
            r.reserve(2**62, "f8")
        with pytest.raises(OverflowError):
            r.consume(2**64)
        assert r.errors == 0
    with pytest.raises(OverflowError):
        memmirror.Ring.from_fd(2**32 + 1)
    with memmirror.Region(1 << 16) as g:
        with pytest.raises(OverflowError):
            g.view(2**64, 4096)
        assert g.view_count == 0
