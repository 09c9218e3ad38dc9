"""JUnit XML: one test case per claim; a claim fails once, listing every finding at or above --fail-on.

The failures are exactly the findings that set the exit code (`Report.fails`), so a CI server's
test view and the pipeline's status always agree. Findings below the threshold are the test
case's system-out.
"""

from __future__ import annotations

import re
from typing import TextIO
from xml.etree import ElementTree as ET

from cgt_claimcheck.report import FindingRecord as Finding
from cgt_claimcheck.report import Report, counted

# Characters XML 1.0 does not allow at all (escaping cannot help): a CI server drops a report
# holding one, so they are written as visible \xNN escapes.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}" if ord(match.group()) < 0x100 else f"\\u{ord(match.group()):04x}"


def _case_name(finding: Finding) -> str:
    if finding.claim_id:
        return f"claim {finding.claim_id}"
    return f"{finding.file} row {finding.row}" if finding.row else f"{finding.file} (the file)"


def _line(f: Finding) -> str:
    return (
        f"[{f.rule} {f.name}] {f.severity.value} line {f.line_number or '-'} ({f.location or f'row {f.row}'}) "
        f"{f.field}={f.value!r}: {f.message}. Fix: {f.hint}"
    )


def render(report: Report, stream: TextIO) -> None:
    systemic, rest = report.findings.split_systemic()  # one test case per cause, not per row
    cases: dict[str, list[Finding]] = {}
    for finding in rest:
        cases.setdefault(_case_name(finding), []).append(finding)
    failing_cases = sum(1 for findings in cases.values() if any(report.severity_fails(f.severity) for f in findings))
    failures = failing_cases + sum(1 for g in systemic if report.severity_fails(g.severity))
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
        if report.severity_fails(g.severity):
            ET.SubElement(case, "failure", type=g.rule, message=f"{g.rule} x{g.count:,} {g.message}").text = text
        else:
            ET.SubElement(case, "system-out").text = f"{g.severity}: {text}"
    if not cases and not systemic:
        ET.SubElement(
            suite, "testcase", classname="cgt-claimcheck", name=f"{report.summary.rows_read} rows, no findings"
        )
    for name, findings in cases.items():
        case = ET.SubElement(suite, "testcase", classname=findings[0].file, name=name)
        failing = [f for f in findings if report.severity_fails(f.severity)]
        if failing:
            rules = ", ".join(dict.fromkeys(f.rule for f in failing))
            failure = ET.SubElement(
                case,
                "failure",
                type=rules,
                message=f"{counted(len(failing), 'finding')} at or above {report.fail_on}: {rules}",
            )
            failure.text = "\n\n".join(
                f"{_line(f)}\nPolicy: {f.policy}\nDenial: CARC {f.carc or '-'} RARC {f.rarc or '-'}" for f in failing
            )
        notes = [f"{f.severity.value}: {_line(f)}" for f in findings if not report.severity_fails(f.severity)]
        if notes:
            ET.SubElement(case, "system-out").text = "\n".join(notes)
    ET.indent(suites)
    stream.write(_NOT_XML.sub(_xml_text, ET.tostring(suites, encoding="unicode", xml_declaration=True)))
    stream.write("\n")
