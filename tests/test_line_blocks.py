"""ByteSource.line_blocks: the text `blocks` gives, cut at line breaks, read into one buffer.

The extract reader parses what line_blocks yields. Whatever the bytes (LF, CRLF, CR-only line
ends and a CR at a read's edge, a last line without a break, a line longer than a read), the
blocks joined must be the text `blocks` gives, each but the last must end at a line break, and a
part of the file must give the blocks the whole file gives in that range.
"""

from __future__ import annotations

import gzip

from hypothesis import given, settings
from hypothesis import strategies as st

from cgt_claimcheck.ingest.source import ByteSource

pieces = st.lists(
    st.sampled_from([b"a", b"bc,d", b"\n", b"\r\n", b"\r", b" ", b"\xc3\xa9", b"x" * 40]), min_size=0, max_size=80
)


def _write(tmp_path, data: bytes, name: str = "t.csv"):
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return str(path)


def _blocks(source: ByteSource, size: int, *bounds: int) -> list[bytes]:
    return [bytes(block) for block in source.line_blocks(size, *bounds)]  # each used before the next


@settings(max_examples=300, deadline=None)
@given(pieces, st.integers(1, 50), st.sampled_from(["t.csv", "t.csv.gz"]), st.sampled_from(["utf-8", "cp1252"]))
def test_the_blocks_are_the_text_cut_at_line_breaks(tmp_path_factory, parts, size, name, encoding):
    data = b"".join(parts)
    path = _write(tmp_path_factory.mktemp("lines"), data, name)
    whole, lines = ByteSource(path, encoding), ByteSource(path, encoding)
    expected = b"".join(whole.blocks(size))
    got = _blocks(lines, size)
    assert b"".join(got) == expected
    assert all(block.endswith(b"\n") for block in got[:-1]) and all(got)
    assert lines.bare_cr_seen == whole.bare_cr_seen


@settings(max_examples=200, deadline=None)
@given(pieces, st.integers(1, 30), st.data())
def test_a_part_gives_the_blocks_of_the_whole_file_in_its_range(tmp_path_factory, parts, size, data):
    """Parts start after a line break at a multiple of the read size (ingest/byte_ranges.py)."""
    text = b"".join(parts).replace(b"\r", b"")  # a file a part may be cut from: LF line ends
    path = _write(tmp_path_factory.mktemp("parts"), text)
    cuts = sorted({text.rfind(b"\n", 0, k) + 1 for k in range(size, len(text), size)} - {0})
    start = data.draw(st.sampled_from([0, *cuts]))
    whole = b"".join(_blocks(ByteSource(path), size))
    part = _blocks(ByteSource(path), size, start, len(text))
    assert b"".join(part) == whole[start:]
    assert all(block.endswith(b"\n") for block in part[:-1])


def test_a_line_longer_than_a_read_comes_whole(tmp_path):
    line = b"claim," + b"z" * 5000 + b"\n"
    path = _write(tmp_path, b"h\n" + line + b"last")
    assert _blocks(ByteSource(path), 64) == [b"h\n", line, b"last"]
