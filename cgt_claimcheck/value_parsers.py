"""Normalisers for single values: NDCs, dates, procedure and ICD codes, yes/no flags.

Pure Python on purpose: `lookup` uses them and must start without pandas. The vectorised
versions in `ingest.normalise` follow the same rules, and a property test checks they agree.
"""

from __future__ import annotations

import re
from datetime import date

# --- NDC -------------------------------------------------------------------------------------
# An NDC is labeler-product-package. Labels print 10 digits in one of three layouts (4-4-2,
# 5-3-2, 5-4-1); billing uses the 11-digit 5-4-2 form, made by left-padding the short segment.
_NDC_HYPHENATED = re.compile(r"^([0-9]{4,5})-([0-9]{3,4})-([0-9]{1,2})$")
# ASCII digits only: Python's \d and str.isdigit() also accept other scripts' digits.
_DIGITS = re.compile(r"[0-9]+")
_PAD_BY_LAYOUT = {(4, 4, 2): 0, (5, 3, 2): 1, (5, 4, 1): 2, (5, 4, 2): None}


class NdcError(ValueError):
    """The text cannot be read as an NDC."""


def _clean_ndc(text: str) -> str:
    # Extracts carry NDCs with spaces, or with the 837 "N4" qualifier glued on.
    cleaned = re.sub(r"\s+", "", text).upper()
    if cleaned.startswith("N4") and _DIGITS.fullmatch(cleaned[2:].replace("-", "")):
        cleaned = cleaned[2:]
    return cleaned


def ndc_candidates(text: str) -> list[str]:
    """Every 11-digit 5-4-2 NDC the text can stand for (one, or three for 10 bare digits).

    Raises NdcError when the text is no NDC in any layout.
    """
    cleaned = _clean_ndc(text)
    match = _NDC_HYPHENATED.match(cleaned)
    if match:
        segments = list(match.groups())
        layout = tuple(len(s) for s in segments)
        if layout not in _PAD_BY_LAYOUT:
            raise NdcError(f"{text!r}: segments {'-'.join(map(str, layout))} are not 4-4-2, 5-3-2, 5-4-1 or 5-4-2")
        pad = _PAD_BY_LAYOUT[layout]
        if pad is not None:
            segments[pad] = "0" + segments[pad]
        return ["".join(segments)]
    if _DIGITS.fullmatch(cleaned) and len(cleaned) == 11:
        return [cleaned]
    if _DIGITS.fullmatch(cleaned) and len(cleaned) == 10:
        # Without hyphens the layout is unknown: each of the three paddings is possible.
        return [
            "0" + cleaned,
            cleaned[:5] + "0" + cleaned[5:],
            cleaned[:9] + "0" + cleaned[9:],
        ]
    raise NdcError(f"{text!r} is not an NDC: expected 11 digits or a hyphenated 4-4-2, 5-3-2, 5-4-1 or 5-4-2 code")


def normalize_ndc(text: str) -> str:
    """The one 11-digit form of an NDC; NdcError when it is junk or ambiguous."""
    candidates = ndc_candidates(text)
    if len(candidates) != 1:
        raise NdcError(
            f"{text!r}: 10 digits without hyphens could be any of {', '.join(format_ndc(c) for c in candidates)}"
        )
    return candidates[0]


def format_ndc(ndc11: str) -> str:
    """11 digits -> 5-4-2 with hyphens."""
    return f"{ndc11[:5]}-{ndc11[5:9]}-{ndc11[9:]}"


