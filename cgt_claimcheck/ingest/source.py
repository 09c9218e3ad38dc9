"""Where an extract's bytes come from: a file, a .gz, or standard input spooled once.

The parser downstream sees one thing only: UTF-8 text with LF line ends. So this stage
- spools stdin to a temporary file on first use, so every pass (header, rows, the recovery pass
  for unsorted claims) reads the same bytes;
- decompresses gzip (recognized by its magic bytes, on a file of any name and on stdin);
- resolves the encoding: a UTF-16/UTF-32 byte-order mark is unambiguous and wins over the default;
  any encoding other than UTF-8 is transcoded to UTF-8 a block at a time (bytes that do not decode
  are kept as they are, so the parser rejects just their lines);
- turns CR-only line ends (old Mac exports) into LF.
"""

from __future__ import annotations

import codecs
import gzip
import os
import re
import shutil
import sys
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cgt_claimcheck.errors import EmptyInput, UsageError
from cgt_claimcheck.printable import excerpt

if TYPE_CHECKING:
    from cgt_claimcheck.ingest.arrow_source import ArrowSource

STDIN = "-"
HEADER_LIMIT = 64 << 20  # a "header" longer than this is not a header: refuse, saying so
SNIFF_BYTES = 64 * 1024

_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_UTF8 = frozenset({"utf-8", "utf-8-sig"})
_stdin_spool: tuple[object, IO[bytes]] | None = None  # (the stdin stream it copies, the copy)


def display_name(path: object) -> str:
    """How an input is named in reports: its path, `<stdin>`, or an in-memory source's own name."""
    shown = getattr(path, "display", None)
    if isinstance(shown, str):
        return shown
    return "<stdin>" if path == STDIN else str(path)


def readable_elsewhere(path: str | ArrowSource) -> bool:
    """Can another process read this input as well as this one (a worker of `--jobs`, a Dask
    task)? A path to an extract, a Parquet file or an X12 file can (an X12 reader's line locator
    is plain data); standard input (read once) and a frame this process holds are read here."""
    return isinstance(path, str) and path != "-"


def _spooled_stdin() -> IO[bytes]:
    """Standard input, read once into a temporary file (it can only be read once)."""
    global _stdin_spool
    stream = getattr(sys.stdin, "buffer", None)
    if _stdin_spool is None or _stdin_spool[0] is not stream:  # a new stdin (a test runner swaps it)
        if stream is None or stream.closed:
            raise UsageError("standard input is closed: pipe an extract in, or name a file", file="<stdin>")
        spool = tempfile.TemporaryFile(prefix="cgt-claimcheck-stdin-")
        try:
            shutil.copyfileobj(stream, spool, 1 << 20)
            spool.flush()  # readers open the file descriptor, not this buffered object
        except (OSError, ValueError) as exc:
            spool.close()
            raise UsageError(f"standard input cannot be read ({exc})", file="<stdin>") from None
        if _stdin_spool is not None:
            _stdin_spool[1].close()
        _stdin_spool = (stream, spool)
    return _stdin_spool[1]


class _OwnedGzip(gzip.GzipFile):
    """A GzipFile that closes the file it reads (GzipFile leaves a file object it is given open)."""

    def __init__(self, handle: IO[bytes]) -> None:
        super().__init__(fileobj=handle)
        self._handle = handle

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._handle.close()


