"""Each diagnosis of each line with its ICD-10-CM status on the line's date: worked out once per run.

CD006 reports the codes that are not billable; the label rules (CV006, CV007) match only the
billable ones against an indication. The verdict is reached once per distinct (code, date of
service), never per line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from cgt_claimcheck.reference import Reference
    from cgt_claimcheck.rules.lines import Lines

NOT_JUDGED = "not judged"
NO_CHAPTER = "the validity table holds no code"  # how a note says why a code was not judged
OUTSIDE_DATES = "outside the dates the validity table covers"
NOT_BILLABLE = ("header", "not valid")


@dataclass(frozen=True)
class DiagnosisStatus:
    """One row per (line, diagnosis), in line order: the code (dot-less), its status (billable,
    header, not valid, not judged) and, for a code that is not billable, what it is."""

    line: np.ndarray
    code: np.ndarray
    status: np.ndarray
    note: np.ndarray

    @property
    def not_billable(self) -> np.ndarray:
        import numpy as np

        return np.isin(self.status, NOT_BILLABLE)


def diagnosis_status(lines: Lines, ref: Reference, memo: dict[Any, Any]) -> DiagnosisStatus:
    """The status of every diagnosis of every line (memoised per run: several rules read it)."""
    import numpy as np

    key = ("diagnosis status", id(lines))
    if key in memo:
        return memo[key]
    import pyarrow as pa
    import pyarrow.compute as pc

    line, code = lines.tokens("diagnosis_codes")
    encoded = pc.dictionary_encode(pa.array(code, pa.string()))
    code_id = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    validity = ref.icd10cm_validity
    day = lines.days("service_date")[line].astype("M8[D]")
    when = _period_or_day(day, validity)
    pairs = pc.dictionary_encode(pa.array(code_id << 32 | (when & 0xFFFFFFFF)))  # one key per (code, period)
    inverse = pairs.indices.to_numpy(zero_copy_only=False)
    keys = pairs.dictionary.to_numpy()
    first_day = lines.days("service_date")[line]
    first_of = np.zeros(len(keys), dtype=np.int64)
    first_of[inverse[::-1]] = np.arange(len(inverse))[::-1]  # a token of each (code, date)
    names = encoded.dictionary.to_pylist()
    verdicts = [
        (NOT_JUDGED, "")
        if validity is None or np.isnat(first_day[i])
        else verdict_of(validity, names[code_id[i]], first_day[i].astype("M8[D]").astype(object))
        for i in first_of.tolist()
    ]
    status = np.array([v[0] for v in verdicts] + [""], dtype=object)[inverse]
    note = np.array([v[1] for v in verdicts] + [""], dtype=object)[inverse]
    result = DiagnosisStatus(line, code, status, note)
    memo[key] = result
    return result


def _period_or_day(day: np.ndarray, validity: Any) -> np.ndarray:
    """A key per date of service under which every code's verdict is the same: the period between
    two of the table's epochs for a date it covers (a few dozen periods, where 100k lines hold
    hundreds of dates), else the date itself (its note names it). Undated: -1."""
    import numpy as np

    undated = np.isnat(day)
    days = day.view(np.int64)
    base = days[~undated].min() if (~undated).any() else 0
    key = np.where(undated, -1, 2**20 + (days - base))  # a date of its own, above every period
    if validity is None:
        return key
    edges = np.array(validity.epochs, dtype="M8[D]").view(np.int64)  # they include the coverage's ends
    low, high = np.datetime64(validity.covers_from, "D"), np.datetime64(validity.covers_through, "D")
    covered = ~undated & (day >= low) & (day <= high)
    return np.where(covered, np.searchsorted(edges, days, side="right"), key)


def verdict_of(validity: Any, code: str, day: date) -> tuple[str, str]:
    """(status, note) of a dot-less code on a date: what it is when it is not billable."""
    from cgt_claimcheck.reference.icd_validity import Status, window_text
    from cgt_claimcheck.value_parsers import format_icd10cm

    verdict = validity.verdict(code, day)
    shown = format_icd10cm(code)
    if verdict.status is Status.NOT_JUDGED:
        if not validity.holds_chapter_of(code, day):
            return verdict.status.value, f"{NO_CHAPTER} of {shown}'s chapter ({code[:1]})"
        return verdict.status.value, f"{day.isoformat()} is {OUTSIDE_DATES}"
    was = f"; it was billable {window_text(verdict.windows, validity)}" if verdict.windows else ""
    if verdict.status is Status.HEADER:
        below = ", ".join(format_icd10cm(c) for c in verdict.children)
        more = ", ..." if len(verdict.children) >= 5 else ""
        return verdict.status.value, f"{shown} is a category, not a billable code (below it: {below}{more}){was}"
    if verdict.status is Status.NOT_VALID:
        if verdict.windows:
            return (
                verdict.status.value,
                f"{shown} is not valid on that date (valid {window_text(verdict.windows, validity)})",
            )
        return verdict.status.value, f"{shown} is not an ICD-10-CM code"
    return verdict.status.value, ""
