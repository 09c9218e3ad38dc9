"""The parity harness while the engine moves from pandas to Arrow (issue 24).

Under `rule_engine="parity"` (the test suite's setting) every check runs both engines on the same
intake: the pandas lines (normalise, derive) and the Arrow ones, each rule's pandas check and its
Arrow check, the findings texts of each, the claim headers of each. Everything must be identical:
the lines column by column (as text), every finding column, every header, what each rule could
not judge. A difference is an error naming what differs. This module goes with the pandas engine.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa

from cgt_claimcheck.ingest.columns import LINE_COLUMNS
from cgt_claimcheck.rules.lines import Lines

COMPARED = ("severity", "claim_id", "line_number", "row", "field", "value", "message", "hint", "policy", "carc", "rarc")


class ParityError(AssertionError):
    """The Arrow engine found something else than the pandas engine."""


def same_lines(new: Lines | None, old: pd.DataFrame | None) -> None:
    if new is None or old is None:
        if (new is None) != (old is None or not len(old)):
            raise ParityError(
                f"lines: arrow {'none' if new is None else len(new)}, pandas {'none' if old is None else len(old)}"
            )
        return
    previous = Lines(pa.Table.from_pandas(old, preserve_index=False))
    if len(previous) != len(new):
        raise ParityError(f"lines: {len(new)} with arrow, {len(previous)} with pandas")
    for name in sorted(LINE_COLUMNS):
        if name not in old.columns:
            continue
        a, b = new.text(name), previous.text(name)
        differs = (a != b).nonzero()[0]
        if len(differs):
            i = int(differs[0])
            raise ParityError(f"lines column {name}, line {i}: arrow {a[i]!r}, pandas {b[i]!r}")


def _rows(table: pa.Table | None, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    if table is None:
        return []
    values = [table.column(name).to_pylist() for name in columns]
    return list(zip(*values, strict=True))


def same_findings(code: str, new: pa.Table | None, old: pa.Table | None) -> None:
    a, b = _rows(new, COMPARED), _rows(old, COMPARED)
    if a != b:
        raise ParityError(f"{code}: {_first_difference(b, a, COMPARED)}")


def same_headers(new: pa.Table, old: pa.Table) -> None:
    """Billed amounts agree to a millionth of a cent: the Arrow engine adds them exactly
    (math.fsum), pandas with a compensated sum."""
    columns = tuple(new.column_names)
    billed = columns.index("billed")

    def rounded(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [r[:billed] + (None if r[billed] is None else round(r[billed], 8),) + r[billed + 1 :] for r in rows]

    a, b = rounded(_rows(new, columns)), rounded(_rows(old.select(list(columns)), columns))
    if a != b:
        raise ParityError(f"claim headers: {_first_difference(b, a, columns)}")


def same_judgements(new: dict[str, list[str]], old: dict[str, list[str]]) -> None:
    if new != old:
        raise ParityError(f"not judged differs: arrow {new}, pandas {old}")


def _first_difference(old: list[tuple[Any, ...]], new: list[tuple[Any, ...]], columns: tuple[str, ...]) -> str:
    if len(old) != len(new):
        only_old = [r for r in old if r not in set(new)][:3]
        only_new = [r for r in new if r not in set(old)][:3]
        return f"{len(old)} with pandas, {len(new)} with arrow; pandas only {only_old}; arrow only {only_new}"
    for a, b in zip(old, new, strict=True):
        if a != b:
            diff = {name: (x, y) for name, x, y in zip(columns, a, b, strict=True) if x != y}
            return f"(pandas, arrow) {diff}"
    return "same rows in another order"
