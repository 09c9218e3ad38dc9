"""X12 segments as arrays: a block of whole segments cut into tokens (elements) with numpy.

A block is the bytes of whole segments of one interchange, each ending with its terminator, line
breaks already removed (unless a break is the terminator), in UTF-8. Every element separator and
terminator is found in one pass; a token is the text between two of them, so element k of
segment s is token `first[s] + k`. Strings are gathered only for the elements a mapping asks for.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.ingest.x12_syntax import KNOWN_SEGMENTS, Separators

# What str.strip() removes in the Latin-1 range: the per-segment mapping strips every element so.
WHITESPACE = " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0"
SEGMENT_IDS = tuple(sorted(KNOWN_SEGMENTS))
ID = {name: code for code, name in enumerate(SEGMENT_IDS)}


def _packed(name: bytes) -> int:
    """Up to 3 bytes and the length as one number (the length tells 'EL' from 'EL\\0')."""
    return len(name) << 24 | int.from_bytes(name.ljust(3, b"\0"), "big")


_PACKED = np.array([_packed(name.encode()) for name in SEGMENT_IDS], dtype=np.int64)
_ORDER = np.argsort(_PACKED)
_SORTED = _PACKED[_ORDER]


class SegmentBlock:
    """Whole segments of one interchange: tokens, segment ranges and segment ids (-1: unknown)."""

    def __init__(self, data: bytes, seps: Separators) -> None:
        self._cut(data, seps)
        lead = b" \t\r\n".replace(seps.terminator.encode(), b"")  # stripped off a segment's start
        if self.count and np.isin(self.buf[self.start], np.frombuffer(lead, dtype=np.uint8)).any():
            # Indentation (or a line break that is not the terminator): stripped as one segment at a time is.
            pattern = rb"(?:\A|(?<=" + re.escape(seps.terminator.encode()) + rb"))[" + re.escape(lead) + rb"]+"
            self._cut(re.sub(pattern, b"", data), seps)

    def _cut(self, data: bytes, seps: Separators) -> None:
        for cached in ("_padded", "_spaced", "_token_text"):  # of the bytes before a strip
            self.__dict__.pop(cached, None)
        self.data = data
        self.seps = seps
        buf = np.frombuffer(data, dtype=np.uint8)
        self.buf = buf
        is_end = buf == ord(seps.terminator)
        self.is_delimiter = is_end | (buf == ord(seps.element))  # kept: _spaced reads it
        delimiters = np.flatnonzero(self.is_delimiter)
        self.token_end = delimiters
        self.last = np.flatnonzero(is_end[delimiters])  # each segment's last token
        self.first = np.concatenate(([0], self.last[:-1] + 1)) if len(self.last) else self.last
        self.count = len(self.last)
        self.start = self.token_start(self.first)
        self.end = self.token_end[self.last]  # the terminator's position
        self.ids = self._ids()

    @functools.cached_property
    def _padded(self) -> np.ndarray:
        """The bytes and a few zeros, so that the bytes after a token's start can be read."""
        return np.concatenate((self.buf, np.zeros(9, dtype=np.uint8)))

    def token_start(self, tokens: np.ndarray) -> np.ndarray:
        """Where each token starts: after the delimiter that ends the one before it."""
        return np.where(tokens > 0, self.token_end[np.maximum(tokens - 1, 0)] + 1, 0)

    @functools.cached_property
    def _spaced(self) -> np.ndarray:
        """Which tokens start or end with a byte str.strip() may remove: a control character, a
        space or a non-ASCII byte next to a delimiter (or the block's start)."""
        spaced = np.zeros(len(self.token_end), dtype=bool)
        buf, is_delimiter = self.buf, self.is_delimiter
        suspect = np.flatnonzero((buf <= 32) | (buf >= 128))
        if len(suspect):
            # A suspect byte at the block's start or next to a delimiter (on either side) is at an edge.
            before = np.maximum(suspect - 1, 0)
            after = np.minimum(suspect + 1, len(buf) - 1)
            edge = suspect[(suspect == 0) | is_delimiter[before] | (is_delimiter[after] & (suspect + 1 < len(buf)))]
            spaced[np.minimum(np.searchsorted(self.token_end, edge), len(spaced) - 1)] = True
        return spaced

    def _ids(self) -> np.ndarray:
        """Each segment's id as an index of SEGMENT_IDS; -1 for one not known (lowercase, empty,
        led by a space): the per-segment mapping reports those."""
        if not self.count:
            return np.zeros(0, dtype=np.int64)
        length = self.token_end[self.first] - self.start
        padded = self._padded
        start = self.start
        packed = (
            (padded[start].astype(np.int64) << 16)
            | (padded[start + 1].astype(np.int64) << 8)
            | np.where(length == 3, padded[start + 2], 0)
            | (length << 24)
        )
        packed[(length < 2) | (length > 3)] = -1
        at = np.minimum(np.searchsorted(_SORTED, packed), len(_SORTED) - 1)
        return np.where(_SORTED[at] == packed, _ORDER[at], -1)

    def text(self, segment: int) -> str:
        return self.data[self.start[segment] : self.end[segment]].decode("utf-8")

    @functools.cached_property
    def _token_text(self) -> pa.Array:
        """Token i as string 2i, the delimiter after it as 2i + 1 and '' last, over the block's own
        bytes (no copy): a token is taken without its delimiter, and a missing one as ''."""
        count = len(self.token_end)
        offsets = np.empty(2 * count + 2, dtype=np.int32)
        offsets[0] = 0
        offsets[2:-1:2] = self.token_end + 1  # where each next token starts
        offsets[1:-1:2] = self.token_end
        offsets[-1] = offsets[-2]
        return pa.StringArray.from_buffers(2 * count + 1, pa.py_buffer(offsets), pa.py_buffer(self.data))

    def tokens(self, tokens: np.ndarray, *, strip: bool = True, given: np.ndarray | None = None) -> pa.Array:
        """The text of each token ('' where `given` is False), stripped as str.strip() strips."""
        if not len(tokens):
            return pa.array([], pa.string())
        index = 2 * tokens if given is None else np.where(given, 2 * tokens, 2 * len(self.token_end))
        text = self._token_text.take(pa.array(index))
        if strip and self._spaced[tokens if given is None else tokens[given]].any():
            text = pc.utf8_trim(text, WHITESPACE)
        return text

    def _element_token(self, segments: np.ndarray, k: int | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(token, whether the segment has it) of element k of each segment (-1: none)."""
        seg = np.maximum(segments, 0)
        token = self.first[seg] + k
        has = (segments >= 0) & (token <= self.last[seg])
        return np.where(has, token, 0), has

    def element(self, segments: np.ndarray, k: int | np.ndarray, *, strip: bool = True) -> pa.Array:
        """Element k of each segment ('' where the segment is -1 or has fewer elements), stripped as
        str.strip() strips."""
        if not self.count:
            return pa.array([""] * len(segments), pa.string())
        token, has = self._element_token(segments, k)
        return self.tokens(token, strip=strip, given=has)

    def element_code(self, segments: np.ndarray, k: int, names: list[str]) -> np.ndarray:
        """1 + the index in `names` (codes of up to 3 characters) of element k of each segment, 0
        when it is none of them; compared as bytes, without making strings."""
        if not self.count or not len(segments):
            return np.zeros(len(segments), dtype=np.int64)
        token, has = self._element_token(segments, k)
        if self._spaced[token[has]].any():  # a value to strip first: compare the stripped strings
            values = self.element(segments, k)
            return pc.fill_null(pc.add(pc.index_in(values, pa.array(names)), 1), 0).to_numpy(zero_copy_only=False)
        start, end = np.where(has, self.token_start(token), 0), np.where(has, self.token_end[token], 0)
        length = end - start
        padded = self._padded
        packed = (
            (padded[start].astype(np.int64) << 16)
            | (np.where(length >= 2, padded[start + 1], 0).astype(np.int64) << 8)
            | np.where(length >= 3, padded[start + 2], 0)
            | (length << 24)
        )
        packed[(length < 1) | (length > 3)] = -1
        wanted = np.array([_packed(name.encode()) for name in names], dtype=np.int64)
        order = np.argsort(wanted)
        at = np.minimum(np.searchsorted(wanted[order], packed), len(names) - 1)
        return np.where(wanted[order][at] == packed, order[at] + 1, 0)

    def element_given(self, segments: np.ndarray, k: int) -> np.ndarray:
        """Is element k of each segment non-empty once stripped?"""
        token, has = self._element_token(segments, k)
        if self._spaced[token[has]].any():
            return pc.not_equal(self.element(segments, k), "").to_numpy(zero_copy_only=False)
        start, end = np.where(has, self.token_start(token), 0), np.where(has, self.token_end[token], 0)
        return end > start

    def element_number(self, segments: np.ndarray, k: int) -> np.ndarray:
        """Element k of each segment as a number where it is one written plainly (1 to 9 digits, no
        leading zero, as HL01 and HL02 are), else -1."""
        token, has = self._element_token(segments, k)
        if self._spaced[token[has]].any():
            text = self.element(segments, k)
            plain = pc.match_substring_regex(text, r"^[1-9][0-9]{0,8}$")
            return pc.if_else(plain, pc.cast(pc.if_else(plain, text, "0"), pa.int64()), -1).to_numpy(
                zero_copy_only=False
            )
        start, end = np.where(has, self.token_start(token), 0), np.where(has, self.token_end[token], 0)
        length = end - start
        value = np.full(len(token), -1, dtype=np.int64)
        # Digit by digit over the tokens still that long (HL numbers have a few digits).
        active = np.flatnonzero((length >= 1) & (length <= 9) & (self._padded[start] >= ord("1")))
        active = active[self._padded[start[active]] <= ord("9")]
        value[active] = 0
        for place in range(9):
            if not len(active):
                break
            digit = self._padded[start[active] + place].astype(np.int64) - 48
            plain = (digit >= 0) & (digit <= 9)
            value[active[~plain]] = -1
            active, digit = active[plain], digit[plain]
            value[active] = value[active] * 10 + digit
            active = active[length[active] > place + 1]
        return value

    def elements_of(self, segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(token, its segment's position in `segments`) of every element after the id, in order."""
        counts = self.last[segments] - self.first[segments]
        owner = np.repeat(np.arange(len(segments)), counts)
        starts = np.repeat(self.first[segments] + 1 - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        return starts + np.arange(int(counts.sum()), dtype=np.int64), owner

    def contains(self, character: str) -> np.ndarray:
        """Which segments hold this (one-byte) character."""
        found = np.zeros(self.count, dtype=bool)
        where = np.flatnonzero(self.buf == ord(character))
        if len(where):
            found[np.searchsorted(self.start, where, side="right") - 1] = True
        return found


def components(
    values: pa.Array, separator: str, k: int, *, strip: bool = True, max_splits: int | None = None
) -> pa.Array:
    """Component k of each composite ('' where it has fewer)."""
    return Composites(values, separator, max_splits=max_splits).component(k, strip=strip)


class Composites:
    """Composites split once at their separator, for each component read from them."""

    def __init__(self, values: pa.Array, separator: str, *, max_splits: int | None = None) -> None:
        self.lists = pc.split_pattern(values, separator, max_splits=max_splits)
        self.offsets = self.lists.offsets.to_numpy()
        self.count = len(values)

    def component(self, k: int, *, strip: bool = True) -> pa.Array:
        """Component k of each composite ('' where it has fewer), stripped as str.strip() strips."""
        flat, offsets = self.lists.values, self.offsets
        has = offsets[:-1] + k < offsets[1:]
        if not has.any():
            return pa.repeat(pa.scalar("", pa.string()), self.count)
        out = flat.take(pa.array(np.where(has, offsets[:-1] + k, 0)))
        if not has.all():
            out = pc.if_else(pa.array(has), out, "")
        return pc.utf8_trim(out, WHITESPACE) if strip and _may_strip(flat) else out

    def joined_nonempty(self, first: int, stop: int, joiner: str) -> pa.Array:
        """Components first..stop-1 of each composite, the non-empty ones joined (modifiers: as
        written, not stripped)."""
        lists = pc.list_slice(self.lists, first, stop)
        return group_join(
            lists.values,
            np.repeat(np.arange(self.count), pc.list_value_length(lists).to_numpy(zero_copy_only=False)),
            self.count,
            joiner,
        )


def _may_strip(text: pa.Array) -> bool:
    """Whether a value of these strings could start or end with what str.strip() removes: a byte
    below '!' or outside ASCII anywhere in their data (a cheap test that errs towards stripping)."""
    data = text.buffers()[2]
    if data is None:
        return False
    raw = np.frombuffer(data, dtype=np.uint8)
    return bool((raw <= 32).any() or (raw >= 128).any())


def group_join(values: pa.Array, group: np.ndarray, groups: int, joiner: str) -> pa.Array:
    """For each group 0..groups-1, its non-empty values in order joined by `joiner` ('' when none);
    `group` is non-decreasing."""
    keep = pc.not_equal(values, "").to_numpy(zero_copy_only=False) if len(values) else np.zeros(0, bool)
    group = group[keep]
    offsets = np.zeros(groups + 1, dtype=np.int32)
    np.cumsum(np.bincount(group, minlength=groups), out=offsets[1:])
    lists = pa.ListArray.from_arrays(pa.array(offsets), values.filter(pa.array(keep)) if len(values) else values)
    return pc.binary_join(lists, joiner)
