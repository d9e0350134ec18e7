# SPDX-License-Identifier: MIT
"""Builds memmirror._ring (pyproject.toml has the rest).

libmemmirror is found through pkg-config (an installed libmemmirror-dev,
or PKG_CONFIG_PATH), else in this tree's build/ (after make; run here if
it is missing: an sdist carries the library's sources). MEMMIRROR_BUILD
names another build directory.

Linked to a build tree, the package carries its own copy of
libmemmirror.so.0 beside the extension (rpath $ORIGIN), so that a wheel or
a venv outlives the tree it was built from; MEMMIRROR_RPATH=0 links to the
library with no rpath and no copy (the Debian package: the system's).
"""
import os
import shutil
import subprocess
import sys

import numpy
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


def pkg_config():
    """(include dirs, library dirs) of an installed memmirror, or None."""
    if not shutil.which("pkg-config"):
        return None
    try:
        out = subprocess.run(["pkg-config", "--cflags-only-I", "--libs-only-L", "memmirror"],
                             check=True, capture_output=True, text=True).stdout.split()
    except subprocess.CalledProcessError:
        return None
    return ([f[2:] for f in out if f.startswith("-I")],
            [f[2:] for f in out if f.startswith("-L")])


def build_tree():
    """(include dirs, library dirs) of this tree's build, made if need be."""
    build = os.path.abspath(os.environ.get("MEMMIRROR_BUILD") or os.path.join(ROOT, "build"))
    lib = os.path.join(build, "libmemmirror.so")
    if not os.path.exists(lib) and os.path.exists(os.path.join(ROOT, "Makefile")) \
            and not os.environ.get("MEMMIRROR_BUILD"):
        print("memmirror: no libmemmirror installed (pkg-config memmirror): "
              "building it here with make lib", file=sys.stderr)
        subprocess.run(["make", "-C", ROOT, "lib"], check=False)
    if not os.path.exists(lib):
        sys.exit(f"memmirror: libmemmirror not found: pkg-config knows no memmirror "
                 f"and {lib} does not exist. Install libmemmirror-dev (Debian), "
                 f"run make in the source tree, or set PKG_CONFIG_PATH or "
                 f"MEMMIRROR_BUILD to where memmirror.pc or the library is.")
    return [os.path.join(ROOT, "include")], [build]


found = pkg_config()
bundle = None
if found is None or os.environ.get("MEMMIRROR_BUILD"):
    incs, libdirs = build_tree()
    rpath = []
    if os.environ.get("MEMMIRROR_RPATH", "1") != "0":
        bundle = os.path.join(libdirs[0], "libmemmirror.so.0")
        rpath = ["$ORIGIN"]
else:
    incs, libdirs = found
    # A library outside the loader's own directories needs its path kept.
    rpath = [d for d in libdirs if d not in ("/usr/lib", "/lib") and
             not d.startswith("/usr/lib/") and os.environ.get("MEMMIRROR_RPATH", "1") != "0"]
# The generated version header sits beside memmirror.h in the tree.
if os.path.exists(os.path.join(ROOT, "include", "memmirror.h")) and \
        not os.path.exists(os.path.join(ROOT, "include", "memmirror_version.h")) and \
        os.path.exists(os.path.join(ROOT, "Makefile")):
    subprocess.run(["make", "-C", ROOT, "include/memmirror_version.h"], check=False)



class BuildExt(build_ext):
    """Puts the build tree's library beside the extension (see above)."""

    def run(self):
        super().run()
        if bundle:
            dst = os.path.join(self.build_lib, "memmirror")
            if self.inplace:
                dst = os.path.join(ROOT, "python", "memmirror")
            os.makedirs(dst, exist_ok=True)
            shutil.copy(bundle, os.path.join(dst, "libmemmirror.so.0"))


setup(
    cmdclass={"build_ext": BuildExt},
    ext_modules=[Extension(
        "memmirror._ring",
        sources=["python/memmirror/_ring.c"],
        include_dirs=incs + [numpy.get_include()],
        library_dirs=libdirs,
        runtime_library_dirs=rpath,
        libraries=["memmirror"],
        define_macros=[("_GNU_SOURCE", None)],
        extra_compile_args=["-std=c11", "-Wall", "-Wextra", "-pthread"],
    )],
    options={"build": {"build_base": os.path.join("build", "setuptools")}},
)
