"""A block of X12 segments read as arrays gives what splitting each segment's text in Python gives.

The reference is the per-segment mapping's reading: a segment split by the element separator,
an element stripped as str.strip() strips, a composite split by the component separator and each
component stripped. Generated blocks hold spaces and non-ASCII letters at every edge, empty
elements and components, and separators of several sets.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cgt_claimcheck.ingest.x12_segments import Composites, SegmentBlock, components
from cgt_claimcheck.ingest.x12_syntax import Separators

SEPARATOR_SETS = [("*", ":", "~"), ("|", "^", "\n"), ("*", ">", "~"), ("!", "\\", "'")]
LETTERS = ["A", "7", " ", "\xa0", "é", "-", "\t"]


def _stripped(text: str) -> str:
    return text.strip()


@st.composite
def blocks(draw) -> tuple[str, tuple[str, str, str]]:
    element, component, terminator = draw(st.sampled_from(SEPARATOR_SETS))
    values = st.text(alphabet=LETTERS, max_size=4)
    composite = st.lists(values, min_size=1, max_size=4).map(component.join)
    segments = []
    for _ in range(draw(st.integers(1, 6))):
        name = draw(st.sampled_from(["SV1", "HI", "CLM", "NM1"]))
        elements = draw(st.lists(st.one_of(values, composite), max_size=6))
        segments.append(element.join([name, *elements]) + terminator)
    return "".join(segments), (element, component, terminator)


def _block(text: str, seps: tuple[str, str, str]) -> SegmentBlock:
    element, component, terminator = seps
    return SegmentBlock(text.encode("utf-8"), Separators(element, component, None, terminator))


@settings(max_examples=300, deadline=None)
@given(drawn=blocks(), k=st.integers(0, 7), c=st.integers(0, 4))
def test_a_component_read_off_the_bytes_is_the_stripped_split_of_its_element(drawn, k, c):
    text, seps = drawn
    element, component, terminator = seps
    block = _block(text, seps)
    parsed = [segment.split(element) for segment in text.split(terminator)[:-1]]
    wanted = []
    for elements in parsed:
        value = _stripped(elements[k]) if k < len(elements) else ""
        parts = value.split(component)
        wanted.append(_stripped(parts[c]) if c < len(parts) else "")
    segments = np.arange(block.count)
    assert components(block.element(segments, k), component, c).to_pylist() == wanted
    # A missing segment (-1) gives ''.
    with_missing = np.concatenate(([-1], segments))
    assert components(block.element(with_missing, k), component, c).to_pylist() == ["", *wanted]


@settings(max_examples=200, deadline=None)
@given(drawn=blocks(), c=st.integers(0, 3))
def test_every_token_and_its_components(drawn, c):
    text, seps = drawn
    element, component, terminator = seps
    block = _block(text, seps)
    tokens = [token for segment in text.split(terminator)[:-1] for token in segment.split(element)]
    everyone = np.arange(len(tokens))
    assert block.tokens(everyone, strip=False).to_pylist() == tokens
    assert block.tokens(everyone).to_pylist() == [_stripped(t) for t in tokens]
    wanted = [_stripped(parts[c]) if c < len(parts) else "" for parts in (t.split(component) for t in tokens)]
    assert components(block.tokens(everyone, strip=False), component, c).to_pylist() == wanted
    given_ = everyone % 2 == 0
    assert block.tokens(everyone, given=given_).to_pylist() == [
        _stripped(token) if keep else "" for token, keep in zip(tokens, given_, strict=True)
    ]


@settings(max_examples=200, deadline=None)
@given(drawn=blocks(), k=st.integers(0, 7))
def test_one_split_serves_every_component_and_the_joined_run(drawn, k):
    """Composites splits a column once: each component, and components 2-5 joined where not
    empty (modifiers), are what splitting each value again gives."""
    text, seps = drawn
    element, component, terminator = seps
    block = _block(text, seps)
    values = block.element(np.concatenate((np.arange(block.count), [-1])), k)  # a missing one last: not flat[0]
    composites = Composites(values, component)
    split = [value.split(component) for value in values.to_pylist()]
    for c in range(5):
        wanted = [_stripped(parts[c]) if c < len(parts) else "" for parts in split]
        assert composites.component(c).to_pylist() == wanted
    assert composites.joined_nonempty(2, 6, ";").to_pylist() == [
        ";".join(p for p in parts[2:6] if p) for parts in split
    ]


@pytest.mark.parametrize("component", [" ", "\x1f"])
def test_a_component_separator_a_strip_removes_is_split_after_the_strip(component):
    # "\x1fB" stripped is "B": its first component is "B", not the empty text before the separator.
    block = _block(f"SV1*{component}B{component}C*D~", ("*", component, "~"))
    element = block.element(np.array([0]), 1)
    assert components(element, component, 0).to_pylist() == ["B"]
    assert components(element, component, 1).to_pylist() == ["C"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet="0123456789 A", max_size=11), min_size=1, max_size=8),
    st.sampled_from(SEPARATOR_SETS),
)
def test_a_number_element_is_read_where_it_is_written_plainly(values, seps):
    """element_number: 1 to 9 digits without a leading zero (stripped first), else -1."""
    import re

    element, component, terminator = seps
    block = _block("".join(f"HL{element}{v}{terminator}" for v in values), seps)
    wanted = [int(v.strip()) if re.fullmatch(r"[1-9][0-9]{0,8}", v.strip()) else -1 for v in values]
    assert block.element_number(np.arange(block.count), 1).tolist() == wanted
    assert block.element_number(np.array([-1]), 1).tolist() == [-1]


@st.composite
def _segment_starts_and_breaks(draw):
    """Where segments start and where line breaks are in a block: mostly a break before each
    next segment (the shortcut's case), sometimes none, two, or one moved across a start."""
    lengths = draw(st.lists(st.integers(2, 30), min_size=0, max_size=40))
    first = np.cumsum([draw(st.integers(0, 3))] + lengths)[:-1] if lengths else np.zeros(0, np.int64)
    breaks = []
    for start, length in zip(first.tolist(), lengths, strict=True):
        for _ in range(draw(st.sampled_from([1, 1, 1, 1, 0, 2]))):
            breaks.append(start + draw(st.integers(0, length - 1)))
    breaks += draw(st.lists(st.integers(0, int(first[-1]) + 40 if len(first) else 40), max_size=3))
    return np.asarray(first, dtype=np.int64), np.unique(np.asarray(breaks, dtype=np.int64))


@settings(max_examples=400, deadline=None)
@given(_segment_starts_and_breaks())
def test_each_segment_is_placed_on_its_line_as_a_search_places_it(case):
    from cgt_claimcheck.ingest.x12_stream import breaks_before

    first, breaks = case
    assert breaks_before(breaks, first).tolist() == np.searchsorted(breaks, first).tolist()


def _after_last_envelope_by_search(data: bytes, seps: Separators) -> int:
    """The definition: past the last terminator + id + element separator of an envelope segment."""
    term, element = seps.terminator.encode(), seps.element.encode()
    last = max(data.rfind(term + name + element) for name in (b"ISA", b"GS", b"ST", b"SE", b"GE", b"IEA"))
    if last < 0:
        return 0
    end = data.find(term, last + 1)
    return end + 1 if end >= 0 else 0


_IDS = ["ISA", "GS", "ST", "SE", "GE", "IEA", "CLM", "LX", "SV1", "STX", "SEE", "S", "st", " ST", "IE", ""]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(_IDS), st.sampled_from(["*1", "", "*", "*SE*ST"])), max_size=25),
    st.sampled_from([("*", "~"), ("|", "\n"), ("^", "'")]),
    st.booleans(),
)
def test_a_block_is_cut_after_its_last_envelope_segment(segments, separators, unterminated_tail):
    from cgt_claimcheck.ingest.x12_blocks import after_last_envelope

    element, terminator = separators
    seps = Separators(element, ":", None, terminator)
    text = "".join(name + rest.replace("*", element) + terminator for name, rest in segments)
    if unterminated_tail:
        text += "LX" + element + "1"
    data = text.encode()
    assert after_last_envelope(data, seps) == _after_last_envelope_by_search(data, seps)
