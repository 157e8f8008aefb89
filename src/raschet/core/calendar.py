"""Working days for deadlines (answers to appeals, rules of ПП 354 п.31 «к» and ПП 416 п.36).

Saturdays and Sundays are days off; public holidays are passed in (the production calendar is
published yearly, so it is data — ``RASCHET_HOLIDAYS`` — and never hard-coded here). A
working Saturday moved by a government decree is not modelled: a deadline then falls a day
later than it could, never earlier.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta


def is_working_day(day: date, holidays: Collection[date] = ()) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, days: int, holidays: Collection[date] = ()) -> date:
    """The day by which something received on ``start`` is due within ``days`` working days.

    The day of receipt does not count (ГК ст.191: a term starts the next day); a term ending
    on a day off ends on the next working day (ГК ст.193), which counting only working days
    gives by itself.
    """
    if days < 0:
        raise ValueError("число рабочих дней не может быть отрицательным")
    day = start
    left = days
    while left:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            left -= 1
    return day
