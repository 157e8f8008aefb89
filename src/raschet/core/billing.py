"""The monthly charge computation (ПП 354; rules.md §1, §2, §4, §14), vectorised.

Input is a batch of *lines* (account × service × month) with their *parts* (one per tariff
zone) and *segments* (sub-periods of the month in which the tariff, the norm or the number of
residents is constant). Everything is a scaled integer (`raschet.core.fixedpoint`). The
output is, per line: the method, the volume, the amount, the increasing-coefficient part, the
reductions and the benefits, each rounded half-up to the kopeck once (rules.md §14
"Rounding"); totals are sums of rounded lines.

Order of work inside a batch (a batch holds whole buildings, because common-property shares
need the sum of every premises' volume):
1. method per line (`select_methods`);
2. quantity per segment — volume by meter, average, norm (× 1.5 where a meter is required and
   missing), area, persons, heating, then wastewater (= cold + hot volumes of the account),
   then common property (building meter minus the premises' volumes, shared by area, capped by
   the norm, never below zero);
3. amounts: ``Σ volume × rate`` per line, rounded once; the coefficient part separately;
4. reductions: temporary absence (§1.7), quality / non-delivery (§1.8: hours beyond the
   limits, hot water below 40 °C at the cold-water tariff, the permitted ГВС maintenance
   outage when the organization grants it) and poor upkeep (§2.1, ПП 491), capped at the
   line's amount;
5. benefits by category (§4.2), capped at what is left to pay: a discount category
   («льгота в квитанции») reduces the line (``benefit``), a cash category (ЕДК, paid by the
   social protection body) is computed the same way but only reported (``benefit_cash``);
6. the contractor's fine of 50 % of an unlawful over-charge (ЖК ст.157 ч.6, ПП 354
   п.155(1)), added to the reduction after the cap and kept apart as ``fine``;
7. a negative catch-up after averaged months (rules.md §14) moves from the amount to the
   reduction (`catch_up_reduction`).

The scalar `Decimal` reference of each step lives in `raschet.core.billing_reference`; the
hypothesis tests in ``tests/core`` prove both agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum, IntFlag

import numpy as np
import numpy.typing as npt

from raschet.core.fixedpoint import (
    AREA_SCALE,
    KOPECKS_SCALE,
    SAFE_BOUND,
    VOLUME_SCALE,
    div_round,
    magnitude,
    mul_div_round,
    prorate_cumulative,
    sum_by,
    sum_round,
)

I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
Bool = npt.NDArray[np.bool_]


class Rule(IntEnum):
    """How a service is charged (the strategy per line)."""

    VOLUME = 1  # cold/hot water, electricity, gas: meter, average or norm × persons
    WASTEWATER = 2  # = cold + hot volumes when metered; own norm otherwise
    HEATING = 3  # by area: norm, or the building meter shared by area
    AREA = 4  # ₽ per m²: maintenance, capital repair
    PERSON = 5  # ₽ per person: solid waste
    COMMON = 6  # common-property resource (КР на СОИ)
    FIXED = 7  # a fixed sum per premises


class Method(IntEnum):
    """The method a line was charged by; stored with the line (its provenance)."""

    NONE = 0  # nothing to charge this month (heating out of season)
    METER = 1  # формула 1
    AVERAGE_NOT_SUBMITTED = 2  # п.59 «б»
    AVERAGE_BROKEN = 3  # п.59 «а»
    AVERAGE_NO_ACCESS = 4  # п.59 «в»
    NORM = 5  # формула 4
    NORM_COEFFICIENT = 6  # формула 4(1), × (1 + K)
    AREA = 7
    PER_PERSON = 8
    HEATING_NORM = 9  # формула 2
    HEATING_BUILDING = 10  # формулы 3, 3(1)
    COMMON_NORM = 11  # формула 15, no building meter
    COMMON_METER = 12  # building meter share within the norm (or owners chose actual)
    COMMON_CAPPED = 13  # building meter share above the norm: capped by the norm
    DERIVED = 14  # wastewater = cold + hot
    FIXED = 15
    NORM_AREA = 16  # формула 4 with a norm per m² of the premises (rules.md §1.10)
    HEATING_CORRECTION = 17  # формула 3(2): the yearly correction (`core.heating_correction`)
    HEATING_INDIVIDUAL = 18  # формула 3(3): own heat meter + a share of the common part
    COMMON_CARRIED = 19  # building meter share after a carried negative volume (§1.6)
    HEATING_INDIVIDUAL_EVENLY = 20  # формула 3(4): last year's own heat meter / 12 + share
    HEATING_CORRECTION_METERED = 21  # формула 3(6): the yearly correction, heat meters
    # формула 3(1) in a building whose every premises has a heat meter this month, but whose
    # previous year is not metered whole (so формула 3(4) cannot apply; said in the derivation)
    HEATING_BUILDING_NO_METER_YEAR = 22
    # A premises heated by its own installation (rules.md §1.5, last row; the premises'
    # ``individual_heating_from``): only the common-property share of the building's heat —
    # by the building meter (season: V_D; evenly: last year / 12) or by the norm.
    HEATING_OWN_SOURCE_METER = 23
    HEATING_OWN_SOURCE_NORM = 24


METHOD_CODES: dict[Method, str] = {
    Method.NONE: "none",
    Method.METER: "meter",
    Method.AVERAGE_NOT_SUBMITTED: "average",
    Method.AVERAGE_BROKEN: "average",
    Method.AVERAGE_NO_ACCESS: "average",
    Method.NORM: "norm",
    Method.NORM_COEFFICIENT: "norm_coefficient",
    Method.AREA: "area",
    Method.PER_PERSON: "per_person",
    Method.HEATING_NORM: "norm",
    Method.HEATING_BUILDING: "building_meter",
    Method.COMMON_NORM: "common_norm",
    Method.COMMON_METER: "building_meter",
    Method.COMMON_CAPPED: "common_norm_cap",
    Method.DERIVED: "meter",
    Method.FIXED: "fixed",
    Method.NORM_AREA: "norm",
    Method.HEATING_CORRECTION: "heating_correction",
    Method.HEATING_INDIVIDUAL: "heat_meter",
    Method.COMMON_CARRIED: "building_meter",
    Method.HEATING_INDIVIDUAL_EVENLY: "heat_meter",
    Method.HEATING_CORRECTION_METERED: "heating_correction",
    Method.HEATING_BUILDING_NO_METER_YEAR: "building_meter",
    Method.HEATING_OWN_SOURCE_METER: "common_share",
    Method.HEATING_OWN_SOURCE_NORM: "common_share",
}
"""The method names of the scenario format (scenario-format.md, "Output")."""


class MeterCondition(IntEnum):
    NONE = 0  # no meter in the premises for this service
    WORKING = 1
    BROKEN = 2  # broken, lost or verification expired — п.59 «а»
    NO_ACCESS = 3  # the consumer refused access for a check — п.59 «в»


class HeatingMode(IntEnum):
    NONE = 0
    SEASON = 1
    EVENLY = 2


class CommonMode(IntEnum):
    NORM_CAP = 0
    ACTUAL = 1


class RoundingPoint(IntEnum):
    """Where a charge line is rounded to the kopeck (rules.md §0, §14 "Rounding").

    ``COMPONENT`` (the §14 default): each component — the base amount, the coefficient part,
    the reductions, the benefit — is rounded, and the line's total is their sum.
    ``LINE``: the line's total is rounded once from the exact figures (`line_rounding`).
    """

    COMPONENT = 0
    LINE = 1


class BenefitBase(IntEnum):
    PER_PERSON_SHARE = 1
    SOCIAL_NORM_AREA = 2
    CONSUMPTION_NORM = 3


@dataclass(frozen=True)
class Settings:
    """Organization settings of the engine (rules.md §14), with the project's defaults."""

    missing_limit_residential: int = 6  # п.59 «б»
    missing_limit_non_residential: int = 3
    broken_limit_residential: int = 3  # п.59 «а»
    broken_limit_non_residential: int = 2
    no_access_limit: int = 3  # п.59 «в»
    average_min_months: int = 3  # п.59: fewer → norm
    coefficient_numerator: int = 1  # K = 0.5 of формула 4(1)
    coefficient_denominator: int = 2
    # rules.md §1.8, §12: whether the permitted annual ГВС maintenance outage (up to 14 days,
    # ПП 354 Приложение 1 п.4) reduces a norm-billed charge is disputed; 0 = no reduction
    # (the tariff already accounts for it), 1 = reduce by the share of the month's hours.
    hot_water_maintenance_reduction: int = 0
    # rules.md §1.3 last bullet vs §1.4 table, §12: after the п.59 «в» limit (access for a
    # check refused) the table says the norm without a coefficient (ПП 354 п.60, the default,
    # 0); press reports (news 12.08.2025 citing "п.60(3)", paragraph unverified) say the norm
    # × 1.5 once the consumer has twice refused access. 1 = apply the increasing coefficient
    # (формула 4(1)) after the «в» limit where a meter is required, as after the «а» limit.
    no_access_norm_coefficient: int = 0
    # rules.md §0, §14 "Rounding": regional billing centres differ in where a line is rounded;
    # `RoundingPoint`: 0 = each component (the default), 1 = the line's total once.
    rounding_point: int = RoundingPoint.COMPONENT


