"""Load and validate a reference table set (reference_data/ or --reference-dir).

Plain `csv` + pydantic, no pandas: `lookup` loads the tables too and must start fast. Every
problem is reported as a ReferenceDataError naming the file, the row and what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from cgt_claimcheck.bounded import read_bounded
from cgt_claimcheck.env_vars import ENV_REFERENCE_DIR
from cgt_claimcheck.errors import ReferenceDataError, UsageError
from cgt_claimcheck.reference import rows as R
from cgt_claimcheck.reference.cache import cache_key, read_cache, write_cache
from cgt_claimcheck.reference.table_set import Reference

REQUIRED_TABLES = ("products", "hcpcs", "ndc", "icd10pcs", "indications", "codesets", "payers")


def default_reference_dir() -> Path:
    """The environment variable, else the tables shipped in the wheel, else the checkout's."""
    override = os.environ.get(ENV_REFERENCE_DIR)
    if override:
        return Path(override)
    packaged = Path(__file__).resolve().parent.parent / "reference_data"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "reference_data"


def _describe(error: Any) -> str:  # a pydantic ValidationError
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        text = item["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {text}" if where else text)
    return "; ".join(parts)


class _TableReader:
    """Reads one manifest table: checks presence, checksum and header, validates rows."""

    def __init__(self, directory: Path, manifest: Any) -> None:
        self.directory = directory
        self.manifest = manifest

    def raw(self, table: str) -> tuple[str, bytes]:
        entry = self.manifest.tables.get(table)
        if entry is None:
            raise ReferenceDataError(f"manifest lists no table {table!r}", file=str(self.directory / "manifest.json"))
        path = self.directory / entry.file
        data = _read_table_file(path, f"table {table!r}")
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry.sha256:
            raise ReferenceDataError(
                f"checksum mismatch: manifest says sha256 {entry.sha256[:12]}..., file has {digest[:12]}... "
                "(edited without updating manifest.json? run `python scripts/build_reference_data.py --manifest-only`)",
                file=str(path),
            )
        return str(path), data

    def rows(self, table: str, model: Any) -> list[Any]:
        import csv
        import io

        path, data = self.raw(table)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ReferenceDataError(f"not UTF-8 (byte {exc.start})", file=path) from None
        reader = csv.DictReader(io.StringIO(text))
        try:
            return self._validated(table, model, path, reader)
        except csv.Error as exc:  # a field past the csv module's limit (128 KB), a NUL byte
            raise ReferenceDataError(f"not a readable CSV table ({exc})", file=path, line=reader.line_num) from None

    def _validated(self, table: str, model: Any, path: str, reader: Any) -> list[Any]:
        from pydantic import ValidationError

        header = reader.fieldnames or []
        expected = self.manifest.tables[table].columns
        if expected and header != expected:
            raise ReferenceDataError(
                f"header {header} differs from the manifest's columns {expected}", file=path, line=1
            )
        result: list[Any] = []
        for number, raw in enumerate(reader, start=1):
            extra = raw.pop(None, None)  # type: ignore[call-overload]
            if extra or any(value is None for value in raw.values()):
                raise ReferenceDataError(
                    f"row {number} does not have the header's {len(header)} fields", file=path, line=number + 1
                )
            try:
                row = model.model_validate(raw)
            except ValidationError as exc:
                raise ReferenceDataError(f"row {number}: {_describe(exc)}", file=path, line=number + 1) from None
            start, end = getattr(row, "effective_from", None), getattr(row, "effective_to", None)
            if start is not None and end is not None and end < start:
                raise ReferenceDataError(
                    f"row {number}: effective_to {end} is before effective_from {start}", file=path, line=number + 1
                )
            result.append(row)
        declared = self.manifest.tables[table].rows
        if declared is not None and declared != len(result):
            raise ReferenceDataError(f"manifest says {declared} rows, file has {len(result)}", file=path)
        return result


MAX_TABLE_BYTES = 256 << 20  # the largest shipped table is under 1 MB
MAX_MANIFEST_BYTES = 1 << 20


