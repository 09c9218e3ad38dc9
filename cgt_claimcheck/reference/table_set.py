"""A validated reference table set and the lookups rules and `lookup` need (by code, NDC, date).

The loader (reference/loader.py) builds it from the tables; nothing here reads a file except
`sources()`, which summarises the tables' source columns for `cgt-claimcheck reference`.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from pathlib import Path

from cgt_claimcheck.reference import rows as R
from cgt_claimcheck.reference.icd_validity import CodeValidity, load_validity


class Reference:
    """A validated table set, with the lookups rules and `lookup` need."""

    def __init__(
        self,
        directory: Path,
        manifest: R.Manifest,
        products: list[R.Product],
        hcpcs: list[R.HcpcsCode],
        ndc: list[R.NdcPackage],
        pcs: list[R.PcsCode],
        indications: list[R.Indication],
        codesets: list[R.CodesetEntry],
        payers: R.PayersFile,
    ) -> None:
        self.directory = directory
        self.manifest = manifest
        self.version = manifest.release
        self.products = {p.product_id: p for p in products}
        self.hcpcs = hcpcs
        self.ndc = {n.ndc11: n for n in ndc}
        self.pcs = pcs
        self.indications: dict[str, list[R.Indication]] = {}
        for indication in indications:
            self.indications.setdefault(indication.product_id, []).append(indication)
        self.codeset_entries = codesets
        self.codesets: dict[str, dict[str, R.CodesetEntry]] = {}
        for entry in codesets:
            self.codesets.setdefault(entry.codeset, {})[entry.code] = entry
        self.payers = payers.payer
        self.programs = payers.program

    # --- code sets -------------------------------------------------------------------------
    def codes(self, codeset: str) -> frozenset[str]:
        """The codes of a code set; dots dropped so they compare with normalised ICD codes."""
        return frozenset(code.replace(".", "") for code in self.codesets.get(codeset, {}))

    def denial_text(self, code: str | None, kind: str) -> str:
        if not code:
            return ""
        entry = self.codesets.get(kind, {}).get(code)
        return entry.description if entry else ""

    # --- HCPCS ------------------------------------------------------------------------------
    @cached_property
    def hcpcs_by_code(self) -> dict[str, list[R.HcpcsCode]]:
        table: dict[str, list[R.HcpcsCode]] = {}
        for row in self.hcpcs:
            table.setdefault(row.code, []).append(row)
        return table

    @cached_property
    def product_of_hcpcs(self) -> dict[str, str]:
        """Product-specific HCPCS (current and predecessor) -> product id, whatever the date."""
        return {row.code: row.product_id for row in self.hcpcs if row.product_id}

    def hcpcs_for_product(self, product_id: str) -> list[R.HcpcsCode]:
        return [row for row in self.hcpcs if row.product_id == product_id]

    def hcpcs_on(self, code: str, day: date) -> R.HcpcsCode | None:
        for row in self.hcpcs_by_code.get(code, []):
            end = self.hcpcs_end(row)
            if (row.effective_from is None or row.effective_from <= day) and (end is None or day <= end):
                return row
        return None

    @cached_property
    def implied_hcpcs_end(self) -> dict[str, tuple[date, str]]:
        """Predecessor codes the tables give no end: code -> (the day before its successor starts, successor).

        A Category III code, a temporary C-code or an earlier Q-code is deleted when its successor
        is established. The successor's effective date is used, or where the sources give none,
        the date by which it was demonstrably billed (in_use_by): the predecessor had ended by
        then at the latest, so the implied end never comes too early.
        """
        from datetime import timedelta

        implied: dict[str, tuple[date, str]] = {}
        for row in self.hcpcs:
            if row.effective_to is not None or not row.successor:
                continue
            starts = [s.effective_from or s.in_use_by for s in self.hcpcs_by_code.get(row.successor, [])]
            known = [d for d in starts if d is not None]
            if known:
                implied[row.code] = (min(known) - timedelta(days=1), row.successor)
        return implied

    def hcpcs_end(self, row: R.HcpcsCode) -> date | None:
        """The last valid date of service of a HCPCS row: its own end, or the implied one."""
        if row.effective_to is not None:
            return row.effective_to
        implied = self.implied_hcpcs_end.get(row.code)
        return implied[0] if implied else None

    # --- NDC / PCS / indications ----------------------------------------------------------------
    @cached_property
    def product_of_ndc(self) -> dict[str, str]:
        return {ndc: row.product_id for ndc, row in self.ndc.items()}

    @cached_property
    def product_of_ndc_product_code(self) -> dict[str, str]:
        """Labeler + product segments (the first 9 digits of an 11-digit NDC) -> product id.

        A new carton or kit of a tabled product keeps its product code: the line is still that
        product. A product code shared by two tabled products identifies neither.
        """
        owners: dict[str, set[str]] = {}
        for ndc, row in self.ndc.items():
            owners.setdefault(ndc[:9], set()).add(row.product_id)
        return {code: next(iter(products)) for code, products in owners.items() if len(products) == 1}

    @cached_property
    def cgt_labelers(self) -> dict[str, str]:
        """5-digit labeler codes of CGT manufacturers -> the labeler's name."""
        labelers = {p.labeler_code: p.manufacturer for p in self.products.values() if p.labeler_code}
        labelers.update({ndc[:5]: row.labeler for ndc, row in self.ndc.items()})
        return labelers

    @cached_property
    def unclassified_codes(self) -> frozenset[str]:
        """Not-otherwise-classified drug codes (J3590): the NDC alone says which product it is."""
        return frozenset(row.code for row in self.hcpcs if row.kind == "unclassified")

    def ndcs_for_product(self, product_id: str) -> list[R.NdcPackage]:
        return [row for row in self.ndc.values() if row.product_id == product_id]

    @cached_property
    def pcs_by_code(self) -> dict[str, list[R.PcsCode]]:
        table: dict[str, list[R.PcsCode]] = {}
        for row in self.pcs:
            table.setdefault(row.code, []).append(row)
        return table

    def pcs_for_product(self, product_id: str) -> list[R.PcsCode]:
        return [row for row in self.pcs if row.product_id == product_id]

    @cached_property
    def product_pcs_codes(self) -> frozenset[str]:
        """PCS codes that name a CGT product (product-specific or legacy, not generic)."""
        return frozenset(row.code for row in self.pcs if row.product_id)

    # --- ICD-10 validity by date (large tables: read on first use) -----------------------------------
    @cached_property
    def icd10cm_validity(self) -> CodeValidity | None:
        """Valid, billable ICD-10-CM codes per date; None for a table set without the table."""
        entry = self.manifest.tables.get("icd10cm_validity")
        return load_validity(self.directory, entry) if entry is not None else None

    @cached_property
    def icd10pcs_validity(self) -> CodeValidity | None:
        entry = self.manifest.tables.get("icd10pcs_validity")
        return load_validity(self.directory, entry) if entry is not None else None

    def payer_program(self, payer: str) -> str:
        return self.payers[payer].program

    def sources(self) -> dict[str, list[str]]:
        """Distinct sources per table, with how many rows cite each (most cited first)."""
        import csv

        result: dict[str, list[str]] = {}
        for name, entry in self.manifest.tables.items():
            if not entry.file.endswith(".csv") or (entry.columns and "source" not in entry.columns):
                continue  # the validity tables name their source once, in the manifest
            with open(self.directory / entry.file, encoding="utf-8") as fh:
                seen: dict[str, int] = {}
                for row in csv.DictReader(fh):
                    for part in (row.get("source") or "").split(" ; "):
                        part = part.strip()
                        if part:
                            seen[part] = seen.get(part, 0) + 1
            result[name] = [f"{src} ({n} rows)" for src, n in sorted(seen.items(), key=lambda kv: -kv[1])]
        return result
