"""Scalar `Decimal` reference of the monthly charge (rules.md §1, §2, §4.2, §14).

The second, independent statement of what `raschet.core.billing.compute` does with numpy:
one line at a time, in natural units (m³, kWh, Gcal, m², persons, rubles), in `Decimal` with
60 digits, rounding half-up exactly where the project rounds (rules.md §14 "Rounding"):

* every quantity of a sub-period (segment) — volume, area × days, persons × days — to 1e-6 of
  its unit, before it is multiplied by the tariff;
* the line's base amount ``Σ quantity × tariff`` once, to the kopeck, and the part caused by
  the increasing coefficient (формула 4(1)) the same way, separately;
* each reduction (temporary absence, quality, hot water below 40 °C — its hot and cold parts
  each —, the ГВС maintenance outage, upkeep), each benefit category and the fine to the
  kopeck.

Every rounding divides once, after all multiplications, so no intermediate quotient is cut
short. The module is slow on purpose: it is what the hypothesis tests compare ``compute``
with line by line, and what explains a number to an accountant. `to_arrays` turns the same
lines into the vectorised input, so a test case is written once; `result_rows` turns a
vectorised `Result` back into per-line values.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Context, Decimal, localcontext

import numpy as np
import numpy.typing as npt

from raschet.core.billing import (
    BenefitBase,
    Benefits,
    CommonMode,
    HeatingMode,
    Lines,
    MeterCondition,
    Method,
    Parts,
    ReductionReason,
    Resource,
    Result,
    RoundingPoint,
    Rule,
    Segments,
    Settings,
)
from raschet.core.fixedpoint import (
    AREA_SCALE,
    KOPECKS_SCALE,
    NORM_SCALE,
    PERCENT_SCALE,
    RATE_SCALE,
    VOLUME_SCALE,
)

ZERO = Decimal(0)
_MICRO = Decimal("0.000001")
_THOUSANDTH = Decimal("0.001")
_ONE = Decimal(1)
_PRECISION = 60
DEFAULT_SETTINGS = Settings()
"""The project's defaults (rules.md §14)."""

WATER = (Resource.COLD_WATER, Resource.HOT_WATER)
"""Resources whose volumes make metered wastewater (ПП 354, rules.md §1.2)."""


# ---------------------------------------------------------------------------------------
# Input and output of one line


@dataclass(frozen=True, kw_only=True)
class ReferenceSegment:
    """A sub-period of the month with one tariff, one norm and one number of persons."""

    days: int
    rate: Decimal = ZERO  # rubles per unit: m³, kWh, Gcal, m², person, premises
    norm: Decimal = ZERO  # per person (water, power), per m² (heating), per m² of S_oi (СОИ)
    persons: int = 0


@dataclass(frozen=True, kw_only=True)
class ReferencePart:
    """A tariff zone of the line (one for most services, day/night for electricity)."""

    segments: tuple[ReferenceSegment, ...]
    meter_volume: Decimal = ZERO  # by readings; negative after averaged months (catch-up)
    average_volume: Decimal = ZERO  # monthly average of п.59


@dataclass(frozen=True, kw_only=True)
class ReferenceBenefit:
    """One benefit category of the account applied to the line (rules.md §4.2)."""

    base: BenefitBase
    covered: int  # persons the measure covers
    percent: Decimal  # 50 means 50 %
    social_norm_area: Decimal = ZERO  # m², the household's social norm of area
    norm: Decimal = ZERO  # consumption norm per person
    cash: bool = False  # ЕДК: paid by the social protection body, not taken off the bill


@dataclass(frozen=True, kw_only=True)
class ReferenceLine:
    """One charge line (account × service × month) with its own and its building's facts."""

    rule: Rule
    parts: tuple[ReferencePart, ...]
    account: int = 0
    resource: int = Resource.OTHER
    residential: bool = True
    configured_meter: bool = False
    meter_possible: bool = True
    coefficient_service: bool = False
    condition: MeterCondition = MeterCondition.NONE
    reading_present: bool = False
    spell_months: int = 0
    average_months: int = 0
    area: Decimal = ZERO  # S_i, m²
    residents: int = 0  # n_i for reductions and benefits
    days_in_month: int = 31
    building: int = 0
    building_area: Decimal = ZERO  # S_ob, m²
    building_common_area: Decimal = ZERO  # S_oi, m²
    building_volume: Decimal | None = None  # ОДПУ volume of the month; None: no ОДПУ
    building_volume_last_year: Decimal | None = None  # heating 'evenly' (формула 3(1))
    heating_mode: HeatingMode = HeatingMode.NONE
    heating_in_season: bool = True
    heating_season_months: int = 0
    common_mode: CommonMode = CommonMode.NORM_CAP
    absence_service: bool = False
    absence_person_days: int = 0  # Σ absent persons × absent days inside the month
    quality_percent: Decimal = ZERO  # quality / non-delivery reduction, % of the charge
    cold_hours: int = 0  # hours of hot water below 40 °C (Приложение 1 п.5)
    cold_rate: Decimal = ZERO  # the cold-water tariff for those hours, ₽ per m³
    maintenance_hours: int = 0  # permitted ГВС maintenance outage (Приложение 1 п.4)
    upkeep_days: int = 0  # days of non-performance of upkeep (ПП 491 п.10, 15)
    overcharge: int = 0  # kopecks: unlawful over-charge of fine acts (ЖК ст.157 ч.6)
    norm_by_area: bool = False  # the norm is per m² of the premises (rules.md §1.10)
    # формула 8, a room of a communal flat: heating on the flat's area × the room's living
    # area / the flat's living area; None: heating on ``area``
    flat_area: Decimal | None = None
    room_living_area: Decimal = ZERO
    flat_living_area: Decimal = ZERO
    # формула 3(3): own heat-meter volume of the month, Σ of all the building's premises;
    # None: not every premises of the building has one
    heat_meter_volume: Decimal | None = None
    heat_meters_total: Decimal | None = None
    # rules.md §14 for формула 3(3): Σ heat volumes charged at the п.59 average since the last
    # accepted reading, taken off ``heat_meter_volume`` (≥ 0)
    heat_meter_catch_up: Decimal = ZERO
    # Σ ``heat_meter_catch_up`` of the building's premises: Σ V_ИПУ is ``heat_meters_total``
    # less it (each premises' volume as charged this month)
    heat_meters_catch_up_total: Decimal = ZERO
    # формула 3(4), heating 'evenly' (ПП 354 п.42(1)): own heat-meter volume of the previous
    # calendar year and Σ of all the building's premises; None: not every premises of the
    # building has a reading for all twelve months of that year
    heat_meter_volume_last_year: Decimal | None = None
    heat_meters_total_last_year: Decimal | None = None
    common_carry: Decimal = ZERO  # §1.6 carry-over: negative volume of earlier months left
    # rules.md §1.5 (last row): heated by its own installation — the common-property share only
    own_heating: bool = False
    benefits: tuple[ReferenceBenefit, ...] = ()

    @property
    def segments(self) -> tuple[ReferenceSegment, ...]:
        return tuple(s for p in self.parts for s in p.segments)


