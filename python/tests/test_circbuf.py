# SPDX-License-Identifier: MIT
"""CircBuf (python/memmirror/circbuf.py): the two halves are one memory,
spans across the end are contiguous, arrays outlive close(), bad input is
an exception."""
import gc

import numpy as np
import pytest

import memmirror
from memmirror import CircBuf


def test_halves_are_one_memory():
    with CircBuf(10000) as cb:
        n = cb.size
        assert n >= 10000 and n % cb.page_size == 0
        a = cb.array
        assert a.shape == (2 * n,) and not a.any()
        a[n - 3:n + 5] = np.frombuffer(b"wrapped!", np.uint8)
        assert bytes(a[:5]) == b"pped!"
        assert bytes(a[2 * n - 3:]) == b"wra"
        a[n:] = 7
        assert (a[:n] == 7).all()


def test_typed_view():
    with CircBuf(4096, backend="memfd") as cb:
        f = cb.as_array(np.float32)
        k = cb.size // 4
        f[k - 1:k + 1] = [1.5, 2.5]
        assert f[2 * k - 1] == 1.5 and f[0] == 2.5


def test_array_outlives_close():
    cb = CircBuf(4096)
    a = cb.array
    cb.close()
    del cb
    gc.collect()
    a[0] = 9
    assert a[a.size // 2] == 9
    with pytest.raises(ValueError):
        c = CircBuf(4096)
        c.close()
        c.array


def test_bad_input():
    with pytest.raises(OSError) as e:
        CircBuf(0)
    assert "mmr_circbuf_create" in str(e.value)
    with pytest.raises(ValueError):
        CircBuf(-1)
    with pytest.raises(OSError):
        CircBuf(4096, backend="nosuch")
    CircBuf.trim()
    assert memmirror.CircBuf is CircBuf