@dataclass(frozen=True)
class Lines:
    """One row per line (account × service × month); building figures are denormalised."""

    account: I64
    rule: I8
    residential: Bool
    configured_meter: Bool  # the connected service says "by meter"
    meter_possible: Bool  # False: an act of technical impossibility exists
    coefficient_service: Bool  # ХВС, ГВС, electricity: the 1.5 may apply (rules.md §1.3)
    condition: I8  # MeterCondition
    reading_present: Bool
    spell_months: I64  # month number inside the current «а»/«б»/«в» spell (1 = first)
    average_months: I64  # months in the average base
    area: I64  # S_i, AREA_SCALE
    residents: I64  # n_i for reductions and benefits (owners when nobody lives there)
    days_in_month: I64
    resource: I8  # resource code: the line's own (VOLUME) or the one it shares (COMMON)
    building: I64  # building index inside the batch
    building_area: I64  # S_ob, AREA_SCALE
    building_common_area: I64  # S_oi, AREA_SCALE
    building_volume: I64  # ОДПУ volume of the month, VOLUME_SCALE; −1: no building meter
    building_volume_last_year: I64  # heating 'evenly': last year's ОДПУ volume; −1: none
    heating_mode: I8
    heating_in_season: Bool
    heating_season_months: I64
    common_mode: I8
    absence_service: Bool  # rules.md §1.7: a service recalculated for temporary absence
    absence_person_days: I64  # Σ persons × absent days inside the month
    quality_units: I64  # reduction in 1/10 000 of the month's charge (see `quality_units`)
    cold_hours: I64  # hours of hot water below 40 °C, billed at the cold-water tariff (§1.8)
    cold_rate: I64  # RATE_SCALE: the cold-water tariff for those hours
    maintenance_hours: I64  # hours of the permitted annual ГВС maintenance outage (§1.8)
    upkeep_days: I64  # days of non-performance of upkeep services (ПП 491, rules.md §2.1)
    overcharge: I64  # kopecks: unlawful over-charge of fine acts (ЖК ст.157 ч.6)
    norm_by_area: Bool  # the norm is per m² of the premises (ТКО, gas heating; rules.md §1.10)
    # heating area (AREA_SCALE) = num / den: the account's area (den 1), or in a communal
    # flat the flat's area × the room's living area / the flat's living area (формула 8)
    heating_area_num: I64
    heating_area_den: I64
    # формула 3(3): the premises' own heat-meter volume of the month (VOLUME_SCALE) and Σ of
    # every premises' of the building; −1 when not every premises of the building has one
    heat_meter_volume: I64
    heat_meters_total: I64
    # формула 3(4) (heating 'evenly', ПП 354 п.42(1)): the premises' own heat-meter volume of
    # the previous calendar year (VOLUME_SCALE) and Σ of every premises' of the building; −1
    # when not every premises of the building has a reading for all twelve months of it
    heat_meter_volume_last_year: I64
    heat_meters_total_last_year: I64
    # rules.md §1.6 (organization setting): a negative building volume of earlier months not
    # used yet, taken off this month's (V_D − Σ V_u); VOLUME_SCALE, 0 without the setting
    common_carry: I64
    # rules.md §1.5 (last row): the premises is heated by its own installation (converted
    # with an approved project) and pays only the common-property share of the building's
    # heat (`own_source_heating`); None: no such premises in the batch
    own_heating: Bool | None = None
    # rules.md §14 "Late readings after averaged months" for формула 3(3): Σ of the heat
    # volumes (VOLUME_SCALE, ≥ 0) the premises was charged at its п.59 average in the season
    # months since its last accepted reading, taken off ``heat_meter_volume`` (the difference
    # of the cumulative readings) in the month the reading arrives; None: none in the batch
    heat_meter_catch_up: I64 | None = None
    # Σ ``heat_meter_catch_up`` of every premises of the building: Σ V_ИПУ of формула 3(3) is
    # ``heat_meters_total`` less it — each premises' volume as charged this month (the
    # averages entered Σ V_ИПУ of their own months; ПП 354 п.42(1)); it may exceed the total
    heat_meters_catch_up_total: I64 | None = None

    @property
    def own_heating_flags(self) -> Bool:
        """``own_heating`` as an array, all False when not given."""
        if self.own_heating is None:
            return np.zeros(len(self.rule), dtype=np.bool_)
        return np.asarray(self.own_heating, dtype=np.bool_)

    @property
    def heat_catch_up(self) -> I64:
        """``heat_meter_catch_up`` as an array, all 0 when not given."""
        if self.heat_meter_catch_up is None:
            return np.zeros(len(self.rule), dtype=np.int64)
        return np.asarray(self.heat_meter_catch_up, dtype=np.int64)

    @property
    def heat_catch_up_total(self) -> I64:
        """``heat_meters_catch_up_total`` as an array, all 0 when not given."""
        if self.heat_meters_catch_up_total is None:
            return np.zeros(len(self.rule), dtype=np.int64)
        return np.asarray(self.heat_meters_catch_up_total, dtype=np.int64)


@dataclass(frozen=True)
class Parts:
    """One row per line × tariff zone: the metered and averaged volumes of the zone."""

    line: I64
    meter_volume: I64  # VOLUME_SCALE; may be negative (catch-up after averaged months)
    average_volume: I64  # VOLUME_SCALE, monthly
    role: I8 | None = None  # PartRole per part; None: every part is BOTH


class PartRole(IntEnum):
    """Which methods a part serves. A multi-zone meter line has one part per zone for the
    meter and the average, and one single-rate part for the norm."""

    BOTH = 0
    METER_ONLY = 1
    NORM_ONLY = 2


@dataclass(frozen=True)
class Segments:
    """One row per part × sub-period with constant tariff, norm and residents."""

    part: I64
    days: I64
    rate: I64  # RATE_SCALE
    norm: I64  # NORM_SCALE: per person, per m² (heating) or per m² of common area
    persons: I64  # persons for norms and per-person charges (owners when nobody lives there)


@dataclass(frozen=True)
class Benefits:
    """One row per line × benefit category present on the account.

    ``cash`` marks a category of the ЕДК model (rules.md §4.2): the citizen pays the whole
    bill and the social protection body pays the compensation; ``None`` — every row is a
    discount («льгота в квитанции»).
    """

    line: I64
    covered: I64  # persons covered by the measure
    percent: I64  # PERCENT_SCALE
    base: I8  # BenefitBase
    social_norm_area: I64  # the household's social norm of area, AREA_SCALE
    norm: I64  # consumption norm per person, NORM_SCALE
    cash: Bool | None = None  # True: ЕДК (cash compensation), False: discount

    @property
    def cash_flags(self) -> Bool:
        """``cash`` as an array, all False when not given."""
        if self.cash is None:
            return np.zeros(len(self.line), dtype=np.bool_)
        return np.asarray(self.cash, dtype=np.bool_)


@dataclass(frozen=True)
class Result:
    method: I8
    volume: I64  # VOLUME_SCALE, the base volume (the coefficient's extra volume excluded)
    coefficient_volume: I64
    amount: I64  # kopecks, coefficient part included
    coefficient_amount: I64
    reduction: I64  # ≤ 0, the fine included
    benefit: I64  # ≤ 0, discount categories: part of ``total``
    segment_volume: I64 = field(repr=False)  # per segment, VOLUME_SCALE
    segment_amount_exact: I64 = field(repr=False)  # per segment, volume × rate (unrounded)
    fine: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # ≤ 0, in reduction
    reduction_reasons: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # ≤ 0 like ``benefit``: the ЕДК of cash categories (rules.md §4.2), NOT part of ``total``
    # — the citizen pays the whole bill, the social protection body pays this amount.
    benefit_cash: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def total(self) -> I64:
        """What the line asks the citizen to pay; the ЕДК (``benefit_cash``) is left out."""
        return self.amount + self.reduction + self.benefit