class ByteSource:
    """One input's bytes, decoded to UTF-8 with LF line ends, readable as many times as needed."""

    def __init__(self, path: str, encoding: str = "utf-8", *, text: bool = True) -> None:
        self.path = path
        self.display = display_name(path)
        if path != STDIN and not Path(path).is_file():
            raise UsageError("no such file" if not Path(path).exists() else "not a file", file=self.display)
        self._head_bytes: bytes | None = None
        self.encoding = self._resolve_encoding(encoding) if text else "utf-8"
        self.transcode = codecs.lookup(self.encoding).name not in _UTF8
        # A CR that is not part of a CRLF ends a line: CR-only files from old Mac exports, and files
        # where another tool appended rows with other line ends (the parser splits rows there too).
        self.bare_cr_ends_lines = text
        self.bare_cr_seen = False  # a CR-only line end was read (and made a line break)

    # --- opening ---------------------------------------------------------------------------------
    def raw(self) -> Any:
        """The decompressed bytes as they are in the file."""
        try:
            if self.path == STDIN:
                handle = os.fdopen(os.dup(_spooled_stdin().fileno()), "rb")
                handle.seek(0)
            else:
                handle = open(self.path, "rb")
            # gzip by its magic bytes, whatever the name: a nightly.csv that is really compressed
            # reads as it is meant to, and a .gz that is not compressed reads as plain text.
            if handle.read(2) == b"\x1f\x8b":
                handle.seek(0)
                return _OwnedGzip(handle)
            handle.seek(0)
            return handle
        except OSError as exc:
            raise UsageError(f"cannot be read ({exc.strerror or exc})", file=self.display) from None

    def _raw_at(self, start: int, end: int | None) -> Any:
        """The decompressed bytes, from `start` (a part of a plain file: ingest/byte_ranges.py)."""
        fh = self.raw()
        try:
            if start or end is not None:
                fh.seek(start)
        except BaseException:
            fh.close()
            raise
        return fh

    def blocks(self, size: int, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """UTF-8 text with LF line ends, in blocks of about `size` bytes.

        From `start` to `end` (a part of a plain UTF-8 file, ingest/byte_ranges.py), the blocks
        still end where the whole file's would: at multiples of `size` in the file.
        """
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="surrogateescape") if self.transcode else None
        held = b""  # a CR at the end of a block: its LF may start the next one
        try:
            with self._raw_at(start, end) as fh:
                position = start
                while True:
                    wanted = _wanted(position, size, end)
                    read = fh.read(wanted) if wanted > 0 else b""
                    position += len(read)
                    block = read
                    if decoder is not None:  # at the end (read == b""), flush what the decoder holds
                        block = decoder.decode(read, final=not read).encode("utf-8", errors="surrogateescape")
                    if self.bare_cr_ends_lines:
                        block, held = held + block, b""
                        if read and block.endswith(b"\r"):
                            block, held = block[:-1], b"\r"
                        converted = _bare_cr_as_lf(block)
                        self.bare_cr_seen = self.bare_cr_seen or converted is not block
                        block = converted
                    if block:
                        yield block
                    if not read:
                        return
        except UnicodeDecodeError as exc:
            raise UsageError(
                f"is not {self.encoding} text ({exc.reason}); pass the file's encoding with --encoding",
                file=self.display,
            ) from None
        except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise UsageError(f"cannot be read ({exc})", file=self.display) from None

    def line_blocks(self, size: int, start: int = 0, end: int | None = None) -> Iterator[memoryview]:
        """The text `blocks` gives, in blocks that end at a line break, then the text after the
        last one (if any). Each block is a view of one buffer that the next block is read into:
        use it before asking for the next.

        Plain UTF-8 is read straight into that buffer behind the partial line the last block left
        (a few bytes moved, where joining them to the next block copied 32 MB); the reads end
        where `blocks` ends its blocks, so a part of a file (ingest/byte_ranges.py) cuts the
        same blocks as the whole file. Other encodings are joined from `blocks`.
        """
        if self.transcode:
            yield from _joined_lines(self.blocks(size, start, end))
            return
        buffer, held = bytearray(), 0  # held: the partial line carried at the buffer's start
        try:
            with self._raw_at(start, end) as fh:
                position = start
                while True:
                    wanted = _wanted(position, size, end)
                    if len(buffer) < held + wanted:  # room for a partial line too (a long one: more)
                        grown = bytearray(max(held + wanted, size) + max(held, 1 << 20))
                        grown[:held] = buffer[:held]
                        buffer = grown
                    read = _read_into(fh, memoryview(buffer)[held : held + max(wanted, 0)])
                    position += read
                    filled = held + read
                    if self.bare_cr_ends_lines and buffer.find(b"\r", 0, filled) >= 0:
                        buffer, filled = self._without_bare_cr(buffer, filled, final=not read)
                    cut = buffer.rfind(b"\n", 0, filled) + 1
                    if cut:
                        yield memoryview(buffer)[:cut]
                    if not read:
                        if filled > cut:
                            yield memoryview(buffer)[cut:filled]
                        return
                    buffer[: filled - cut] = buffer[cut:filled]  # the partial line, to the start
                    held = filled - cut
        except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise UsageError(f"cannot be read ({exc})", file=self.display) from None

    def _without_bare_cr(self, buffer: bytearray, filled: int, final: bool) -> tuple[bytearray, int]:
        """buffer[:filled] with each CR that is not part of a CRLF made a LF, as `blocks` does; a CR
        that ends what is read so far waits for the next read (its LF may start it)."""
        stop = filled - 1 if not final and buffer[filled - 1] == ord("\r") else filled
        if buffer.count(b"\r", 0, stop) == buffer.count(b"\r\n", 0, stop):
            return buffer, filled  # CRLF line ends only: nothing to change
        self.bare_cr_seen = True
        text = bytes(buffer[:stop]).replace(b"\r\n", b"\n").replace(b"\r", b"\n") + bytes(buffer[stop:filled])
        return bytearray(text), len(text)

    def header_line(self) -> bytes:
        """The first line (without its line end), however long, up to HEADER_LIMIT."""
        parts: list[bytes] = []
        size = 0
        for block in self.blocks(SNIFF_BYTES):
            newline = block.find(b"\n")
            if newline >= 0:
                parts.append(block[:newline])
                break
            parts.append(block)
            size += len(block)
            if size > HEADER_LIMIT:
                raise UsageError(
                    f"the first line is over {HEADER_LIMIT >> 20} MB with no line break: not a delimited extract",
                    file=self.display,
                    line=1,
                )
        line = b"".join(parts).rstrip(b"\r")
        if not line.strip() and not self._has_content():
            raise EmptyInput("file is empty: expected a header row", file=self.display, line=1)
        return line

    # --- sniffing --------------------------------------------------------------------------------
    def _head(self) -> bytes:
        """The first bytes as they are in the file, read once (encoding and emptiness checks)."""
        if self._head_bytes is None:
            try:
                with self.raw() as fh:
                    self._head_bytes = fh.read(SNIFF_BYTES)
            except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
                raise UsageError(f"cannot be read ({exc})", file=self.display) from None
        return self._head_bytes

    def _has_content(self) -> bool:
        return bool(self._head().strip(b"\r\n\t \x00"))

    def _resolve_encoding(self, given: str) -> str:
        given_name = text_encoding(given, self.display)
        head = self._head()
        recognized = what_it_is(head)  # before any encoding advice: following that would fail again
        if recognized is not None:
            what, advice = recognized
            raise UsageError(f"is {what}, not a text extract: {advice}", file=self.display)
        marked = next((name for bom, name in _BOMS if head.startswith(bom)), None)
        if marked and marked != "utf-8":
            if given_name in _UTF8:
                return marked  # the byte-order mark says what the file is; the codec skips it
            if not given_name.startswith(marked):
                raise UsageError(
                    f"the file starts with a {marked.upper()} byte-order mark but --encoding is {given}; "
                    f"drop --encoding or pass --encoding {marked}",
                    file=self.display,
                )
        elif given_name in _UTF8 and b"\x00" in head.split(b"\n", 1)[0]:
            raise UsageError(
                "the header contains NUL bytes: the file looks like UTF-16 or UTF-32 without a byte-order "
                "mark; pass --encoding utf-16-le (or utf-16-be, utf-32-le, utf-32-be)",
                file=self.display,
                line=1,
            )
        return given_name


