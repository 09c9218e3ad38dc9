"""The JSON report's schema as pydantic models: what JSON consumers read.

Not used on the check path (findings stay columnar, see `report.py`). Derived from report.py's
declarations, so the shape is written once: tests validate every JSON report against
`Report`, and `Report.model_json_schema()` is the published schema.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

from cgt_claimcheck.report import (
    SCHEMA_VERSION,
    BaselineInfo,
    FindingRecord,
    InputError,
    InputSummary,
    NotChecked,
    ReferenceInfo,
    RunInfo,
    Summary,
    ToolInfo,
)
from cgt_claimcheck.severity import Severity

__all__ = ["Finding", "Report", "Severity"]

# One problem on one claim line, with everything a clerk needs to fix it.
_FINDING_FIELDS: dict[str, Any] = {name: (kind, ...) for name, kind in typing.get_type_hints(FindingRecord).items()}
Finding = create_model("Finding", __config__=ConfigDict(frozen=True, extra="forbid"), **_FINDING_FIELDS)


class Report(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: str = SCHEMA_VERSION
    tool: ToolInfo
    run: RunInfo | None = None  # written by the command line
    reference: ReferenceInfo
    inputs: list[InputSummary]
    summary: Summary
    errors: list[InputError] = []
    baseline: BaselineInfo | None = None  # with --baseline only
    findings: list[Finding]  # type: ignore[valid-type]
    not_checked: list[NotChecked]
