"""The facility registry given with --facilities: which NPI holds which certification, when.

Read with the standard library (a registry has hundreds of rows, not millions). A registry that
cannot be used at all (no such file, not UTF-8, no npi or certification column) stops the run
with the file, line and column. A row that cannot be used (a certification we do not know, a bad
NPI or date) is left out and comes back as a problem with its line, so the report shows it
(IN006): a dropped row could otherwise hide the certification a claim relies on.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from cgt_claimcheck.bounded import read_bounded
from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.ingest.normalise import parse_dates
from cgt_claimcheck.ingest.screen import claimless_problems
from cgt_claimcheck.reference import Reference

FACILITY_CERTIFICATIONS = ("QTC", "REMS", "HTC")
MAX_REGISTRY_BYTES = 64 << 20
NPI = re.compile(r"[0-9]{10}")


@dataclass
class RegistryProblem:
    row: int  # the line in the file (the header is line 1), as an editor shows it
    field: str
    value: str
    reason: str


@dataclass
class Registry:
    rows: pa.Table  # npi, certification, reg_product, reg_start, reg_end: the usable rows
    problems: list[RegistryProblem] = field(default_factory=list)

    def problem_table(self) -> pa.Table:
        """The rows that could not be used, in the shape of rejected extract rows (ingest.screen)."""
        problems = self.problems
        return claimless_problems(
            [p.row - 1 for p in problems],  # a data row is its line minus the header line, as for extracts
            [p.field for p in problems],
            [p.value for p in problems],
            [p.reason for p in problems],
        )


def load_facilities(path: str, ref: Reference) -> Registry:
    """The facility registry for ST002: npi, certification, optional product and dates."""
    text = _registry_text(path)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
        for column in ("npi", "certification"):
            if column not in header:
                raise UsageError(
                    "facility registry needs the columns npi and certification (optional: product, effective_from, effective_to)",
                    file=path,
                    line=1,
                    column=column,
                )
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise UsageError(f"facility registry is not CSV ({str(exc)[:80]})", file=path) from None
    names = {p.brand.lower(): pid for pid, p in ref.products.items()} | {pid: pid for pid in ref.products}
    records: dict[str, list[Any]] = {"npi": [], "certification": [], "reg_product": [], "reg_start": [], "reg_end": []}
    problems: list[RegistryProblem] = []
    for number, row in rows:
        get = lambda key, row=row: (row.get(header.get(key, ""), "") or "").strip()  # noqa: E731
        problem = _row_problem(get, names, number)
        if problem is not None:
            problems.append(problem)
            continue
        records["npi"].append(get("npi"))
        records["certification"].append(get("certification").upper())
        records["reg_product"].append(names.get(get("product").lower(), ""))
        records["reg_start"].append(get("effective_from"))
        records["reg_end"].append(get("effective_to"))
    columns = {name: pa.array(values, pa.string()) for name, values in records.items()}
    for name in ("reg_start", "reg_end"):
        columns[name] = parse_dates(columns[name])
    return Registry(pa.table(columns), problems)


def _registry_text(path: str) -> str:
    """The registry's text, read with a bound: /dev/zero or a 10 GB file given by mistake stops at once."""
    data = read_bounded(path, MAX_REGISTRY_BYTES, "facility registry")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError("facility registry is not UTF-8 text", file=path) from None


def _row_problem(get, names: dict[str, str], number: int) -> RegistryProblem | None:  # type: ignore[no-untyped-def]
    if not NPI.fullmatch(get("npi")):
        return RegistryProblem(number, "npi", get("npi"), "is not a 10-digit NPI")
    if get("certification").upper() not in FACILITY_CERTIFICATIONS:
        return RegistryProblem(number, "certification", get("certification"), "is not one of QTC, REMS, HTC")
    if get("product") and get("product").lower() not in names:
        return RegistryProblem(number, "product", get("product"), "is not a CGT product of the reference tables")
    window = {}
    for column in ("effective_from", "effective_to"):
        if get(column):
            window[column] = _date(get(column))
            if window[column] is None:
                return RegistryProblem(number, column, get(column), "is not a date")
    if len(window) == 2 and window["effective_to"] < window["effective_from"]:
        return RegistryProblem(
            number, "effective_to", get("effective_to"), f"ends before the row starts ({get('effective_from')})"
        )
    return None


def _date(text: str) -> Any:
    return parse_dates(pa.array([text], pa.string()))[0].as_py()
