"""`distinct` is np.unique for the integer arrays a check holds, by a sort (numpy's hash-based
plain unique took 8-40x as long on them)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cgt_claimcheck.distinct import distinct

INTEGERS = st.sampled_from([np.int32, np.int64, np.uint64, np.uint8, np.bool_])


@settings(max_examples=300, deadline=None)
@given(INTEGERS.flatmap(lambda kind: hnp.arrays(kind, hnp.array_shapes(min_dims=1, max_dims=2, max_side=40))))
def test_distinct_is_np_unique(values):
    found = distinct(values)
    assert found.dtype == values.dtype
    assert np.array_equal(found, np.unique(values))
    assert np.array_equal(distinct(values.copy(), in_place=True), found)  # sorted where it is: the same


def test_floats_keep_np_unique_and_its_one_nan():
    values = np.array([2.0, np.nan, 1.0, np.nan, 2.0])
    assert np.array_equal(distinct(values), np.array([1.0, 2.0, np.nan]), equal_nan=True)


def test_empty_and_single():
    assert distinct(np.array([], np.uint64)).dtype == np.uint64 and not len(distinct(np.array([], np.uint64)))
    assert distinct(np.array([7], np.int32)).tolist() == [7]