def _read_table_file(path: Path, what: str, limit: int = MAX_TABLE_BYTES) -> bytes:
    """A table file's bytes: a regular file (symlinks followed), bounded; ReferenceDataError otherwise."""
    try:
        return read_bounded(path, limit, what, regular_only=True)
    except UsageError as exc:
        raise ReferenceDataError(str(exc).removeprefix(f"{path}: "), file=str(path)) from None


def _unique(rows: Iterable[tuple[str, int]], path: str, what: str) -> None:
    seen: dict[str, int] = {}
    for key, line in rows:
        if key in seen:
            raise ReferenceDataError(f"duplicate {what} {key!r} (first on line {seen[key]})", file=path, line=line)
        seen[key] = line


def _no_overlap(windows: dict[str, list[tuple[Any, int]]], path: str, what: str) -> None:
    for key, items in windows.items():
        ordered = sorted(items, key=lambda item: item[0].effective_from or date.min)
        for (first, _), (second, line) in zip(ordered, ordered[1:], strict=False):
            first_end = first.effective_to or date.max
            second_start = second.effective_from or date.min
            if second_start <= first_end:
                raise ReferenceDataError(
                    f"overlapping effective windows for {what} {key}: {R.window_text(first)} and {R.window_text(second)}",
                    file=path,
                    line=line,
                )


def load_reference(directory: Path | None = None) -> Reference:
    """Load, check and validate the table set in `directory` (default: the shipped one)."""
    directory = Path(directory) if directory is not None else default_reference_dir()
    manifest_path = directory / "manifest.json"
    if not directory.is_dir():
        raise ReferenceDataError("reference directory does not exist", file=str(directory))
    try:
        manifest_bytes = _read_table_file(manifest_path, "manifest", MAX_MANIFEST_BYTES)
        manifest_data = json.loads(manifest_bytes.decode("utf-8"))
        files = {name: entry["file"] for name, entry in manifest_data["tables"].items()}
    except OSError as exc:
        raise ReferenceDataError(f"manifest cannot be read ({exc.strerror})", file=str(manifest_path)) from None
    except UnicodeDecodeError:
        raise ReferenceDataError("manifest is not UTF-8", file=str(manifest_path)) from None
    except json.JSONDecodeError as exc:
        raise ReferenceDataError(f"manifest is not JSON: {exc.msg}", file=str(manifest_path), line=exc.lineno) from None
    except RecursionError:
        raise ReferenceDataError("manifest nests too deeply to be a table list", file=str(manifest_path)) from None
    except (KeyError, TypeError, AttributeError):
        raise ReferenceDataError(
            "manifest has no 'tables' object of {name: {file, sha256}}", file=str(manifest_path)
        ) from None

    # Pydantic validation runs once per distinct table set; its result is cached under a key
    # made of the tables' actual checksums, so a cache hit stands for byte-identical tables.
    # The manifest's declared checksums are compared on every load (in _validate on a miss).
    digests = []
    for name in sorted(files):
        try:
            digests.append(hashlib.sha256(_read_table_file(directory / str(files[name]), "table")).hexdigest())
        except (OSError, UsageError):
            digests.append("missing")  # said precisely when the table itself is read
    key = cache_key(manifest_bytes, digests)
    cached = read_cache(key)
    if cached is not None:
        cached_manifest, *cached_tables = cached
        return Reference(directory, cached_manifest, *cached_tables)  # type: ignore[arg-type]
    from pydantic import ValidationError

    from cgt_claimcheck.reference.tables import Manifest

    try:
        manifest: Any = Manifest.model_validate(manifest_data)  # a model derived from rows.Manifest
    except ValidationError as exc:
        raise ReferenceDataError(f"manifest: {_describe(exc)}", file=str(manifest_path)) from None
    missing = [t for t in REQUIRED_TABLES if t not in manifest.tables]
    if missing:
        raise ReferenceDataError(f"manifest lists no {', '.join(missing)} table", file=str(manifest_path))
    tables = _to_rows(_validate_tables(directory, manifest, _TableReader(directory, manifest)))
    rows_manifest = _to_rows(manifest)
    write_cache(key, (rows_manifest, *tables))
    return Reference(directory, rows_manifest, *tables)


