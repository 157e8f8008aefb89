from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from raschet.core.periods import DateRange, Month, active_on


def test_month_parse_and_bounds():
    m = Month.parse("2025-02")
    assert (m.start, m.end, m.days) == (date(2025, 2, 1), date(2025, 3, 1), 28)
    assert str(Month.parse("2024-12").next()) == "2025-01"
    assert str(Month.parse("2025-01").previous()) == "2024-12"


@pytest.mark.parametrize("bad", ["2025-13", "2025-1", "25-01", "2025/01", ""])
def test_month_parse_rejects(bad):
    with pytest.raises(ValueError, match=r"месяц|период"):
        Month.parse(bad)


@given(st.dates(min_value=date(1901, 1, 1), max_value=date(2998, 12, 1)))
def test_month_next_previous_inverse(day):
    m = Month.of(day)
    assert m.next().previous() == m
    assert m.start <= day < m.end


def test_range_is_half_open():
    r = DateRange(date(2025, 1, 10), date(2025, 1, 20))
    assert r.contains(date(2025, 1, 10))
    assert not r.contains(date(2025, 1, 20))
    assert r.days_within(Month(2025, 1)) == 10
    assert DateRange(date(2024, 12, 20)).days_within(Month(2025, 1)) == 31
    assert not r.overlaps(DateRange(date(2025, 1, 20), None))
    assert r.overlaps(DateRange(date(2025, 1, 19), date(2025, 2, 1)))


def test_range_end_before_start_is_an_error():
    with pytest.raises(ValueError, match="позже"):
        DateRange(date(2025, 1, 10), date(2025, 1, 10))


@given(st.dates(), st.dates(), st.dates())
def test_active_on_matches_range(a, b, day):
    start, end = min(a, b), max(a, b)
    if start == end:
        return
    assert active_on(start, end, day) == DateRange(start, end).contains(day)
    assert active_on(start, None, day) == (day >= start)
