"""The view the rule checks read (rules/lines.py): nulls, tokens, claim order, exact input order."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from cgt_claimcheck.engine.pending import FILE_SHIFT
from cgt_claimcheck.rules.lines import Lines


def _lines(**columns) -> Lines:
    return Lines(pa.table(columns))


def test_nulls_are_never_members_equal_or_text():
    lines = _lines(code=pa.array(["J3392", None, ""], pa.string()))
    assert lines.isin("code", {"J3392", ""}).tolist() == [True, False, True]
    assert lines.eq("code", "").tolist() == [False, False, True]
    assert lines.text("code").tolist() == ["J3392", "", ""]
    assert lines.coded("code").codes.tolist()[1] == -1


def test_tokens_explode_each_list_in_line_order():
    lines = _lines(dx=pa.array(["D571;E119", None, "", "D571;E119", "Z3184"], pa.string()))
    line, code = lines.tokens("dx")
    assert line.tolist() == [0, 0, 3, 3, 4]
    assert code.tolist() == ["D571", "E119", "D571", "E119", "Z3184"]
    assert lines.has_token("dx", {"E119"}).tolist() == [True, False, False, True, False]


def test_a_claims_first_line_is_its_lowest_numbered_then_the_first_read_even_past_8192_files():
    far = (np.int64(9000) << FILE_SHIFT) + np.arange(4, dtype=np.int64)  # beyond float64's exact integers
    lines = _lines(
        claim_id=pa.array(["C1", "C1", "C1", "C2"]),
        line_number=pa.array(["2", "x", "2", "1"]),
        _seq=pa.array(far[::-1].copy()),  # read in reverse: the later _seq is the earlier row
    )
    assert lines.integers("_seq").tolist() == far[::-1].tolist()
    first = lines.first_of_claim()
    # C1: lines 2 (twice) and x: the 2 read first is position 2 (the smaller _seq); C2 is alone.
    assert first.tolist() == [2, 2, 2, 3]
    assert lines.is_first_of_claim(np.array([True, True, False, True])).tolist() == [True, False, False, True]


def test_trial_markers_name_every_marker_of_the_claim_in_one_order(ref):
    """A claim's markers, from any of its lines, in the order of TRIAL_MARKERS (each text made
    once per combination of markers, then given to every line of the claim)."""
    from cgt_claimcheck.engine.lines import trial_markers

    q0 = sorted(ref.codes("clinical_trial_modifier"))[0]
    z006 = sorted(ref.codes("clinical_trial_dx"))[0]
    cc30 = sorted(ref.codes("clinical_trial_condition_code"))[0]
    lines = _lines(
        claim_id=pa.array(["A", "A", "B", "C", "C", "D"]),
        modifiers=pa.array([q0, "", "", "", None, ""]),
        diagnosis_codes=pa.array(["", f"E119;{z006}", "", z006, "", "E119"]),
        condition_codes=pa.array(["", "", cc30, cc30, "", None]),
    )
    assert trial_markers(lines, ref).to_pylist() == [
        "modifier Q0/Q1, diagnosis Z00.6",
        "modifier Q0/Q1, diagnosis Z00.6",
        "condition code 30",
        "diagnosis Z00.6, condition code 30",
        "diagnosis Z00.6, condition code 30",
        "",
    ]


_VALUES = st.one_of(st.none(), st.sampled_from(["", "A1", "a1", "Z", "é9", " x "]), st.text(max_size=4))


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(_VALUES, min_size=1, max_size=40),
    picks=st.lists(st.integers(0, 39), max_size=30),
    few=st.sampled_from([0, 2, 4096]),
    dictionary=st.booleans(),
)
def test_text_at_gives_what_text_gives_at_those_lines(values, picks, few, dictionary):
    """A column with many distinct values is turned into text only at the lines asked for; the
    answer is the same as the whole column's text taken there (nulls as '', repeats, any order),
    and the same for a dictionary-typed column (the engine's few-valued ones) as for plain text."""
    from cgt_claimcheck.rules import lines as lines_module

    rows = np.array([p % len(values) for p in picks], dtype=np.int64)
    saved, lines_module.FEW_VALUES = lines_module.FEW_VALUES, few
    try:
        column = pa.array(values, pa.string())
        lines = _lines(v=column.dictionary_encode() if dictionary else column)
        assert lines.text_at("v", rows).tolist() == [v or "" for v in np.array(values, dtype=object)[rows]]
        assert lines.present("v").tolist() == [bool(v) for v in values]
        assert lines.isin("v", {"", "A1"}).tolist() == [v in ("", "A1") for v in values]
        assert lines.text_at("v", rows).tolist() == lines.text("v")[rows].tolist()  # now from the cached text
    finally:
        lines_module.FEW_VALUES = saved


def test_text_at_shows_dates_and_numbers_as_text_does(monkeypatch):
    from datetime import datetime

    from cgt_claimcheck.rules import lines as lines_module

    monkeypatch.setattr(lines_module, "FEW_VALUES", 0)
    lines = _lines(
        day=pa.array([datetime(2025, 10, 1), None, datetime(2024, 2, 29)], pa.timestamp("s")),
        units=pa.array([1.0, 2.5, None]),
    )
    rows = np.array([2, 1, 0, 2])
    assert lines.text_at("day", rows).tolist() == ["2024-02-29", "", "2025-10-01", "2024-02-29"]
    assert lines.text_at("units", rows).tolist() == ["", "2.5", "1", ""]
    assert lines.present("day").tolist() == [True, False, True]
    assert lines.present("units").tolist() == [True, True, False]
