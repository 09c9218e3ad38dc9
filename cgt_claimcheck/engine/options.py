"""What a check run is asked to do, grouped by the stage that reads each option.

`CheckOptions` is the one object callers build (the CLI from its settings, tests directly); the
stages read only their group: intake the reading and scope options, the run the rule options,
findings the report options.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cgt_claimcheck.report import MAX_REPEATS
from cgt_claimcheck.severity import Severity


@dataclass
class CheckOptions:
    # intake: how to read the extracts, and which payer profile a row belongs to
    column_map: dict[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    encoding: str = "utf-8"
    batch_rows: int = 250_000
    date_format: str | None = None  # a strptime pattern for dates in another layout
    payer: str | None = None  # profile for rows without a payer value
    payer_aliases: dict[str, str] = field(default_factory=dict)  # value in the extract -> profile or "skip"
    unknown_payer: str = "out-of-scope"  # or "error": a payer value that maps to no profile is rejected
    history: list[str] = field(default_factory=list)
    progress: Callable[[str, int], None] | None = None  # (file, rows read so far)
    # Processes that read and screen files side by side (engine/parallel_reads.py); None: the
    # cores, for files big enough to pay for a worker.
    jobs: int | None = 1
    # Where the files are read: None is this machine (engine/parallel_reads.read_files); the Dask
    # extra (cluster.py) passes a function that reads them as tasks of a cluster, in file order.
    read_files: Callable[..., Iterator[Any]] | None = None
    # run: which rules, with what resources
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    repeat_window_days: int | None = None
    facilities: str | None = None
    # findings: how they are written
    severity_overrides: dict[str, Severity] = field(default_factory=dict)
    redact: bool = False
    max_repeats: int = MAX_REPEATS  # findings listed per cause and file (0: no limit); counts stay true

    def reading(self) -> dict[str, Any]:
        """What ingest.scan.open_input takes from these options."""
        return {
            "payer": self.payer,
            "column_map": self.column_map,
            "delimiter": self.delimiter,
            "encoding": self.encoding,
            "batch_rows": self.batch_rows,
            "max_repeats": self.max_repeats,
        }
