"""A new table set for --reference-dir: a copy of one, into a folder that is new or empty.

The importers (`reference import-hcpcs`, `reference import-icd10`) never edit the tables a run
uses: they write a whole new, validated set beside them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from cgt_claimcheck.errors import UsageError


def copy_table_set(source_dir: Path, out_dir: Path) -> tuple[Path, dict[str, Any]]:
    """Copy the set into `out_dir` (refused if it is a file or a folder with something in it);
    return the new manifest's path and its content, for the importer to update."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError("--out names a file; name a new folder for the table set", file=str(out_dir))
    if out_dir.exists() and any(out_dir.iterdir()):
        raise UsageError("the output folder exists and is not empty; name a new one", file=str(out_dir))
    shutil.copytree(source_dir, out_dir, dirs_exist_ok=True)
    manifest_path = out_dir / "manifest.json"
    return manifest_path, json.loads(manifest_path.read_text(encoding="utf-8"))
