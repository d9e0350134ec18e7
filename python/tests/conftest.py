# SPDX-License-Identifier: MIT
"""pytest setup: the library under test, and the suite's summary line in
the project's format ("N passed, N failed, N skipped") for make check."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))   # python/: the package under test
sys.path.insert(0, HERE)                    # workers.py, for spawned children


def pytest_terminal_summary(terminalreporter):
    stats = terminalreporter.stats
    count = lambda key: len([r for r in stats.get(key, []) if getattr(r, "when", "call") in ("call", "setup")])
    failed = count("failed") + count("error")
    terminalreporter.write_line(
        f"{count('passed')} passed, {failed} failed, {count('skipped')} skipped")
