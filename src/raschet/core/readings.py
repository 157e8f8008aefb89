"""Meter readings: volumes, roll-over, validation flags and the reading window.

Readings are fixed-point integers in thousandths of the unit (``READING_SCALE``), exact for the
three decimal places meters show. The vectorised `reading_volumes` works over numpy arrays of
a whole month's readings; `reading_volume` is its scalar `Decimal` reference, and a hypothesis
test proves they agree.

Rules (metering issue, point 4; ПП 354 п.31 «е», п.34 «к(1)» for the window):
- a reading lower than the previous one is rejected — unless the meter rolled over its digit
  capacity, recognised when the rolled-over volume is below ``rollover_max_permille`` of the
  capacity (default 10 %), or unless it is the first reading after a replacement, where the
  previous value is the new meter's initial reading;
- a volume above ``threshold_percent`` of the account's average monthly volume is accepted
  but flagged for the operator; with no average (no history) nothing is flagged;
- a reading received after the cut-off day counts for the next month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from raschet.core.periods import Month

READING_SCALE = 1000
"""Readings and volumes are stored as integers in 1/1000 of the unit (m³, kWh, Gcal)."""

DEFAULT_ROLLOVER_MAX_PERMILLE = 100
DEFAULT_THRESHOLD_PERCENT = 300

I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
Bool = npt.NDArray[np.bool_]


class ReadingStatus(IntEnum):
    """Outcome of checking one reading against the previous one."""

    OK = 0
    ROLLOVER = 1  # accepted: the counter passed its capacity
    HIGH = 2  # accepted, flagged: volume far above the average
    LOWER = 3  # rejected: lower than the previous reading
    OVER_CAPACITY = 4  # rejected: more digits than the meter has

    @property
    def accepted(self) -> bool:
        return self in (ReadingStatus.OK, ReadingStatus.ROLLOVER, ReadingStatus.HIGH)


MESSAGES_RU: dict[ReadingStatus, str] = {
    ReadingStatus.OK: "принято",
    ReadingStatus.ROLLOVER: "принято: счётчик перешёл через ноль",
    ReadingStatus.HIGH: "принято, но расход намного выше среднего — проверьте",
    ReadingStatus.LOWER: "показание меньше предыдущего",
    ReadingStatus.OVER_CAPACITY: "показание больше разрядности счётчика",
}


def to_fixed(value: Decimal) -> int:
    """A reading as an integer in thousandths; more than three decimals is an error."""
    scaled = value * READING_SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"не более трёх знаков после запятой: {value}")
    return int(scaled)


def from_fixed(value: int) -> Decimal:
    return Decimal(value) / READING_SCALE


def capacity_fixed(integer_digits: int) -> int:
    """The first value a counter with ``integer_digits`` whole digits cannot show."""
    if not 1 <= integer_digits <= 12:
        raise ValueError(f"разрядность счётчика должна быть от 1 до 12, получено {integer_digits}")
    return int(10**integer_digits) * READING_SCALE


@dataclass(frozen=True, slots=True)
class VolumeCheck:
    volume: int
    status: ReadingStatus


def reading_volume(
    *,
    previous: Decimal,
    current: Decimal,
    integer_digits: int,
    average: Decimal | None,
    replaced: bool = False,
    threshold_percent: int = DEFAULT_THRESHOLD_PERCENT,
    rollover_max_permille: int = DEFAULT_ROLLOVER_MAX_PERMILLE,
) -> VolumeCheck:
    """Scalar reference: the volume since ``previous`` (in thousandths) and the status.

    ``replaced`` means ``previous`` is the initial reading of a meter installed this month;
    it changes nothing in the arithmetic but documents the intent (the caller passes the
    new meter's initial value, not the old meter's final one).
    """
    del replaced
    capacity = Decimal(10) ** integer_digits
    if current >= capacity:
        return VolumeCheck(0, ReadingStatus.OVER_CAPACITY)
    if current >= previous:
        volume = current - previous
        status = ReadingStatus.OK
    else:
        rolled = capacity - previous + current
        if rolled * 1000 < capacity * rollover_max_permille:
            volume, status = rolled, ReadingStatus.ROLLOVER
        else:
            return VolumeCheck(0, ReadingStatus.LOWER)
    if average is not None and average > 0 and volume * 100 > average * threshold_percent:
        status = ReadingStatus.HIGH
    return VolumeCheck(to_fixed(volume), status)


def reading_volumes(
    *,
    previous: I64,
    current: I64,
    integer_digits: I64,
    average: I64,
    threshold_percent: int = DEFAULT_THRESHOLD_PERCENT,
    rollover_max_permille: int = DEFAULT_ROLLOVER_MAX_PERMILLE,
) -> tuple[I64, I8]:
    """Vectorised `reading_volume` over arrays of fixed-point readings.

    ``average`` is the average monthly volume in thousandths, ``-1`` where there is none.
    Returns (volume, status) arrays; rejected rows have volume 0.
    """
    capacity = np.power(np.int64(10), integer_digits.astype(np.int64)) * READING_SCALE
    forward = current >= previous
    rolled = capacity - previous + current
    is_rollover = ~forward & (rolled * 1000 < capacity * rollover_max_permille)
    over = current >= capacity
    volume = np.where(forward, current - previous, np.where(is_rollover, rolled, 0))
    status = np.full(current.shape, ReadingStatus.OK, dtype=np.int8)
    status[is_rollover] = ReadingStatus.ROLLOVER
    high = (average > 0) & (volume * 100 > average * threshold_percent) & (forward | is_rollover)
    status[high] = ReadingStatus.HIGH
    status[~forward & ~is_rollover] = ReadingStatus.LOWER
    status[over] = ReadingStatus.OVER_CAPACITY
    volume = np.where(over | (status == ReadingStatus.LOWER), 0, volume)
    return volume.astype(np.int64), status


def billing_month_for(received_on: date, cutoff_day: int) -> Month:
    """The month a reading received on ``received_on`` counts for.

    Received on or before the cut-off day (default 25th): the same month; later: the next one
    (readings arriving late are used in the next month — rules.md §1.2).
    """
    if not 1 <= cutoff_day <= 31:
        raise ValueError(f"день окончания приёма показаний должен быть от 1 до 31: {cutoff_day}")
    month = Month.of(received_on)
    return month if received_on.day <= cutoff_day else month.next()
