"""Reads of meters and readings: previous values, averages, states on a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet

from raschet.housing.models import Account
from raschet.metering.models import (
    Meter,
    MeterState,
    MeterStateChange,
    Reading,
    ReadingKind,
    ReadingState,
)
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


@dataclass
class SheetRow:
    """One meter on a building's readings sheet for a month."""

    meter: Meter
    premises_number: str
    accounts: list[str]
    zones: tuple[str, ...]
    previous: dict[str, PreviousReading]
    current: dict[str, Reading]


def meters_in_use(
    organization_ids: list[int], period_start: date, period_end: date
) -> QuerySet[Meter]:
    """Meters installed before the month ends and not removed before it starts."""
    return Meter.objects.filter(
        organization_id__in=organization_ids, installed_on__lt=period_end
    ).filter(Q(removed_on__isnull=True) | Q(removed_on__gt=period_start))


def building_sheet(building_id: int, organization_ids: list[int], period: date) -> list[SheetRow]:
    """The readings sheet of a building for the month starting ``period``.

    Three queries whatever the size of the building: meters, accounts, current readings.
    """
    end = (period.replace(day=28) + timedelta(days=4)).replace(day=1)
    meters = list(
        meters_in_use(organization_ids, period, end)
        .filter(premises__building_id=building_id)
        .select_related("premises", "service")
    )
    accounts: dict[int, list[str]] = {}
    for premises_id, number in (
        Account.objects.filter(premises__building_id=building_id, opened_on__lt=end)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=period))
        .order_by("number")
        .values_list("premises_id", "number")
    ):
        accounts.setdefault(premises_id, []).append(number)
    previous: dict[tuple[int, str], PreviousReading] = {}
    current: dict[tuple[int, str], Reading] = {}
    readings = (
        Reading.objects.filter(meter__in=meters, is_current=True, period__lte=period)
        .exclude(kind=ReadingKind.FINAL)
        .order_by("period", "taken_on", "entered_at")
    )
    for reading in readings:
        key = (reading.meter_id, reading.zone)
        if reading.period == period and reading.kind == ReadingKind.REGULAR:
            current[key] = reading
        elif reading.period < period or reading.kind == ReadingKind.INITIAL:
            previous[key] = PreviousReading(
                reading.value, reading.period, reading.kind, reading.taken_on
            )
    rows = [
        SheetRow(
            meter=m,
            premises_number=m.premises.number,
            accounts=accounts.get(m.premises_id, []),
            zones=m.zone_codes,
            previous={z: previous[(m.pk, z)] for z in m.zone_codes if (m.pk, z) in previous},
            current={z: current[(m.pk, z)] for z in m.zone_codes if (m.pk, z) in current},
        )
        for m in meters
    ]
    rows.sort(key=lambda r: (_natural(r.premises_number), r.meter.service.sort_order))
    return rows


def _natural(number: str) -> tuple[int, str]:
    digits = "".join(ch for ch in number if ch.isdigit())
    return (int(digits) if digits else 0, number)


def meters_missing_readings(organization_ids: list[int], period: date) -> QuerySet[Meter]:
    """Meters in use in the month with no current monthly reading for it."""
    end = (period.replace(day=28) + timedelta(days=4)).replace(day=1)
    has_reading = Reading.objects.filter(
        meter=OuterRef("pk"), period=period, is_current=True, kind=ReadingKind.REGULAR
    )
    return (
        meters_in_use(organization_ids, period, end)
        .filter(~Exists(has_reading))
        .select_related("premises__building", "service")
        .order_by("premises__building__address", "premises__number", "service__sort_order")
    )


def flagged_readings(organization_ids: list[int]) -> QuerySet[Reading]:
    """Current readings flagged as far above the average, waiting for an operator."""
    return (
        Reading.objects.filter(
            organization_id__in=organization_ids, is_current=True, state=ReadingState.FLAGGED
        )
        .select_related("meter__premises__building", "meter__service", "entered_by")
        .order_by("-period", "meter__premises__building__address", "meter__premises__number")
    )
