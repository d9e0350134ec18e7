# SPDX-License-Identifier: MIT
"""The package's version is the project's (VERSION, the single source)."""
import os

import memmirror

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_version_matches_the_version_file():
    with open(os.path.join(ROOT, "VERSION")) as f:
        assert memmirror.__version__ == f.read().strip()
