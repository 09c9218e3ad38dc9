"""What the intake found wrong with the inputs themselves, as problem tables: what the input rules
(IN001, IN005, IN006, XE001-XE006) read instead of claim lines.

Each table is ingest.screen's PROBLEM_SCHEMA plus `_file_index` (and for X12 problems the
location); the index points into `files` (the inputs) or, for the rows of --history files and
the facility registry, into `context_files` (the inputs, then the history files, then the
registry).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rules import this module, and `lookup` must not load pyarrow
    import pyarrow as pa


@dataclass
class ProblemSet:
    """The problems one input rule reports, and the names their file indices point to."""

    tables: list[pa.Table]
    files: list[str]


@dataclass
class InputProblems:
    files: list[str]  # the inputs, by index
    rejected_rows: list[pa.Table] = field(default_factory=list)  # rows that could not be read or used
    empty_files: list[pa.Table] = field(default_factory=list)  # inputs that gave no rows
    context_rows: list[pa.Table] = field(default_factory=list)  # history and registry rows left out
    context_files: list[str] = field(default_factory=list)
    x12: dict[str, list[pa.Table]] = field(default_factory=dict)  # by XE rule code: what the reader found

    def of_inputs(self, tables: list[pa.Table]) -> ProblemSet:
        return ProblemSet(tables, self.files)

    def x12_found(self, code: str) -> ProblemSet:
        return ProblemSet(self.x12.get(code, []), self.files)