@dataclass(frozen=True)
class ReferenceResult:
    """A charged line in the units `compute` returns: 1e-6 of the unit and kopecks."""

    method: Method
    volume: int  # base volume, 1e-6 of the unit (the coefficient's extra volume excluded)
    coefficient_volume: int
    amount: int  # kopecks, coefficient part included
    coefficient_amount: int
    reduction: int  # ≤ 0
    benefit: int  # ≤ 0, discount categories
    segment_volumes: tuple[int, ...]  # 1e-6 of the unit, in the order of the line's segments
    fine: int = 0  # ≤ 0, part of ``reduction``
    reduction_reasons: int = 0  # `ReductionReason` bits
    benefit_cash: int = 0  # ≤ 0, the ЕДК of cash categories; not part of ``total``

    @property
    def total(self) -> int:
        return self.amount + self.reduction + self.benefit


# ---------------------------------------------------------------------------------------
# Rounding


def _context() -> AbstractContextManager[Context]:
    """60 significant digits: every product of the engine's numbers is exact."""
    return localcontext(prec=_PRECISION, rounding=ROUND_HALF_UP)


def _round_quantity(value: Decimal) -> Decimal:
    """Half-up to 1e-6 of the unit: the precision every per-segment quantity is kept at."""
    return value.quantize(_MICRO, rounding=ROUND_HALF_UP)


def _round_kopecks(kopecks: Decimal) -> int:
    """Half-up to a whole kopeck (ties away from zero, like `raschet.core.money`)."""
    return int(kopecks.quantize(_ONE, rounding=ROUND_HALF_UP))


def _millionths(value: Decimal) -> int:
    scaled = value.scaleb(6)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} не кратно 1e-6")
    return int(scaled)


def _check_month(days_in_month: int) -> None:
    if days_in_month <= 0:
        raise ValueError(f"число дней месяца должно быть положительным, а не {days_in_month}")


def _check_building_area(building_area: Decimal) -> None:
    if building_area <= 0:
        raise ValueError(f"площадь всех помещений дома должна быть положительной: {building_area}")


# ---------------------------------------------------------------------------------------
# 1. Method (rules.md §1.1, §1.3, §1.4, §14)


def select_method(line: ReferenceLine, settings: Settings = DEFAULT_SETTINGS) -> Method:
    """The method the line is charged by this month."""
    if line.rule == Rule.VOLUME:
        method = _volume_method(line, settings)
        # rules.md §1.10: a norm per m² of the premises (ТКО, gas for heating)
        return Method.NORM_AREA if line.norm_by_area and method == Method.NORM else method
    if line.rule == Rule.WASTEWATER:
        # With meters: cold + hot volumes; otherwise the wastewater norm (no 1.5 on it).
        if line.configured_meter:
            return Method.DERIVED
        return Method.NORM_AREA if line.norm_by_area else Method.NORM
    if line.rule == Rule.HEATING:
        method = _heating_method(line)
        if line.own_heating and method != Method.NONE:
            # rules.md §1.5 (last row): the common-property share, by the building meter when
            # there is the volume the mode needs, otherwise by the norm
            if line.heating_mode == HeatingMode.EVENLY:
                by_meter = line.building_volume_last_year is not None
            else:
                by_meter = line.building_volume is not None
            return Method.HEATING_OWN_SOURCE_METER if by_meter else Method.HEATING_OWN_SOURCE_NORM
        return method
    if line.rule == Rule.AREA:
        return Method.AREA
    if line.rule == Rule.PERSON:
        return Method.PER_PERSON
    if line.rule == Rule.COMMON:
        # COMMON_CAPPED is decided later, by comparing the share with the norm.
        return Method.COMMON_NORM if line.building_volume is None else Method.COMMON_METER
    if line.rule == Rule.FIXED:
        return Method.FIXED
    return Method.NONE


def _volume_method(line: ReferenceLine, settings: Settings) -> Method:
    # Формула 4(1): × (1 + K) where a meter could be installed but is not there (ХВС, ГВС,
    # electricity); формула 4 otherwise.
    no_meter_norm = (
        Method.NORM_COEFFICIENT if line.coefficient_service and line.meter_possible else Method.NORM
    )
    if not line.configured_meter or line.condition == MeterCondition.NONE:
        return no_meter_norm
    # п.59: an average needs a base of at least 3 months of readings; with less, the norm.
    base_ok = line.average_months >= settings.average_min_months
    if line.condition == MeterCondition.WORKING:
        if line.reading_present:
            return Method.METER
        # п.59 «б»: readings not submitted — the average for 6 (non-residential 3) months,
        # then the norm without the coefficient.
        limit = (
            settings.missing_limit_residential
            if line.residential
            else settings.missing_limit_non_residential
        )
        if line.spell_months <= limit and base_ok:
            return Method.AVERAGE_NOT_SUBMITTED
        return Method.NORM
    if line.condition == MeterCondition.BROKEN:
        # п.59 «а», п.60: broken / verification expired — the average for 3 (2) months, then
        # the norm × 1.5 where a meter is required.
        limit = (
            settings.broken_limit_residential
            if line.residential
            else settings.broken_limit_non_residential
        )
        if line.spell_months > limit:
            return no_meter_norm
        return Method.AVERAGE_BROKEN if base_ok else Method.NORM
    if line.condition == MeterCondition.NO_ACCESS:
        # п.59 «в»: access refused — the average for 3 months, then the norm (× 1.5 where a
        # meter is required when the organization sets `no_access_norm_coefficient`).
        if line.spell_months <= settings.no_access_limit and base_ok:
            return Method.AVERAGE_NO_ACCESS
        if line.spell_months > settings.no_access_limit and settings.no_access_norm_coefficient:
            return no_meter_norm
        return Method.NORM
    return Method.NORM


# ---------------------------------------------------------------------------------------
# 2. Quantities of one segment (each rounded to 1e-6 of the unit)


def split_by_days(total: Decimal, days: Sequence[int]) -> list[Decimal]:
    """Split a month's volume over sub-periods by their days; the pieces add up exactly.

    The piece of a sub-period is the share of the volume up to its end, rounded, minus the
    share up to its start, rounded (rules.md §0 "Tariffs": split by days). No days: nothing.
    """
    with _context():
        whole = sum(days)
        if whole == 0:
            return [ZERO for _ in days]
        pieces = []
        before = ZERO
        elapsed = 0
        for d in days:
            elapsed += d
            upto = _round_quantity(total * elapsed / whole)
            pieces.append(upto - before)
            before = upto
        return pieces


def norm_volume(persons: int | Decimal, norm: Decimal, days: int, days_in_month: int) -> Decimal:
    """Формула 4: ``n × N`` for the days of the segment (``S × N`` for a norm per m²)."""
    _check_month(days_in_month)
    with _context():
        return _round_quantity(persons * norm * days / days_in_month)


