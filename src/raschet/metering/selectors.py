"""Reads of meters and readings: previous values, averages, states on a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from raschet.metering.models import Meter, MeterState, MeterStateChange, Reading, ReadingKind
from raschet.organizations.models import ClosedMonth

AVERAGE_WINDOW_MONTHS = 6
"""ПП 354 п.59: the average is taken over (at most) the last six months with readings."""


@dataclass(frozen=True, slots=True)
class PreviousReading:
    value: Decimal
    period: date
    kind: str
    taken_on: date


def month_diff(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def previous_reading(meter: Meter, zone: str, period: date) -> PreviousReading | None:
    """The last current reading of ``meter``/``zone`` for a month before ``period``.

    For a meter installed this month it is the initial reading.
    """
    row = (
        Reading.objects.filter(meter=meter, zone=zone, is_current=True, period__lt=period)
        .exclude(kind=ReadingKind.FINAL)
        .order_by("-period", "-taken_on", "-entered_at")
        .values("value", "period", "kind", "taken_on")
        .first()
    )
    if row is None:
        row = (
            Reading.objects.filter(
                meter=meter, zone=zone, is_current=True, kind=ReadingKind.INITIAL
            )
            .values("value", "period", "kind", "taken_on")
            .first()
        )
    return PreviousReading(**row) if row else None


def average_volume(meter: Meter, zone: str, period: date) -> Decimal | None:
    """Average monthly volume of ``meter``/``zone`` over the readings before ``period``.

    Σ volumes of the last readings within six months / months they span. ``None`` when fewer
    than two readings exist (no basis for an average).
    """
    rows = list(
        Reading.objects.filter(
            meter=meter,
            zone=zone,
            is_current=True,
            period__lt=period,
            kind__in=[ReadingKind.REGULAR, ReadingKind.CONTROL, ReadingKind.INITIAL],
        )
        .order_by("-period")
        .values_list("period", "volume")[: AVERAGE_WINDOW_MONTHS + 1]
    )
    if len(rows) < 2:
        return None
    newest, oldest = rows[0][0], rows[-1][0]
    months = month_diff(oldest, newest)
    if months <= 0:
        return None
    total = sum((v or Decimal(0) for _, v in rows[:-1]), Decimal(0))
    return total / months


def meter_state_on(meter: Meter, on: date) -> str:
    """The meter's state on ``on``: removed after its removal date, else the last change."""
    if meter.removed_on is not None and on >= meter.removed_on:
        return MeterState.REMOVED
    change = MeterStateChange.objects.filter(meter=meter, since__lte=on).order_by("-since").first()
    return change.state if change else MeterState.WORKING


def is_month_closed(organization_id: int, period: date) -> bool:
    return ClosedMonth.objects.filter(organization_id=organization_id, month=period).exists()


def current_readings(meter: Meter) -> QuerySet[Reading]:
    return Reading.objects.filter(meter=meter, is_current=True).order_by("-period", "zone")


def meters_with_verification_due(organization_ids: list[int], until: date) -> QuerySet[Meter]:
    """Meters in use whose verification (поверка) is due on or before ``until``."""
    return (
        Meter.objects.filter(
            organization_id__in=organization_ids,
            removed_on__isnull=True,
            verification_due__isnull=False,
            verification_due__lte=until,
        )
        .select_related("premises__building", "service")
        .order_by("verification_due")
    )
