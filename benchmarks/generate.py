"""Generate a realistic, seeded claim-line extract for benchmarks (run by hand).

    python benchmarks/generate.py --lines 1000000 --out benchmarks/data/claims_1m.csv
    python benchmarks/generate.py --lines 1000000 --out benchmarks/data/claims_1m.parquet
    python benchmarks/generate.py --lines 1000000 --out benchmarks/data/claims_1m.csv.gz

1-8 lines per claim; about 0.5% of claims carry a cell or gene therapy, spread over every product
and payer, with 837P and 837I claims; --defects sets the share of CGT claims given a billing
defect (missing PA or NDC, wrong units, wrong site of care, indication mismatch...);
--every-line-cgt --cgt-share 1 writes a treatment center's extract (every line a CGT drug line),
--bad-date 03/01/25 a file whose every row is rejected for one reason. Everything is
vectorised, so 10M lines take well under a minute.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

COLUMNS = [
    "claim_id",
    "line_number",
    "claim_type",
    "payer",
    "member_id",
    "member_dob",
    "bill_type",
    "place_of_service",
    "billing_npi",
    "facility_npi",
    "prior_auth",
    "invoice_attached",
    "service_date",
    "procedure_code",
    "modifiers",
    "units",
    "charge",
    "ndc",
    "ndc_quantity",
    "ndc_unit",
    "revenue_code",
    "diagnosis_codes",
    "icd10_pcs_codes",
    "condition_codes",
]
# (HCPCS, NDC, diagnosis, product PCS code or "") for the CGT lines
CGT = [
    ("Q2041", "71287-0119-02", "C83.30", "XW033H7"),
    ("Q2042", "00078-0846-19", "C91.00", "XW033J7"),
    ("Q2053", "71287-0219-02", "C83.10", "XW033M7"),
    ("Q2054", "73153-0900-01", "C83.30", "XW033N7"),
    ("Q2055", "59572-0515-01", "C90.00", "XW033K7"),
    ("Q2056", "57894-0111-01", "C90.00", "XW033A7"),
    ("Q2058", "83047-0410-04", "C91.00", ""),
    ("Q2057", "83205-0001-02", "C49.9", "XW03368"),
    ("J3392", "51167-0290-01", "D57.1", "XW133J8"),
    ("J3394", "73554-1111-01", "D57.1", "XW133H9"),
    ("J3393", "73554-3111-01", "D56.1", "XW133B8"),
    ("J1411", "00053-0300-30", "D67", ""),
    ("J1413", "60923-0529-38", "G71.01", ""),
    ("J3399", "71894-0120-02", "G12.0", ""),
    ("J3398", "71394-0415-01", "H35.52", ""),
]
COMMON = ["99213", "99214", "99215", "85025", "80053", "36415", "93000", "71046", "J1885", "96372", "90471", "97110"]
DIAGNOSES = ["E11.9", "I10", "J06.9", "M54.5", "Z00.00", "E78.5", "K21.9", "F41.1", "N39.0", "R51.9"]
PAYERS = np.array(["wnc", "medi-cal-ffs", "medi-cal-mcp"])


def generate(
    lines: int, seed: int, cgt_share: float, defects: float, every_line_cgt: bool = False, bad_date: str | None = None
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 9, size=lines // 2 + 8)  # 1-8 lines per claim
    ends = np.cumsum(sizes)
    claims = int(np.searchsorted(ends, lines) + 1)
    sizes = sizes[:claims]
    sizes[-1] -= ends[claims - 1] - lines
    ends = np.cumsum(sizes)
    claim = np.repeat(np.arange(claims), sizes)
    line_no = np.arange(lines) - np.repeat(ends[:claims] - sizes, sizes) + 1

    c_payer = PAYERS[rng.integers(0, 3, claims)]
    c_type = np.where(rng.random(claims) < 0.3, "837I", "837P")
    c_member = rng.integers(0, claims // 3 + 1, claims)
    c_dob = pd.to_datetime("1940-01-01") + pd.to_timedelta(rng.integers(0, 30000, claims), unit="D")
    c_dos = pd.to_datetime("2025-07-01") + pd.to_timedelta(rng.integers(0, 150, claims), unit="D")
    c_dx = np.array(DIAGNOSES)[rng.integers(0, len(DIAGNOSES), claims)]
    c_cgt = rng.random(claims) < cgt_share
    c_product = rng.integers(0, len(CGT), claims)
    c_defect = c_cgt & (rng.random(claims) < defects)
    c_kind = rng.integers(0, 5, claims)  # which defect

    codes = np.array(COMMON)[rng.integers(0, len(COMMON), lines)]
    first_line = line_no == 1
    cgt_line = c_cgt[claim] & (first_line | every_line_cgt)
    product = c_product[claim]
    cgt_codes = np.array([c[0] for c in CGT])[product]
    cgt_ndcs = np.array([c[1] for c in CGT])[product]
    cgt_dx = np.array([c[2] for c in CGT])[product]
    cgt_pcs = np.array([c[3] for c in CGT])[product]
    procedure = np.where(cgt_line, cgt_codes, codes)
    ndc = np.where(cgt_line, cgt_ndcs, "")
    dx = np.where(c_cgt[claim], cgt_dx, c_dx[claim])
    institutional = c_type[claim] == "837I"
    prior_auth = np.where(c_cgt[claim], "PA" + claim.astype(str), "")
    units = np.where(procedure == "J3398", "150", "1")
    defect = c_defect[claim] & cgt_line
    kind = c_kind[claim]
    prior_auth = np.where(defect & (kind == 0), "", prior_auth)
    ndc = np.where(defect & (kind == 1), "", ndc)
    units = np.where(defect & (kind == 2), "2", units)
    dx = np.where(c_defect[claim] & (kind == 3), "E11.9", dx)
    bill_type = np.where(institutional, np.where(c_cgt[claim] & ~(c_defect[claim] & (kind == 4)), "0131", "0111"), "")
    inpatient_cgt = institutional & (bill_type == "0111") & c_cgt[claim]
    pcs = np.where(inpatient_cgt, cgt_pcs, "")
    frame = pd.DataFrame(
        {
            "claim_id": "CLM" + pd.Series(claim).astype(str).str.zfill(10),
            "line_number": line_no.astype(str),
            "claim_type": c_type[claim],
            "payer": c_payer[claim],
            "member_id": "MBR" + pd.Series(c_member[claim]).astype(str).str.zfill(9),
            "member_dob": pd.Series(c_dob[claim]).dt.strftime("%Y-%m-%d"),
            "bill_type": bill_type,
            "place_of_service": np.where(institutional, "", np.where(c_cgt[claim], "22", "11")),
            "billing_npi": "1" + pd.Series(rng.integers(10**8, 10**9, lines)).astype(str),
            "facility_npi": "",
            "prior_auth": prior_auth,
            "invoice_attached": np.where(c_cgt[claim], "Y", "N"),
            "service_date": pd.Series(c_dos[claim]).dt.strftime("%Y-%m-%d"),
            "procedure_code": procedure,
            "modifiers": "",
            "units": units,
            "charge": pd.Series(rng.integers(2000, 90000, lines) / 100).astype(str),
            "ndc": ndc,
            "ndc_quantity": np.where(ndc != "", "1", ""),
            "ndc_unit": np.where(ndc != "", "UN", ""),
            "revenue_code": np.where(institutional, "0450", ""),
            "diagnosis_codes": dx,
            "icd10_pcs_codes": pcs,
            "condition_codes": "",
        }
    )
    if bad_date is not None:
        frame["service_date"] = bad_date
    return frame[COLUMNS]


def write(frame: pd.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if out.suffix == ".parquet":
        pq.write_table(table, out)
        return
    stream = pa.CompressedOutputStream(str(out), "gzip") if out.suffix == ".gz" else pa.OSFile(str(out), "wb")
    with stream:
        pacsv.write_csv(table, stream, write_options=pacsv.WriteOptions(quoting_style="none"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--cgt-share", type=float, default=0.005, help="share of claims with a CGT (default 0.005)")
    parser.add_argument("--defects", type=float, default=0.2, help="share of CGT claims given a defect")
    parser.add_argument("--out", type=Path, required=True, help=".csv, .csv.gz or .parquet")
    parser.add_argument("--every-line-cgt", action="store_true", help="every line of a CGT claim bills the drug")
    parser.add_argument("--bad-date", help="write this text as every service_date (a file rejected row by row)")
    parser.add_argument("--chunk", type=int, default=2_000_000, help="lines generated at a time (memory)")
    parser.add_argument(
        "--claim-prefix", default="", help="put before every claim id (files of one night have distinct claims)"
    )
    args = parser.parse_args()
    if args.out.suffix == ".parquet" or args.lines <= args.chunk:
        frame = generate(args.lines, args.seed, args.cgt_share, args.defects, args.every_line_cgt, args.bad_date)
        frame["claim_id"] = args.claim_prefix + frame["claim_id"]
        write(frame, args.out)
        return
    # Large CSVs: append chunks with distinct claim ids so memory stays small.
    args.out.parent.mkdir(parents=True, exist_ok=True)
    stream = (
        pa.CompressedOutputStream(str(args.out), "gzip") if args.out.suffix == ".gz" else pa.OSFile(str(args.out), "wb")
    )
    with stream:
        for index, start in enumerate(range(0, args.lines, args.chunk)):
            frame = generate(
                min(args.chunk, args.lines - start),
                args.seed + index,
                args.cgt_share,
                args.defects,
                args.every_line_cgt,
                args.bad_date,
            )
            frame["claim_id"] = f"{args.claim_prefix}B{index:03d}" + frame["claim_id"]
            frame["member_id"] = f"B{index:03d}" + frame["member_id"]
            table = pa.Table.from_pandas(frame, preserve_index=False)
            pacsv.write_csv(
                table, stream, write_options=pacsv.WriteOptions(include_header=index == 0, quoting_style="none")
            )


if __name__ == "__main__":
    main()
