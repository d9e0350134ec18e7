# SPDX-License-Identifier: MIT
"""The README's Python examples run as written, each as a script (spawn
children import it as their __main__)."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def examples():
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    section = text[text.index("\n## Python\n"):]
    section = section[:section.index("\n## ", 1)]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_there_are_examples():
    assert len(examples()) >= 3


@pytest.mark.parametrize("n", range(3))
def test_readme_example(n, tmp_path):
    code = examples()[n]
    path = tmp_path / f"readme_example_{n}.py"
    path.write_text(code)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    out = subprocess.run([sys.executable, str(path)], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