WASTEWATER_SOURCES = (1, 2)
"""Resource codes whose volumes make wastewater: cold and hot water (see `Resource`)."""


class ReductionReason(IntFlag):
    """Which reductions a line has (a bit each), so its derivation names them."""

    ABSENCE = 1  # temporary absence, rules.md §1.7
    QUALITY = 2  # hours beyond the limits of ПП 354 Приложение 1, temperature deviations
    BELOW_40 = 4  # hot water below 40 °C billed at the cold-water tariff (Приложение 1 п.5)
    MAINTENANCE = 8  # the permitted ГВС maintenance outage, when the organization grants it
    UPKEEP = 16  # poor upkeep of common property, by days (ПП 491 п.10, 15)
    FINE = 32  # 50 % of an unlawful over-charge (ЖК ст.157 ч.6, ПП 354 п.155(1))
    # rules.md §1.2, §14: readings after averaged months gave less than the averages billed;
    # the negative catch-up is the line's reduction, its amount 0 (`catch_up_reduction`)
    CATCH_UP = 64


class Resource(IntEnum):
    OTHER = 0
    COLD_WATER = 1
    HOT_WATER = 2
    WASTEWATER = 3
    ELECTRICITY = 4
    GAS = 5
    HEATING = 6


# ---------------------------------------------------------------------------------------
# 1. Method selection (rules.md §1.1, §1.4, §14)


def select_methods(lines: Lines, settings: Settings = Settings()) -> I8:
    """The method of each line for the month.

    A line by meter with a working meter and a reading is metered. Without a reading the
    average is used for at most 6 months (3 for non-residential; п.59 «б»), then the norm.
    A broken meter or an expired verification: average for 3 months (2), then the norm × 1.5
    where a meter is required (п.59 «а», п.60). Refused access: average for 3 months, then
    the norm (п.59 «в»; × 1.5 where a meter is required when the organization sets
    ``no_access_norm_coefficient``, see `Settings`). An average needs a base of at least
    3 months; with less, the norm.
    No meter: the norm, × 1.5 when a meter could be installed (формула 4(1)).
    """
    rule = lines.rule
    res = lines.residential
    avg_ok = lines.average_months >= settings.average_min_months
    coef = lines.coefficient_service & lines.meter_possible
    norm = np.where(coef, Method.NORM_COEFFICIENT, Method.NORM)
    lim_b = np.where(
        res, settings.missing_limit_residential, settings.missing_limit_non_residential
    )
    lim_a = np.where(res, settings.broken_limit_residential, settings.broken_limit_non_residential)
    cond = lines.condition
    metered = lines.configured_meter & (cond != MeterCondition.NONE)
    spell = lines.spell_months
    volume_method = np.select(
        [
            ~metered,
            (cond == MeterCondition.WORKING) & lines.reading_present,
            (cond == MeterCondition.WORKING) & (spell <= lim_b) & avg_ok,
            cond == MeterCondition.WORKING,
            (cond == MeterCondition.BROKEN) & (spell <= lim_a) & avg_ok,
            (cond == MeterCondition.BROKEN) & (spell > lim_a),
            (cond == MeterCondition.NO_ACCESS) & (spell <= settings.no_access_limit) & avg_ok,
            (cond == MeterCondition.NO_ACCESS)
            & (spell > settings.no_access_limit)
            & bool(settings.no_access_norm_coefficient),
        ],
        [
            norm,
            Method.METER,
            Method.AVERAGE_NOT_SUBMITTED,
            Method.NORM,
            Method.AVERAGE_BROKEN,
            norm,
            Method.AVERAGE_NO_ACCESS,
            norm,
        ],
        default=Method.NORM,
    )
    heating = np.where(
        lines.heating_mode == HeatingMode.NONE,
        Method.NONE,
        np.where(
            (lines.heating_mode == HeatingMode.SEASON) & ~lines.heating_in_season,
            Method.NONE,
            np.where(
                np.where(
                    lines.heating_mode == HeatingMode.EVENLY,
                    lines.building_volume_last_year >= 0,  # формула 3(1): last year only
                    lines.building_volume >= 0,  # формула 3: the month's volume
                ),
                np.select(
                    [
                        (lines.heating_mode == HeatingMode.SEASON)
                        & (lines.heat_meters_total >= 0)
                        & (lines.heat_meter_volume >= 0),
                        (lines.heating_mode == HeatingMode.EVENLY)
                        & (lines.heat_meters_total_last_year >= 0)
                        & (lines.heat_meter_volume_last_year >= 0),
                        (lines.heating_mode == HeatingMode.EVENLY)
                        & (lines.heat_meters_total >= 0)
                        & (lines.heat_meter_volume >= 0),
                    ],
                    [
                        Method.HEATING_INDIVIDUAL,  # формула 3(3): every premises metered
                        Method.HEATING_INDIVIDUAL_EVENLY,  # формула 3(4): the whole last year
                        Method.HEATING_BUILDING_NO_METER_YEAR,  # 3(1): last year not metered
                    ],
                    default=Method.HEATING_BUILDING,
                ),
                Method.HEATING_NORM,
            ),
        ),
    )
    # rules.md §1.5 (last row): a premises heated by its own installation pays only the
    # common-property share — by the building meter when the building has the volume the
    # mode needs (3: the month's; 3(1): last year's), otherwise by the norm
    own_meter = np.where(
        lines.heating_mode == HeatingMode.EVENLY,
        lines.building_volume_last_year >= 0,
        lines.building_volume >= 0,
    )
    heating = np.where(
        lines.own_heating_flags & (heating != Method.NONE),
        np.where(own_meter, Method.HEATING_OWN_SOURCE_METER, Method.HEATING_OWN_SOURCE_NORM),
        heating,
    )
    # a norm per m² of the premises (ТКО where the region sets it so, gas for heating)
    volume_method = np.where(
        lines.norm_by_area & (volume_method == Method.NORM), Method.NORM_AREA, volume_method
    )
    wastewater_norm = np.where(lines.norm_by_area, Method.NORM_AREA, Method.NORM)
    method = np.select(
        [
            rule == Rule.VOLUME,
            (rule == Rule.WASTEWATER) & lines.configured_meter,
            rule == Rule.WASTEWATER,
            rule == Rule.HEATING,
            rule == Rule.AREA,
            rule == Rule.PERSON,
            rule == Rule.COMMON,
            rule == Rule.FIXED,
        ],
        [
            volume_method,
            Method.DERIVED,
            wastewater_norm,
            heating,
            Method.AREA,
            Method.PER_PERSON,
            np.where(lines.building_volume >= 0, Method.COMMON_METER, Method.COMMON_NORM),
            Method.FIXED,
        ],
        default=Method.NONE,
    )
    return method.astype(np.int8)


# ---------------------------------------------------------------------------------------
# 2. Quantities


def _check(lines: Lines, parts: Parts, segments: Segments, method: I8) -> None:
    """Refuse input that would charge nonsense instead of failing (bad input is an error)."""
    if np.any(lines.heating_area_den <= 0) or np.any(lines.heating_area_num < 0):
        raise ValueError("доля площади для отопления задана неверно (формула 8)")
    if np.any(segments.days < 0):
        raise ValueError("отрицательное число дней в подпериоде")
    part_days = sum_by(segments.days, segments.part, len(parts.line))
    if np.any(part_days > lines.days_in_month[parts.line]):
        raise ValueError("подпериоды строки длиннее месяца")
    lost = (part_days == 0) & (parts.meter_volume != 0)
    if np.any(lost):
        raise ValueError("объём по прибору учёта у строки без дней в месяце")
    for name, what in (
        ("cold_hours", "часы ГВС ниже 40 °C"),
        ("cold_rate", "тариф ХВС для часов ГВС ниже 40 °C"),
        ("maintenance_hours", "часы ремонтного отключения ГВС"),
        ("upkeep_days", "дни невыполнения работ по содержанию"),
        ("overcharge", "сумма незаконного начисления"),
        ("common_carry", "перенесённый отрицательный объём КР на СОИ"),
        ("heat_catch_up", "объёмы тепла, начисленные по среднему (доначисление, rules.md §14)"),
        ("heat_catch_up_total", "объёмы тепла дома, начисленные по среднему (rules.md §14)"),
    ):
        if np.any(getattr(lines, name) < 0):
            raise ValueError(f"{what} не могут быть отрицательными")
    needs_area = (
        (method == Method.HEATING_BUILDING)
        | (method == Method.HEATING_BUILDING_NO_METER_YEAR)
        | (method == Method.HEATING_INDIVIDUAL)
        | (method == Method.HEATING_INDIVIDUAL_EVENLY)
        | (method == Method.HEATING_OWN_SOURCE_METER)
        | (method == Method.HEATING_OWN_SOURCE_NORM)
        | (lines.rule == Rule.COMMON)
    )
    if np.any(needs_area & (lines.building_area <= 0)):
        raise ValueError("общая площадь помещений дома (S_ob) должна быть больше нуля")


