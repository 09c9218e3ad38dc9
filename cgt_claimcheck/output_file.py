"""Where an output goes: never onto an input, never renamed over something that is not a regular file.

Every writer (reports, baselines, `convert`, the `reference` commands) goes through `write_output`:
- `-` is standard output. `/dev/stdout`, `/dev/stderr` and `/dev/fd/N` are the streams this
  process already holds, written in place (a shell's `>>` keeps appending, a pipe stays a pipe).
- A regular file, or a path that does not exist yet, is written to a temporary file beside it and
  renamed into place when complete: a reader never sees half a file, and a failed or interrupted
  run leaves the previous file as it was. A symlink is followed: the file it names is replaced
  and the link stays a link.
- Anything else that exists (a character device such as /dev/null, a FIFO, a socket) is opened
  and written in place. Renaming over it would, for root (CI runs as root), turn the machine's
  /dev/null into a regular file holding the report.
- A folder is refused.
A write error (a full disk, a reader that closed its pipe) is an `OutputError` naming the path:
exit 2, and no temporary file is left. One exception: standard output whose reader closed it
(`check ... | head`) is `ReaderClosed`: the reader took what it wanted, like `git log | head`;
the command says nothing and exits with its own verdict.
"""

from __future__ import annotations

import errno
import os
import re
import socket
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path
from typing import IO, Any, TextIO

from cgt_claimcheck.errors import UsageError

STDOUT = "-"
_PROCESS_STREAM = re.compile(r"/(dev|proc/self)/(std(?:in|out|err)|fd/(\d+))\Z")
_STREAM_FD = {"stdin": 0, "stdout": 1, "stderr": 2}
_TEMP_EXTRA = len(".") + len(".") + 8 + len(".tmp")  # what mkstemp adds around the name: ".NAME.XXXXXXXX.tmp"


class OutputError(UsageError):
    """An output that cannot be written; the message names it (exit 2)."""


def _stream_fd(output: str) -> int | None:
    """The descriptor a /dev/stdout, /dev/stderr or /dev/fd/N path names (None for any other path)."""
    match = _PROCESS_STREAM.fullmatch(os.path.normpath(output))
    if not match:
        return None
    return int(match.group(3)) if match.group(3) is not None else _STREAM_FD[match.group(2)]


def _kind(path: str) -> int | None:
    """The st_mode of what `path` names after following symlinks (None: nothing there yet)."""
    try:
        return os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f"cannot be written ({exc.strerror})", file=path) from None


def is_in_place(output: str) -> bool:
    """Is this output written where it is (stdout, a device, FIFO or socket) rather than replaced?"""
    if output == STDOUT or _stream_fd(output) is not None:
        return True
    mode = _kind(output)
    return mode is not None and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _identity(path: str) -> tuple[str, tuple[int, int] | None]:
    real = os.path.realpath(path)
    try:
        info = os.stat(real)
    except OSError:
        return real, None
    return real, (info.st_dev, info.st_ino)


def refuse_inputs(output: str, inputs: Iterable[str | Path | None], *, option: str = "--output") -> None:
    """UsageError when a file output is one of the inputs (before anything is read).

    Compared by resolved path and by device and inode, so a symlink, `./x.csv` or a hard link to
    an extract cannot be overwritten. A stream or device written in place is not compared: it
    replaces nothing.
    """
    if is_in_place(output):
        return
    target_path, target_id = _identity(output)
    for given in inputs:
        if given is None or str(given) == STDOUT:
            continue
        path, identity = _identity(str(given))
        if path == target_path or (identity is not None and identity == target_id):
            raise UsageError(f"{option} {output} is an input of this run ({given}); write to another file", file=output)


def write_output(output: str, render: Callable[[Any], None], *, binary: bool = False) -> None:
    """Render into `output` (a text stream, or bytes when `binary`) by the rules of this module."""
    try:
        if output == STDOUT:
            _render_to_stream(sys.stdout, render, binary)
            return
        fd = _stream_fd(output)
        if fd is not None:
            _render_to_descriptor(fd, output, render, binary)
            return
        mode = _kind(output)
        if mode is not None and stat.S_ISDIR(mode):
            raise OutputError("is a folder; name a file in it", file=output)
        if mode is None or stat.S_ISREG(mode):
            _replace_atomically(os.path.realpath(output), output, render, binary, mode)
        elif stat.S_ISSOCK(mode):
            _render_to_socket(output, render, binary)
        else:  # a character or block device, a FIFO
            with open(output, "wb" if binary else "w", **({} if binary else _TEXT)) as stream:
                render(stream)
    except OutputError:
        raise
    except OSError as exc:
        if output == STDOUT and exc.errno == errno.EPIPE:
            silence_stdout()
            raise ReaderClosed("the reader of standard output closed it", file="standard output") from None
        shown = "standard output" if output == STDOUT else output
        raise OutputError(f"cannot be written ({_reason(exc)})", file=shown) from None


_TEXT: dict[str, Any] = {"encoding": "utf-8", "newline": ""}


class ReaderClosed(OutputError):
    """Standard output's reader closed it on purpose (`| head`, `| grep -q`): not an error."""


def silence_stdout() -> None:
    """Point standard output at /dev/null, so that the interpreter's last flush does not fail again."""
    with suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _reason(exc: OSError) -> str:
    if exc.errno == errno.EPIPE:
        return "the reader closed it before the output was complete"
    return exc.strerror or exc.__class__.__name__


def _render_to_stream(stream: TextIO, render: Callable[[Any], None], binary: bool) -> None:
    target: IO[Any] = stream.buffer if binary else stream
    render(target)
    target.flush()


def _render_to_descriptor(fd: int, output: str, render: Callable[[Any], None], binary: bool) -> None:
    """Write to a descriptor this process holds, through a duplicate (closing it keeps ours open)."""
    if fd == 1:
        sys.stdout.flush()
    try:
        duplicate = os.dup(fd)
    except OSError:
        raise OutputError("is not open in this process", file=output) from None
    with open(duplicate, "wb" if binary else "w", **({} if binary else _TEXT)) as stream:
        render(stream)


def _render_to_socket(output: str, render: Callable[[Any], None], binary: bool) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as peer:
        peer.connect(output)
        with peer.makefile("wb") as raw:
            if binary:
                render(raw)
            else:
                import io

                with io.TextIOWrapper(raw, **_TEXT) as stream:
                    render(stream)
                    stream.flush()


def _temporary_prefix(target: Path) -> str:
    """'.NAME.' with NAME cut so that the temporary file's name stays within the folder's NAME_MAX."""
    try:
        longest = os.pathconf(target.parent, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        longest = 255
    name = target.name
    while len(os.fsencode(name)) + _TEMP_EXTRA > longest:
        name = name[:-1]
    return f".{name}."


def _replace_atomically(real: str, output: str, render: Callable[[Any], None], binary: bool, mode: int | None) -> None:
    target = Path(real)
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(f"its folder {folder} does not exist", file=output)
    handle, temporary = tempfile.mkstemp(prefix=_temporary_prefix(target), suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") if binary else os.fdopen(handle, "w", **_TEXT) as stream:
            render(stream)
        if mode is not None:
            os.chmod(temporary, stat.S_IMODE(mode))
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