def coefficient_volume(
    persons: int | Decimal,
    norm: Decimal,
    days: int,
    days_in_month: int,
    settings: Settings = DEFAULT_SETTINGS,
) -> Decimal:
    """Формула 4(1): the extra ``n × N × K`` (K = 0.5) for the days of the segment."""
    _check_month(days_in_month)
    with _context():
        k_num, k_den = settings.coefficient_numerator, settings.coefficient_denominator
        return _round_quantity(persons * norm * k_num * days / (k_den * days_in_month))


def average_segment_volume(average: Decimal, days: int, days_in_month: int) -> Decimal:
    """п.59: the monthly average for the days of the segment."""
    _check_month(days_in_month)
    with _context():
        return _round_quantity(average * days / days_in_month)


def area_quantity(area: Decimal, days: int, days_in_month: int) -> Decimal:
    """Housing services by area (rules.md §2): m² for the days of the segment."""
    _check_month(days_in_month)
    with _context():
        return _round_quantity(area * days / days_in_month)


def person_quantity(persons: int, days: int, days_in_month: int) -> Decimal:
    """Per-person services (solid waste): persons for the days of the segment."""
    _check_month(days_in_month)
    with _context():
        return _round_quantity(Decimal(persons) * days / days_in_month)


def fixed_quantity(days: int, days_in_month: int) -> Decimal:
    """A fixed monthly sum: the share of the month the segment covers."""
    _check_month(days_in_month)
    with _context():
        return _round_quantity(Decimal(days) / days_in_month)


def _heating_method(line: ReferenceLine) -> Method:
    """Формулы 2, 3, 3(1), 3(3), 3(4) for a premises heated from the building's system."""
    if line.heating_mode == HeatingMode.NONE:
        return Method.NONE
    if line.heating_mode == HeatingMode.SEASON and not line.heating_in_season:
        return Method.NONE
    if line.heating_mode == HeatingMode.EVENLY:
        # формула 3(1) needs only last year's volume; without it, формула 2, said so
        if line.building_volume_last_year is None:
            return Method.HEATING_NORM
        if (
            line.heat_meters_total_last_year is not None
            and line.heat_meter_volume_last_year is not None
        ):
            return Method.HEATING_INDIVIDUAL_EVENLY  # формула 3(4): a whole metered year
        if line.heat_meters_total is not None and line.heat_meter_volume is not None:
            # every premises metered now, but not the whole last year: 3(1), said so
            return Method.HEATING_BUILDING_NO_METER_YEAR
        return Method.HEATING_BUILDING
    if line.building_volume is None:
        return Method.HEATING_NORM
    if line.heating_mode == HeatingMode.SEASON and (
        line.heat_meters_total is not None and line.heat_meter_volume is not None
    ):
        return Method.HEATING_INDIVIDUAL  # формула 3(3): every premises has a heat meter
    return Method.HEATING_BUILDING


def _norm_base(line: ReferenceLine, segment: ReferenceSegment) -> int | Decimal:
    """What a norm multiplies: persons, or the area for a norm per m² (rules.md §1.10)."""
    return line.area if line.norm_by_area else segment.persons


def heating_area(line: ReferenceLine) -> Decimal:
    """The area heating is charged on: the account's, or for a room of a communal flat the
    flat's area shared by the rooms' living areas (формула 8). Kept exact (a quotient with
    60 digits), so the quantity it enters is rounded once."""
    if line.flat_area is None:
        return line.area
    if line.flat_living_area <= 0:
        raise ValueError("доля площади для отопления задана неверно (формула 8)")
    with _context():
        return line.flat_area * line.room_living_area / line.flat_living_area


def heating_norm_volume(line: ReferenceLine, norm: Decimal, days: int) -> Decimal:
    """Формула 2: ``S_i × N_T × K``; K = 1 in heating months, season months / 12 evenly."""
    _check_month(line.days_in_month)
    with _context():
        area = heating_area(line)
        if line.heating_mode == HeatingMode.EVENLY:
            return _round_quantity(
                area * norm * line.heating_season_months * days / (12 * line.days_in_month)
            )
        return _round_quantity(area * norm * days / line.days_in_month)


def heating_building_volume(line: ReferenceLine, norm: Decimal, days: int) -> Decimal:
    """Формулы 3, 3(1): the building meter's volume shared by area.

    In heating months ``V_D × S_i / S_ob``; evenly ``S_i × V_prev_year / (12 × S_ob)``, and by
    the norm (формула 2) while there is no last year's volume yet.
    """
    _check_month(line.days_in_month)
    with _context():
        if line.heating_mode == HeatingMode.EVENLY:
            if line.building_volume_last_year is None:
                return heating_norm_volume(line, norm, days)
            _check_building_area(line.building_area)
            return _round_quantity(
                heating_area(line)
                * line.building_volume_last_year
                * days
                / (12 * line.building_area * line.days_in_month)
            )
        _check_building_area(line.building_area)
        volume = line.building_volume if line.building_volume is not None else ZERO
        return _round_quantity(
            heating_area(line) * volume * days / (line.building_area * line.days_in_month)
        )


def own_source_heating_volume(line: ReferenceLine, norm: Decimal, days: int) -> Decimal:
    """A premises heated by its own installation (rules.md §1.5, last row; the project's
    default, docs/billing.md «Premises heated individually»): the common-property share only.

    By the building meter ``V × S_oi / (S_ob + S_oi) × S_i / S_ob`` (``V`` = the month's
    ``V_D``, or last year's volume / 12 when paid evenly); by the norm
    ``N_T × S_oi × S_i / S_ob`` (× season months / 12 when paid evenly)."""
    _check_month(line.days_in_month)
    _check_building_area(line.building_area)
    s_ob, s_oi = line.building_area, line.building_common_area
    evenly = line.heating_mode == HeatingMode.EVENLY
    with _context():
        area = heating_area(line)
        if select_method(line) == Method.HEATING_OWN_SOURCE_METER:
            volume = (line.building_volume_last_year if evenly else line.building_volume) or ZERO
            share = area * max(volume, ZERO) * s_oi / ((s_ob + s_oi) * s_ob)
            if evenly:
                share = share / 12
        else:
            share = area * norm * s_oi / s_ob
            if evenly:
                share = share * line.heating_season_months / 12
        return _round_quantity(share * days / line.days_in_month)


def heating_common_share(line: ReferenceLine, days: int) -> Decimal:
    """Формула 3(3): the premises' share of the building's heat not measured by the
    premises' meters, ``(V_D − Σ V_ИПУ) × S_i / S_ob`` for the days, never below zero;
    Σ V_ИПУ is each premises' volume as charged this month (less its catch-up, §14)."""
    _check_month(line.days_in_month)
    _check_building_area(line.building_area)
    with _context():
        charged_total = (line.heat_meters_total or ZERO) - line.heat_meters_catch_up_total
        common = max((line.building_volume or ZERO) - charged_total, ZERO)
        return _round_quantity(
            heating_area(line) * common * days / (line.building_area * line.days_in_month)
        )