# --- dates -----------------------------------------------------------------------------------
# SQL exports write dates of service as timestamps: an ISO date may carry a time of day (with
# seconds, a fraction, Z or an offset). The date is taken as written; the time (and any offset)
# is dropped, never used to shift the day.
ISO_TIME_SUFFIX = r"[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,9})?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
_ISO_WITH_TIME = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})" + ISO_TIME_SUFFIX + "$")
# 03/01/25: the century is a guess, and a wrong guess is a wrong date of service.
TWO_DIGIT_YEAR = r"^[0-9]{1,2}[/-][0-9]{1,2}[/-][0-9]{2}$"
DATE_LAYOUTS_TEXT = "YYYY-MM-DD (a time part is allowed), YYYYMMDD, MM/DD/YYYY or M/D/YYYY"
_DATE_LAYOUTS = (
    (re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$"), (1, 2, 3)),
    (re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})$"), (1, 2, 3)),
    (re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$"), (3, 1, 2)),
)


YEARS = (1900, 2199)  # a date outside these years is a typo, not a date of service


def parse_date(text: str) -> date:
    """A date in one of DATE_LAYOUTS_TEXT between 1900 and 2199; ValueError otherwise."""
    cleaned = text.strip()
    timestamp = _ISO_WITH_TIME.match(cleaned)
    if timestamp:
        cleaned = timestamp.group(1)
    if re.match(TWO_DIGIT_YEAR, cleaned):
        raise ValueError(f"{text!r} has a two-digit year: write the year with four digits")
    for pattern, (y, m, d) in _DATE_LAYOUTS:
        match = pattern.match(cleaned)
        if match:
            year, month, day_of_month = int(match.group(y)), int(match.group(m)), int(match.group(d))
            try:
                day = date(year, month, day_of_month)
            except ValueError:
                raise ValueError(f"{text!r} is not a calendar date ({_no_such_day(year, month)})") from None
            if not YEARS[0] <= day.year <= YEARS[1]:
                raise ValueError(f"{text!r}: year {day.year} is outside {YEARS[0]}-{YEARS[1]}")
            return day
    raise ValueError(f"{text!r} is not a date (use {DATE_LAYOUTS_TEXT})")


def _no_such_day(year: int, month: int) -> str:
    import calendar

    if not 1 <= month <= 12:
        return f"there is no month {month}"
    return f"{calendar.month_name[month]} {year} has {calendar.monthrange(year, month)[1]} days"


# --- codes -----------------------------------------------------------------------------------
HCPCS_PATTERN = re.compile(r"^(?:[A-Z][0-9]{4}|[0-9]{4}[A-Z0-9])$")  # J3392, Q2041, 38228, 0540T
PCS_PATTERN = re.compile(r"^[0-9A-HJ-NP-Z]{7}$")  # 7 characters, no I or O
ICD10CM_PATTERN = re.compile(r"^[A-Z][0-9][0-9A-Z](?:[0-9A-Z]{1,4})?$")


def normalize_code(text: str) -> str:
    """Procedure codes, modifiers and the like: trimmed and upper-cased."""
    return text.strip().upper()


def normalize_icd(text: str) -> str:
    """ICD-10 codes compare without dots: 'd57.1 ' -> 'D571'."""
    return text.strip().upper().replace(".", "")


def format_icd10cm(code: str) -> str:
    """'D5701' -> 'D57.01' for display."""
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


# --- flags -----------------------------------------------------------------------------------
TRUE_WORDS = frozenset({"y", "yes", "true", "t", "1"})
FALSE_WORDS = frozenset({"n", "no", "false", "f", "0"})


def parse_flag(text: str) -> bool | None:
    """Y/N and its variants; None for blank; ValueError for anything else."""
    word = text.strip().lower()
    if not word:
        return None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{text!r} is not a yes/no value")


def codes_shown(joined: str) -> str:
    """'D571;E119' -> 'D57.1; E11.9' for messages."""
    return re.sub(r"(^|;)([A-Z][0-9][0-9A-Z])([0-9A-Z])", r"\1\2.\3", joined).replace(";", "; ")


NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
INFINITE = {"inf": 1.0, "+inf": 1.0, "-inf": -1.0, "infinity": 1.0, "+infinity": 1.0, "-infinity": -1.0}


def numeric_value(text: str) -> float:
    """A number as the kept-line columns read it (pandas.to_numeric, errors='coerce'): decimal or
    exponent notation and inf, ASCII spaces around; NaN for anything else (1_000, 0x10, 1,000,
    full-width digits, other whitespace)."""
    text = text.strip(" \t\n\r\f\v")
    if NUMBER.fullmatch(text):
        return float(text)
    sign = INFINITE.get(text.lower())
    return float("nan") if sign is None else sign * float("inf")


line_number_value = numeric_value  # a line number as a number, for ordering a claim's lines
