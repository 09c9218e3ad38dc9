"""ruff (lint and format) and mypy pass on the tree: CI runs them with the suite (`.ci/run`).

The versions are pinned in the `test` extra, so a new release of either cannot turn CI red by
itself; raise the pins in a commit of their own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TREES = ["cgt_claimcheck", "tests", "benchmarks", "scripts"]


def _run(*command: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("command", [("ruff", "check", *TREES), ("ruff", "format", "--check", *TREES)])
def test_ruff(command):
    done = _run(*command)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]


def test_mypy(tmp_path):
    done = _run("mypy", "--cache-dir", str(tmp_path / "cache"), "cgt_claimcheck")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]


def test_the_checks_fail_on_a_finding(tmp_path):
    """A lint or type error in a module is reported: the tests above would catch one."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\n\ndef f(x: int) -> str:\n    return x\n")
    assert _run("ruff", "check", "--isolated", str(bad)).returncode != 0
    assert _run("mypy", "--cache-dir", str(tmp_path / "cache"), str(bad)).returncode != 0
