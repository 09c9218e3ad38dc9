"""Dates as extracts write them, parsed for a whole column at once with pyarrow compute."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.value_parsers import ISO_TIME_SUFFIX, YEARS


def _matches(array: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(array, pattern), False)


def parse_date_arrow(text: pa.Array, date_format: str | None = None) -> pa.Array:
    """YYYY-MM-DD (with or without a time part), YYYYMMDD, M/D/YYYY, and `date_format` (a
    strptime pattern from the config) to timestamp[s]; null when not a real date.

    Arrow's strptime rolls 2025-02-30 over to March: each parse must format back to its text.
    The single-value `value_parsers.parse_date` follows the same rules (a property test).
    """
    result = pa.nulls(len(text), pa.timestamp("s"))
    text = pc.replace_substring_regex(text, r"^([0-9]{4}-[0-9]{2}-[0-9]{2})" + ISO_TIME_SUFFIX + "$", r"\1")
    us = pc.replace_substring_regex(pc.replace_substring_regex(text, r"^([0-9])/", r"0\1/"), r"/([0-9])/", r"/0\1/")
    for source, pattern, fmt in (
        (text, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "%Y-%m-%d"),
        (text, r"^[0-9]{8}$", "%Y%m%d"),
        (us, r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$", "%m/%d/%Y"),
        *(((text, r".", date_format),) if date_format else ()),
    ):
        shaped = _matches(source, pattern)
        if not pc.any(shaped).as_py():
            continue
        candidate = pc.if_else(shaped, source, pa.scalar(None, pa.string()))
        parsed = pc.strptime(candidate, format=fmt, unit="s", error_is_null=True)
        exact = pc.fill_null(pc.equal(pc.strftime(parsed, format=fmt), candidate), False)
        year = pc.year(parsed)
        sane = pc.fill_null(pc.and_(pc.greater_equal(year, YEARS[0]), pc.less_equal(year, YEARS[1])), False)
        result = pc.if_else(pc.and_(exact, sane), parsed, result)
    return result


def two_digit_year(text: pa.Array) -> pa.Array:
    """03/01/25 and 3-1-25: refused with their own reason (the century would be a guess)."""
    from cgt_claimcheck.value_parsers import TWO_DIGIT_YEAR

    return _matches(text, TWO_DIGIT_YEAR)
