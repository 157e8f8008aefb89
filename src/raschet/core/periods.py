"""Billing months and half-open date ranges.

A period is ``[start, end)``: the start day counts, the end day does not (style.md §2). An
open end is ``None`` and means "still in force". A billing month is the value object `Month`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True, slots=True)
class Month:
    """A calendar billing month (ПП 354 п.37)."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"месяц должен быть от 1 до 12, получено {self.month}")
        if not 1900 <= self.year <= 2999:
            raise ValueError(f"год вне допустимого диапазона: {self.year}")

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse ``YYYY-MM``."""
        match = _MONTH_RE.match(text.strip())
        if not match:
            raise ValueError(f"период должен иметь вид ГГГГ-ММ, получено {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        """The first day of the next month (exclusive end)."""
        return self.next().start

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True, slots=True)
class DateRange:
    """A half-open range of days ``[start, end)``; ``end=None`` is open-ended."""

    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end <= self.start:
            raise ValueError(
                f"дата окончания {self.end:%d.%m.%Y} должна быть позже даты начала "
                f"{self.start:%d.%m.%Y}"
            )

    def contains(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def overlaps(self, other: DateRange) -> bool:
        left_ok = other.end is None or self.start < other.end
        right_ok = self.end is None or other.start < self.end
        return left_ok and right_ok

    def days_within(self, month: Month) -> int:
        """How many days of ``month`` this range covers."""
        lo = max(self.start, month.start)
        hi = month.end if self.end is None else min(self.end, month.end)
        return max(0, (hi - lo).days)


def active_on(start: date, end: date | None, day: date) -> bool:
    """True when the half-open range ``[start, end)`` contains ``day``."""
    return start <= day and (end is None or day < end)


def last_day(range_end: date) -> date:
    """The last day inside a range whose exclusive end is ``range_end``."""
    return range_end - timedelta(days=1)
