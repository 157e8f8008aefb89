"""Meters and half a year of readings for the demo's metered flats.

Every flat with a service billed by meter gets a meter of that service (one per premises
and service — a communal flat's rooms share it), an initial reading at installation and a
reading on the 20th of each month up to the demo's date. A few meters miss the last
month (they show on the operator's "missing readings" page), a few jump far above their
average (flagged for a check) and a few are due for verification soon.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from raschet.demo.stock import AS_OF, Stock
from raschet.metering.models import (
    Meter,
    Reading,
    ReadingKind,
    ReadingSource,
    ReadingState,
)
from raschet.tariffs.models import ZONES_BY_COUNT, Service

BATCH = 2000
HISTORY_MONTHS = 7
"""Readings for the seven months before the demo date: enough for ПП 354's six-month average."""

_METERED = {
    # service code: (serial prefix, whole digits, verification interval in years,
    #                monthly volume per room in thousandths of the unit (min, max)
    "cold_water": ("ХВ", 5, 6, (2_000, 4_500)),
    "hot_water": ("ГВ", 5, 4, (1_200, 3_000)),
    "electricity": ("ЭЛ", 6, 16, (60_000, 140_000)),
    "gas": ("ГЗ", 5, 10, (4_000, 9_000)),
}
_ZONE_PERCENT = {"single": 100, "day": 70, "night": 30, "peak": 35, "semi_peak": 45}
_THOUSANDTH = Decimal("0.001")


@dataclass(frozen=True)
class MeterCounts:
    meters: int
    readings: int


def _months_before(as_of: date, count: int) -> list[date]:
    months = []
    year, month = as_of.year, as_of.month
    for _ in range(count):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        months.append(date(year, month, 1))
    return sorted(months)


def meters_build(rng: random.Random, stock: Stock) -> MeterCounts:
    """Create the meters and readings of the written ``stock`` (accounts have their keys)."""
    codes = dict(
        Service.objects.filter(pk__in={r.service_id for r in stock.account_services}).values_list(
            "pk", "code"
        )
    )
    premises_of = {a.pk: a.premises for a in stock.accounts}
    months = _months_before(AS_OF, HISTORY_MONTHS)
    meters: list[Meter] = []
    seen: set[tuple[int, int]] = set()
    for row in stock.account_services:
        code = codes.get(row.service_id)
        if row.method != "meter" or code not in _METERED:
            continue
        premises = premises_of[row.account_id.pk]
        if (premises.pk, row.service_id) in seen:
            continue
        seen.add((premises.pk, row.service_id))
        prefix, digits, years, _ = _METERED[code]
        installed = date(rng.randint(2017, 2025), rng.randint(1, 12), rng.randint(1, 28))
        installed = min(installed, months[0].replace(day=5))
        due = date(installed.year + years, installed.month, installed.day)
        if rng.random() < 0.04:  # a few fall due within the next two months
            due = AS_OF + timedelta(days=rng.randint(0, 60))
        meters.append(
            Meter(
                organization_id=row.organization_id,
                premises=premises,
                service_id=row.service_id,
                serial_number=f"{prefix}-{rng.randrange(10**7):07d}",
                zones=row.zones,
                integer_digits=digits,
                installed_on=installed,
                sealed_on=installed,
                verification_due=due,
            )
        )
    for start in range(0, len(meters), BATCH):
        Meter.objects.bulk_create(meters[start : start + BATCH], batch_size=BATCH)
    readings = _readings(rng, meters, codes, months)
    for start in range(0, len(readings), BATCH):
        Reading.objects.bulk_create(readings[start : start + BATCH], batch_size=BATCH)
    return MeterCounts(meters=len(meters), readings=len(readings))


def _readings(
    rng: random.Random, meters: list[Meter], codes: dict[int, str], months: list[date]
) -> list[Reading]:
    rows: list[Reading] = []
    last = months[-1]
    for meter in meters:
        _, _, _, (low, high) = _METERED[codes[meter.service_id]]
        rooms = meter.premises.rooms or 1
        misses_last = rng.random() < 0.08
        jumps_last = not misses_last and rng.random() < 0.015
        for zone in ZONES_BY_COUNT[meter.zones]:
            value = Decimal(rng.randrange(0, 3_000_000)) / 1000
            percent = _ZONE_PERCENT[zone]
            rows.append(
                _reading(
                    meter,
                    zone,
                    meter.installed_on.replace(day=1),
                    value,
                    meter.installed_on,
                    ReadingKind.INITIAL,
                    None,
                )
            )
            for month in months:
                if month == last and misses_last:
                    break
                thousandths = rng.randint(low, high) * rooms * percent // 100
                volume = Decimal(thousandths) * _THOUSANDTH
                state = ReadingState.OK
                if month == last and jumps_last:
                    volume *= 6
                    state = ReadingState.FLAGGED
                value += volume
                rows.append(
                    _reading(
                        meter,
                        zone,
                        month,
                        value,
                        month.replace(day=20),
                        ReadingKind.REGULAR,
                        volume,
                        state=state,
                    )
                )
    return rows


def _reading(
    meter: Meter,
    zone: str,
    period: date,
    value: Decimal,
    taken_on: date,
    kind: str,
    volume: Decimal | None,
    *,
    state: str = ReadingState.OK,
) -> Reading:
    return Reading(
        organization_id=meter.organization_id,
        meter=meter,
        zone=zone,
        period=period,
        kind=kind,
        value=value,
        volume=volume,
        taken_on=taken_on,
        source=ReadingSource.OPERATOR,
        state=state,
        origin="demo",
    )