# Files a billing system or a clerk hands over by mistake, by their first bytes.
SAVE_AS_CSV = "save the sheet as CSV (UTF-8) and check that file"
EXPORT_AS_CSV = "export the claim lines from the billing system as CSV and check that file"
NOT_TEXT = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook (or another OLE document)", SAVE_AS_CSV),
    (b"PAR1", "a Parquet file", "name it .parquet (or .pq) and check it again"),
    (b"%PDF-", "a PDF document", EXPORT_AS_CSV),
)
# What a zip archive holds, by the first member's name (a workbook names its parts first).
ZIP_PARTS = (
    (b"xl/", "an Excel workbook (.xlsx)", SAVE_AS_CSV),
    (b"[Content_Types].xml", "an Office document (an Excel .xlsx workbook, perhaps)", SAVE_AS_CSV),
    (b"word/", "a Word document", EXPORT_AS_CSV),
)


def what_it_is(head: bytes) -> tuple[str, str] | None:
    """(what the file is, what to do) for a file that is plainly not a claim-line extract, else None."""
    for magic, what, advice in NOT_TEXT:
        if head.startswith(magic):
            return what, advice
    if head.startswith(b"PK\x03\x04"):
        for part, what, advice in ZIP_PARTS:
            if part in head[:2048]:
                return what, advice
        return "a zip archive", "unzip it and check the extract inside"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    if text.startswith((b"<!doctype html", b"<html")):
        return "an HTML page", EXPORT_AS_CSV + " (a page saved from a browser is not an extract)"
    if text.startswith(b"{") or re.match(rb"\[\s*[{\[\"\d-]", text):
        return "a JSON document (a report, perhaps)", "check the claim-line extract it was made from"
    return None


