"""Where each X12 service line is (ingest/x12_syntax.LinePlaces): kept as runs with 4-byte
distances, it must give back every place it was given, whatever the values and their order."""

from __future__ import annotations

import pickle

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cgt_claimcheck.ingest.x12_syntax import LinePlaces

FOUR_GB = 1 << 32
# Lines and bytes near the edges the runs care about: unknown (0 and -1), small, and past 4 GB.
LINES = st.one_of(st.just(0), st.integers(1, 50), st.integers(FOUR_GB - 3, FOUR_GB + 3), st.integers(1, 1 << 40))
OFFSETS = st.one_of(st.just(-1), st.integers(0, 50), st.integers(FOUR_GB - 3, FOUR_GB + 3), st.integers(0, 1 << 40))
PLACE = st.tuples(st.integers(0, (1 << 31) - 1), LINES, OFFSETS)  # segment, line, byte
CALL = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 3), PLACE),
    st.tuples(st.just("extend"), st.integers(0, 3), st.lists(PLACE, max_size=6)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(CALL, max_size=12))
def test_every_place_given_is_given_back(calls):
    places, expected = LinePlaces(), []
    for kind, transaction, what in calls:
        if kind == "add":
            places.add(transaction, *what)
            expected.append((transaction, *what))
        else:
            columns = [np.array(c, dtype=np.int64) for c in zip(*what, strict=True)] or [np.zeros(0, np.int64)] * 3
            places.extend(transaction, *columns)
            expected += [(transaction, *place) for place in what]
    assert len(places) == len(expected)
    copy = pickle.loads(pickle.dumps(places))  # a worker hands it back
    assert [places.at(i) for i in range(len(expected))] == expected
    assert [copy.at(i) for i in range(len(expected))] == expected


def test_a_body_of_one_transaction_is_one_run_of_12_bytes_a_line():
    places = LinePlaces()
    segment = np.arange(10, 10_010, dtype=np.int64)
    places.extend(0, segment, segment + 100, segment * 40)
    places.extend(0, segment + 10_000, segment + 10_100, segment * 40 + 400_000)
    places.extend(1, segment, segment + 20_100, segment * 40 + 800_000)
    assert list(places.run_first) == [0, 20_000]  # a run per transaction
    per_line = sum(a.itemsize for a in (places.segment, places.line, places.offset))
    assert per_line == 12
    assert places.at(20_000) == (1, 10, 20_110, 800_400)
