"""The abuse corpus: extracts a hostile or unlucky user feeds the checker, and the invariants every
run must keep whatever the input.

`cases()` writes the corpus (small enough for every CI run); `large_cases()` adds the expensive
ones (huge fields, a million-line file with one stray quote), run by hand with
`python benchmarks/abuse_large.py`. `check_invariants` runs one case in one format and asserts:

- an allowed exit code (0, 1 or 2), no traceback, no "internal error";
- the inputs are byte-identical afterwards;
- per input, rows read = checked + rejected + out of scope, and every non-blank data line is read;
- no planted member identifier anywhere in the output or on stderr under --redact;
- the output is well-formed JSON / JSONL / CSV / JUnit XML.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

HEADER = (
    "claim_id,line_number,claim_type,payer,member_id,service_date,procedure_code,units,ndc,prior_auth,"
    "diagnosis_codes,member_dob,patient_name,charge"
)
SECRET_ID, SECRET_DOB, SECRET_NAME = "MBRPLANT42", "1958-11-23", "QUILLONPLANT"
SECRETS = (SECRET_ID, SECRET_DOB, SECRET_NAME)
FORMATS = ("json", "jsonl", "csv", "junit", "rich", "concise", "github", "gitlab", "sarif", "html")
# The only elements the HTML report writes: anything else came from an input, unescaped.
HTML_TAGS = frozenset(
    "html head meta title style body header h1 h2 p section div span ul li form label select option input "
    "button table thead tbody tr th td strong script nav a noscript".split()
)


def good_row(i: int, *, code: str = "J3392", date: str = "2025-03-01", units: str = "1", charge: str = "") -> str:
    ndc = "51167-0290-01" if code == "J3392" else ""
    return f"C{i},1,837P,wnc,{SECRET_ID},{date},{code},{units},{ndc},PA{i},D57.1,{SECRET_DOB},{SECRET_NAME},{charge}"


def extract(rows: list[str], *, header: str = HEADER, end: str = "\n") -> bytes:
    return (end.join([header, *rows]) + end).encode("utf-8")


@dataclass
class Case:
    name: str
    data: bytes
    args: tuple[str, ...] = ()
    # Data lines the reader must account for, when the layout makes them countable (None: not counted,
    # e.g. an encoding the test does not decode itself).
    lines: int | None = None
    extra_files: dict[str, bytes] = field(default_factory=dict)  # name -> content (history, registry)


def _counted(name: str, data: bytes, *args: str, **extra: bytes) -> Case:
    return Case(name, data, args, data_lines(data), extra)


def data_lines(data: bytes) -> int:
    """Non-blank physical lines after the header, as the contract counts them (LF or CR-only ends).

    A blank line holds nothing but spaces and commas (a spreadsheet's empty rows); the corpus is comma-separated
    wherever it is counted."""
    text = data.decode("utf-8", errors="replace")
    if "\n" not in text:
        text = text.replace("\r", "\n")
    lines = text.split("\n")[1:]
    return sum(1 for line in lines if line.strip("\r\t ,"))


def cases() -> list[Case]:
    """The corpus that runs on every CI run: each case a few lines, each a known way to break a reader."""
    rows = [good_row(i) for i in range(1, 6)]
    out: list[Case] = [
        _counted("clean", extract(rows)),
        _counted("unclosed-quote", extract([rows[0], 'C9,1,"837P,wnc,M9', *rows[1:]])),
        _counted("quoted-line-break", extract([rows[0], 'C9,1,837P,wnc,"M\n9",2025-03-01,J3392,1,,,,,,', *rows[1:]])),
        _counted("escaped-quotes", extract([rows[0], 'C9,1,837P,wnc,"M""9",2025-03-01,99213,1,,,E11.9,,"a, b",'])),
        _counted("crlf", extract(rows, end="\r\n")),
        _counted("cr-only", extract(rows, end="\r")),
        _counted("no-final-line-break", extract(rows)[:-1]),
        _counted("blank-lines", extract([rows[0], "", "   ", rows[1], ",,,,,,,,,,,,,", rows[2]])),
        _counted("ragged", extract([rows[0], "C9,1,837P", rows[1] + ",extra,fields", "x"])),
        _counted("utf8-bom", b"\xef\xbb\xbf" + extract(rows)),
        _counted(
            "latin1-row", extract(rows[:2]) + good_row(9).replace("QUILLON", "QU\xcfLLON").encode("latin-1") + b"\n"
        ),
        _counted("nul-bytes", extract([rows[0], good_row(9).replace("PA9", "PA\x009"), rows[1]])),
        _counted("control-characters", extract([good_row(9).replace("C9", "C9\x1b]0;x\x07\x1b[2J\u202e"), rows[0]])),
        _counted("formula-values", extract([good_row(9, units="=1+1"), good_row(8, charge="@SUM(A1)"), rows[0]])),
        _counted("markup-values", extract([good_row(9).replace("C9", "C9[bold red]x[/]"), rows[0]])),
        _counted(
            "bad-dates",
            extract([good_row(1, date="2025-02-30"), good_row(2, date="03/01/25"), good_row(3, date="0000-00-00")]),
        ),
        _counted(
            "bad-numbers",
            extract(
                [
                    good_row(1, units="1e400"),
                    good_row(2, units="-inf"),
                    good_row(3, units="-2"),
                    good_row(4, charge="-5"),
                ]
            ),
        ),
        _counted(
            "huge-values",
            extract(
                [good_row(1, units="9" * 400), good_row(2, charge="1e308"), good_row(3).replace("PA3", "P" * 20_000)]
            ),
        ),
        _counted("header-only", extract([])),
        Case("empty", b""),
        Case("only-blank-lines", b"\n\n\n"),
        Case("header-missing-columns", b"claim_id,units\nC1,1\n"),
        Case("duplicate-header-names", extract(rows, header=HEADER.replace("charge", "Claim ID"))),
        Case("binary-garbage", bytes(range(256)) * 4),
        Case("gzip-under-a-csv-name", gzip.compress(extract(rows)), lines=len(rows)),
        Case("gzip-truncated", b"\x1f\x8b\x08\x00" + b"\x00" * 20),
        Case("utf16-bom", extract(rows).decode().encode("utf-16"), lines=len(rows)),
        Case(
            "utf16-le-no-bom", extract(rows).decode().encode("utf-16-le"), ("--encoding", "utf-16-le"), lines=len(rows)
        ),
        Case("utf32-bom", extract(rows).decode().encode("utf-32"), lines=len(rows)),
        Case("utf16-no-bom-no-option", extract(rows).decode().encode("utf-16-le")),
        _counted("pipe-delimited", extract([r.replace(",", "|") for r in rows], header=HEADER.replace(",", "|"))),
        _counted(
            "semicolon-as-option",
            extract([r.replace(",", ";") for r in rows], header=HEADER.replace(",", ";")),
            "--delimiter",
            "semicolon",
        ),
        _counted(
            "unknown-payers",
            extract([rows[0], good_row(9).replace(",wnc,", ",BCBS,"), good_row(8).replace(",wnc,", ",,")]),
        ),
        _counted(
            "history-and-registry-defects",
            extract(rows[:2]),
            "--history",
            "{dir}/history.csv",
            "--facilities",
            "{dir}/registry.csv",
            **{
                "history.csv": extract(
                    [good_row(7, date="2024-02-30"), "H1,1", good_row(6).replace(",wnc,", ",BCBS,")]
                ),
                "registry.csv": b"npi,certification,product\n123,XYZ,\n1111111111,QTC,nonesuch\n1111111111,QTC,\n",
            },
        ),
    ]
    return out + x12_cases()


def x12_interchange(claim_ids: list[str], *, end: str = "~\n") -> str:
    """A 5010 837P interchange, one J3392 line a claim, the planted member in every 2010BA."""
    body = [
        "GS*HC*S*R*20251201*1200*1*X*005010X222A1",
        "ST*837*0001*005010X222A1",
        "BHT*0019*00*1*20251201*1200*CH",
        "HL*1**20*1",
        "NM1*85*2*BILLING*****XX*1609876543",
    ]
    for number, claim in enumerate(claim_ids, start=2):
        body += [
            f"HL*{number}*1*22*0",
            "SBR*P*18*******MC",
            f"NM1*IL*1*{SECRET_NAME}*JO****MI*{SECRET_ID}",
            f"DMG*D8*{SECRET_DOB.replace('-', '')}*F",
            "NM1*PR*2*PAYER*****PI*wnc",
            f"CLM*{claim}*100***22:B:1*Y*A*Y*Y",
            "HI*ABK:D571",
            "LX*1",
            "SV1*HC:J3392*100*UN*1*22**1",
            "DTP*472*D8*20250301",
            "LIN**N4*51167029001",
            "CTP****1*UN",
        ]
    body += [f"SE*{len(body)}*0001", "GE*1*1", "IEA*1*000000001"]
    isa = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *251201*1200*^*00501*000000001*0*P*:"
    return end.join([isa, *body]) + end


def x12_cases() -> list[Case]:
    """X12 837 files: the same invariants hold (rows read = the LX segments the reader reached)."""
    clean = x12_interchange(["X1", "X2"])
    cut = clean[: clean.index("LX*1", clean.index("CLM*X2"))]
    return [
        Case("x12-clean", clean.encode(), lines=2),
        Case("x12-bom-crlf-indented", b"\xef\xbb\xbf" + x12_interchange(["X1"], end="~\r\n    ").encode(), lines=1),
        Case("x12-gzip", gzip.compress(clean.encode()), lines=2),
        Case(
            "x12-markup-and-controls", x12_interchange(["C9[bold red]x[/]\x1b[2J\u202e<img src=x>"]).encode(), lines=1
        ),
        Case("x12-truncated", cut.encode(), lines=1),  # the open transaction's line is read and rejected
        Case("x12-no-isa", clean[clean.index("GS*") :].encode()),
        Case("x12-isa-only", clean[: clean.index("GS*")].encode()),
        Case("x12-separators-alphanumeric", clean.replace("*", "A").encode()),
        # 3,000 empty segments: one cause, listed 1,000 times and closed by one record (every format).
        Case("x12-empty-segment-storm", clean.replace("~\nBHT*", "~" * 3000 + "\nBHT*", 1).encode(), lines=2),
        # A second interchange with other separators: its lines are read, not skipped.
        Case("x12-second-interchange-other-separators", (clean + clean.replace("*", "|")).encode(), lines=4),
    ]


def large_cases() -> Iterator[Case]:
    """Expensive cases, for benchmarks/abuse_large.py (not run in CI)."""
    rows = [good_row(i) if i % 200 == 0 else good_row(i, code="99213") for i in range(1, 1_000_001)]
    rows[9] = rows[9].replace(",wnc,", ',"wnc,')  # one stray quote near the top of a million lines
    yield _counted("million-lines-one-stray-quote", extract(rows))
    yield _counted("ten-megabyte-field", extract([good_row(1).replace("PA1", "P" * 10_000_000), good_row(2)]))
    yield _counted(
        "wide-header",
        extract([good_row(1) + ",x" * 20_000], header=HEADER + "".join(f",extra{i}" for i in range(20_000))),
    )


# --- the invariants -----------------------------------------------------------------------------
@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str


def check_invariants(case: Case, fmt: str, outcome: Outcome, inputs_before: dict[Path, bytes]) -> None:
    problem = f"{case.name} [{fmt}]"
    assert outcome.exit_code in (0, 1, 2), (problem, outcome.exit_code, outcome.stderr[-500:])
    for text in (outcome.stdout, outcome.stderr):
        assert "Traceback" not in text and "internal error" not in text, (problem, text[-1500:])
    for path, before in inputs_before.items():
        assert path.read_bytes() == before, (problem, f"{path.name} was modified")
    everything = outcome.stdout + outcome.stderr
    for secret in SECRETS:
        assert secret not in everything, (problem, f"{secret} leaked under --redact")
    if outcome.exit_code == 2 and not outcome.stdout.strip():
        assert outcome.stderr.strip() and len(outcome.stderr) < 3000, (problem, outcome.stderr[:500])
        return
    _well_formed(fmt, outcome.stdout, problem)


def _well_formed(fmt: str, text: str, problem: str) -> None:
    if fmt in ("json", "gitlab", "sarif"):
        json.loads(text)
    elif fmt == "jsonl":
        for line in text.splitlines():
            json.loads(line)
    elif fmt == "csv":
        records = list(csv.reader(io.StringIO(text, newline="")))
        assert records and all(len(r) == len(records[0]) for r in records), problem
    elif fmt == "junit":
        ET.fromstring(text)
    elif fmt == "github":  # every line a workflow command or the closing count; no raw line break in one
        for line in text.splitlines():
            assert re.fullmatch(
                r"::(error|warning|notice) file=[^,\r\n]*,line=\d+,title=[^:]*::.*", line
            ) or line.startswith("cgt-claimcheck: "), (problem, line[:200])
    elif fmt == "html":
        _well_formed_html(text, problem)
    elif fmt in ("rich", "concise"):
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", text.replace("\r\n", "\n")), problem


def _well_formed_html(text: str, problem: str) -> None:
    from html.parser import HTMLParser

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            assert tag in HTML_TAGS, (problem, tag)
            assert not [name for name, _ in attrs if name.startswith("on")], (problem, attrs)

    Tags().feed(text)
    assert text.rstrip().endswith("</html>"), problem
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", text.replace("\r\n", "\n")), problem


def check_accounting(case: Case, report: dict) -> None:
    """read = checked + rejected + out of scope, per input; every countable data line is read."""
    for summary in report["inputs"]:
        assert summary["rows_read"] == (
            summary["rows_checked"] + summary["rows_rejected"] + summary["rows_out_of_scope"]
        ), (case.name, summary)
    if case.lines is not None and report["inputs"] and not report.get("errors"):
        assert report["inputs"][0]["rows_read"] == case.lines, (case.name, report["inputs"][0], case.lines)
