"""The kept claim lines as the Arrow checks read them, and the hits they return.

A check takes `Lines` (the lines contract of `ingest.columns` as one Arrow table) and returns
`Hits` (made with `lines.hits(mask, **details)`): the positions of the lines it flags and, for
those lines only, the detail values its templates name. It works with numpy on codes factorized
once per run: a column of 100k lines holds a few hundred distinct values, so membership,
mappings and text are decided per distinct value and spread back with one `take`. Nothing here
loops over lines in Python.

Rule modules import this module only for type checking (numpy and pyarrow stay off the import
path of `lookup` and `rules`); a check imports numpy inside. Nulls are explicit: `coded` gives -1
to a null, `isin` and `eq` are False on it, `numbers` and `days` give NaN and NaT (which compare
False), `text` gives ''.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FEW_VALUES = 4096  # a column with more distinct values is turned into text only where asked


class Coded:
    """A column factorized: one int32 code per line (-1 for null) and the distinct values, as
    Arrow; as Python values only when asked (`values`): a column of ids or amounts has about one
    distinct value a line, and as Python strings they took 1-4 MB a column."""

    __slots__ = ("codes", "distinct", "_values")

    def __init__(self, codes: np.ndarray, distinct: pa.Array) -> None:
        self.codes = codes
        self.distinct = distinct
        self._values: list[Any] | None = None

    @property
    def count(self) -> int:
        """How many distinct values (a null not among them)."""
        return len(self.distinct)

    @property
    def values(self) -> list[Any]:
        if self._values is None:
            self._values = self.distinct.to_pylist()
        return self._values

    def spread(self, per_value: Iterable[Any], missing: Any = None, dtype: Any = object) -> np.ndarray:
        """Scalar values computed once per distinct value, given back per line (`missing` for a null)."""
        table = np.array([*per_value, missing], dtype=dtype)
        return table[self.codes]  # code -1 takes the trailing `missing`


class Lines:
    """The kept lines: one Arrow table, with cached numpy views and factorized codes."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.n = table.num_rows
        self._cache: dict[tuple[str, str], Any] = {}

    def __len__(self) -> int:
        return self.n

    def forget(self) -> None:
        """Drop every cached view (some 8 bytes a line each): after the last rule, when only the
        table is read again."""
        self._cache.clear()

    def _memo(self, kind: str, name: str, make: Callable[[], Any]) -> Any:
        key = (kind, name)
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def array(self, name: str) -> pa.Array:
        def make() -> pa.Array:
            column = self.table.column(name)
            return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()  # no copy of one chunk

        return self._memo("array", name, make)

    def coded(self, name: str) -> Coded:
        def make() -> Coded:
            encoded = pc.dictionary_encode(self.array(name))
            codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
            return Coded(codes, encoded.dictionary)

        return self._memo("coded", name, make)

    def numbers(self, name: str) -> np.ndarray:
        """A numeric column as float64, NaN where null."""
        return self._memo("numbers", name, lambda: self.array(name).cast(pa.float64()).to_numpy(zero_copy_only=False))

    def integers(self, name: str) -> np.ndarray:
        """An integer column without nulls (`_row`, `_seq`) as int64: exact, where float64 would
        round `_seq` (file index << 40) past 8,192 files."""
        return self._memo("integers", name, lambda: self.array(name).to_numpy(zero_copy_only=False).astype(np.int64))

    def flags(self, name: str) -> np.ndarray:
        """A boolean column, a null taken as False."""
        return self._memo("flags", name, lambda: self.array(name).fill_null(False).to_numpy(zero_copy_only=False))

    def is_null(self, name: str) -> np.ndarray:
        return self._memo("is_null", name, lambda: self.array(name).is_null().to_numpy(zero_copy_only=False))

    def days(self, name: str) -> np.ndarray:
        """A date column as numpy datetime64[s], NaT where null."""
        return self._memo("days", name, lambda: self.array(name).to_numpy(zero_copy_only=False).astype("M8[s]"))

    def within(self, name: str, start: date | None, end: date | None) -> np.ndarray:
        """A date column inside [start, end], a missing bound open (NaT is inside only when both are)."""
        days = self.days(name)
        inside = np.ones(self.n, bool) if start is None else days >= np.datetime64(start, "s")
        return inside if end is None else inside & (days <= np.datetime64(end, "s"))

    def text(self, name: str) -> np.ndarray:
        """A column as Python strings per line, '' where null (dates as YYYY-MM-DD)."""
        # Not kept: a gather of 8 bytes a line, where keeping it would hold them for the whole run.
        return self._shown(name)[self.coded(name).codes]

    def text_at(self, name: str, rows: np.ndarray) -> np.ndarray:
        """lines.text(name)[rows], gathered for those lines only."""
        coded = self.coded(name)
        codes = coded.codes[rows]
        if coded.count <= FEW_VALUES or ("shown", name) in self._cache:
            return self._shown(name)[codes]
        # Ids, amounts, dates of birth: only the values these lines hold become Python strings.
        used, position = np.unique(codes, return_inverse=True)
        known = used[used >= 0]
        texts = self._as_text(name, coded.distinct.take(pa.array(known, pa.int32())).to_pylist())
        position = position.reshape(-1) - (len(used) - len(known))  # a null (code -1) sorts first: now -1
        return np.array([*texts, ""], dtype=object)[position]

    def present(self, name: str) -> np.ndarray:
        """Per line: a value is given (neither null nor '')."""
        array = self.array(name)
        if self._is_text(name):
            array = pc.not_equal(array, "")
        else:
            array = array.is_valid()
        return array.fill_null(False).to_numpy(zero_copy_only=False)

    def _is_text(self, name: str) -> bool:
        """A text column, plain or a dictionary of text (the few-valued derived ones, `_file`)."""
        kind = self.table.schema.field(name).type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        return pa.types.is_string(kind) or pa.types.is_large_string(kind)

    def _shown(self, name: str) -> np.ndarray:
        """Each distinct value of a column as text, then '' (for a null): the rows share its string."""
        return self._memo(
            "shown", name, lambda: np.array([*self._as_text(name, self.coded(name).values), ""], dtype=object)
        )

    def _as_text(self, name: str, values: list[Any]) -> list[Any]:
        return values if self._is_text(name) else [shown(v) for v in values]

    def per_value(self, name: str, fn: Callable[[Any], Any], missing: Any = None, dtype: Any = object) -> np.ndarray:
        """fn of each distinct value of a column, per line (`missing` where null)."""
        coded = self.coded(name)
        return coded.spread((fn(v) for v in coded.values), missing, dtype)

    def isin(self, name: str, values: Iterable[Any]) -> np.ndarray:
        wanted = set(values)
        return self.per_value(name, lambda v: v in wanted, missing=False, dtype=bool)

    def eq(self, name: str, value: Any) -> np.ndarray:
        return self.isin(name, (value,))

    def lookup(self, name: str, mapping: Mapping[Any, Any], missing: Any = None) -> np.ndarray:
        """mapping[value] per line; `missing` where the value is null or not in the mapping."""
        return self.per_value(name, lambda v: mapping.get(v, missing), missing)

    def has_token(self, name: str, codes: Iterable[str]) -> np.ndarray:
        """Does a ';'-joined code list hold one of the codes?"""
        wanted = frozenset(codes)
        return self.per_value(name, lambda v: not wanted.isdisjoint(v.split(";")), missing=False, dtype=bool)

    def tokens(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A ';'-joined code list exploded: (line position, code) pairs in line order, each
        distinct list split once."""

        def make() -> tuple[np.ndarray, np.ndarray]:
            coded = self.coded(name)
            split = [[t for t in (v or "").split(";") if t] for v in coded.values]
            counts = np.array([len(t) for t in split] + [0], dtype=np.int64)
            starts = np.concatenate([[0], np.cumsum(counts)])
            flat = np.array([t for ts in split for t in ts], dtype=object)
            per_line = counts[coded.codes]
            line = np.repeat(np.arange(self.n), per_line)
            offset = np.arange(len(line)) - np.repeat(np.cumsum(per_line) - per_line, per_line)
            return line, flat[starts[coded.codes][line] + offset] if len(line) else flat[:0]

        return self._memo("tokens", name, make)

    # --- groups: a claim, a member -------------------------------------------------------------
    def groups(self, name: str) -> np.ndarray:
        return self.coded(name).codes

    def group_any(self, mask: np.ndarray, by: str) -> np.ndarray:
        """True on every line whose group (claim_id, member_id...) has a line with the mask."""
        groups = self.groups(by)
        seen = np.zeros(self.coded(by).count + 1, dtype=bool)
        seen[groups[mask]] = True
        return seen[groups]

    def claim_any(self, mask: np.ndarray) -> np.ndarray:
        return self.group_any(mask, "claim_id")

    def claim_order(self) -> np.ndarray:
        """Line positions sorted by claim, then line number (numbers first, in numeric order;
        others after), then input order: a claim's "first line" whatever the row order."""

        def make() -> np.ndarray:
            from cgt_claimcheck.value_parsers import line_number_value

            number = self.per_value("line_number", line_number_value, missing=np.nan, dtype=np.float64)
            return np.lexsort((self.integers("_seq"), number, self.groups("claim_id")))

        return self._memo("claim_order", "", make)

    def first_of_claim(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Per line, the position of the first line of its claim among the masked lines (the
        lowest-numbered, then the first in the input); -1 where the claim has no masked line."""
        order = self.claim_order()
        if mask is not None:
            order = order[mask[order]]
        claim = self.groups("claim_id")
        first = np.full(self.coded("claim_id").count + 1, -1, dtype=np.int64)
        first[claim[order[::-1]]] = order[::-1]  # the last write of each claim is its first in order
        return first[claim]

    def is_first_of_claim(self, mask: np.ndarray) -> np.ndarray:
        """True on the first masked line of each claim (the lowest-numbered, then the first in the input)."""
        return mask & (self.first_of_claim(mask) == np.arange(self.n))

    # --- what a check returns ------------------------------------------------------------------
    def hits(self, mask: np.ndarray, **details: Any) -> Hits:
        """Hits on the lines where mask is True; a detail given per line is taken at those lines."""
        rows = np.flatnonzero(mask)
        taken = {
            name: value[rows] if isinstance(value, np.ndarray) and len(value) == self.n else value
            for name, value in details.items()
        }
        return Hits(rows, taken)

    @staticmethod
    def where(mask: np.ndarray, text: str | None, otherwise: str | None = "") -> np.ndarray:
        """A text column: `text` where mask, else `otherwise` (None: no value)."""
        return np.array([otherwise, text], dtype=object)[mask.astype(np.intp)]  # a gather: no fill, then set


def shown(value: Any) -> str:
    """A value as a finding shows it: dates as YYYY-MM-DD, whole floats without '.0'."""
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value)


@dataclass
class Hits:
    """What a check flags: line positions (ascending) and, per flagged line, its detail values.

    A detail is an array aligned to `rows` (or a single value for every hit). Details the engine
    reads besides template values: `field`, `value`, `severity`, `carc`, `rarc` ('' or None
    keeps the rule's own).
    """

    rows: np.ndarray
    details: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)
