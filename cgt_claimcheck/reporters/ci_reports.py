"""Formats CI systems read: `gitlab` (Code Quality report) and `sarif` (SARIF 2.1.0, for code
scanning). Both locate each finding by file and line (the data row plus the header line) and
carry a fingerprint that survives reordered rows (`baseline.fingerprint`); both are written a
batch of findings at a time, so a million findings never sit in memory as objects.
"""

from __future__ import annotations

import json
from typing import Any, TextIO
from urllib.parse import quote

from cgt_claimcheck.report import FindingRecord, Report, editor_line, file_byte, place_of

GITLAB_SEVERITY = {"error": "critical", "warning": "minor", "info": "info"}
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _records(report: Report):  # type: ignore[no-untyped-def]
    """(finding, fingerprint) pairs, a batch at a time."""
    return zip(report.findings, report.findings.fingerprints(), strict=True)


def render_gitlab(report: Report, stream: TextIO) -> None:
    stream.write("[")
    for index, (f, print_) in enumerate(_records(report)):
        issue = {
            "description": f"{f.rule} {f.message}{place_of(f)}",
            "check_name": f"{f.rule} {f.name}",
            "fingerprint": f"{print_}-{f.file}",
            "severity": GITLAB_SEVERITY[f.severity.value],
            "location": {"path": f.file, "lines": {"begin": editor_line(f)}},
        }
        stream.write(("," if index else "") + "\n  " + json.dumps(issue, ensure_ascii=False))
    stream.write("\n]\n")


def _rules(report: Report) -> list[dict[str, Any]]:
    """One SARIF rule per rule code found, with its name, policy (help) and default level."""
    rules: dict[str, dict[str, Any]] = {}
    for f in report.findings:
        if f.rule not in rules:
            rules[f.rule] = {
                "id": f.rule,
                "name": f.name,
                "shortDescription": {"text": f.name.replace("-", " ")},
                "help": {"text": f"{f.policy} Fix: {f.hint}"},
                "defaultConfiguration": {"level": SARIF_LEVEL[f.severity.value]},
            }
    return [rules[code] for code in sorted(rules)]


def _uri(path: str) -> str:
    """A file name as the URI reference SARIF requires (spaces, '#', '%'... percent-encoded)."""
    return quote(path.replace("\\", "/"), safe="/:")


def render_sarif(report: Report, stream: TextIO) -> None:
    rules = _rules(report)
    index_of = {rule["id"]: i for i, rule in enumerate(rules)}
    driver = {"name": "cgt-claimcheck", "version": report.tool.version, "rules": rules}
    head = {"$schema": SARIF_SCHEMA, "version": "2.1.0"}
    text = json.dumps(head, indent=2)[:-2]
    stream.write(text + ',\n  "runs": [\n    {\n      "tool": {"driver": ' + json.dumps(driver, ensure_ascii=False))
    stream.write('},\n      "results": [')
    for index, (f, print_) in enumerate(_records(report)):
        result = {
            "ruleId": f.rule,
            "ruleIndex": index_of[f.rule],
            "level": SARIF_LEVEL[f.severity.value],
            "message": {"text": f"{f.message}{place_of(f)}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.file)},
                        "region": _region(f),
                    }
                }
            ],
            "partialFingerprints": {"cgtClaimcheck/v1": print_},
        }
        stream.write(("," if index else "") + "\n        " + json.dumps(result, ensure_ascii=False))
    stream.write("\n      ]\n    }\n  ]\n}\n")


def _region(f: FindingRecord) -> dict[str, int]:
    """The finding's line; on an X12 file written as one line, also the segment's column and byte
    (X12 is ASCII: a byte is a character)."""
    region = {"startLine": editor_line(f)}
    byte = file_byte(f)
    if byte is not None:
        region.update(startColumn=byte + 1, byteOffset=byte)
    return region
