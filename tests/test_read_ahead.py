"""The reader thread one batch ahead (ingest/read_ahead.py): same items, same order, errors where they happened."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cgt_claimcheck.ingest.read_ahead import read_ahead


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(), max_size=50), st.integers(min_value=1, max_value=3))
def test_the_items_come_out_as_they_went_in(items, depth):
    assert list(read_ahead(iter(items), depth)) == items


def test_an_error_while_reading_surfaces_after_the_items_read_before_it():
    def batches():
        yield 1
        yield 2
        raise OSError("disk gone")

    seen = []
    with pytest.raises(OSError, match="disk gone"):
        for item in read_ahead(batches()):
            seen.append(item)
    assert seen == [1, 2]


def test_a_consumer_that_stops_early_stops_the_reader():
    produced = []

    def endless():
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    before = threading.active_count()
    items = read_ahead(endless())
    assert next(items) == 0
    items.close()  # what a `for` loop left by an exception does
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before
    assert len(produced) <= 4  # it ran at most its depth ahead, then stopped
