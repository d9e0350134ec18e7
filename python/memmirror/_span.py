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

    def __init__(self, addr, nbytes, readonly, owner):
        self.__array_interface__ = {
            "data": (addr, readonly),
            "shape": (nbytes,),
            "typestr": "|u1",
            "version": 3,
        }
        self.owner = owner


def array(addr, nbytes, readonly, owner, dtype=np.uint8):
    """A 1-D array of @dtype over [addr, addr + nbytes)."""
    a = np.asarray(_Span(addr, nbytes, readonly, owner))
    dtype = np.dtype(dtype)
    if dtype.itemsize != 1:
        a = a[: nbytes - nbytes % dtype.itemsize].view(dtype)
    return a


def address(obj):
    """(address, nbytes, readonly) of a buffer (bytes-like or ndarray)."""
    a = obj if isinstance(obj, np.ndarray) else np.frombuffer(obj, np.uint8)
    if not a.flags.c_contiguous:
        raise ValueError("memmirror: the buffer must be contiguous")
    data, readonly = a.__array_interface__["data"]
    return data, a.nbytes, readonly
