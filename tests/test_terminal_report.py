"""The rich report at a terminal's width: golden snapshots at 80 and 120 columns, and the layout's rules.

Regenerate the snapshots after a deliberate change with CGT_UPDATE_GOLDEN=1 and read the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from cgt_claimcheck.cli import app
from cgt_claimcheck.printable import elided, printable
from cgt_claimcheck.reporters.terminal_layout import TerminalLayout
from tests.conftest import REPO

GOLDEN = Path(__file__).parent / "golden" / "rich"
RUNS = {
    "claims_with_errors": [
        "examples/claims_with_errors.csv",
        "--facilities",
        "examples/facilities.csv",
        "--history",
        "examples/history.csv",
        "--reference-dir",  # named as given: the snapshot does not depend on where the clone is
        "reference_data",
    ],
    # A public 837P whose writer got the envelope wrong on every claim: its faults group by cause.
    "x12_312_transactions": ["tests/x12_samples/ims_837p_a1_312_transactions.x12", "--reference-dir", "reference_data"],
}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _at_terminal(args: list[str], width: int, monkeypatch) -> str:
    monkeypatch.chdir(REPO)
    env = {"TTY_COMPATIBLE": "1", "COLUMNS": str(width), "NO_COLOR": "1", "CI": ""}
    result = CliRunner().invoke(app, ["check", *args, "--format", "rich"], env=env)
    assert result.exit_code == 1, result.output
    text = ANSI.sub("", result.stdout)
    assert str(REPO) not in text
    return re.sub(r"\d+\.\d s to check", "N.N s to check", text)


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("name", sorted(RUNS))
def test_the_report_at_a_terminal_matches_its_snapshot(name, width, monkeypatch):
    text = _at_terminal(RUNS[name], width, monkeypatch)
    golden = GOLDEN / f"{name}.{width}.txt"
    if os.environ.get("CGT_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
    assert max(len(line) for line in text.splitlines()) <= width  # nothing left for the terminal to wrap
    if name.startswith("x12") and width == 120:
        assert len(text.splitlines()) < 60  # 3,690 findings of one writer's faults


def test_off_a_terminal_a_finding_is_one_line(monkeypatch):
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(app, ["check", *RUNS["claims_with_errors"], "--format", "rich"], env={"COLUMNS": "80"})
    lines = result.stdout.splitlines()
    finding = next(line for line in lines if "IN001" in line and "service_date" in line)
    assert "fix: Fix the value in the extract" in finding  # message and fix on the one line, unwrapped


# Words narrower than any line (the narrowest layout is 40 columns, a fix continues at column 11).
_WORDS = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P"]), min_size=1, max_size=25)


@given(st.lists(_WORDS, min_size=1, max_size=40), st.lists(_WORDS, min_size=1, max_size=20), st.integers(20, 200))
def test_the_layout_never_splits_a_word_that_fits_and_never_exceeds_the_width(words, fix, width):
    layout = TerminalLayout(width)
    used = 30
    parts = layout.finding(used, " ".join(words), " ".join(fix))
    text = "".join(piece for piece, _ in parts)
    lines = text.split("\n")
    assert len(" " * used + lines[0]) <= layout.width or len(lines[0].split()) == 1
    for line in lines[1:]:
        assert len(line) <= layout.width or len(line.split()) == 1
    # Every word of the text and the fix is there, whole, in order (none wider than a line here).
    assert text.split() == [*" ".join(words).split(), "fix:", *" ".join(fix).split()]


def test_a_file_name_moves_to_the_next_line_whole():
    details, where = TerminalLayout(60).header(10, "  member M1 · 2025-03-01 · wnc · billed $1.00", "  [my claims.csv]")
    assert where == "[my claims.csv]" and details.endswith("\n  ")


@given(st.text(min_size=0, max_size=400), st.integers(10, 200))
def test_an_elided_value_keeps_its_start_and_end(value, limit):
    text, shown = printable(value), elided(value, limit)
    if len(text) <= limit:
        assert shown == text
    else:
        head = (limit - 2) // 2
        assert len(shown) == limit and shown[head : head + 3] == "..."
        assert text.startswith(shown[:head]) and text.endswith(shown[head + 3 :])
