"""Where a report goes: never onto an input, and atomically (a reader never sees half a report).

`--output` is compared with every input by resolved path and by device and inode, so a symlink,
`./x.csv` or a hard link to an extract cannot be overwritten. The report is written to a
temporary file beside the target and renamed into place when complete; if writing fails or is
interrupted, the temporary file is removed and the previous report stays as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cgt_claimcheck.errors import UsageError

STDOUT = "-"


def _identity(path: str) -> tuple[str, tuple[int, int] | None]:
    real = os.path.realpath(path)
    try:
        info = os.stat(real)
    except OSError:
        return real, None
    return real, (info.st_dev, info.st_ino)


def refuse_inputs(output: str, inputs: Iterable[str | Path | None]) -> None:
    """UsageError when the report path is one of the inputs (before anything is read)."""
    if output == STDOUT:
        return
    target_path, target_id = _identity(output)
    for given in inputs:
        if given is None or str(given) == STDOUT:
            continue
        path, identity = _identity(str(given))
        if path == target_path or (identity is not None and identity == target_id):
            raise UsageError(
                f"--output {output} is an input of this run ({given}); write the report to another file",
                file=output,
            )


def write_atomically(output: str, render: Callable[[Any], None], *, binary: bool = False) -> None:
    """Render into a temporary file beside `output` (a text stream, or bytes), then rename it into place."""
    target = Path(output)
    folder = target.parent if str(target.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") if binary else os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            render(stream)
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