def heating_individual_evenly_volume(line: ReferenceLine, days: int) -> Decimal:
    """Формула 3(4) (ПП 354 п.42(1)), heating paid evenly with a heat meter in every
    premises: the average month of the previous year for the days,
    ``V_i,year / 12 + max(V_D,year − Σ V_ИПУ,year, 0) / 12 × S_i / S_ob``; each term is
    rounded to 1e-6 Gcal (as the vectorised code rounds)."""
    _check_month(line.days_in_month)
    _check_building_area(line.building_area)
    with _context():
        own = max(line.heat_meter_volume_last_year or ZERO, ZERO)
        common = max(
            (line.building_volume_last_year or ZERO) - (line.heat_meters_total_last_year or ZERO),
            ZERO,
        )
        own_q = _round_quantity(own * days / (12 * line.days_in_month))
        common_q = _round_quantity(
            heating_area(line) * common * days / (12 * line.building_area * line.days_in_month)
        )
        return own_q + common_q


def common_property_volume(
    line: ReferenceLine, norm: Decimal, days: int, individual_volume: Decimal
) -> tuple[Decimal, bool]:
    """Common-property volume of the segment (rules.md §1.6, §14) and whether it was capped.

    ``V_norm = N_SOI × S_oi × S_i / S_ob``; without an ОДПУ the norm; with one the share
    ``(V_D − Σ V_u) × S_i / S_ob``, capped by ``V_norm`` unless the owners chose the actual
    volume, and never below zero for the month.
    """
    _check_month(line.days_in_month)
    _check_building_area(line.building_area)
    with _context():
        month = line.building_area * line.days_in_month
        by_norm = _round_quantity(norm * line.building_common_area * line.area * days / month)
        if line.building_volume is None:
            return by_norm, False
        share = _round_quantity(
            (line.building_volume - individual_volume - line.common_carry)
            * line.area
            * days
            / month
        )
        if line.common_mode == CommonMode.ACTUAL:
            return max(share, ZERO), False
        return max(min(share, by_norm), ZERO), share > by_norm


# ---------------------------------------------------------------------------------------
# 3. Amounts


def amount_kopecks(quantities: Sequence[Decimal], rates: Sequence[Decimal]) -> int:
    """``Σ quantity × tariff`` of the line, rounded once to the kopeck."""
    with _context():
        rubles = sum((q * r for q, r in zip(quantities, rates, strict=True)), ZERO)
        return _round_kopecks(rubles * 100)


# ---------------------------------------------------------------------------------------
# 4. Reductions (rules.md §1.7, §1.8, §14)


def absence_reduction(line: ReferenceLine, method: Method, amount: int) -> int:
    """Temporary absence: ``P × Σ(absent persons × days) / (n × days in month)``.

    Only for services recalculated for absence, charged by the norm (or wastewater made of
    such volumes) where a meter cannot be installed, and for per-person services (solid
    waste, п.148(44)) whatever the meters.
    """
    if not line.absence_service or line.residents <= 0 or line.norm_by_area:
        return 0
    if method == Method.PER_PERSON:
        pass
    elif method in (Method.NORM, Method.DERIVED):
        if line.meter_possible:
            return 0
    else:
        return 0
    _check_month(line.days_in_month)
    with _context():
        possible = line.residents * line.days_in_month
        person_days = min(line.absence_person_days, possible)
        return _round_kopecks(Decimal(amount) * person_days / possible)


def quality_reduction(line: ReferenceLine, amount: int) -> int:
    """Quality / non-delivery (Приложение 1): the percent of the month's charge, ≤ 100 %."""
    with _context():
        percent = min(line.quality_percent, Decimal(100))
        return _round_kopecks(amount * percent / 100)


def below_40_reduction(line: ReferenceLine, amount: int, volume: Decimal, scale: int = 1) -> int:
    """Hot water below 40 °C (Приложение 1 п.5): its hours are paid at the cold-water tariff.

    The hours are a share of the month's hours; that share of the charge is taken off and
    that share of the volume (``volume``: base and coefficient volume) is charged at the
    cold-water tariff, each rounded to the kopeck; the difference, never below zero.
    ``amount`` and the result are in kopecks × ``scale`` (``KOPECKS_SCALE``: the exact
    figures of a line rounded once, `RoundingPoint.LINE`).
    """
    if line.cold_hours <= 0:
        return 0
    with _context():
        month_hours = 24 * line.days_in_month
        hours = min(line.cold_hours, month_hours)
        hot = _round_kopecks(Decimal(amount) * hours / month_hours)
        cold = _round_kopecks(volume * line.cold_rate * 100 * scale * hours / month_hours)
        return max(hot - cold, 0)


def maintenance_reduction(
    line: ReferenceLine, method: Method, amount: int, settings: Settings
) -> int:
    """The permitted ГВС maintenance outage (Приложение 1 п.4): only when the organization
    grants a reduction for it, and only on a norm-billed line — the share of the month's
    hours."""
    if not settings.hot_water_maintenance_reduction or method not in (
        Method.NORM,
        Method.NORM_COEFFICIENT,
        Method.NORM_AREA,
    ):
        return 0
    with _context():
        month_hours = 24 * line.days_in_month
        return _round_kopecks(
            Decimal(amount) * min(line.maintenance_hours, month_hours) / month_hours
        )


def upkeep_reduction(line: ReferenceLine, amount: int) -> int:
    """Poor upkeep of common property (ПП 491 п.10, 15): in proportion to the days of
    non-performance, at most the whole month."""
    with _context():
        days = min(line.upkeep_days, line.days_in_month)
        return _round_kopecks(Decimal(amount) * days / line.days_in_month)


def fine_amount(line: ReferenceLine) -> int:
    """ЖК ст.157 ч.6, ПП 354 п.155(1): 50 % of the unlawful over-charge, to the kopeck."""
    with _context():
        return _round_kopecks(Decimal(line.overcharge) * 50 / 100)


def reduction_total(
    line: ReferenceLine,
    method: Method,
    amount: int,
    volume: Decimal = ZERO,
    settings: Settings = DEFAULT_SETTINGS,
    scale: int = 1,
) -> tuple[int, int]:
    """Every reduction (each rounded), never negative and never more than the charge, and
    the `ReductionReason` bits of those that are not zero. ``amount`` and the result are in
    kopecks × ``scale`` (1, or ``KOPECKS_SCALE`` for `RoundingPoint.LINE`: every part is
    then rounded only to 1e-8 kopeck, as the vectorised engine keeps it)."""
    parts = (
        (absence_reduction(line, method, amount), ReductionReason.ABSENCE),
        (quality_reduction(line, amount), ReductionReason.QUALITY),
        (below_40_reduction(line, amount, volume, scale), ReductionReason.BELOW_40),
        (maintenance_reduction(line, method, amount, settings), ReductionReason.MAINTENANCE),
        (upkeep_reduction(line, amount), ReductionReason.UPKEEP),
    )
    total = sum(p for p, _ in parts)
    reasons = 0
    for p, reason in parts:
        if p > 0:
            reasons |= int(reason)
    return min(max(total, 0), max(amount, 0)), reasons


# ---------------------------------------------------------------------------------------
# 5. Benefits (rules.md §4.2, §14)


