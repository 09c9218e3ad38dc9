"""The vectorised normalisers (every row) agree with the single-value ones (lookup, tests)."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cgt_claimcheck.ingest.normalise import normalise_ndc, numbers, parse_dates, parse_flags
from cgt_claimcheck.value_parsers import NdcError, ndc_candidates, parse_date, parse_flag

digits = st.text(alphabet="0123456789", min_size=1, max_size=12)
ndc_like = st.one_of(
    digits,
    st.builds(lambda a, b, c: f"{a}-{b}-{c}", digits, digits, digits),
    st.text(alphabet="0123456789-N4 abc", max_size=16),
)


@settings(max_examples=200, deadline=None)  # pandas/pyarrow calls: no per-example deadline on a busy CI
@given(st.lists(ndc_like, min_size=1, max_size=20))
@example(["N451167029001", "N4 51167-0290-01", "n4 51167-290-01", "N4", "5116702901", "51167-0290-01"])
def test_ndc_column_agrees_with_single_values(values):
    ndc11, status = normalise_ndc(pa.array(values, pa.string()))
    for text, got, state in zip(values, ndc11.to_pylist(), status.to_pylist(), strict=True):
        if not text.strip():
            assert state == "missing"
            continue
        try:
            candidates = ndc_candidates(text)
        except NdcError:
            assert state == "invalid", text
            continue
        if len(candidates) == 3:
            assert state == "ambiguous", text
        else:
            assert (state, got) == ("valid", candidates[0]), text


dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31))
date_text = st.one_of(
    dates.map(date.isoformat),
    dates.map(lambda d: d.strftime("%Y%m%d")),
    dates.map(lambda d: f"{d.month}/{d.day}/{d.year}"),
    dates.map(lambda d: d.strftime("%m/%d/%Y")),
    st.from_regex(r"\d{4}-\d{2}-\d{2}", fullmatch=True),  # includes 2025-02-30, 2025-13-01
    st.from_regex(r"\d{8}", fullmatch=True),
    st.text(max_size=12),
    # what SQL exports write: an ISO date with a time of day, fractions, Z or an offset
    st.builds(
        lambda d, sep, time: f"{d.isoformat()}{sep}{time}",
        dates,
        st.sampled_from([" ", "T", "t", "  "]),
        st.from_regex(
            r"[0-2][0-9]:[0-6][0-9](:[0-6][0-9](\.[0-9]{1,10})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?", fullmatch=True
        ),
    ),
    st.from_regex(r"[0-9]{1,2}[/-][0-9]{1,2}[/-][0-9]{2,3}", fullmatch=True),  # two-digit years
)


@settings(max_examples=200, deadline=None)  # pandas/pyarrow calls: no per-example deadline on a busy CI
@given(st.lists(date_text, min_size=1, max_size=20))
@example(["1੯00-01-01", "2025-02-30", "2/3/2025", "20250229", "20240229", "1899-12-31"])
@example(
    [
        "2025-03-01 00:00:00",
        "2025-03-01T23:59:59.123456Z",
        "2025-03-01T24:00:00",
        "03/01/25",
        "2025-03-01 00:00:00+0530",
    ]
)
def test_date_column_agrees_with_single_values(values):
    parsed = parse_dates(pa.array(values, pa.string()))
    for text, got in zip(values, parsed.to_pylist(), strict=True):
        try:
            expected = parse_date(text)
        except ValueError:
            expected = None
        assert (None if got is None else got.date()) == expected, text


@given(
    st.lists(st.sampled_from(["Y", "n", "YES", "no", "true", "False", "1", "0", "", " y ", "maybe", "t"]), min_size=1)
)
def test_flag_column_agrees_with_single_values(values):
    flags = parse_flags(pa.array(values, pa.string()))
    for text, got in zip(values, flags.to_pylist(), strict=True):
        try:
            expected = parse_flag(text)
        except ValueError:
            expected = None
        assert got == expected, text


number_text = st.one_of(
    st.from_regex(r"\s*[+-]?([0-9]{0,4}\.?[0-9]{0,3})([eE][+-]?[0-9]{1,3})?\s*", fullmatch=True),
    st.sampled_from(["inf", "-Infinity", "nan", "1_000", "0x10", "1,000", "\uff11\uff12", "+inf", "in f", "."]),
    st.text(alphabet="0123456789.eE+- _xinf\x1c\x85\u00a0\t", max_size=8),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(number_text, min_size=1, max_size=20))
def test_numbers_are_read_as_pandas_reads_them(values):
    """Units, charges and line numbers are read as the pandas engine read them (pd.to_numeric,
    errors='coerce'): the Arrow engine kept the same numbers when pandas left the check path."""
    import math

    import pandas as pd
    import pyarrow.compute as pc

    trimmed = pc.utf8_trim_whitespace(pa.array(values, pa.string()))  # as every kept column is
    expected = pd.to_numeric(pd.Series(trimmed.to_pylist(), dtype=object), errors="coerce").tolist()
    got = numbers(trimmed).to_pylist()
    for text, want, have in zip(values, expected, got, strict=True):
        # Python reads a decimal correctly rounded; pandas' parser can be an ulp off (+50E50).
        assert (have is None and math.isnan(want)) or math.isclose(have, want, rel_tol=1e-15), text


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["", " A", "A ", "\u3000A", "A\xa0", "é"]))),
    st.integers(0, 3),
)
def test_a_column_trimmed_only_where_a_value_needs_it_is_what_the_trim_gives(values, cut):
    """trim_whitespace hands a column back uncopied where no value starts or ends with a byte a
    trim could remove; whatever it does, the values are those of utf8_trim_whitespace (slices too)."""
    import pyarrow.compute as pc

    from cgt_claimcheck.ingest.screen import trim_whitespace

    array = pa.array(values, pa.string()).slice(min(cut, len(values)))
    assert trim_whitespace(array).to_pylist() == pc.utf8_trim_whitespace(array).to_pylist()
    if all(v is None or v == v.strip(" \t\n\r\x0b\x0c") and v.isascii() and v.isprintable() for v in values):
        assert trim_whitespace(array) is array
