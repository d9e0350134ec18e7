# SPDX-License-Identifier: MIT
"""The package's constants are the header's: parsed from
include/memmirror.h here, compared with what Python sees."""
import os
import re

import memmirror
from memmirror import _ring

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def header():
    with open(os.path.join(ROOT, "include", "memmirror.h")) as f:
        text = f.read()
    defines = {m[0]: int(m[1], 0) for m in
               re.findall(r"^#define\s+(MMR_\w+)\s+\(?(0x[0-9a-fA-F]+|\d+)u?\)?", text, re.M)}
    enum = re.search(r"enum mmr_backend \{(.*?)\};", text, re.S).group(1)
    backends = re.findall(r"MMR_BACKEND_(\w+)", enum)
    return defines, backends


def test_flags_match_the_header():
    defines, _ = header()
    names = ["HUGE_2MB", "HUGE_1GB", "HUGE", "THP", "POPULATE", "FIXED",
             "FIXED_NOREPLACE", "REQUIRE_SEALED", "ACCEPT_UNSEALED",
             "RING_PRODUCER", "RING_CONSUMER"]
    for name in names:
        assert getattr(memmirror, name) == defines["MMR_" + name], name
    for name in ["RING_PRODUCER", "RING_CONSUMER", "RING_THREAD", "BACKEND_MASK", "RING_EOF"]:
        assert getattr(_ring, name) == defines["MMR_" + name], name


def test_backends_match_the_enum():
    _, backends = header()
    assert backends[-1] == "COUNT"
    assert [b.lower() for b in backends[:-1]] == list(memmirror.BACKENDS)
    assert _ring.BACKEND_COUNT == len(memmirror.BACKENDS)


def test_versions():
    with open(os.path.join(ROOT, "VERSION")) as f:
        version = f.read().strip()
    assert memmirror.__version__ == version
    assert memmirror.library_version() == version


def test_public_names_have_docstrings():
    missing = []
    for name in memmirror.__all__:
        obj = getattr(memmirror, name)
        if callable(obj) and not (obj.__doc__ or "").strip():
            missing.append(name)
        if isinstance(obj, type):
            for attr, member in vars(obj).items():
                if not attr.startswith("_") and not (getattr(member, "__doc__", "") or "").strip():
                    missing.append(f"{name}.{attr}")
            for base in obj.__mro__[1:]:
                if base.__module__.startswith("memmirror"):
                    for attr, member in vars(base).items():
                        if not attr.startswith("_") and not (member.__doc__ or "").strip():
                            missing.append(f"{base.__name__}.{attr}")
    assert not missing, missing


def test_signatures_show_no_private_arguments():
    import inspect
    for fn in (memmirror.Region, memmirror.Region.from_fd, memmirror.Ring,
               memmirror.Ring.from_fd, memmirror.mirror):
        assert "_ptr" not in str(inspect.signature(fn))


def test_ctypes_prototypes_match_the_header():
    """The ctypes prototypes of _lib (regions, mirrors) against the header's
    declarations: the number of arguments, and which are pointers."""
    import ctypes
    from memmirror import _lib
    with open(os.path.join(ROOT, "include", "memmirror.h")) as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    for name, (res, args) in _lib._PROTOS.items():
        m = re.search(r"([\w\s\*]+?)\b" + name + r"\(([^)]*)\)\s*;", text)
        assert m, name
        params = [p.strip() for p in m.group(2).split(",") if p.strip() not in ("", "void")]
        assert len(params) == len(args), (name, params, args)
        for p, a in zip(params, args):
            is_ptr = "*" in p
            assert is_ptr == (a in (ctypes.c_void_p, ctypes.c_char_p) or
                              hasattr(a, "_type_") and a is not ctypes.c_size_t and
                              issubclass(a, ctypes._Pointer)), (name, p, a)
        ret = m.group(1).strip()
        assert ("*" in ret) == (res in (ctypes.c_void_p, ctypes.c_char_p)), (name, ret, res)