def benefit_amount(
    line: ReferenceLine, benefit: ReferenceBenefit, net: Decimal, volume: Decimal
) -> int:
    """One category: ``net × share × percent``, rounded to the kopeck once.

    ``net`` is the exact charge in kopecks (Σ volume × tariff before rounding, the
    coefficient part excluded) after reductions.
    """
    if net <= 0:
        return 0
    with _context():
        persons = max(line.residents, 1)
        covered = min(benefit.covered, persons)
        # The share written out as one fraction, so the only division is the last one.
        if benefit.base == BenefitBase.SOCIAL_NORM_AREA:
            if line.area <= 0:
                return 0
            num = min(line.area, benefit.social_norm_area)
            den = line.area
        elif benefit.base == BenefitBase.CONSUMPTION_NORM:
            if volume <= 0:
                return 0
            num = min(volume, benefit.norm * persons)
            den = volume
        else:
            num = den = _ONE
        return _round_kopecks(net * num * covered * benefit.percent / (den * persons * 100))


def benefit_total(line: ReferenceLine, net: int, net_exact: Decimal, volume: Decimal) -> int:
    """The discount categories of the line (shares of ``net_exact``), never more than what
    is left to pay (``net``, in whole kopecks)."""
    total = sum(benefit_amount(line, b, net_exact, volume) for b in line.benefits if not b.cash)
    return min(total, max(net, 0))


def benefit_cash_total(
    line: ReferenceLine, net: int, net_exact: Decimal, volume: Decimal, discount: int
) -> int:
    """The cash (ЕДК) categories of the line, by the same shares as a discount, never more
    than what is left to pay after the discount (``net − discount``)."""
    total = sum(benefit_amount(line, b, net_exact, volume) for b in line.benefits if b.cash)
    return min(total, max(net, 0) - discount)


# ---------------------------------------------------------------------------------------
# The line rounded once (rules.md §0, §14 "Rounding", `RoundingPoint.LINE`)


def _units(kopecks: Decimal) -> int:
    """Exact kopecks (Σ volume × tariff) as an integer count of 1e-8 kopeck."""
    with _context():
        units = kopecks * KOPECKS_SCALE
        if units != units.to_integral_value():
            raise ValueError(f"{kopecks} коп. не кратно 1e-8 копейки")
        return int(units)


def round_line_once(
    line: ReferenceLine,
    method: Method,
    base_kopecks: Decimal,
    coef_kopecks: Decimal,
    volume: Decimal,
    whole_volume: Decimal,
    settings: Settings = DEFAULT_SETTINGS,
) -> tuple[int, int, int, int, int, int]:
    """The line's total rounded once; the components rounded each; the base amount takes
    the difference (the reasons are in `raschet.core.billing.line_rounding`).

    Every component is taken in 1e-8 kopeck: the exact base and coefficient amounts, each
    reduction of the exact amount and each benefit share of the exact base after the exact
    reduction (rounded to 1e-8 kopeck, capped as in the kopeck mode). Returns ``(base
    amount, coefficient part, reduction, discount, ЕДК, reasons)``, in kopecks.
    """
    base_units = _units(base_kopecks)
    coef_units = _units(coef_kopecks)
    amount_units = base_units + coef_units
    reduction_units, reasons = reduction_total(
        line, method, amount_units, whole_volume, settings, scale=KOPECKS_SCALE
    )
    net_units = base_units - reduction_units
    discount_units = benefit_total(line, net_units, Decimal(net_units), volume)
    cash_units = benefit_cash_total(line, net_units, Decimal(net_units), volume, discount_units)
    with _context():
        total = _round_kopecks(
            Decimal(amount_units - reduction_units - discount_units) / KOPECKS_SCALE
        )
        coefficient = _round_kopecks(Decimal(coef_units) / KOPECKS_SCALE)
        reduction = _round_kopecks(Decimal(reduction_units) / KOPECKS_SCALE)
        discount = _round_kopecks(Decimal(discount_units) / KOPECKS_SCALE)
        cash = _round_kopecks(Decimal(cash_units) / KOPECKS_SCALE)
    return (
        total - coefficient + reduction + discount,
        coefficient,
        reduction,
        discount,
        cash,
        reasons,
    )


# ---------------------------------------------------------------------------------------
# The line and the batch


def charge_line(
    line: ReferenceLine,
    settings: Settings = DEFAULT_SETTINGS,
    *,
    account_water_volume: Decimal | None = None,
    building_individual_volume: Decimal | None = None,
) -> ReferenceResult:
    """Charge one line.

    Metered wastewater needs ``account_water_volume`` (Σ cold + hot base volumes of the
    account); common property with an ОДПУ needs ``building_individual_volume`` (Σ V_u of
    the building's premises for the resource). `charge_batch` supplies both.
    """
    _check_month(line.days_in_month)
    if line.heat_meter_catch_up < 0 or line.heat_meters_catch_up_total < 0:
        raise ValueError(
            "объёмы тепла, начисленные по среднему (доначисление, rules.md §14), "
            "не могут быть отрицательными"
        )
    method = select_method(line, settings)
    segments = line.segments
    dim = line.days_in_month
    base: list[Decimal] = []
    extra: list[Decimal] = []
    capped = False
    if method == Method.METER:
        for part in line.parts:
            base.extend(split_by_days(part.meter_volume, [s.days for s in part.segments]))
    elif method == Method.HEATING_INDIVIDUAL:
        for part in line.parts:
            # rules.md §14: after averaged months, the reading's volume − Σ the averages
            own_volume = catch_up_volume(
                line.heat_meter_volume or ZERO, (line.heat_meter_catch_up,)
            )
            own = split_by_days(own_volume, [s.days for s in part.segments])
            base.extend(
                o + heating_common_share(line, s.days)
                for o, s in zip(own, part.segments, strict=True)
            )
    elif method == Method.DERIVED:
        if account_water_volume is None:
            raise ValueError("для водоотведения по приборам нужен объём ХВС + ГВС по счёту")
        base = split_by_days(account_water_volume, [s.days for s in segments])
    else:
        for part in line.parts:
            for s in part.segments:
                if method in (
                    Method.AVERAGE_NOT_SUBMITTED,
                    Method.AVERAGE_BROKEN,
                    Method.AVERAGE_NO_ACCESS,
                ):
                    q = average_segment_volume(part.average_volume, s.days, dim)
                elif method in (Method.NORM, Method.NORM_COEFFICIENT, Method.NORM_AREA):
                    q = norm_volume(_norm_base(line, s), s.norm, s.days, dim)
                elif method == Method.AREA:
                    q = area_quantity(line.area, s.days, dim)
                elif method == Method.PER_PERSON:
                    q = person_quantity(s.persons, s.days, dim)
                elif method == Method.FIXED:
                    q = fixed_quantity(s.days, dim)
                elif method == Method.HEATING_NORM:
                    q = heating_norm_volume(line, s.norm, s.days)
                elif method == Method.HEATING_INDIVIDUAL_EVENLY:
                    q = heating_individual_evenly_volume(line, s.days)
                elif method in (Method.HEATING_OWN_SOURCE_METER, Method.HEATING_OWN_SOURCE_NORM):
                    q = own_source_heating_volume(line, s.norm, s.days)
                elif method in (Method.HEATING_BUILDING, Method.HEATING_BUILDING_NO_METER_YEAR):
                    q = heating_building_volume(line, s.norm, s.days)
                elif method in (Method.COMMON_NORM, Method.COMMON_METER):
                    individual = building_individual_volume
                    if individual is None:
                        if line.building_volume is not None:
                            raise ValueError("для КР на СОИ по ОДПУ нужен объём помещений дома")
                        individual = ZERO
                    q, over = common_property_volume(line, s.norm, s.days, individual)
                    capped = capped or over
                else:
                    q = ZERO
                base.append(q)
    if method == Method.NORM_COEFFICIENT:
        extra = [
            coefficient_volume(_norm_base(line, s), s.norm, s.days, dim, settings) for s in segments
        ]
    else:
        extra = [ZERO for _ in segments]
    if capped:
        method = Method.COMMON_CAPPED
    elif method == Method.COMMON_METER and line.common_carry > 0:
        method = Method.COMMON_CARRIED

    rates = [s.rate for s in segments]
    base_amount = amount_kopecks(base, rates)
    coefficient_amount = amount_kopecks(extra, rates)
    amount = base_amount + coefficient_amount
    with _context():
        volume = sum(base, ZERO)
        extra_volume = sum(extra, ZERO)
        whole_volume = volume + extra_volume
    reduction, reasons = reduction_total(line, method, amount, whole_volume, settings)
    net = base_amount - reduction
    with _context():
        exact_kopecks = sum((q * r for q, r in zip(base, rates, strict=True)), ZERO) * 100
    benefit = benefit_total(line, net, exact_kopecks - reduction, volume)
    benefit_cash = benefit_cash_total(line, net, exact_kopecks - reduction, volume, benefit)
    if settings.rounding_point == RoundingPoint.LINE:
        with _context():
            exact_coef = sum((q * r for q, r in zip(extra, rates, strict=True)), ZERO) * 100
        base_amount, coefficient_amount, reduction, benefit, benefit_cash, reasons = (
            round_line_once(line, method, exact_kopecks, exact_coef, volume, whole_volume, settings)
        )
        amount = base_amount + coefficient_amount
    fine = fine_amount(line)
    if fine > 0:
        reasons |= int(ReductionReason.FINE)
    # rules.md §14: a negative catch-up after averaged months is a reduction, the amount 0
    # (every reduction and benefit above was capped at max(amount, 0) = 0 already).
    catch_up = min(amount, 0)
    if catch_up < 0:
        amount = 0
        reasons |= int(ReductionReason.CATCH_UP)
    return ReferenceResult(
        method=method,
        volume=_millionths(volume),
        coefficient_volume=_millionths(extra_volume),
        amount=amount,
        coefficient_amount=coefficient_amount,
        reduction=-reduction - fine + catch_up,
        benefit=-benefit,
        segment_volumes=tuple(_millionths(q) for q in base),
        fine=-fine,
        reduction_reasons=reasons,
        benefit_cash=-benefit_cash,
    )


