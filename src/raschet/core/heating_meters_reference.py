"""Scalar `Decimal` reference of `raschet.core.heating_meters` (ПП 354 п.59, п.60 for a
premises heat meter without a reading of the month; rules.md §1.4, §1.5)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from raschet.core.billing import MeterCondition, Settings
from raschet.core.heating_meters import DEFAULT_SETTINGS, HeatBasis


def heat_meter_volume(
    *,
    reading_present: bool,
    reading_volume: Decimal,
    condition: MeterCondition,
    residential: bool,
    spell_months: int,
    base_volume: Decimal,
    base_months: int,
    norm_volume: Decimal | None,
    settings: Settings = DEFAULT_SETTINGS,
) -> tuple[Decimal | None, HeatBasis]:
    """The premises' heat volume (Gcal) and its basis; ``None`` volume: no basis, the
    building falls back to формула 3. The average is rounded half-up to 0.001 Gcal, as the
    average of every other meter (`raschet.core.billing.average_volume`)."""
    if reading_present and condition == MeterCondition.WORKING:
        return reading_volume, HeatBasis.READING
    if condition == MeterCondition.BROKEN:
        limit = (
            settings.broken_limit_residential
            if residential
            else settings.broken_limit_non_residential
        )
    elif condition == MeterCondition.NO_ACCESS:
        limit = settings.no_access_limit
    else:
        limit = (
            settings.missing_limit_residential
            if residential
            else settings.missing_limit_non_residential
        )
    if spell_months <= limit:
        if base_months < settings.average_min_months:
            return None, HeatBasis.NONE
        average = (base_volume / base_months).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
        return average, HeatBasis.AVERAGE
    if norm_volume is None:
        return None, HeatBasis.NONE
    return norm_volume, HeatBasis.NORM
