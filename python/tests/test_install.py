# SPDX-License-Identifier: MIT
"""The package installs as Python packages do, offline: pip install into a
venv (Debian's setuptools and numpy, --no-build-isolation --no-index) and
python3 -m build --no-isolation (a wheel). Built from a copy of the tracked
files, against this tree's build of the library (MEMMIRROR_BUILD)."""
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")


def have(module):
    return subprocess.run([sys.executable, "-c", f"import {module}"],
                          capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    if not os.path.exists(os.path.join(BUILD, "libmemmirror.so")):
        pytest.skip("no build/libmemmirror.so: run make first")
    if not (have("setuptools") and have("venv") and have("pip")):
        pytest.skip("needs python3-setuptools, python3-venv, python3-pip (sh scripts/deps.sh lib)")
    files = subprocess.run(["git", "-C", ROOT, "ls-files", "--", "pyproject.toml", "setup.py",
                            "VERSION", "LICENSE", "include", "python/memmirror",
                            "python/README.md"],
                           capture_output=True, text=True)
    if files.returncode:
        pytest.skip("not a git checkout: cannot tell the tracked files")
    dst = tmp_path_factory.mktemp("src")
    for f in files.stdout.split() + ["include/memmirror_version.h"]:
        os.makedirs(dst / os.path.dirname(f), exist_ok=True)
        shutil.copy(os.path.join(ROOT, f), dst / f)
    return dst


def clean_env():
    """The defaults a user gets: not the Debian build's settings (debian/rules
    exports MEMMIRROR_RPATH=0 and LD_LIBRARY_PATH for its own tests)."""
    env = dict(os.environ, MEMMIRROR_BUILD=BUILD)
    for var in ("MEMMIRROR_RPATH", "LD_LIBRARY_PATH"):
        env.pop(var, None)
    return env


def run(cmd, **kw):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)
    assert out.returncode == 0, f"{cmd}: {out.stdout}\n{out.stderr}"
    return out.stdout


CHECK = """
import importlib.metadata, os, memmirror, numpy as np
assert memmirror.__file__.startswith(os.environ["WANT"]), memmirror.__file__
assert importlib.metadata.version("memmirror") == memmirror.__version__
here = os.path.dirname(memmirror.__file__)
assert os.path.exists(os.path.join(here, "py.typed"))
# Its own copy of the library, found through $ORIGIN: the venv outlives the tree.
maps = open("/proc/self/maps").read()
assert os.path.join(here, "libmemmirror.so.0") in maps, [l for l in maps.splitlines() if "memmirror" in l]
r = memmirror.Ring(4096)
r.send(np.arange(4, dtype=np.uint8))
assert list(r.peek(4)) == [0, 1, 2, 3]
print("ok", memmirror.__version__)
"""


def test_pip_install_into_a_venv(source, tmp_path):
    venv = tmp_path / "venv"
    run(["/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable,
         "-m", "venv", "--system-site-packages", str(venv)])
    env = clean_env()
    env.pop("PYTHONPATH", None)
    run([str(venv / "bin" / "pip"), "install", "-q", "--no-build-isolation", "--no-index",
         str(source)], env=env)
    env["WANT"] = str(venv)
    assert "ok" in run([str(venv / "bin" / "python"), "-c", CHECK], env=env, cwd=tmp_path)


def test_build_a_wheel(source, tmp_path):
    if not have("build"):
        pytest.skip("needs python3-build (sh scripts/deps.sh lib)")
    env = clean_env()
    run([sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir",
         str(tmp_path), str(source)], env=env)
    wheels = [f for f in os.listdir(tmp_path) if f.endswith(".whl")]
    assert len(wheels) == 1, wheels
    names = zipfile.ZipFile(tmp_path / wheels[0]).namelist()
    assert "memmirror/py.typed" in names and "memmirror/_ring.pyi" in names
    assert any(n.startswith("memmirror/_ring") and n.endswith(".so") for n in names)
    assert not any(n.endswith(".c") for n in names), names
    assert "memmirror/libmemmirror.so.0" in names
    assert any(n.endswith(".dist-info/METADATA") for n in names)