def charge_batch(
    lines: Sequence[ReferenceLine], settings: Settings = DEFAULT_SETTINGS
) -> list[ReferenceResult]:
    """Charge a batch of whole buildings, line by line, in three passes.

    1. every line that needs nothing from other lines;
    2. metered wastewater: Σ cold + hot base volumes of its account (rules.md §1.2);
    3. common property: Σ individual volumes (water, power, wastewater lines) of the building
       for the same resource (rules.md §1.6).
    """
    results: dict[int, ReferenceResult] = {}
    methods = [select_method(line, settings) for line in lines]
    for i, line in enumerate(lines):
        if methods[i] != Method.DERIVED and line.rule != Rule.COMMON:
            results[i] = charge_line(line, settings)

    with _context():
        water: dict[int, Decimal] = {}
        for i, line in enumerate(lines):
            if line.rule == Rule.VOLUME and line.resource in WATER:
                water[line.account] = water.get(line.account, ZERO) + _volume_of(results[i])
        for i, line in enumerate(lines):
            if methods[i] == Method.DERIVED:
                results[i] = charge_line(
                    line, settings, account_water_volume=water.get(line.account, ZERO)
                )

        individual: dict[tuple[int, int], Decimal] = {}
        for i, line in enumerate(lines):
            if line.rule in (Rule.VOLUME, Rule.WASTEWATER):
                key = (line.building, line.resource)
                individual[key] = individual.get(key, ZERO) + _volume_of(results[i])
        for i, line in enumerate(lines):
            if line.rule == Rule.COMMON:
                results[i] = charge_line(
                    line,
                    settings,
                    building_individual_volume=individual.get((line.building, line.resource), ZERO),
                )
    return [results[i] for i in range(len(lines))]


def _volume_of(result: ReferenceResult) -> Decimal:
    return Decimal(result.volume).scaleb(-6)


# ---------------------------------------------------------------------------------------
# Helpers of the month (scalar statements of the small functions of `billing`)


def excess_hours(events_hours: Sequence[int], total_limit: int, once_limit: int) -> int:
    """Hours beyond the limits (rules.md §14): the larger of the monthly and per-event excess."""
    monthly = sum(events_hours) - total_limit
    per_event = sum(h - once_limit for h in events_hours if h > once_limit)
    return max(monthly, per_event, 0)


INTERRUPTION_LIMITS = {
    # service: (hours a month, hours at once) — ПП 354 Приложение 1 (rules.md §1.8)
    "cold_water": (8, 4),
    "hot_water": (8, 4),
    "wastewater": (8, 4),
    "electricity": (24, 24),
    "gas": (4, 4),
    "heating": (24, 16),
}
HEATING_BANDS = (
    # room temperature [from, to) during a heating interruption → hours permitted at once
    (Decimal("-1000"), Decimal(8), 0),
    (Decimal(8), Decimal(10), 4),
    (Decimal(10), Decimal(12), 8),
    (Decimal(12), Decimal("1000"), 16),
)


def interruption_limits(
    service: str,
    *,
    temperature: Decimal | None = None,
    dead_end_accident: bool = False,
    two_sources: bool = False,
) -> tuple[int, int]:
    """The (month, at once) limits of an interruption act under its conditions (rules.md §1.8:
    electricity 2 h with two independent sources, else 24 h; heating at once by the room
    temperature 16/8/4 h, none below +8 °C; water 24 h in an accident on a dead-end main)."""
    if service not in INTERRUPTION_LIMITS:
        raise ValueError(f"нет допустимой продолжительности перерыва для {service}")
    if dead_end_accident and service not in ("cold_water", "hot_water"):
        raise ValueError("авария на тупиковой магистрали — только водоснабжение")
    if temperature is not None and service != "heating":
        raise ValueError("температура задаётся только для перерыва отопления")
    month, once = INTERRUPTION_LIMITS[service]
    if service == "electricity":
        return (2, 2) if two_sources else (24, 24)
    if dead_end_accident:
        return 24, 24
    if service == "heating" and temperature is not None:
        once = next(h for low, high, h in HEATING_BANDS if low <= temperature < high)
    return month, once


