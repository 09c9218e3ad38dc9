"""Vectorised helpers the rules share: claim-level any, code-list membership, date windows.

pandas is imported inside the functions so that importing the catalogue (for `lookup` and
`rules`) does not load it; after the first call the import is a dictionary lookup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from cgt_claimcheck.rules.diagnosis_status import verdict_of

if TYPE_CHECKING:
    import pandas as pd

    from cgt_claimcheck.reference import Reference


def false_like(lines: pd.DataFrame) -> pd.Series:
    import pandas as pd

    return pd.Series(False, index=lines.index)


def claim_any(mask: pd.Series, lines: pd.DataFrame) -> pd.Series:
    """True on every line of a claim where any line has the mask."""
    return mask.groupby(lines["claim_id"]).transform("any").astype(bool)


def member_any(mask: pd.Series, lines: pd.DataFrame) -> pd.Series:
    return mask.groupby(lines["member_id"]).transform("any").astype(bool)


def first_of_claim(lines: pd.DataFrame, mask: pd.Series) -> pd.Series:
    """True on the first line (in file order) of each claim among the masked lines."""
    seq = lines["_seq"].where(mask)
    first = seq.groupby(lines["claim_id"]).transform("min")
    return mask & seq.eq(first)


def _token_regex(codes: Iterable[str], prefix: bool = False) -> str | None:
    escaped = sorted(re.escape(c) for c in codes if c)
    if not escaped:
        return None
    tail = r"[A-Z0-9]*" if prefix else ""
    return r"(?:^|;)(?:" + "|".join(escaped) + r")" + tail + r"(?:;|$)"


def has_token(joined: pd.Series, codes: Iterable[str], *, prefix: bool = False) -> pd.Series:
    """Does a ';'-joined code list contain one of the codes (or a code starting with one)?"""
    pattern = _token_regex(codes, prefix)
    if pattern is None:
        return joined.ne(joined)  # all False, same index
    return joined.str.contains(pattern, regex=True).fillna(False).astype(bool)


def icd_display(joined: pd.Series) -> pd.Series:
    """'D571;E119' -> 'D57.1; E11.9' for messages."""
    dotted = joined.str.replace(r"(^|;)([A-Z][0-9][0-9A-Z])([0-9A-Z])", r"\1\2.\3", regex=True)
    return dotted.str.replace(";", "; ", regex=False)


def tokens(joined: pd.Series) -> pd.Series:
    """Explode a ';'-joined code list: one row per (line index, code), in line order.

    Lists repeat across lines, so each distinct list is split once and joined back to its lines.
    """
    import pandas as pd

    codes, uniques = pd.factorize(joined)
    parts = pd.Series(uniques, dtype="str").str.split(";").explode()
    parts = parts[parts.notna() & parts.ne("")]
    per_list = pd.DataFrame({"list": parts.index.to_numpy(), "code": parts.to_numpy()})
    lines = pd.DataFrame({"line": joined.index.to_numpy(), "list": codes})
    pairs = lines.merge(per_list, on="list", how="inner", sort=False)
    return pd.Series(
        pairs["code"].to_numpy(),
        index=pd.Index(pairs["line"].to_numpy(), name=joined.index.name),
        name=joined.name,
        dtype="str",
    )


def starts_with_any(codes: pd.Series, prefixes: Iterable[str]) -> pd.Series:
    prefixes = tuple(p.replace(".", "").upper() for p in prefixes)
    if not prefixes:
        return codes.ne(codes)
    return codes.str.startswith(prefixes).fillna(False).astype(bool)


def icd_matches(codes: pd.Series, include: str, exclude: str = "") -> pd.Series:
    """Vectorised `reference.icd.icd_matches` over a Series of dot-less codes."""
    from cgt_claimcheck.reference.icd import parse_icd_patterns

    def any_pattern(text: str) -> pd.Series:
        result = codes.ne(codes)
        for kind, low, high in parse_icd_patterns(text):
            if kind == "prefix":
                result |= codes.str.startswith(low)
            else:
                result |= codes.ge(low) & (codes.le(high) | codes.str.startswith(high))
        return result.fillna(False).astype(bool)

    return any_pattern(include) & ~any_pattern(exclude)


def on_or_after(days: pd.Series, bound: date | None) -> pd.Series:
    import pandas as pd

    return days.ge(pd.Timestamp(bound)) if bound is not None else days.notna()


def on_or_before(days: pd.Series, bound: date | None) -> pd.Series:
    import pandas as pd

    return days.le(pd.Timestamp(bound)) if bound is not None else days.notna()


def in_windows(days: pd.Series, starts: pd.Series, ends: pd.Series) -> pd.Series:
    """Dates inside [start, end] where a missing bound is open."""
    return (starts.isna() | days.ge(starts)) & (ends.isna() | days.le(ends))


def hits_at(lines: pd.DataFrame, where: Iterable[object], **details: object) -> pd.DataFrame:
    """A check result: `hit` on the lines at `where`, plus detail columns aligned by index."""
    import pandas as pd

    result = pd.DataFrame({"hit": lines.index.isin(list(where))}, index=lines.index)
    for name, values in details.items():
        result[name] = values
    return result


def frame(data: dict[str, list[object]]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(data)


def timestamp(day: date | None) -> object:
    import pandas as pd

    return pd.Timestamp(day) if day is not None else pd.NaT


def diagnosis_status(lines: pd.DataFrame, ref: Reference, memo: dict[Any, Any]) -> pd.DataFrame:
    """Each (line, diagnosis) with its ICD-10-CM status on the line's date of service.

    Columns: code (dot-less), status (reference.icd_validity.Status value: billable, header, not
    valid, not judged), note (for a code that is not billable: what it is, and what to bill).
    Worked out once per distinct (code, date) and memoised per run: CD006 and the label rules
    read the same result. Without the validity table every code is "not judged".
    """
    import pandas as pd

    key = ("diagnosis_status", id(lines), len(lines))
    if key in memo:
        return memo[key]
    codes = tokens(lines["diagnosis_codes"])
    pairs = pd.DataFrame(
        {
            "line": codes.index.to_numpy(),
            "code": codes.to_numpy(),
            "day": lines["service_date"].reindex(codes.index).to_numpy(),
        }
    )
    validity = ref.icd10cm_validity
    distinct = pairs[["code", "day"]].drop_duplicates()
    statuses, notes = [], []
    for code, day in zip(distinct["code"], distinct["day"], strict=True):
        if validity is None or pd.isna(day):
            statuses.append("not judged")
            notes.append("")
            continue
        status, note = verdict_of(validity, code, pd.Timestamp(day).date())
        statuses.append(status)
        notes.append(note)
    judged = distinct.assign(status=statuses, note=notes)
    result = pairs.merge(judged, on=["code", "day"], how="left").set_index("line")
    memo[key] = result
    return result
