"""Every case of the abuse corpus, in every report format, keeps the invariants (tests/abuse_corpus.py);
and Hypothesis mutations of a valid extract (quotes, delimiters, encodings, truncation, control
characters) keep them too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from abuse_corpus import (
    FORMATS,
    Case,
    Outcome,
    cases,
    check_accounting,
    check_invariants,
    data_lines,
    extract,
    good_row,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cgt_claimcheck.cli import app

runner = CliRunner()


def run_case(case: Case, fmt: str, folder: Path) -> Outcome:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{case.name}.csv"
    path.write_bytes(case.data)
    inputs = {path: case.data}
    for name, content in case.extra_files.items():
        (folder / name).write_bytes(content)
        inputs[folder / name] = content
    args = [a.replace("{dir}", str(folder)) for a in case.args]
    result = runner.invoke(app, ["check", str(path), "--format", fmt, "--redact", *args])
    outcome = Outcome(result.exit_code, result.stdout, result.stderr)
    check_invariants(case, fmt, outcome, inputs)
    if fmt == "json" and outcome.stdout.strip():
        check_accounting(case, json.loads(outcome.stdout))
    return outcome


CORPUS = cases()


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_the_corpus_keeps_every_invariant_in_json(case, tmp_path):
    run_case(case, "json", tmp_path)


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_the_corpus_keeps_every_invariant_in_one_other_format(case, tmp_path):
    # One other format per case, in turn: every format meets every kind of case over the corpus.
    fmt = FORMATS[1:][CORPUS.index(case) % (len(FORMATS) - 1)]
    run_case(case, fmt, tmp_path)


def test_the_report_file_is_the_only_thing_written(tmp_path):
    case = next(c for c in CORPUS if c.name == "unclosed-quote")
    path = tmp_path / "x.csv"
    path.write_bytes(case.data)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = runner.invoke(app, ["check", str(path), "--format", "json", "-o", str(tmp_path / "r.json")])
    assert result.exit_code == 1 and path.read_bytes() == case.data
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "r.json"])  # no temporary left


# --- Hypothesis: mutations of a valid extract ------------------------------------------------------
VALID = extract([good_row(i, code="J3392" if i % 2 else "99213") for i in range(1, 7)])
CONTROL = [chr(c) for c in range(32) if chr(c) not in "\r\n"] + ["\x7f", "\u202e", "\ufeff"]


@st.composite
def mutated(draw) -> tuple[bytes, tuple[str, ...]]:
    data = VALID
    kind = draw(st.sampled_from(["insert", "truncate", "delimiter", "encoding", "duplicate", "delete"]))
    if kind == "insert":
        position = draw(st.integers(0, len(data)))
        piece = draw(
            st.lists(st.sampled_from(['"', ",", "|", "\t", ";", *CONTROL, "é", "\U0001f600"]), min_size=1, max_size=4)
        )
        data = data[:position] + "".join(piece).encode() + data[position:]
    elif kind == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif kind == "delete":
        start = draw(st.integers(0, len(data)))
        data = data[:start] + data[start + draw(st.integers(1, 40)) :]
    elif kind == "duplicate":
        lines = data.split(b"\n")
        i = draw(st.integers(1, len(lines) - 2))
        data = b"\n".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])
    elif kind == "delimiter":
        new = draw(st.sampled_from(["|", "\t", ";"]))
        data = data.replace(b",", new.encode())
        return data, ("--delimiter", {"\t": "tab", "|": "|", ";": ";"}[new])
    else:
        codec = draw(st.sampled_from(["utf-16", "utf-32", "cp1252", "latin-1"]))
        return data.decode().encode(codec), (() if codec in ("utf-16", "utf-32") else ("--encoding", codec))
    return data, ()


# 40 mutations (a whole check each) of six kinds keep the suite under 3 minutes on 2 cores.
@settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutated())
def test_mutated_extracts_keep_every_invariant(tmp_path, mutation):
    data, args = mutation
    countable = not args and data.startswith(VALID[:40]) and b"\r" not in data
    case = Case("mutation", data, args, data_lines(data) if countable else None)
    run_case(case, "json", tmp_path / "m")
