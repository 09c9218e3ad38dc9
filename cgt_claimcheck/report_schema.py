"""The JSON report's schema as pydantic models: what JSON consumers read.

Not used on the check path (findings stay columnar, see `report.py`): tests validate every JSON
report against these models, and `Report.model_json_schema()` is the published schema.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from cgt_claimcheck.severity import Severity

__all__ = ["Finding", "Report", "Severity"]

from cgt_claimcheck.report import SCHEMA_VERSION


class Finding(BaseModel):
    """One problem on one claim line, with everything a clerk needs to fix it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    name: str
    severity: Severity
    payer: str | None
    claim_id: str | None
    line_number: str | None
    file: str
    row: int = Field(description="1-based data row in its file; the header is not counted")
    field: str
    value: str
    message: str
    hint: str
    policy: str
    carc: str | None
    rarc: str | None


class InputSummary(BaseModel):
    path: str
    rows_read: int = 0
    rows_checked: int = 0
    rows_rejected: int = 0


class FindingCounts(BaseModel):
    error: int = 0
    warning: int = 0
    info: int = 0


class Summary(BaseModel):
    rows_read: int
    rows_checked: int
    rows_rejected: int
    claims: int
    cgt_claims: int
    findings: FindingCounts


class NotChecked(BaseModel):
    rule: str
    reason: str


class ToolInfo(BaseModel):
    name: str
    version: str


class ReferenceInfo(BaseModel):
    version: str
    path: str


class Report(BaseModel):
    schema_version: str = SCHEMA_VERSION
    tool: ToolInfo
    reference: ReferenceInfo
    inputs: list[InputSummary]
    summary: Summary
    findings: list[Finding]
    not_checked: list[NotChecked]

    model_config = ConfigDict(extra="forbid")
