"""Build reference_data/icd10cm_validity.csv and icd10pcs_validity.csv from CMS MS-DRG definitions.

    python -m pip download drgpy==0.2.1 simple-icd-10-cm==1.5.0 --no-deps -d /tmp/icd
    python scripts/build_icd10_validity.py /tmp/icd/drgpy-0.2.1-py3-none-any.whl \
        /tmp/icd/simple_icd_10_cm-1.5.0-py3-none-any.whl
    python scripts/build_reference_data.py --manifest-only

Source: the PyPI package drgpy 0.2.1 (Apache-2.0), which ships the CMS MS-DRG grouper definitions
v36 (FY2019, 2018-10-01) through v43.1 (the April 2026 update) as compressed snapshots. Every
ICD-10-CM code the grouper accepts as a diagnosis, and every ICD-10-PCS code it accepts as a
procedure, is a valid, billable code of that version; a category header (D57, C83.39 from FY2025)
is in no list. The table ships, not the package: the check reads a few hundred kilobytes of CSV,
never the 3 MB grouper, and the package is needed only to rebuild.

Why drgpy and not simple-icd-10-cm: drgpy carries every fiscal-year version (and the April
updates) with the code lists CMS publishes for payment; simple-icd-10-cm carries one tabular
release per package version, so the years would have to be stitched from several releases.

The MS-DRG definitions leave out the external-cause chapter (V00-Y99: a cause is never a
principal diagnosis). Those codes come from the CDC ICD-10-CM tabular of April 2026 as the PyPI
package simple-icd-10-cm 1.5.0 (MIT) ships it: every code of the chapter with no code below it,
valid from 2026-04-01 (the release's date: earlier fiscal years of the chapter are not in that
source, so the check does not judge them).

Each row is one window in which a code is valid: valid_from blank means valid in the first
version (2018-10-01; earlier is not judged), valid_to blank means valid in the last version
(through HORIZON, the end of FY2026; later dates of service are not judged).
"""

from __future__ import annotations

import csv
import io
import json
import lzma
import sys
import zipfile
from datetime import date, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "reference_data"
# (snapshot, effective date) in order: the fiscal-year versions and their April updates.
VERSIONS = (
    ("v36", date(2018, 10, 1)),
    ("v37", date(2019, 10, 1)),
    ("v38", date(2020, 10, 1)),
    ("v39", date(2021, 10, 1)),
    ("v40", date(2022, 10, 1)),
    ("v41", date(2023, 10, 1)),
    ("v41.1", date(2024, 4, 1)),
    ("v42", date(2024, 10, 1)),
    ("v42.1", date(2025, 4, 1)),
    ("v43", date(2025, 10, 1)),
    ("v43.1", date(2026, 4, 1)),
)
HORIZON = date(2026, 9, 30)  # the last version is in force until FY2027 starts
COLUMNS = ["code", "valid_from", "valid_to"]


def snapshots(wheel: Path) -> list[dict]:
    with zipfile.ZipFile(wheel) as archive:
        return [json.loads(lzma.decompress(archive.read(f"drgpy/runtime_data/{name}.json.xz"))) for name, _ in VERSIONS]


def windows(code_sets: list[set[str]]) -> list[tuple[str, str, str]]:
    """One (code, valid_from, valid_to) per run of consecutive versions that hold the code."""
    rows = []
    for code in sorted(set().union(*code_sets)):
        start = None
        for index, codes in enumerate([*code_sets, set()]):
            if code in codes and start is None:
                start = index
            elif code not in codes and start is not None:
                valid_from = "" if start == 0 else VERSIONS[start][1].isoformat()
                valid_to = "" if index == len(VERSIONS) else (VERSIONS[index][1] - timedelta(days=1)).isoformat()
                rows.append((code, valid_from, valid_to))
                start = None
    return rows


EXTERNAL_CAUSES_FROM = date(2026, 4, 1)  # the April 2026 tabular's effective date
TABULAR_LIST = "simple_icd_10_cm/data/code-list-April-2026.txt"


def external_causes(wheel: Path) -> list[tuple[str, str, str]]:
    """V00-Y99 codes with nothing below them (billable), from the CDC tabular in simple-icd-10-cm."""
    with zipfile.ZipFile(wheel) as archive:
        listed = archive.read(TABULAR_LIST).decode("utf-8").split()
    chapter = sorted(code for code in listed if code[:1] in "VWXY" and "-" not in code)
    billable = [code for code, after in zip(chapter, chapter[1:] + [""], strict=True) if not after.startswith(code)]
    return [(code, EXTERNAL_CAUSES_FROM.isoformat(), "") for code in billable]


def write(name: str, rows: list[tuple[str, str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    (OUT / name).write_text(buffer.getvalue(), encoding="utf-8")
    print(f"{name}: {len(rows):,} windows")


def main(wheel: Path, tabular: Path) -> None:
    data = snapshots(wheel)
    diagnoses = windows([set(d["dxmap"]) for d in data])
    assert not [row for row in diagnoses if row[0][:1] in "VWXY"], "the MS-DRG lists now hold external causes"
    write("icd10cm_validity.csv", sorted(diagnoses + external_causes(tabular)))
    write("icd10pcs_validity.csv", windows([set(d["prmap"]) for d in data]))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
