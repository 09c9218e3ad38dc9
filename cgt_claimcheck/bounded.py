"""Reading a side file with a bound: a mistake (/dev/zero, a 10 GB file, a symlink planted in a
cache) fails at once with the file's name instead of reading until memory runs out."""

from __future__ import annotations

import os
import stat

from cgt_claimcheck.errors import UsageError


def read_bounded(path: str | os.PathLike[str], limit: int, what: str, *, regular_only: bool = False) -> bytes:
    """The bytes of `path`, at most `limit` of them; UsageError naming the file otherwise.

    `regular_only` refuses anything but a regular file after symlinks are followed (a device or
    FIFO where a table belongs is a mistake); without it a FIFO or process substitution reads too.
    """
    shown = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            mode = os.fstat(fh.fileno()).st_mode
            if regular_only and not stat.S_ISREG(mode):
                raise UsageError(f"{what} is not a regular file", file=shown)
            data = fh.read(limit + 1)
    except OSError as exc:
        raise UsageError(f"{what} cannot be read ({exc.strerror})", file=shown) from None
    if len(data) > limit:
        raise UsageError(f"{what} is larger than {_size(limit)}: is this the right file?", file=shown)
    return data


def _size(limit: int) -> str:
    return f"{limit >> 20:,} MB" if limit >= 1 << 20 else f"{limit:,} bytes"