def _prorate(quantity_num: list[I64 | int], den: I64 | int, days: I64, month_days: I64) -> I64:
    """``round(Π quantity_num × days / (den × month_days))`` — a monthly quantity by days."""
    return mul_div_round([*quantity_num, days], np.asarray(den) * month_days)


def own_source_heating(
    lines: Lines, seg_line: I64, norm: I64, days: I64, dim: I64
) -> tuple[I64, I64]:
    """Heating of a premises heated by its own installation, per segment (VOLUME_SCALE): the
    common-property share of the building's heat only (rules.md §1.5, last row: «premises
    heated individually pay only the common-property share», the Constitutional Court's line
    of cases 2018–2021). rules.md gives no formula; the project's default (docs/billing.md,
    «Premises heated individually»):

    * by the building meter — the heat of the common areas is the building's volume taken as
      spread evenly over every heated m², ``V × S_oi / (S_ob + S_oi)``, and the premises
      pays its area share ``× S_i / S_ob``; ``V`` is the month's ``V_D`` (season) or last
      year's volume / 12 (evenly, like формула 3(1));
    * by the norm — ``N_T × S_oi × S_i / S_ob``, × season months / 12 when paid evenly
      (K of формула 2).

    ``S_ob`` stays the total area of every premises, the converted one included, so the other
    premises' формулы 2, 3, 3(1) are not changed by it. ``S_i`` is the heating area (формула 8
    in a communal flat). Returns ``(by_meter, by_norm)``, each rounded once to 1e-6 Gcal.
    """
    b_area = np.maximum(lines.building_area[seg_line], 1)
    s_oi = lines.building_common_area[seg_line]
    h_num = lines.heating_area_num[seg_line]
    h_den = lines.heating_area_den[seg_line]
    evenly = lines.heating_mode[seg_line] == HeatingMode.EVENLY
    season_months = lines.heating_season_months[seg_line]
    volume = np.maximum(
        np.where(
            evenly, lines.building_volume_last_year[seg_line], lines.building_volume[seg_line]
        ),
        0,
    )
    by_meter = mul_div_round(
        [h_num, volume, s_oi, days], [h_den, b_area, b_area + s_oi, np.where(evenly, 12, 1), dim]
    )
    by_norm = np.where(
        evenly,
        mul_div_round(
            [h_num, norm, s_oi, season_months, days], [h_den, b_area, AREA_SCALE * 12, dim]
        ),
        mul_div_round([h_num, norm, s_oi, days], [h_den, b_area, AREA_SCALE, dim]),
    )
    return by_meter.astype(np.int64), by_norm.astype(np.int64)


