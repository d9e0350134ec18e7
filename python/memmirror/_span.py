# SPDX-License-Identifier: MIT
"""numpy arrays over library memory, without a copy.

An array's base chain ends in a _Span, which holds a reference to the
owner of the memory (a region or ring handle), so the mapping stays alive
as long as any array, slice or memoryview of it does: closing a Region or
Ring while arrays are alive only drops the Python object's reference, it
never leaves an array pointing at unmapped memory.
"""
import numpy as np


class _Span:
    __slots__ = ("__array_interface__", "owner", "__weakref__")

    def __init__(self, addr, count, typestr, readonly, owner):
        self.__array_interface__ = {
            "data": (addr, readonly),
            "shape": (count,),
            "typestr": typestr,
            "version": 3,
        }
        self.owner = owner


def array(addr, nbytes, readonly, owner, dtype=np.uint8):
    """A 1-D array of @dtype over [addr, addr + nbytes) (whole items)."""
    dtype = np.dtype(dtype)
    if not addr or nbytes < dtype.itemsize:
        a = np.empty(0, dtype)
        a.flags.writeable = not readonly
        return a
    if dtype.fields is None and dtype.subdtype is None:
        # Plain dtypes go straight into the interface: no view, no slice
        # (this is the ring's per-record path).
        return np.asarray(_Span(addr, nbytes // dtype.itemsize, dtype.str,
                                readonly, owner))
    a = np.asarray(_Span(addr, nbytes, "|u1", readonly, owner))
    return a[: nbytes - nbytes % dtype.itemsize].view(dtype)


def address(obj):
    """(address, nbytes, readonly) of a buffer (bytes-like or ndarray)."""
    a = obj if isinstance(obj, np.ndarray) else np.frombuffer(obj, np.uint8)
    if not a.flags.c_contiguous:
        raise ValueError("memmirror: the buffer must be contiguous")
    data, readonly = a.__array_interface__["data"]
    return data, a.nbytes, readonly
