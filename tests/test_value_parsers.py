"""Properties of the single-value normalisers: NDC layouts, dates, codes, flags."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cgt_claimcheck.value_parsers import (
    NdcError,
    format_ndc,
    ndc_candidates,
    normalize_icd,
    normalize_ndc,
    parse_date,
    parse_flag,
)

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
ndc11 = st.text(alphabet="0123456789", min_size=11, max_size=11)


def layouts(ndc: str) -> list[str]:
    """Every label layout that can print this 11-digit NDC (the dropped digit must be a 0)."""
    labeler, product, package = ndc[:5], ndc[5:9], ndc[9:]
    forms = [f"{labeler}-{product}-{package}", ndc]
    if labeler[0] == "0":
        forms.append(f"{labeler[1:]}-{product}-{package}")  # 4-4-2
    if product[0] == "0":
        forms.append(f"{labeler}-{product[1:]}-{package}")  # 5-3-2
    if package[0] == "0":
        forms.append(f"{labeler}-{product}-{package[1:]}")  # 5-4-1
    return forms


@given(ndc11)
def test_every_layout_maps_to_exactly_one_5_4_2_form(ndc):
    for form in layouts(ndc):
        assert ndc_candidates(form) == [ndc], form
        assert normalize_ndc(form) == ndc


@given(ndc11)
def test_format_round_trips(ndc):
    assert normalize_ndc(format_ndc(ndc)) == ndc
    assert format_ndc(ndc).count("-") == 2


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_ten_bare_digits_give_three_candidates_and_no_single_answer(ten):
    candidates = ndc_candidates(ten)
    assert len(candidates) == 3
    assert all(len(c) == 11 and c.isdigit() for c in candidates)
    assert all(c.replace("0", "", 0) for c in candidates)
    # Each candidate drops back to the ten digits when its padding zero is removed.
    assert {c[1:] for c in candidates[:1]} | {c[:5] + c[6:] for c in candidates[1:2]} | {
        c[:9] + c[10:] for c in candidates[2:]
    } == {ten}
    with pytest.raises(NdcError):
        normalize_ndc(ten)


@given(st.text(max_size=30))
def test_junk_gives_a_clear_error_never_another_exception(text):
    try:
        result = ndc_candidates(text)
    except NdcError as exc:
        assert "NDC" in str(exc) or "segments" in str(exc)
    else:
        assert all(len(c) == 11 and c.isdigit() for c in result)


@pytest.mark.parametrize("text", ["51167-0290-01", "51167-290-01", "5116702900 1", "N451167029001", " 51167029001 "])
def test_common_written_forms(text):
    assert normalize_ndc(text) == "51167029001"


@pytest.mark.parametrize("text", ["1234-123-12", "51167-0290-001", "ABCDE-1234-12", "", "5116702900"])
def test_rejected_forms(text):
    with pytest.raises(NdcError):
        normalize_ndc(text)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
def test_three_date_layouts_agree(day):
    assert parse_date(day.isoformat()) == day
    assert parse_date(day.strftime("%Y%m%d")) == day
    assert parse_date(day.strftime("%m/%d/%Y")) == day


@given(st.text(max_size=12))
def test_date_junk_raises_value_error_only(text):
    try:
        parse_date(text)
    except ValueError:
        pass


@pytest.mark.parametrize("text", ["2025-02-30", "2025-13-01", "13/01/2025", "2025/01/01", "20250230"])
def test_impossible_dates(text):
    with pytest.raises(ValueError):
        parse_date(text)


@given(st.from_regex(r"[A-Za-z][0-9]{2}\.?[0-9A-Za-z]{0,4}", fullmatch=True))
def test_icd_dots_and_case_do_not_matter(code):
    assert normalize_icd(code) == normalize_icd(code.upper().replace(".", ""))
    assert "." not in normalize_icd(code)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Y", True),
        ("yes", True),
        ("TRUE", True),
        ("1", True),
        ("n", False),
        ("No", False),
        ("false", False),
        ("0", False),
        ("", None),
    ],
)
def test_flags(text, value):
    assert parse_flag(text) is value


def test_flag_junk():
    with pytest.raises(ValueError):
        parse_flag("maybe")