def compute(
    lines: Lines,
    parts: Parts,
    segments: Segments,
    benefits: Benefits,
    settings: Settings = Settings(),
) -> Result:
    """Charge every line of the batch (see the module docstring for the order of work)."""
    n_lines = len(lines.rule)
    method = select_methods(lines, settings)
    _check(lines, parts, segments, method)
    seg_line = parts.line[segments.part]
    m = method[seg_line].astype(np.int64)
    days = segments.days
    dim = lines.days_in_month[seg_line]
    area = lines.area[seg_line]
    persons = segments.persons
    norm = segments.norm

    # Per-person norm volume (формула 4) and its coefficient part (формула 4(1)); a norm per
    # m² (ТКО where the region sets it so, gas for heating; rules.md §1.10) takes the area.
    by_area = lines.norm_by_area[seg_line]
    base_of = np.where(by_area, area, persons)
    base_den = np.where(by_area, AREA_SCALE, 1)
    norm_q = _prorate([base_of, norm], base_den, days, dim)
    coef_q = _prorate(
        [base_of, norm, settings.coefficient_numerator],
        settings.coefficient_denominator * base_den,
        days,
        dim,
    )
    # Metered volume: the reading volume of the part, split over its segments by days.
    part_days = sum_by(days, segments.part, len(parts.line))
    meter_q = prorate_cumulative(parts.meter_volume, days, segments.part, part_days)
    avg_q = _prorate([parts.average_volume[segments.part]], 1, days, dim)
    area_q = _prorate([area, VOLUME_SCALE // AREA_SCALE], 1, days, dim)
    person_q = _prorate([persons, VOLUME_SCALE], 1, days, dim)
    fixed_q = _prorate([VOLUME_SCALE], 1, days, dim)

    # Heating (rules.md §1.5).
    b_area = np.maximum(lines.building_area[seg_line], 1)
    b_vol = lines.building_volume[seg_line]
    mode = lines.heating_mode[seg_line]
    evenly = mode == HeatingMode.EVENLY
    season_months = lines.heating_season_months[seg_line]
    h_num = lines.heating_area_num[seg_line]
    h_den = lines.heating_area_den[seg_line]
    heat_norm_q = np.where(
        evenly,
        _prorate([h_num, norm, season_months], AREA_SCALE * 12 * h_den, days, dim),
        _prorate([h_num, norm], AREA_SCALE * h_den, days, dim),
    )
    last_year = lines.building_volume_last_year[seg_line]
    heat_bm_q = np.where(
        evenly,
        np.where(
            last_year >= 0,
            _prorate([h_num, np.maximum(last_year, 0)], b_area * 12 * h_den, days, dim),
            heat_norm_q,
        ),
        _prorate([h_num, np.maximum(b_vol, 0)], b_area * h_den, days, dim),
    )
    # формула 3(3): the own heat meter's volume split by days, plus the share of the common
    # part (V_D − Σ V_ИПУ) × S_i / S_ob, that part never below zero. After months charged at
    # the п.59 average the own volume is the catch-up (rules.md §14), negative when the
    # averages exceeded the reading's volume (then the line's reduction, `catch_up_reduction`).
    own_heat = catch_up_volume(
        np.maximum(lines.heat_meter_volume[parts.line], 0), lines.heat_catch_up[parts.line]
    )
    own_heat_q = prorate_cumulative(own_heat, days, segments.part, part_days)
    heat_charged_total = lines.heat_meters_total[seg_line] - lines.heat_catch_up_total[seg_line]
    common_heat = np.maximum(b_vol - heat_charged_total, 0)
    heat_ind_q = own_heat_q + _prorate([h_num, common_heat], b_area * h_den, days, dim)
    # формула 3(4) (ПП 354 п.42(1)), heating paid evenly: the average month of the previous
    # year — the own meter's year / 12 plus the area share of (V_D,year − Σ V_ИПУ,year) / 12,
    # that part never below zero — by days like every monthly quantity; each of the two
    # terms is rounded to 1e-6 Gcal per segment (the reference does the same).
    own_year = np.maximum(lines.heat_meter_volume_last_year[seg_line], 0)
    common_year = np.maximum(last_year - lines.heat_meters_total_last_year[seg_line], 0)
    heat_ind_even_q = _prorate([own_year], 12, days, dim) + _prorate(
        [h_num, common_year], b_area * 12 * h_den, days, dim
    )
    own_meter_q, own_norm_q = own_source_heating(lines, seg_line, norm, days, dim)

    q = np.select(
        [
            m == Method.METER,
            (m == Method.AVERAGE_NOT_SUBMITTED)
            | (m == Method.AVERAGE_BROKEN)
            | (m == Method.AVERAGE_NO_ACCESS),
            (m == Method.NORM) | (m == Method.NORM_COEFFICIENT) | (m == Method.NORM_AREA),
            m == Method.AREA,
            m == Method.PER_PERSON,
            m == Method.FIXED,
            m == Method.HEATING_NORM,
            (m == Method.HEATING_BUILDING) | (m == Method.HEATING_BUILDING_NO_METER_YEAR),
            m == Method.HEATING_INDIVIDUAL,
            m == Method.HEATING_INDIVIDUAL_EVENLY,
            m == Method.HEATING_OWN_SOURCE_METER,
            m == Method.HEATING_OWN_SOURCE_NORM,
        ],
        [
            meter_q,
            avg_q,
            norm_q,
            area_q,
            person_q,
            fixed_q,
            heat_norm_q,
            heat_bm_q,
            heat_ind_q,
            heat_ind_even_q,
            own_meter_q,
            own_norm_q,
        ],
        default=0,
    ).astype(np.int64)
    qc = np.where(m == Method.NORM_COEFFICIENT, coef_q, 0).astype(np.int64)
    if parts.role is not None:
        role = parts.role[segments.part]
        by_readings = (m == Method.METER) | (
            (m >= Method.AVERAGE_NOT_SUBMITTED) & (m <= Method.AVERAGE_NO_ACCESS)
        )
        serves = np.where(by_readings, role != PartRole.NORM_ONLY, role != PartRole.METER_ONLY)
        q = np.where(serves, q, 0).astype(np.int64)
        qc = np.where(serves, qc, 0).astype(np.int64)

    # Wastewater = cold + hot base volumes of the same account (rules.md §1.2).
    line_volume = sum_by(q, seg_line, n_lines)
    is_source = (lines.rule == Rule.VOLUME) & np.isin(lines.resource, WASTEWATER_SOURCES)
    acc_index, acc_inverse = np.unique(lines.account, return_inverse=True)
    source_by_account = sum_by(np.where(is_source, line_volume, 0), acc_inverse, len(acc_index))
    derived_total = source_by_account[acc_inverse]
    derived_seg = np.where(m == Method.DERIVED, 1, 0)
    if np.any(derived_seg):
        line_days = sum_by(days * derived_seg, seg_line, n_lines)
        derived_q = prorate_cumulative(derived_total, days * derived_seg, seg_line, line_days)
        q = np.where(m == Method.DERIVED, derived_q, q)
        line_volume = sum_by(q, seg_line, n_lines)

    # Common property (rules.md §1.6, §14): (V_D − Σ V_u) × S_i / S_ob, capped, ≥ 0.
    is_common = lines.rule == Rule.COMMON
    if np.any(is_common):
        q, method = _common_property(lines, method, seg_line, days, dim, norm, line_volume, q)
        line_volume = sum_by(q, seg_line, n_lines)

    # 3. Amounts: Σ volume × rate per line, rounded once; the coefficient part separately.
    exact = mul_div_round([q, segments.rate], 1)
    exact_coef = mul_div_round([qc, segments.rate], 1)
    base_amount = sum_round(exact, seg_line, n_lines, KOPECKS_SCALE)
    coef_amount = sum_round(exact_coef, seg_line, n_lines, KOPECKS_SCALE)
    amount = base_amount + coef_amount
    coef_volume = sum_by(qc, seg_line, n_lines)

    # 4. Reductions (the fine comes after the benefit: it does not change the service's value).
    reduced, reasons = reduction_parts(lines, method, amount, line_volume + coef_volume, settings)
    reduction = -reduced
    # 5. Benefits.
    # The benefit's base is the exact charge (Σ volume × rate before rounding, in 1e-8
    # kopeck) after reductions, so the benefit is rounded once (style.md §1, rules.md §4.2).
    net_exact, too_big = _exact_sums(exact, seg_line, n_lines)
    if len(benefits.line) and np.any(too_big[benefits.line]):
        raise OverflowError("строка со льготой вне допустимого диапазона (больше 9·10⁸ ₽)")
    net_exact = net_exact + reduction * KOPECKS_SCALE
    discount, cash = benefit_split(
        lines, benefits, amount - coef_amount + reduction, line_volume, net_exact=net_exact
    )
    if settings.rounding_point == RoundingPoint.LINE:
        base_amount, coef_amount, reduced, discount, cash, reasons = line_rounding(
            lines, method, benefits, exact, exact_coef, seg_line, line_volume, coef_volume, settings
        )
        amount = base_amount + coef_amount
        reduction = -reduced
    elif settings.rounding_point != RoundingPoint.COMPONENT:
        raise ValueError(f"неизвестная точка округления {settings.rounding_point}")
    benefit = -discount
    fine = fine_amounts(lines.overcharge)
    reasons = reasons | np.where(fine > 0, int(ReductionReason.FINE), 0)
    # 6. A negative catch-up (rules.md §14) is shown as a reduction, not a negative charge.
    amount, catch_up = catch_up_reduction(amount)
    reduction = reduction + catch_up
    reasons = reasons | np.where(catch_up < 0, int(ReductionReason.CATCH_UP), 0)
    return Result(
        method=method.astype(np.int8),
        volume=line_volume,
        coefficient_volume=coef_volume,
        amount=amount,
        coefficient_amount=coef_amount,
        reduction=(reduction - fine).astype(np.int64),
        benefit=benefit,
        segment_volume=q,
        segment_amount_exact=exact,
        fine=(-fine).astype(np.int64),
        reduction_reasons=reasons.astype(np.int64),
        benefit_cash=(-cash).astype(np.int64),
    )


def _common_property(
    lines: Lines,
    method: I8,
    seg_line: I64,
    days: I64,
    dim: I64,
    norm: I64,
    line_volume: I64,
    q: I64,
) -> tuple[I64, I8]:
    """Common-property volumes per segment; returns the new quantities and methods."""
    n_lines = len(lines.rule)
    individual = (lines.rule == Rule.VOLUME) | (lines.rule == Rule.WASTEWATER)
    key_b = lines.building.astype(np.int64) * 64 + lines.resource.astype(np.int64)
    keys, inverse = np.unique(key_b, return_inverse=True)
    sum_individual = sum_by(np.where(individual, line_volume, 0), inverse, len(keys))[inverse]
    carry = np.where(lines.building_volume >= 0, lines.common_carry, 0)
    diff = lines.building_volume - sum_individual - carry  # per line, VOLUME_SCALE
    s_ob = np.maximum(lines.building_area, 1)
    area = lines.area[seg_line]
    fact = _prorate([diff[seg_line], area], s_ob[seg_line], days, dim)
    by_norm = _prorate(
        [norm, lines.building_common_area[seg_line], area], AREA_SCALE * s_ob[seg_line], days, dim
    )
    has_meter = lines.building_volume[seg_line] >= 0
    actual = lines.common_mode[seg_line] == CommonMode.ACTUAL
    capped_q = np.where(actual, fact, np.minimum(fact, by_norm))
    common_q = np.where(has_meter, np.maximum(capped_q, 0), by_norm)
    seg_is_common = lines.rule[seg_line] == Rule.COMMON
    q = np.where(seg_is_common, common_q, q).astype(np.int64)
    # A line is "capped" when its building-meter share exceeds the norm in any segment.
    over = seg_is_common & has_meter & ~actual & (fact > by_norm)
    line_over = sum_by(over.astype(np.int64), seg_line, n_lines) > 0
    method = np.select(
        [
            (lines.rule == Rule.COMMON) & (lines.building_volume >= 0) & line_over,
            (lines.rule == Rule.COMMON) & (lines.building_volume >= 0) & (carry > 0),
        ],
        [Method.COMMON_CAPPED, Method.COMMON_CARRIED],
        default=method,
    ).astype(np.int8)
    return q, method


def common_carry_out(carry_in: I64, difference: I64) -> I64:
    """rules.md §1.6 with carry-over: the negative volume still to carry after a month whose
    building meter less the premises' volumes was ``difference`` (VOLUME_SCALE):
    ``max(0, carry_in − difference)`` — a negative month adds to it, a positive one uses it."""
    if np.any(carry_in < 0):
        raise ValueError("перенесённый отрицательный объём не может быть меньше нуля")
    out: I64 = np.maximum(carry_in - difference, 0).astype(np.int64)
    return out


# ---------------------------------------------------------------------------------------
# 4. Reductions (rules.md §1.7, §1.8, §14)

ABSENCE_METHODS = (Method.NORM, Method.DERIVED, Method.PER_PERSON)
NORM_METHODS = (Method.NORM, Method.NORM_COEFFICIENT, Method.NORM_AREA)
FINE_PERCENT = 50
"""ЖК ст.157 ч.6: the contractor pays the consumer 50 % of the unlawful over-charge."""


def reduction_parts(
    lines: Lines,
    method: I8,
    amount: I64,
    volume: I64,
    settings: Settings,
    *,
    amount_scale: int = 1,
) -> tuple[I64, I64]:
    """The month's reduction (≥ 0) per line, capped at the amount, and its reasons.

    ``amount`` is in kopecks × ``amount_scale`` and so is the result: 1 (kopecks), or
    ``KOPECKS_SCALE`` for the exact figures of `line_rounding`.

    Each part is rounded to the kopeck, then the parts are added and capped:

    * temporary absence: only services recalculated for absence, charged by a per-person
      norm where a meter cannot be installed, and per-person services (solid waste,
      п.148(44)):
      ``amount × Σ(absent persons × absent days) / (residents × days in month)``;
    * quality: ``amount × units / 10 000`` with the units of `quality_units`;
    * hot water below 40 °C (ПП 354 Приложение 1 п.5: those hours are paid at the
      cold-water tariff). The hours are a share of the month, ``H / (24 × days in month)``;
      that share of the charge is taken off and the same share of the volume (the
      coefficient's volume included) is charged at the cold-water tariff:
      ``round(amount × H / Hm) − round(V × T_cold × H / Hm)``, never below zero;
    * the permitted annual ГВС maintenance outage (Приложение 1 п.4, at most 14 days a
      year) when the organization grants it, norm-billed lines only (a meter already shows
      less water): ``amount × H / (24 × days in month)``;
    * poor upkeep (ПП 491 п.10, 15): ``amount × days / days in month``, days ≤ the month.
    """
    dim = lines.days_in_month
    eligible = (
        lines.absence_service
        & ~lines.norm_by_area  # a charge by area does not depend on who is away
        & np.isin(method, ABSENCE_METHODS)
        & (~lines.meter_possible | (method == Method.PER_PERSON))
        & (lines.residents > 0)
    )
    n = np.maximum(lines.residents, 1)
    person_days = np.minimum(lines.absence_person_days, n * dim)
    absence = np.where(eligible, mul_div_round([amount, person_days], n * dim), 0)
    quality = mul_div_round([amount, np.minimum(lines.quality_units, 10_000)], 10_000)
    month_hours = 24 * dim
    cold_h = np.minimum(lines.cold_hours, month_hours)
    hot_part = mul_div_round([amount, cold_h], month_hours)
    cold_part = mul_div_round(
        [volume, lines.cold_rate, cold_h], month_hours * (KOPECKS_SCALE // amount_scale)
    )
    below_40 = np.maximum(hot_part - cold_part, 0)
    granted = np.isin(method, NORM_METHODS) & bool(settings.hot_water_maintenance_reduction)
    maint_h = np.where(granted, np.minimum(lines.maintenance_hours, month_hours), 0)
    maintenance = mul_div_round([amount, maint_h], month_hours)
    upkeep = mul_div_round([amount, np.minimum(lines.upkeep_days, dim)], dim)
    total = absence + quality + below_40 + maintenance + upkeep
    reasons = np.zeros(len(amount), dtype=np.int64)
    for part, reason in (
        (absence, ReductionReason.ABSENCE),
        (quality, ReductionReason.QUALITY),
        (below_40, ReductionReason.BELOW_40),
        (maintenance, ReductionReason.MAINTENANCE),
        (upkeep, ReductionReason.UPKEEP),
    ):
        reasons |= np.where(part > 0, int(reason), 0)
    return np.clip(total, 0, np.maximum(amount, 0)).astype(np.int64), reasons


def catch_up_reduction(amount: I64) -> tuple[I64, I64]:
    """``(max(amount, 0), min(amount, 0))``: a line's amount and its catch-up reduction.

    Only the catch-up after averaged months (rules.md §1.2, §14: ``(R_new − R_last) −
    Σ averaged volumes``, and wastewater derived from it; for формула 3(3) the premises' own
    heat volume less ``heat_meter_catch_up``) can make a line's amount negative;
    §14 calls the negative result a reduction, so it is posted as one (a `reduction` ledger
    entry, the ЕПД's reduction column) with the reason `ReductionReason.CATCH_UP` and the
    amount is 0. Every other reduction and the benefits were capped at ``max(amount, 0)``
    = 0 already, so the line's total is unchanged. Call it last, after the benefits.
    """
    return np.maximum(amount, 0).astype(np.int64), np.minimum(amount, 0).astype(np.int64)


def line_rounding(
    lines: Lines,
    method: I8,
    benefits: Benefits,
    exact: I64,
    exact_coef: I64,
    seg_line: I64,
    volume: I64,
    coef_volume: I64,
    settings: Settings,
) -> tuple[I64, I64, I64, I64, I64, I64]:
    """The line rounded once (`RoundingPoint.LINE`, rules.md §0, §14 "Rounding").

    Every component is first taken exactly, in 1e-8 kopeck (``KOPECKS_SCALE``): the base
    amount ``Σ volume × rate`` and the coefficient part (``exact``, ``exact_coef`` per
    segment, as `compute` has them), each reduction of `reduction_parts` taken of that exact
    amount and capped at it, each benefit category's share of the exact base after the exact
    reduction (`benefit_split`, capped the same way). The line's total to pay — amount + the
    coefficient part − reductions − the discount benefit — is rounded half-up once. The
    components shown are kopecks too, so each is rounded on its own, and the kopeck or two
    the single rounding differs from their sum is absorbed by the **base amount**
    (``amount − coefficient_amount``):

    * the coefficient part cannot take it: the ЕПД shows it as its own figure (ПП 354
      п.69 «г»), which must be its own exact figure rounded;
    * a reduction and a benefit are checked against other documents (the act of
      recalculation, the social protection body's register) and are zero on most lines,
      so a kopeck put there would be a reduction or a benefit nobody granted;
    * the base amount is there whenever the line charges anything and is its largest
      figure; the cost is that volume × tariff on the ЕПД may differ from it by at most two
      kopecks (each of the three other components is within half a kopeck of its exact
      figure, and the total within half a kopeck of the exact total) — which is what the
      centres that round per line accept.

    The ЕДК (``benefit_cash``, not part of the total) follows the same rule within itself:
    the sum of its categories' exact shares, rounded once. The fine (`fine_amounts`) is not
    a component of the service's charge and stays its own rounded figure; the catch-up move
    (`catch_up_reduction`) comes after and changes no total.

    Returns ``(base amount, coefficient part, reduction ≥ 0, discount ≥ 0, ЕДК ≥ 0,
    reduction reasons)``, in kopecks.
    """
    n_lines = len(lines.rule)
    base_exact, big_base = _exact_sums(exact, seg_line, n_lines)
    coef_exact, big_coef = _exact_sums(exact_coef, seg_line, n_lines)
    if np.any(big_base | big_coef):
        raise OverflowError("строка вне допустимого диапазона (больше 9·10⁸ ₽)")
    amount_exact = base_exact + coef_exact
    reduced_exact, reasons = reduction_parts(
        lines, method, amount_exact, volume + coef_volume, settings, amount_scale=KOPECKS_SCALE
    )
    net_exact = base_exact - reduced_exact
    discount_exact, cash_exact = benefit_split(
        lines, benefits, net_exact, volume, net_exact=net_exact, scale=1
    )
    total = div_round(amount_exact - reduced_exact - discount_exact, KOPECKS_SCALE)
    coef = div_round(coef_exact, KOPECKS_SCALE)
    reduced = div_round(reduced_exact, KOPECKS_SCALE)
    discount = div_round(discount_exact, KOPECKS_SCALE)
    cash = div_round(cash_exact, KOPECKS_SCALE)
    base = total - coef + reduced + discount
    return base, coef, reduced, discount, cash, reasons


def fine_amounts(overcharge: I64) -> I64:
    """ЖК ст.157 ч.6, ПП 354 п.155(1): 50 % of the unlawful over-charge (kopecks, ≥ 0),
    rounded half-up once. Not capped by the month's charge: what exceeds it stays on the
    account as an advance for the next months."""
    return mul_div_round([overcharge, FINE_PERCENT], 100)


# The limits of ПП 354 Приложение 1 (hours) used by `quality_units`; the conditions that
# change them are applied by `interruption_limits`.
QUALITY_LIMITS: dict[str, tuple[int, int]] = {
    # resource: (total hours a month, hours at once) in the ordinary case
    "cold_water": (8, 4),
    "hot_water": (8, 4),
    "wastewater": (8, 4),
    "electricity": (24, 24),  # one supply source
    "gas": (4, 4),
    "heating": (24, 16),  # room temperature from +12 °C to the normative
}
INTERRUPTION_SERVICES = (*QUALITY_LIMITS, "solid_waste")
"""Services an interruption act can concern: those with limits, and solid waste (whose act
records the deviations from the removal schedule)."""
DEAD_END_SERVICES = ("cold_water", "hot_water")
"""Water supply: an accident on a dead-end main permits 24 h in a row (Приложение 1)."""
DEAD_END_ACCIDENT_HOURS = 24
ELECTRICITY_TWO_SOURCES_HOURS = 2
"""Electricity with two independent mutually backing supply sources: 2 h (Приложение 1)."""
HEATING_ONCE_BY_ROOM_TEMPERATURE: tuple[tuple[int, int], ...] = (
    # (room temperature from, °C; hours at once) — the first band the temperature reaches
    (12, 16),
    (10, 8),
    (8, 4),
)
"""Heating: at once ≤ 16 h at +12 °C…normative, ≤ 8 h at +10…+12, ≤ 4 h at +8…+10 (room
temperature during the interruption); below +8 °C no interruption is permitted (0 h)."""
WASTE_ONCE_HOURS = 24
WASTE_COLD_ONCE_HOURS = 72  # outdoor air temperature 0 °C and below
WASTE_UNITS_PER_DAY = 330  # 3.3 % per started 24 h beyond the permitted deviation
INTERRUPTION_UNITS_PER_HOUR = 15  # 0.15 % per hour beyond the limits
MAINTENANCE_ALLOWANCE_HOURS = 14 * 24  # Приложение 1 п.4: the yearly ГВС maintenance outage
HEATING_TEMPERATURE_UNITS = 15  # 0.15 % per hour per degree
HOT_WATER_TEMPERATURE_UNITS = 10  # 0.1 % per hour for each 3 °C beyond


def excess_hours(events_hours: list[int], total_limit: int, once_limit: int) -> int:
    """``max(Σ h − L_total, Σ max(0, h − L_once))`` — rules.md §14 "Quality reductions"."""
    return pooled_excess_hours([(h, once_limit) for h in events_hours], total_limit)


def pooled_excess_hours(events: list[tuple[int, int]], total_limit: int) -> int:
    """Hours beyond the limits of a month's pooled interruptions (rules.md §14): ``events``
    are ``(hours, limit at once of that event)`` — events of one line may have different
    limits at once (heating at different room temperatures) but share the monthly limit:
    ``max(Σ h − L_total, Σ max(0, h − L_once,e))``."""
    over_total = sum(h for h, _ in events) - total_limit
    over_once = sum(max(0, h - once) for h, once in events)
    return max(over_total, over_once, 0)


@dataclass(frozen=True)
class InterruptionAct:
    """The events of one confirmed interruption act and the act's conditions
    (`interruption_limits`): the room temperature of heating or the outdoor one of solid
    waste removal, an accident on a dead-end main (water)."""

    events_hours: tuple[int, ...]
    temperature: Decimal | None = None
    dead_end_accident: bool = False


@dataclass(frozen=True)
class InterruptionPool:
    """Interruptions of one line and month checked together (`interruption_pools`).

    ``total_limit`` is the monthly limit they share (None for solid waste, which has none);
    ``once_limits`` the limit at once of each event of ``events_hours`` (its act's);
    ``excess_hours`` the hours beyond the limits (solid waste: the sum of the deviations
    beyond each one's permitted deviation); ``units`` the reduction in 1/10 000."""

    total_limit: int | None
    acts: int
    events_hours: tuple[int, ...]
    once_limits: tuple[int, ...]
    excess_hours: int
    units: int
    dead_end_accident: bool = False


def interruption_pools(
    service: str, acts: list[InterruptionAct], *, two_sources: bool = False
) -> list[InterruptionPool]:
    """The month's interruption acts of one line (account × service: the acts of the
    account and those of its whole building) pooled as ПП 354 Приложение 1 counts them
    (rules.md §1.8, §14; docs/billing.md «Quality: limits per event»).

    The limits are the month's, not an act's: all events of the line that share a monthly
    limit are one pool — ``max(Σ h − L_month, Σ_e max(0, h_e − L_once,e))``, each event
    against the limit at once of its own act's conditions (`pooled_excess_hours`). Three
    acts of 3 h of cold water are 9 h, 1 h beyond 8 h a month.

    An accident on a dead-end main is a pool of its own (24 h in a row; 24 h a month as for
    a single act): Приложение 1 п.1, п.4 permit "8 часов (суммарно) в течение 1 месяца, 4 часа
    единовременно, а при аварии на тупиковой магистрали — 24 часа подряд" (rules.md §1.8,
    [M]) — the accident is an exception with its own limit, so its hours are not counted
    into the ordinary 8 h, and the ordinary interruptions of the month are not measured
    against the accident's 24 h. The pools' reductions add up.

    Solid waste removal has no monthly total: each deviation is measured against the
    permitted deviation of its own act (24 h, 72 h at 0 °C and below), the hours beyond are
    summed over all acts of the month and counted in started 24-hour periods, 3.3 % each.

    Raises `ValueError` (Russian) for negative hours or a condition the service does not
    have (`interruption_limits`, `waste_once_hours`).
    """
    if any(h < 0 for act in acts for h in act.events_hours):
        raise ValueError("часы и градусы акта качества не могут быть отрицательными")
    if service == "solid_waste":
        if any(act.dead_end_accident for act in acts):
            raise ValueError("авария на тупиковой магистрали бывает только у водоснабжения")
        hours: list[int] = []
        limits: list[int] = []
        for act in acts:
            once = waste_once_hours(act.temperature)
            hours += act.events_hours
            limits += [once] * len(act.events_hours)
        beyond = sum(max(0, h - once) for h, once in zip(hours, limits, strict=True))
        days = -(-beyond // 24)
        return [
            InterruptionPool(
                None, len(acts), tuple(hours), tuple(limits), beyond, WASTE_UNITS_PER_DAY * days
            )
        ]
    grouped: dict[tuple[bool, int], list[list[tuple[int, int]]]] = {}
    for act in acts:
        total_limit, once_limit = interruption_limits(
            service,
            temperature=act.temperature,
            dead_end_accident=act.dead_end_accident,
            two_sources=two_sources,
        )
        events = [(h, once_limit) for h in act.events_hours]
        grouped.setdefault((act.dead_end_accident, total_limit), []).append(events)
    pools = []
    for (accident, total_limit), members in sorted(grouped.items()):
        events = [e for evs in members for e in evs]
        excess = pooled_excess_hours(events, total_limit)
        pools.append(
            InterruptionPool(
                total_limit,
                len(members),
                tuple(h for h, _ in events),
                tuple(once for _, once in events),
                excess,
                INTERRUPTION_UNITS_PER_HOUR * excess,
                accident,
            )
        )
    return pools


def pooled_interruption_units(
    service: str, acts: list[InterruptionAct], *, two_sources: bool = False
) -> int:
    """The reduction of a line's month of interruption acts in 1/10 000 of the month's charge
    (`interruption_pools`): 15 per hour beyond the limits, 330 per started 24 h of solid
    waste deviations beyond the permitted ones."""
    return sum(pool.units for pool in interruption_pools(service, acts, two_sources=two_sources))


def interruption_limits(
    service: str,
    *,
    temperature: Decimal | None = None,
    dead_end_accident: bool = False,
    two_sources: bool = False,
) -> tuple[int, int]:
    """``(hours a month, hours at once)`` permitted for an interruption act of ``service``
    (ПП 354 Приложение 1, rules.md §1.8) under the act's conditions:

    * electricity: 2 h with two independent supply sources (``two_sources``, an attribute
      of the building), otherwise 24 h — either as both limits;
    * heating: 24 h a month; at once by the room ``temperature`` during the interruption:
      16 h at +12 °C and above (also when not given: the ordinary case), 8 h at +10…+12,
      4 h at +8…+10, 0 h below +8 (no interruption is permitted there);
    * cold and hot water in an accident on a dead-end main (``dead_end_accident``): 24 h in
      a row; the act's events are checked against 24 h at once and 24 h in the month (the
      accident raises both limits; the month's ordinary interruptions are a separate act
      with 8/4 h).

    Raises `ValueError` for a condition the service does not have, so that an act the
    engine cannot use is refused where it is entered (`QualityAct.clean`).
    """
    if service not in QUALITY_LIMITS:
        raise ValueError(f"для услуги {service} нет допустимой продолжительности перерыва")
    if dead_end_accident and service not in DEAD_END_SERVICES:
        raise ValueError("авария на тупиковой магистрали бывает только у водоснабжения")
    if temperature is not None and service != "heating":
        raise ValueError(f"температура в акте перерыва не задаётся для услуги {service}")
    if service == "electricity" and two_sources:
        return ELECTRICITY_TWO_SOURCES_HOURS, ELECTRICITY_TWO_SOURCES_HOURS
    if dead_end_accident:
        return DEAD_END_ACCIDENT_HOURS, DEAD_END_ACCIDENT_HOURS
    total_limit, once_limit = QUALITY_LIMITS[service]
    if service == "heating" and temperature is not None:
        once_limit = next((h for t, h in HEATING_ONCE_BY_ROOM_TEMPERATURE if temperature >= t), 0)
    return total_limit, once_limit


def waste_once_hours(temperature: Decimal | None) -> int:
    """Solid waste: the permitted deviation from the removal schedule, 24 h, or 72 h at an
    outdoor air temperature of 0 °C and below (rules.md §1.8). The temperature is required."""
    if temperature is None:
        raise ValueError("для акта по вывозу ТКО нужна температура наружного воздуха")
    return WASTE_COLD_ONCE_HOURS if temperature <= 0 else WASTE_ONCE_HOURS


def quality_units(
    kind: str,
    service: str,
    *,
    events_hours: list[int],
    hours: int = 0,
    degrees: int = 0,
    temperature: Decimal | None = None,
    dead_end_accident: bool = False,
    two_sources: bool = False,
) -> int:
    """Reduction of one act in 1/10 000 of the month's charge (ПП 354 Приложение 1).
    The billing run pools a line's interruption acts of the month
    (`pooled_interruption_units`); for one act alone the two agree.

    ``interruption``: 15 per hour beyond the limits of the service under the act's
    conditions (`interruption_limits`); for solid waste 330 per started 24 h of deviation
    from the schedule beyond the permitted one (`interruption_pools`);
    ``temperature`` of heating: 15 per hour per degree of deviation;
    ``temperature`` of hot water: 10 per hour for each full 3 °C beyond the allowed deviation;
    ``maintenance`` of hot water: 15 per hour of the outage beyond the yearly allowance
    (``hours`` are those beyond it, see `maintenance_split`).
    """
    if any(h < 0 for h in events_hours) or hours < 0 or degrees < 0:
        raise ValueError("часы и градусы акта качества не могут быть отрицательными")
    if kind == "interruption":  # one act alone; a line's month pools its acts
        act = InterruptionAct(tuple(events_hours), temperature, dead_end_accident)
        return pooled_interruption_units(service, [act], two_sources=two_sources)
    if kind == "maintenance" and service == "hot_water":
        return INTERRUPTION_UNITS_PER_HOUR * hours  # hours beyond the yearly allowance
    if kind == "temperature" and service == "heating":
        return HEATING_TEMPERATURE_UNITS * hours * degrees
    if kind == "temperature" and service == "hot_water":
        return HOT_WATER_TEMPERATURE_UNITS * hours * (degrees // 3)
    raise ValueError(f"неизвестный вид акта качества «{kind}» для услуги {service}")


def maintenance_split(hours_before: int, hours: int) -> tuple[int, int]:
    """The ГВС maintenance outage of a month split into the hours within the yearly
    allowance of 14 days (ПП 354 Приложение 1 п.4) and those beyond it, given the hours of
    the year's earlier outages. Beyond the allowance it is an interruption (0.15 % per hour);
    within it, a reduction only where the organization grants one (`Settings`)."""
    if hours_before < 0 or hours < 0:
        raise ValueError("часы ремонтного отключения ГВС не могут быть отрицательными")
    within = max(0, min(hours, MAINTENANCE_ALLOWANCE_HOURS - hours_before))
    return within, hours - within


# ---------------------------------------------------------------------------------------
# 5. Benefits (rules.md §4.2, §14)


def _exact_sums(values: I64, index: I64, size: int) -> tuple[I64, Bool]:
    """Per-group int64 sums, and which groups could not be summed in int64."""
    bound = np.zeros(size, dtype=np.float64)  # float-ok: bounds a magnitude, never a value
    np.add.at(bound, index, magnitude(values))
    big = bound >= SAFE_BOUND
    return sum_by(np.where(big[index], 0, values), index, size), big


def benefit_split(
    lines: Lines,
    benefits: Benefits,
    net: I64,
    volume: I64,
    *,
    net_exact: I64 | None = None,
    scale: int = KOPECKS_SCALE,
) -> tuple[I64, I64]:
    """Discount and cash (ЕДК) benefit per line (each ≥ 0), each category's share rounded.

    ``net`` is the line's amount in kopecks without the coefficient part, after reductions;
    ``net_exact`` the same before rounding, in 1e-8 kopeck (``KOPECKS_SCALE``) — when
    given, the shares are taken of it, so the benefit is rounded only once. ``scale``
    (``KOPECKS_SCALE``, i.e. kopecks) is what the shares are divided by; `line_rounding`
    passes ``net`` and ``net_exact`` both in 1e-8 kopeck and ``scale=1``, so the results
    (and the caps) stay in 1e-8 kopeck, unrounded. Shares:
    per-person share ``covered / n``; social norm of area ``min(S, S_norm) / S × covered /
    n``; consumption norm ``min(V, N × n) / V × covered / n``.

    Both models take their shares of the same base by the same rules (rules.md §4.2). The
    discount categories' sum is capped at ``net``; the cash categories' sum at what is left
    to pay after the discount (``net − discount``), so together they never exceed ``net`` —
    as if every category were a discount.
    """
    n_lines = len(net)
    zero = np.zeros(n_lines, dtype=np.int64)
    if len(benefits.line) == 0:
        return zero, zero
    li = benefits.line
    n = np.maximum(lines.residents[li], 1)
    covered = np.minimum(benefits.covered, n)
    s = lines.area[li]
    v = volume[li]
    base = benefits.base
    if net_exact is None:
        net_b = np.maximum(net[li], 0) * KOPECKS_SCALE
    else:
        net_b = np.maximum(net_exact[li], 0)
    share_area_num = np.minimum(s, benefits.social_norm_area)
    norm_total = mul_div_round([benefits.norm, n], 1)  # NORM_SCALE == VOLUME_SCALE
    share_vol_num = np.minimum(np.maximum(v, 0), norm_total)
    num = np.select(
        [base == BenefitBase.SOCIAL_NORM_AREA, base == BenefitBase.CONSUMPTION_NORM],
        [share_area_num, share_vol_num],
        default=1,
    )
    den = np.select(
        [base == BenefitBase.SOCIAL_NORM_AREA, base == BenefitBase.CONSUMPTION_NORM],
        [s, v],
        default=1,
    )
    valid = den > 0
    den = np.where(valid, den, 1)
    each = mul_div_round([net_b, num, covered, benefits.percent], [den, n, 100 * 100, scale])
    each = np.where(valid, each, 0)
    is_cash = benefits.cash_flags
    if len(is_cash) != len(li):
        raise ValueError("признак ЕДК нужен для каждой строки льгот")
    left = np.maximum(net, 0)
    discount = np.minimum(sum_by(np.where(is_cash, 0, each), li, n_lines), left)
    cash = np.minimum(sum_by(np.where(is_cash, each, 0), li, n_lines), left - discount)
    return discount.astype(np.int64), cash.astype(np.int64)


def social_norm_area(persons: int, single: int, two: int, per_person: int) -> int:
    """Social norm of area of a household (AREA_SCALE): 33 / 42 / 18 × n m² by default."""
    if persons <= 0:
        return 0
    if persons == 1:
        return single
    if persons == 2:
        return two
    return per_person * persons


def catch_up_volume(reading_volume: I64, averaged_volume: I64) -> I64:
    """Volume charged in the month readings arrive after averaged months (rules.md §14).

    ``(R_new − R_last_accepted) − Σ averaged volumes``; a negative result reduces the charge
    (`catch_up_reduction`).
    """
    return (reading_volume - averaged_volume).astype(np.int64)


def average_volume(volumes_sum: I64, months: I64) -> I64:
    """Average monthly volume (п.59), rounded half-up to 1/1000 of the unit.

    Inputs at VOLUME_SCALE; the result too, with the last three digits zero, so the average
    is exactly what the operator sees with three decimals.
    """
    safe = np.maximum(months, 1)
    avg_thousandths = mul_div_round([volumes_sum], safe * (VOLUME_SCALE // 1000))
    return np.where(months > 0, avg_thousandths * (VOLUME_SCALE // 1000), 0).astype(np.int64)