def _to_rows(value: Any) -> Any:
    """Validated pydantic models -> the run-time dataclasses of the same name."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        cls = getattr(R, type(value).__name__)
        return cls(**{name: _to_rows(getattr(value, name)) for name in type(value).model_fields})
    if isinstance(value, tuple):
        return tuple(_to_rows(item) for item in value)
    if isinstance(value, list):
        return [_to_rows(item) for item in value]
    if isinstance(value, dict):
        return {key: _to_rows(item) for key, item in value.items()}
    return value


def _validate_tables(directory: Path, manifest: Any, reader: _TableReader) -> tuple[object, ...]:
    import tomllib

    from pydantic import ValidationError

    from cgt_claimcheck.reference.tables import (
        CodesetEntry,
        HcpcsCode,
        Indication,
        NdcPackage,
        PayersFile,
        PcsCode,
        Product,
    )

    products = reader.rows("products", Product)
    hcpcs = reader.rows("hcpcs", HcpcsCode)
    ndc = reader.rows("ndc", NdcPackage)
    pcs = reader.rows("icd10pcs", PcsCode)
    indications = reader.rows("indications", Indication)
    codesets = reader.rows("codesets", CodesetEntry)
    payers_path, payers_raw = reader.raw("payers")
    try:
        payers: Any = PayersFile.model_validate(tomllib.loads(payers_raw.decode("utf-8")))  # from rows.PayersFile
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ReferenceDataError(f"not valid TOML: {exc}", file=payers_path) from None
    except ValidationError as exc:
        raise ReferenceDataError(_describe(exc), file=payers_path) from None

    path = lambda table: str(directory / manifest.tables[table].file)  # noqa: E731
    _unique(((p.product_id, i + 2) for i, p in enumerate(products)), path("products"), "product_id")
    _unique(((n.ndc11, i + 2) for i, n in enumerate(ndc)), path("ndc"), "NDC")
    _unique(((f"{c.codeset}/{c.code}", i + 2) for i, c in enumerate(codesets)), path("codesets"), "code")
    _unique(((f"{h.code} from {h.effective_from}", i + 2) for i, h in enumerate(hcpcs)), path("hcpcs"), "code window")
    hcpcs_windows: dict[str, list[tuple[Any, int]]] = {}
    for i, h in enumerate(hcpcs):
        hcpcs_windows.setdefault(h.code, []).append((h, i + 2))
    _no_overlap(hcpcs_windows, path("hcpcs"), "code")
    pcs_windows: dict[str, list[tuple[Any, int]]] = {}
    for i, p in enumerate(pcs):
        pcs_windows.setdefault(f"{p.code} ({p.product_id or 'generic'})", []).append((p, i + 2))
    _no_overlap(pcs_windows, path("icd10pcs"), "code")

    # Foreign keys: every product named in another table must exist.
    known = {p.product_id for p in products}
    for table, rows in (("hcpcs", hcpcs), ("ndc", ndc), ("icd10pcs", pcs), ("indications", indications)):
        for i, row in enumerate(rows):
            product_id = getattr(row, "product_id", None)
            if product_id and product_id not in known:
                raise ReferenceDataError(f"unknown product_id {product_id!r}", file=path(table), line=i + 2)
    for name, program in payers.program.items():
        for carve_out in program.carve_out:
            if carve_out.product not in known:
                raise ReferenceDataError(
                    f"program {name}: carve_out names unknown product {carve_out.product!r}", file=payers_path
                )
        for cert in program.certification:
            for product_id in cert.products:
                if product_id not in known:
                    raise ReferenceDataError(
                        f"program {name}: certification names unknown product {product_id!r}", file=payers_path
                    )
    for name, payer in payers.payer.items():
        if payer.program not in payers.program:
            raise ReferenceDataError(f"payer {name}: no [program.{payer.program}] section", file=payers_path)

    return (products, hcpcs, ndc, pcs, indications, codesets, payers)
