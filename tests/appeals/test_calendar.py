"""Working days for the deadlines of appeals (raschet.core.calendar)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from raschet.core.calendar import add_working_days, is_working_day


def test_friday_plus_three_working_days_is_wednesday():
    assert add_working_days(date(2026, 12, 4), 3) == date(2026, 12, 9)


def test_the_day_of_receipt_does_not_count_and_a_weekend_start_moves_on():
    assert add_working_days(date(2026, 12, 7), 1) == date(2026, 12, 8)  # Monday → Tuesday
    assert add_working_days(date(2026, 12, 5), 1) == date(2026, 12, 7)  # Saturday → Monday


def test_holidays_are_skipped():
    new_year = {date(2027, 1, d) for d in range(1, 9)}
    assert add_working_days(date(2026, 12, 30), 3, new_year) == date(2027, 1, 12)


def test_zero_days_is_the_day_itself_and_negative_is_refused():
    assert add_working_days(date(2026, 12, 5), 0) == date(2026, 12, 5)
    with pytest.raises(ValueError, match="отрицательным"):
        add_working_days(date(2026, 12, 5), -1)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(1, 40))
def test_exactly_n_working_days_lie_after_the_start_up_to_the_due_day(start, n):
    due = add_working_days(start, n)
    days = [start + timedelta(days=k) for k in range(1, (due - start).days + 1)]
    assert sum(is_working_day(d) for d in days) == n
    assert is_working_day(due)
