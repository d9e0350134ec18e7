# SPDX-License-Identifier: MIT
"""libmemmirror.so.0 through ctypes (regions, mirrors): prototypes and
the error helpers.

The C extension memmirror._ring is linked to the library; it is imported
first, so that ctypes gets the very copy it loaded (the same mmr_last_error()
and probe cache), wherever that was found (system, rpath of a build tree).
"""
import ctypes
import operator
import os

try:
    from . import _ring  # noqa: F401  (loads libmemmirror.so.0)
except ImportError as e:
    raise ImportError(
        f"memmirror: cannot load the extension memmirror._ring ({e}): build it "
        "(make python, or pip install .), and install libmemmirror0 or build "
        "the library (make)") from e

_NAME = "libmemmirror.so.0"


def _load():
    try:
        return ctypes.CDLL(_NAME, use_errno=True)
    except OSError as e:  # pragma: no cover - the extension loaded it
        raise ImportError(f"memmirror: cannot load {_NAME} ({e})") from e


lib = _load()
libc = ctypes.CDLL(None, use_errno=True)

_vp, _sz, _int, _uint = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_uint
_pvp = ctypes.POINTER(ctypes.c_void_p)
_psz = ctypes.POINTER(ctypes.c_size_t)

_PROTOS = {
    "mmr_last_error": (ctypes.c_char_p, []),
    "mmr_backend_name": (ctypes.c_char_p, [_int]),
    "mmr_backend_from_name": (_int, [ctypes.c_char_p]),
    "mmr_region_create": (_int, [_pvp, _sz, _uint]),
    "mmr_region_open_fd": (_int, [_pvp, _int, _uint]),
    "mmr_region_destroy": (None, [_vp]),
    "mmr_region_resize": (_int, [_vp, _sz]),
    "mmr_region_discard": (_int, [_vp, _sz, _sz]),
    "mmr_region_seal": (_int, [_vp]),
    "mmr_region_fd": (_int, [_vp]),
    "mmr_region_size": (_sz, [_vp]),
    "mmr_region_page_size": (_sz, [_vp]),
    "mmr_region_backend": (_int, [_vp]),
    "mmr_region_view_count": (_sz, [_vp]),
    "mmr_view": (_vp, [_vp, _sz, _sz, _vp, _int, _uint]),
    "mmr_unview": (_int, [_vp, _vp, _sz]),
    "mmr_mirror": (_vp, [_vp, _sz, _vp, _uint]),
}

for _name, (_res, _args) in _PROTOS.items():
    _f = getattr(lib, _name)
    _f.restype, _f.argtypes = _res, _args

libc.munmap.restype, libc.munmap.argtypes = _int, [_vp, _sz]


SIZE_MAX = (1 << (8 * ctypes.sizeof(ctypes.c_size_t))) - 1
INT_MAX = (1 << (8 * ctypes.sizeof(ctypes.c_int) - 1)) - 1


def size_arg(n: int, what: str) -> int:
    """@n as a size_t argument: ctypes would silently cut a bigger one
    (2**64 + 4096 would become 4096)."""
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"memmirror: {what} must not be negative ({n})")
    if n > SIZE_MAX:
        raise OverflowError(f"memmirror: {what} {n} does not fit a size_t")
    return n


def int_arg(n: int, what: str) -> int:
    """@n as an int argument (an fd, a timeout), range-checked."""
    n = operator.index(n)
    if not -INT_MAX - 1 <= n <= INT_MAX:
        raise OverflowError(f"memmirror: {what} {n} does not fit an int")
    return n


def last_error() -> str:
    """mmr_last_error() of this thread, as text."""
    msg = lib.mmr_last_error()
    return msg.decode(errors="replace") if msg else ""


def error(err):
    """OSError (or its errno subclass) for errno @err, with the library's
    message; @err may be a negative return value."""
    err = abs(err)
    msg = last_error() or os.strerror(err)
    return OSError(err, msg)


def check(ret):
    """Raise for a negative int return value, else return it."""
    if ret < 0:
        raise error(ret)
    return ret


def errno_error():
    """OSError for a failed pointer-returning call (errno set by it)."""
    return error(ctypes.get_errno() or 22)
