"""The ICD-10 validity table read as sorted lines (reference/icd_validity.py) against a plain reading.

The table is 75k rows of which a check asks about a few hundred codes: it is kept as lines and a
code's windows are found by bisection. Whatever the rows (out of order, a code on several rows,
dates on either side), it must answer what a dictionary of every row would, and a broken row is
refused with its line number as before.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cgt_claimcheck.errors import ReferenceDataError
from cgt_claimcheck.reference.icd_validity import CodeValidity, _parse

COVERS = (date(2018, 10, 1), date(2026, 9, 30))
days = st.one_of(st.none(), st.dates(date(2017, 1, 1), date(2027, 12, 31)))
codes = st.text("ABCDEZ0123456789", min_size=1, max_size=5)
rows = st.lists(st.tuples(codes, days, days), min_size=1, max_size=60)


def _text(table: list[tuple[str, date | None, date | None]]) -> bytes:
    lines = ["code,valid_from,valid_to"]
    lines += [f"{c},{s.isoformat() if s else ''},{e.isoformat() if e else ''}" for c, s, e in table]
    return ("\n".join(lines) + "\n").encode()


def _plain(table: list[tuple[str, date | None, date | None]]) -> dict[str, list[tuple[date | None, date | None]]]:
    windows: dict[str, list[tuple[date | None, date | None]]] = {}
    for code, start, end in sorted(table, key=lambda row: f"{row[0]},{row[1] or ''},{row[2] or ''}"):
        windows.setdefault(code, []).append((start, end))
    return windows


@settings(max_examples=300, deadline=None)
@given(rows, st.lists(codes, max_size=8), days.filter(lambda d: d is not None))
def test_the_lines_answer_as_a_dictionary_of_every_row(table, asked, day):
    validity = CodeValidity(_parse(_text(table), "t.csv"), *COVERS)
    plain = _plain(table)
    assert {code: validity.windows[code] for code in validity.windows} == plain
    assert validity.codes == sorted(plain) and len(validity.windows) == len(plain)
    edges = {COVERS[0], COVERS[1] + timedelta(days=1)}
    edges |= {s for w in plain.values() for s, _ in w if s} | {
        e + timedelta(days=1) for w in plain.values() for _, e in w if e
    }
    assert validity.epochs == sorted(edges)
    firsts: dict[str, date] = {}
    for code, windows in plain.items():
        for start, _ in windows:
            first = start or COVERS[0]
            firsts[code[:1]] = min(firsts.get(code[:1], first), first)
    assert validity.chapter_starts == firsts
    for code in [*asked, *[c[:-1] for c in plain if len(c) > 1]]:
        assert (code in validity.windows) == (code in plain)
        assert validity.windows.get(code, []) == plain.get(code, [])
        below = sorted(c for c in plain if c.startswith(code) and c != code and validity.valid_on(c, day))[:5]
        assert list(validity.children_on(code, day)) == below


@pytest.mark.parametrize(
    ("text", "line", "shown"),
    [
        ("code,valid_from,valid_to\nA00,,\nA01,2020-02-30,\n", 3, "A01,2020-02-30,"),
        ("code,valid_from,valid_to\nA00,,\nA01,,,\nA02,\n", 3, "A01,,,"),  # commas still add up
        ("code,valid_from,valid_to\nB00,,\nA01,,,\nA02,,\n", 3, "A01,,,"),  # out of order too
        ("code,valid_from,valid_to\nA00,,\nA01\n", 3, "A01"),
        ("code,valid_from,valid_to\nA00,,\n\nA02,,\n", 3, ""),
        ("code,valid_from,valid_to\nA00,,2020-1-1\n", 2, "A00,,2020-1-1"),
        ("code,valid_from,valid_to\nA00,20200101,\n", 2, "A00,20200101,"),
    ],
)
def test_a_broken_row_is_refused_with_its_line(text, line, shown):
    with pytest.raises(ReferenceDataError) as refused:
        _parse(text.encode(), "t.csv")
    assert refused.value.line == line and repr(shown) in str(refused.value)


def test_a_wrong_header_is_refused():
    with pytest.raises(ReferenceDataError, match="header must be code,valid_from,valid_to"):
        _parse(b"code,from,to\nA00,,\n", "t.csv")