def _wanted(position: int, size: int, end: int | None) -> int:
    """How much to read next: up to the next multiple of `size` in the file, or to `end`."""
    wanted = size - position % size
    return min(wanted, end - position) if end is not None else wanted


def _read_into(fh: Any, view: memoryview) -> int:
    """Fill `view` from the file (a gzip stream may give less a call); fewer bytes only at its end."""
    done = 0
    while done < len(view):
        got = fh.readinto(view[done:])
        if not got:
            break
        done += got
    return done


def _joined_lines(blocks: Iterator[bytes]) -> Iterator[memoryview]:
    """Blocks that end at a line break, from blocks that end anywhere, then the text after the last one."""
    leftover = b""
    for block in blocks:
        data = leftover + block if leftover else block
        cut = data.rfind(b"\n") + 1
        leftover = data[cut:]
        if cut:
            yield memoryview(data)[:cut]
    if leftover:
        yield memoryview(leftover)


def _bare_cr_as_lf(block: bytes) -> bytes:
    """Each CR that is not followed by LF becomes LF (two counts, and nothing copied, when there is none)."""
    if b"\r" not in block or block.count(b"\r") == block.count(b"\r\n"):
        return block
    return block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def text_encoding(given: str, display: str | None = None) -> str:
    """The codec name of a text encoding that can read an extract; UsageError for anything else.

    Python's codec registry also holds bytes-to-bytes and str-to-str transforms (base64, rot13)
    and codecs that cannot carry undecodable bytes through (idna): none of them reads a file.
    """
    try:
        info = codecs.lookup(given)
    except LookupError:
        raise UsageError(f"--encoding {excerpt(given, 40)!r} is not a known text encoding", file=display) from None
    try:
        if not getattr(info, "_is_text_encoding", True):
            raise TypeError
        probe = "claim_id,units\n"
        if codecs.decode(codecs.encode(probe, info.name), info.name, "surrogateescape") != probe:
            raise ValueError
    except (TypeError, ValueError, LookupError, UnicodeError):
        raise UsageError(
            f"--encoding {excerpt(given, 40)!r} is not a text encoding a file can be read in (use e.g. utf-8, "
            "cp1252, latin-1, utf-16)",
            file=display,
        ) from None
    return info.name
