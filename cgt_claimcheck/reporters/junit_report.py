"""JUnit XML: one test case per claim, one failure per error finding (what CI servers show)."""

from __future__ import annotations

import re
from typing import TextIO
from xml.etree import ElementTree as ET

from cgt_claimcheck.report import FindingRecord as Finding
from cgt_claimcheck.report import Report
from cgt_claimcheck.severity import Severity

# Characters XML 1.0 does not allow at all (escaping cannot help): a CI server drops a report
# holding one, so they are written as visible \xNN escapes.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}" if ord(match.group()) < 0x100 else f"\\u{ord(match.group()):04x}"


def _case_name(finding: Finding) -> str:
    return f"claim {finding.claim_id}" if finding.claim_id else f"{finding.file} row {finding.row}"


def render(report: Report, stream: TextIO) -> None:
    systemic, rest = report.findings.split_systemic()  # one test case per cause, not per row
    cases: dict[str, list[Finding]] = {}
    for finding in rest:
        cases.setdefault(_case_name(finding), []).append(finding)
    failures = sum(1 for f in rest if f.severity is Severity.ERROR)
    failures += sum(g.count for g in systemic if g.severity == Severity.ERROR.value)
    total = len(cases) + len(systemic)
    suites = ET.Element("testsuites", name="cgt-claimcheck", tests=str(max(total, 1)), failures=str(failures))
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="cgt-claimcheck",
        tests=str(max(total, 1)),
        failures=str(failures),
        errors="0",
        skipped="0",
    )
    ET.SubElement(suite, "properties").extend(
        [
            ET.Element("property", name="reference", value=report.reference.version),
            ET.Element("property", name="rows_read", value=str(report.summary.rows_read)),
            ET.Element("property", name="rows_rejected", value=str(report.summary.rows_rejected)),
            ET.Element("property", name="rows_out_of_scope", value=str(report.summary.rows_out_of_scope)),
        ]
    )
    for g in systemic:
        case = ET.SubElement(suite, "testcase", classname=g.file, name=f"{g.field}: {g.count:,} rows, {g.rule}")
        lines = ", ".join(f"{row + 1} ({value!r})" for row, value in g.examples)
        text = f"[{g.rule} {g.name}] {g.count:,} findings with one cause; first on lines {lines}: {g.message}. Fix: {g.hint}"
        if g.severity == Severity.ERROR.value:
            ET.SubElement(case, "failure", type=g.rule, message=f"{g.rule} x{g.count:,} {g.message}").text = text
        else:
            ET.SubElement(case, "system-out").text = f"{g.severity}: {text}"
    if not cases and not systemic:
        ET.SubElement(
            suite, "testcase", classname="cgt-claimcheck", name=f"{report.summary.rows_read} rows, no findings"
        )
    for name, findings in cases.items():
        case = ET.SubElement(suite, "testcase", classname=findings[0].file, name=name)
        notes = []
        for f in findings:
            line = f"[{f.rule} {f.name}] line {f.line_number or '-'} (row {f.row}) {f.field}={f.value!r}: {f.message}. Fix: {f.hint}"
            if f.severity is Severity.ERROR:
                failure = ET.SubElement(case, "failure", type=f.rule, message=f"{f.rule} {f.message}")
                failure.text = f"{line}\nPolicy: {f.policy}\nDenial: CARC {f.carc or '-'} RARC {f.rarc or '-'}"
            else:
                notes.append(f"{f.severity.value}: {line}")
        if notes:
            ET.SubElement(case, "system-out").text = "\n".join(notes)
    ET.indent(suites)
    stream.write(_NOT_XML.sub(_xml_text, ET.tostring(suites, encoding="unicode", xml_declaration=True)))
    stream.write("\n")
