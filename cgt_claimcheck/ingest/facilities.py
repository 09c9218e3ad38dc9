"""The facility registry given with --facilities: which NPI holds which certification, when.

Read with the standard library (a registry has hundreds of rows, not millions); a row that
cannot be read stops the run with the file, line and column.
"""

from __future__ import annotations

import csv
from typing import Any

import numpy as np
import pandas as pd

from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.ingest.normalise import parse_dates
from cgt_claimcheck.reference import Reference

FACILITY_CERTIFICATIONS = ("QTC", "REMS", "HTC")


def load_facilities(path: str, ref: Reference) -> pd.DataFrame:
    """The facility registry for ST002: npi, certification, optional product and dates."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
            for column in ("npi", "certification"):
                if column not in header:
                    raise UsageError(
                        "facility registry needs the columns npi and certification (optional: product, effective_from, effective_to)",
                        file=path,
                        line=1,
                        column=column,
                    )
            rows = list(reader)
    except OSError as exc:
        raise UsageError(f"facility registry cannot be read ({exc.strerror})", file=path) from None
    except UnicodeDecodeError:
        raise UsageError("facility registry is not UTF-8 text", file=path) from None
    names = {p.brand.lower(): pid for pid, p in ref.products.items()} | {pid: pid for pid in ref.products}
    records: dict[str, list[Any]] = {"npi": [], "certification": [], "reg_product": [], "reg_start": [], "reg_end": []}
    for number, row in enumerate(rows, start=2):
        get = lambda key, row=row: (row.get(header.get(key, ""), "") or "").strip()  # noqa: E731
        certification = get("certification").upper()
        if certification not in FACILITY_CERTIFICATIONS:
            raise UsageError(
                f"certification {get('certification')!r} is not one of QTC, REMS, HTC",
                file=path,
                line=number,
                column="certification",
            )
        product = get("product").lower()
        if product and product not in names:
            raise UsageError(
                f"product {get('product')!r} is not a CGT product", file=path, line=number, column="product"
            )
        records["npi"].append(get("npi"))
        records["certification"].append(certification)
        records["reg_product"].append(names.get(product, ""))
        records["reg_start"].append(get("effective_from"))
        records["reg_end"].append(get("effective_to"))
    frame = pd.DataFrame(records)
    for column, label in (("reg_start", "effective_from"), ("reg_end", "effective_to")):
        parsed = parse_dates(frame[column].astype("str"))
        bad = frame[column].ne("") & parsed.isna()
        if bad.any():
            line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise UsageError(f"{frame.loc[bad, column].iloc[0]!r} is not a date", file=path, line=line, column=label)
        frame[column] = parsed
    return frame
