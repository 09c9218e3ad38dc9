"""Baselines: accept the findings a pipeline already knows, and see only new ones.

`--write-baseline FILE` records this run's findings; `--baseline FILE` suppresses the findings
it records and says how many were suppressed and which of its entries no longer occur. A
finding's fingerprint is its rule, claim, claim line, field and value: not the file name or the
row number, so it survives reordered rows, another day's file name and unrelated edits. The file
is plain JSON, one entry per finding with its message and an optional `reason` an auditor fills
in to say why the finding is accepted. Findings under `--redact` are fingerprinted as redacted:
use the same setting for writing and reading a baseline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.printable import excerpt
from cgt_claimcheck.report import BaselineInfo, Findings, Report, StaleEntry

FORMAT = "cgt-claimcheck-baseline/1"


def write_baseline(report: Report, stream: TextIO) -> None:
    entries = []
    seen: set[str] = set()
    for print_, f in zip(report.findings.fingerprints(), report.findings, strict=True):
        if print_ in seen:  # the same finding twice (two files): one entry
            continue
        seen.add(print_)
        entries.append(
            {
                "fingerprint": print_,
                "rule": f.rule,
                "claim_id": f.claim_id,
                "line_number": f.line_number,
                "field": f.field,
                "value": f.value,
                "message": f.message,
                "reason": "",
            }
        )
    document = {"format": FORMAT, "created": date.today().isoformat(), "findings": entries}
    stream.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


@dataclass
class Baseline:
    path: str
    entries: dict[str, dict[str, Any]]


def load_baseline(path: Path) -> Baseline:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"baseline cannot be read ({exc.strerror})", file=str(path)) from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise UsageError(f"baseline is not JSON ({excerpt(exc, 80)})", file=str(path)) from None
    if (
        not isinstance(document, dict)
        or document.get("format") != FORMAT
        or not isinstance(document.get("findings"), list)
    ):
        raise UsageError(f"not a baseline (expected format {FORMAT!r} and a findings list)", file=str(path))
    entries = {}
    for number, entry in enumerate(document["findings"], start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise UsageError(f"finding {number} has no fingerprint", file=str(path))
        entries[entry["fingerprint"]] = entry
    return Baseline(str(path), entries)


def apply_baseline(report: Report, baseline: Baseline) -> None:
    """Drop the findings the baseline records; count them and list the entries not seen (in place)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    prints = list(report.findings.fingerprints())
    known = pa.array([p in baseline.entries for p in prints], pa.bool_())
    kept = report.findings.table.filter(pc.invert(known)) if len(prints) else report.findings.table
    report.findings = Findings(kept)
    report.recount()
    seen = set(prints)
    stale = [print_ for print_ in baseline.entries if print_ not in seen]
    described = [
        StaleEntry(
            fingerprint=print_,
            **{key: _text(baseline.entries[print_].get(key)) for key in ("rule", "claim_id", "line_number", "field")},
            value=_text(baseline.entries[print_].get("value")),
        )
        for print_ in stale
    ]
    report.baseline = BaselineInfo(
        path=baseline.path,
        suppressed=len(prints) - report.findings.table.num_rows,
        stale=stale,
        stale_entries=described,
    )


def _text(value: Any) -> str | None:
    """A value of a hand-edited baseline entry, as text (None when absent)."""
    return None if value is None else excerpt(value, 200)