def waste_percent(events_hours: Sequence[int], temperature: Decimal | None) -> Decimal:
    """Solid waste removal (rules.md §1.8): each deviation may last 24 h (72 h when the
    outdoor air is at 0 °C or colder); 3.3 % for each started 24 h of the month's sum of
    deviations beyond that."""
    if temperature is None:
        raise ValueError("нет температуры наружного воздуха")
    allowed = 72 if temperature <= 0 else 24
    beyond = Decimal(sum(h - allowed for h in events_hours if h > allowed))
    days = (beyond / 24).to_integral_value(rounding=ROUND_CEILING)
    return Decimal("3.3") * days


def quality_percent(
    kind: str,
    service: str,
    *,
    events_hours: Sequence[int],
    hours: int = 0,
    degrees: int = 0,
    temperature: Decimal | None = None,
    dead_end_accident: bool = False,
    two_sources: bool = False,
) -> Decimal:
    """Reduction of one act, in percent of the month's charge (Приложение 1, rules.md §1.8).

    Interruptions 0.15 % per hour beyond the limits (`interruption_limits`); solid waste
    3.3 % per started 24 h beyond the permitted deviation; heating temperature 0.15 % per
    hour per degree; hot water temperature 0.1 % per hour for each full 3 °C beyond the
    allowance.
    """
    if min([*events_hours, hours, degrees], default=0) < 0:
        raise ValueError("отрицательные часы или градусы")
    if kind == "interruption" and service == "solid_waste" and not dead_end_accident:
        return waste_percent(events_hours, temperature)
    if kind == "interruption":
        total_limit, once_limit = interruption_limits(
            service,
            temperature=temperature,
            dead_end_accident=dead_end_accident,
            two_sources=two_sources,
        )
        return Decimal("0.15") * excess_hours(events_hours, total_limit, once_limit)
    if kind == "maintenance" and service == "hot_water":
        # the outage beyond the yearly 14 days (`maintenance_split`) is an interruption
        return Decimal("0.15") * hours
    if kind == "temperature" and service == "heating":
        return Decimal("0.15") * hours * degrees
    if kind == "temperature" and service == "hot_water":
        return Decimal("0.1") * hours * (degrees // 3)
    raise ValueError(f"неизвестный вид акта качества «{kind}» для услуги {service}")


def pooled_quality_percent(
    service: str,
    acts: Sequence[tuple[Sequence[int], Decimal | None, bool]],
    *,
    two_sources: bool = False,
) -> Decimal:
    """A line's month of interruption acts ``(events hours, temperature, dead-end accident)``
    taken together, in percent of the month's charge (rules.md §1.8, §14).

    Solid waste: every deviation against its act's permitted one (24 h, 72 h at 0 °C and
    below), 3.3 % per started 24 h of their sum beyond. Otherwise the events whose acts have
    the same monthly limit — an accident on a dead-end main kept apart — are one month:
    0.15 % × max(Σ h − monthly limit, Σ over each event's own limit at once), the months
    added up.
    """
    if any(h < 0 for events, _, _ in acts for h in events):
        raise ValueError("отрицательные часы")
    if service == "solid_waste":
        beyond = 0
        for events, temperature, accident in acts:
            if accident:
                raise ValueError("авария на тупиковой магистрали — только водоснабжение")
            if temperature is None:
                raise ValueError("нет температуры наружного воздуха")
            allowed = 72 if temperature <= 0 else 24
            beyond += sum(h - allowed for h in events if h > allowed)
        return Decimal("3.3") * (Decimal(beyond) / 24).to_integral_value(rounding=ROUND_CEILING)
    months: dict[tuple[bool, int], list[tuple[int, int]]] = {}
    for events, temperature, accident in acts:
        month, once = interruption_limits(
            service, temperature=temperature, dead_end_accident=accident, two_sources=two_sources
        )
        months.setdefault((accident, month), []).extend((h, once) for h in events)
    percent = ZERO
    for (_, month), pooled in months.items():
        monthly = sum(h for h, _ in pooled) - month
        per_event = sum(h - once for h, once in pooled if h > once)
        percent += Decimal("0.15") * max(monthly, per_event, 0)
    return percent


def maintenance_split(hours_before: int, hours: int) -> tuple[int, int]:
    """A month's ГВС maintenance outage: hours within the 14 days a year (336 h) left after
    the year's earlier outages, and hours beyond them (Приложение 1 п.4)."""
    if hours_before < 0 or hours < 0:
        raise ValueError("часы ремонтного отключения ГВС не могут быть отрицательными")
    left = max(14 * 24 - hours_before, 0)
    within = min(hours, left)
    return within, hours - within


def common_carry_out(carry_in: Decimal, difference: Decimal) -> Decimal:
    """rules.md §1.6 carry-over: what is left to carry after a month whose building meter
    less the premises' volumes was ``difference``."""
    if carry_in < 0:
        raise ValueError("перенесённый отрицательный объём не может быть меньше нуля")
    return max(carry_in - difference, ZERO)


def average_volume(volumes: Sequence[Decimal]) -> Decimal:
    """п.59: the average of the base months, half-up to 1/1000 of the unit; none → 0."""
    if not volumes:
        return ZERO
    with _context():
        return (sum(volumes, ZERO) / len(volumes)).quantize(_THOUSANDTH, rounding=ROUND_HALF_UP)


def catch_up_volume(reading_volume: Decimal, averaged_volumes: Sequence[Decimal]) -> Decimal:
    """``(R_new − R_last_accepted) − Σ averaged volumes`` (rules.md §1.2, §14); may be < 0."""
    with _context():
        return reading_volume - sum(averaged_volumes, ZERO)


def social_norm_area(
    persons: int,
    single: Decimal = Decimal(33),
    two: Decimal = Decimal(42),
    per_person: Decimal = Decimal(18),
) -> Decimal:
    """Social norm of area of a household, m² (federal default 33 / 42 / 18 × n, §4.1)."""
    if persons <= 0:
        return ZERO
    if persons == 1:
        return single
    if persons == 2:
        return two
    return per_person * persons


# ---------------------------------------------------------------------------------------
# Bridge to the vectorised engine


def _scaled(value: Decimal, scale: int, what: str) -> int:
    with _context():
        scaled = value * scale
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{what}: {value} не кратно 1/{scale}")
        return int(scaled)


def _i64(values: Sequence[int]) -> npt.NDArray[np.int64]:
    return np.asarray(values, dtype=np.int64).reshape(len(values))


def _i8(values: Sequence[int]) -> npt.NDArray[np.int8]:
    return np.asarray(values, dtype=np.int8).reshape(len(values))


def _bool(values: Sequence[bool]) -> npt.NDArray[np.bool_]:
    return np.asarray(values, dtype=np.bool_).reshape(len(values))


def _optional_volume(value: Decimal | None, what: str) -> int:
    return -1 if value is None else _scaled(value, VOLUME_SCALE, what)


def _heating_num(line: ReferenceLine) -> int:
    area = line.area if line.flat_area is None else line.flat_area
    num = _scaled(area, AREA_SCALE, "площадь")
    if line.flat_area is not None:
        num *= _scaled(line.room_living_area, AREA_SCALE, "жилая площадь комнаты")
    return num


def _heating_den(line: ReferenceLine) -> int:
    if line.flat_area is None:
        return 1
    return _scaled(line.flat_living_area, AREA_SCALE, "жилая площадь квартиры")


def to_arrays(lines: Sequence[ReferenceLine]) -> tuple[Lines, Parts, Segments, Benefits]:
    """The vectorised input of the same batch: parts and segments in line order."""
    part_line: list[int] = []
    meter: list[int] = []
    average: list[int] = []
    seg_part: list[int] = []
    days: list[int] = []
    rate: list[int] = []
    norm: list[int] = []
    persons: list[int] = []
    b_line: list[int] = []
    covered: list[int] = []
    percent: list[int] = []
    b_base: list[int] = []
    b_area: list[int] = []
    b_norm: list[int] = []
    b_cash: list[bool] = []
    for i, line in enumerate(lines):
        for part in line.parts:
            part_line.append(i)
            meter.append(_scaled(part.meter_volume, VOLUME_SCALE, "объём по прибору"))
            average.append(_scaled(part.average_volume, VOLUME_SCALE, "средний объём"))
            for s in part.segments:
                seg_part.append(len(part_line) - 1)
                days.append(s.days)
                rate.append(_scaled(s.rate, RATE_SCALE, "тариф"))
                norm.append(_scaled(s.norm, NORM_SCALE, "норматив"))
                persons.append(s.persons)
        for b in line.benefits:
            b_line.append(i)
            covered.append(b.covered)
            percent.append(_scaled(b.percent, PERCENT_SCALE, "процент льготы"))
            b_base.append(int(b.base))
            b_area.append(_scaled(b.social_norm_area, AREA_SCALE, "социальная норма площади"))
            b_norm.append(_scaled(b.norm, NORM_SCALE, "норматив льготы"))
            b_cash.append(b.cash)
    arrays = Lines(
        account=_i64([x.account for x in lines]),
        rule=_i8([int(x.rule) for x in lines]),
        residential=_bool([x.residential for x in lines]),
        configured_meter=_bool([x.configured_meter for x in lines]),
        meter_possible=_bool([x.meter_possible for x in lines]),
        coefficient_service=_bool([x.coefficient_service for x in lines]),
        condition=_i8([int(x.condition) for x in lines]),
        reading_present=_bool([x.reading_present for x in lines]),
        spell_months=_i64([x.spell_months for x in lines]),
        average_months=_i64([x.average_months for x in lines]),
        area=_i64([_scaled(x.area, AREA_SCALE, "площадь") for x in lines]),
        residents=_i64([x.residents for x in lines]),
        days_in_month=_i64([x.days_in_month for x in lines]),
        resource=_i8([int(x.resource) for x in lines]),
        building=_i64([x.building for x in lines]),
        building_area=_i64([_scaled(x.building_area, AREA_SCALE, "площадь дома") for x in lines]),
        building_common_area=_i64(
            [_scaled(x.building_common_area, AREA_SCALE, "площадь МОП") for x in lines]
        ),
        building_volume=_i64([_optional_volume(x.building_volume, "ОДПУ") for x in lines]),
        building_volume_last_year=_i64(
            [_optional_volume(x.building_volume_last_year, "ОДПУ за год") for x in lines]
        ),
        heating_mode=_i8([int(x.heating_mode) for x in lines]),
        heating_in_season=_bool([x.heating_in_season for x in lines]),
        heating_season_months=_i64([x.heating_season_months for x in lines]),
        common_mode=_i8([int(x.common_mode) for x in lines]),
        absence_service=_bool([x.absence_service for x in lines]),
        absence_person_days=_i64([x.absence_person_days for x in lines]),
        quality_units=_i64([_scaled(x.quality_percent, 100, "снижение, %") for x in lines]),
        cold_hours=_i64([x.cold_hours for x in lines]),
        cold_rate=_i64([_scaled(x.cold_rate, RATE_SCALE, "тариф ХВС") for x in lines]),
        maintenance_hours=_i64([x.maintenance_hours for x in lines]),
        upkeep_days=_i64([x.upkeep_days for x in lines]),
        overcharge=_i64([x.overcharge for x in lines]),
        norm_by_area=_bool([x.norm_by_area for x in lines]),
        heating_area_num=_i64([_heating_num(x) for x in lines]),
        heating_area_den=_i64([_heating_den(x) for x in lines]),
        heat_meter_volume=_i64([_optional_volume(x.heat_meter_volume, "ИПУ тепла") for x in lines]),
        common_carry=_i64([_scaled(x.common_carry, VOLUME_SCALE, "перенос") for x in lines]),
        heat_meter_catch_up=_i64(
            [_scaled(x.heat_meter_catch_up, VOLUME_SCALE, "доначисление тепла") for x in lines]
        ),
        heat_meters_catch_up_total=_i64(
            [
                _scaled(x.heat_meters_catch_up_total, VOLUME_SCALE, "доначисление тепла дома")
                for x in lines
            ]
        ),
        own_heating=_bool([x.own_heating for x in lines]),
        heat_meters_total=_i64(
            [_optional_volume(x.heat_meters_total, "ИПУ тепла дома") for x in lines]
        ),
        heat_meter_volume_last_year=_i64(
            [_optional_volume(x.heat_meter_volume_last_year, "ИПУ тепла за год") for x in lines]
        ),
        heat_meters_total_last_year=_i64(
            [
                _optional_volume(x.heat_meters_total_last_year, "ИПУ тепла дома за год")
                for x in lines
            ]
        ),
    )
    return (
        arrays,
        Parts(line=_i64(part_line), meter_volume=_i64(meter), average_volume=_i64(average)),
        Segments(
            part=_i64(seg_part),
            days=_i64(days),
            rate=_i64(rate),
            norm=_i64(norm),
            persons=_i64(persons),
        ),
        Benefits(
            line=_i64(b_line),
            covered=_i64(covered),
            percent=_i64(percent),
            base=_i8(b_base),
            social_norm_area=_i64(b_area),
            norm=_i64(b_norm),
            cash=_bool(b_cash),
        ),
    )


def result_rows(result: Result, lines: Sequence[ReferenceLine]) -> list[ReferenceResult]:
    """The vectorised `Result` of `to_arrays(lines)` as one `ReferenceResult` per line."""
    rows = []
    offset = 0
    for i, line in enumerate(lines):
        n_segments = len(line.segments)
        rows.append(
            ReferenceResult(
                method=Method(int(result.method[i])),
                volume=int(result.volume[i]),
                coefficient_volume=int(result.coefficient_volume[i]),
                amount=int(result.amount[i]),
                coefficient_amount=int(result.coefficient_amount[i]),
                reduction=int(result.reduction[i]),
                benefit=int(result.benefit[i]),
                segment_volumes=tuple(
                    int(v) for v in result.segment_volume[offset : offset + n_segments]
                ),
                fine=int(result.fine[i]),
                reduction_reasons=int(result.reduction_reasons[i]),
                benefit_cash=int(result.benefit_cash[i]),
            )
        )
        offset += n_segments
    return rows
