from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from raschet.core.readings import (
    ReadingStatus,
    billing_month_for,
    capacity_fixed,
    from_fixed,
    reading_volume,
    reading_volumes,
    to_fixed,
)

D = Decimal


def check(prev, cur, digits=5, avg=None, **kw):
    return reading_volume(
        previous=D(prev),
        current=D(cur),
        integer_digits=digits,
        average=None if avg is None else D(avg),
        **kw,
    )


def test_forward_volume():
    # rules.md §1.9 C1: 123.456 → 130.456 is 7.000 m³
    result = check("123.456", "130.456")
    assert (result.volume, result.status) == (7000, ReadingStatus.OK)


def test_lower_reading_is_rejected():
    assert check("500.000", "499.999").status == ReadingStatus.LOWER
    assert not ReadingStatus.LOWER.accepted


def test_rollover_near_capacity_is_accepted():
    result = check("99998.500", "1.500", digits=5)
    assert result.status == ReadingStatus.ROLLOVER
    assert from_fixed(result.volume) == D("3.000")


def test_far_rollover_is_a_lower_reading():
    assert check("50000", "10", digits=5).status == ReadingStatus.LOWER


def test_over_capacity_is_rejected():
    assert check("0", "100000", digits=5).status == ReadingStatus.OVER_CAPACITY


def test_high_volume_is_flagged_but_accepted():
    result = check("100", "140", avg="10")
    assert result.status == ReadingStatus.HIGH and result.status.accepted
    assert check("100", "130", avg="10").status == ReadingStatus.OK  # exactly 300 %: not above
    assert check("100", "140", avg="10", threshold_percent=500).status == ReadingStatus.OK
    assert check("100", "140", avg=None).status == ReadingStatus.OK


def test_fixed_point_edges():
    assert to_fixed(D("1.5")) == 1500
    with pytest.raises(ValueError, match="трёх знаков"):
        to_fixed(D("1.2345"))
    with pytest.raises(ValueError, match="разрядность"):
        capacity_fixed(0)


@pytest.mark.parametrize(
    ("received", "cutoff", "month"),
    [
        (date(2025, 3, 25), 25, "2025-03"),
        (date(2025, 3, 26), 25, "2025-04"),
        (date(2025, 12, 31), 25, "2026-01"),
        (date(2025, 2, 28), 31, "2025-02"),
    ],
)
def test_reading_window(received, cutoff, month):
    assert str(billing_month_for(received, cutoff)) == month


def test_reading_window_rejects_bad_cutoff():
    with pytest.raises(ValueError, match="от 1 до 31"):
        billing_month_for(date(2025, 1, 1), 0)


readings = st.integers(min_value=0, max_value=10**8 - 1)


@given(
    st.lists(
        st.tuples(
            readings,
            readings,
            st.integers(min_value=5, max_value=8),
            st.one_of(st.just(-1), st.integers(min_value=0, max_value=10**7)),
        ),
        min_size=1,
        max_size=50,
    ),
    st.integers(min_value=100, max_value=1000),
    st.integers(min_value=1, max_value=500),
)
def test_vectorised_equals_scalar_reference(rows, threshold, rollover):
    prev = np.array([r[0] for r in rows], dtype=np.int64)
    cur = np.array([r[1] for r in rows], dtype=np.int64)
    digits = np.array([r[2] for r in rows], dtype=np.int64)
    avg = np.array([r[3] for r in rows], dtype=np.int64)
    volumes, statuses = reading_volumes(
        previous=prev,
        current=cur,
        integer_digits=digits,
        average=avg,
        threshold_percent=threshold,
        rollover_max_permille=rollover,
    )
    for i, (p, c, d, a) in enumerate(rows):
        if p >= 10**d * 1000:
            continue  # a previous reading beyond capacity cannot exist
        ref = reading_volume(
            previous=from_fixed(p),
            current=from_fixed(c),
            integer_digits=d,
            average=None if a < 0 else from_fixed(a),
            threshold_percent=threshold,
            rollover_max_permille=rollover,
        )
        assert (int(volumes[i]), int(statuses[i])) == (ref.volume, int(ref.status)), rows[i]
