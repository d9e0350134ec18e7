# SPDX-License-Identifier: MIT
"""numpy arrays over library memory, without a copy.

An array's base chain ends in a _Span or a ctypes array, which holds a
reference to the owner of the memory (a region or ring handle), so the mapping stays alive
as long as any array, slice or memoryview of it does: closing a Region or
Ring while arrays are alive only drops the Python object's reference, it
never leaves an array pointing at unmapped memory.
"""
import ctypes

import numpy as np


class _Span:
    __slots__ = ("__array_interface__", "owner", "__weakref__")

    def __init__(self, addr, nbytes, typestr, readonly, owner):
        self.__array_interface__ = {
            "data": (addr, readonly),
            "shape": (nbytes,),
            "typestr": typestr,
            "version": 3,
        }
        self.owner = owner


def array(addr, nbytes, readonly, owner, dtype=np.uint8, protected=True):
    """A 1-D array of @dtype over [addr, addr + nbytes) (whole items).

    @protected: the memory is mapped read-only, so the array must never
    become writable (numpy refuses to set WRITEABLE on an array whose base
    says read-only). Ring read spans are read-only by contract only (the
    ring is mapped read-write): they take the faster ctypes path.
    """
    dtype = np.dtype(dtype)
    count = nbytes // dtype.itemsize
    if not addr or count == 0:
        a = np.empty(0, dtype)
        a.flags.writeable = not readonly
        return a
    if readonly and protected:
        a = np.asarray(_Span(addr, nbytes, "|u1", readonly, owner))
        return a[: count * dtype.itemsize].view(dtype)
    # The cheapest way numpy wraps foreign memory (1 us against 2 us for
    # __array_interface__): this is the ring's per-record path.
    buf = (ctypes.c_char * nbytes).from_address(addr)
    buf.owner = owner
    a = np.frombuffer(buf, dtype, count)
    if readonly:
        a.flags.writeable = False
    return a


def address(obj):
    """(address, nbytes, readonly) of a buffer (bytes-like or ndarray)."""
    a = obj if isinstance(obj, np.ndarray) else np.frombuffer(obj, np.uint8)
    if not a.flags.c_contiguous:
        raise ValueError("memmirror: the buffer must be contiguous")
    data, readonly = a.__array_interface__["data"]
    return data, a.nbytes, readonly
