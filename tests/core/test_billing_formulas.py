"""Worked examples of the monthly charge (rules.md §1.9, §1, §2, §4.2, §14).

Every case is charged twice — by the vectorised `compute` and by the scalar `Decimal`
reference — and both must give the number worked out by hand from the rules text.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import numpy as np
import pytest

from raschet.core import billing_reference as ref
from raschet.core.billing import (
    METHOD_CODES,
    BenefitBase,
    CommonMode,
    HeatingMode,
    InterruptionAct,
    MeterCondition,
    Method,
    ReductionReason,
    Resource,
    RoundingPoint,
    Rule,
    Settings,
    average_volume,
    catch_up_volume,
    compute,
    excess_hours,
    interruption_pools,
    maintenance_split,
    pooled_interruption_units,
    quality_units,
    social_norm_area,
)
from raschet.core.billing_reference import (
    ReferenceBenefit,
    ReferenceLine,
    ReferencePart,
    ReferenceResult,
    ReferenceSegment,
)
from raschet.core.fixedpoint import div_round, mul_div_round

D = Decimal
DEFAULTS = Settings()
ХВС = D("50.93")  # ₽/m³, rules.md §1.9


def seg(days: int = 31, rate: str | Decimal = "0", norm: str = "0", persons: int = 0):
    return ReferenceSegment(days=days, rate=D(rate), norm=D(norm), persons=persons)


def part(*segments: ReferenceSegment, meter: str = "0", average: str = "0") -> ReferencePart:
    return ReferencePart(segments=segments, meter_volume=D(meter), average_volume=D(average))


def metered(volume: str, *segments: ReferenceSegment, **facts) -> ReferenceLine:
    """A working meter with a reading this month (формула 1)."""
    facts.setdefault("resource", Resource.COLD_WATER)
    return ReferenceLine(
        rule=Rule.VOLUME,
        configured_meter=True,
        condition=MeterCondition.WORKING,
        reading_present=True,
        parts=(part(*(segments or (seg(rate=ХВС),)), meter=volume),),
        **facts,
    )


def cold_by_norm(**facts) -> ReferenceLine:
    """C2's line: no meter, 3 persons, 4.9 m³ per person, 50.93 ₽/m³."""
    facts.setdefault("coefficient_service", True)
    return ReferenceLine(
        rule=Rule.VOLUME,
        resource=Resource.COLD_WATER,
        parts=(part(seg(rate=ХВС, norm="4.9", persons=3)),),
        **facts,
    )


def charge(*lines: ReferenceLine, settings: Settings = DEFAULTS) -> list[ReferenceResult]:
    """Charge by both implementations; they must agree line by line."""
    got = ref.result_rows(compute(*ref.to_arrays(lines), settings=settings), lines)
    assert got == ref.charge_batch(lines, settings)
    return got


# ---------------------------------------------------------------------------------------
# rules.md §1.9


def test_c1_metered_cold_water_and_wastewater_of_cold_plus_hot():
    cold, _hot, wastewater = charge(
        metered("7.000", resource=Resource.COLD_WATER),  # 123.456 → 130.456
        metered("4.000", seg(rate="250"), resource=Resource.HOT_WATER),
        ReferenceLine(
            rule=Rule.WASTEWATER,
            resource=Resource.WASTEWATER,
            configured_meter=True,
            parts=(part(seg(rate="45.00")),),
        ),
    )
    assert (cold.method, cold.volume, cold.amount) == (Method.METER, 7_000_000, 35651)
    assert (wastewater.method, wastewater.volume) == (Method.DERIVED, 11_000_000)
    assert wastewater.amount == 49500
    assert METHOD_CODES[wastewater.method] == "meter"


def test_c1_reading_difference_is_the_volume():
    (line,) = charge(metered(str(D("130.456") - D("123.456"))))
    assert line.amount == 35651


def test_c2_norm_with_increasing_coefficient_is_shown_separately():
    (line,) = charge(cold_by_norm())
    assert line.method == Method.NORM_COEFFICIENT
    assert (line.volume, line.coefficient_volume) == (14_700_000, 7_350_000)
    assert line.amount - line.coefficient_amount == 74867  # 748.671
    assert line.coefficient_amount == 37434  # 374.3355, a tie rounded up
    assert line.amount == 112301  # = 748.67 + 374.34, not round(1 123.0065) twice


def test_c2_no_coefficient_where_a_meter_cannot_be_installed():
    (line,) = charge(cold_by_norm(meter_possible=False))
    assert (line.method, line.amount, line.coefficient_amount) == (Method.NORM, 74867, 0)


def test_c2_no_coefficient_for_a_service_without_it():
    (line,) = charge(cold_by_norm(coefficient_service=False))
    assert (line.method, line.amount) == (Method.NORM, 74867)


def heating(mode: HeatingMode, **facts) -> ReferenceLine:
    """C5: S = 54 m², N_T = 0.0215 Gcal/m², T = 2 850 ₽/Gcal, a 7-month season."""
    return ReferenceLine(
        rule=Rule.HEATING,
        resource=Resource.HEATING,
        area=D(54),
        heating_mode=mode,
        heating_season_months=7,
        parts=(part(seg(rate="2850", norm="0.0215")),),
        **facts,
    )


def test_c5_heating_by_norm_in_season_and_evenly():
    season, evenly = charge(heating(HeatingMode.SEASON), heating(HeatingMode.EVENLY))
    assert (season.method, season.volume, season.amount) == (Method.HEATING_NORM, 1_161_000, 330885)
    assert (evenly.volume, evenly.amount) == (677_250, 193016)
    assert 7 * season.amount == 2316195
    assert 12 * evenly.amount == 2316192  # the 0.03 ₽ rounding artefact of rules.md §1.9


def test_c5_nothing_out_of_season_unless_evenly():
    season, evenly = charge(
        heating(HeatingMode.SEASON, heating_in_season=False),
        heating(HeatingMode.EVENLY, heating_in_season=False),
    )
    assert (season.method, season.amount) == (Method.NONE, 0)
    assert evenly.amount == 193016


# ---------------------------------------------------------------------------------------
# Heating by the building meter (формулы 3, 3(1))


def test_heating_building_meter_in_season():
    (line,) = charge(heating(HeatingMode.SEASON, building_volume=D(150), building_area=D(5000)))
    # 54 × 150 / 5000 = 1.62 Gcal × 2 850 = 4 617.00
    assert (line.method, line.volume, line.amount) == (Method.HEATING_BUILDING, 1_620_000, 461700)


def test_heating_building_meter_evenly_by_last_year():
    (line,) = charge(
        heating(
            HeatingMode.EVENLY,
            building_volume=D(150),
            building_volume_last_year=D(700),
            building_area=D(5000),
        )
    )
    # 54 × 700 / (12 × 5000) = 0.63 Gcal × 2 850 = 1 795.50
    assert (line.volume, line.amount) == (630_000, 179550)


def test_heating_building_meter_evenly_without_last_year_falls_back_to_the_norm():
    (line,) = charge(heating(HeatingMode.EVENLY, building_volume=D(150), building_area=D(5000)))
    assert line.amount == 193016  # C5 evenly
    # and the line says so: the norm was used, not the building meter
    assert line.method == Method.HEATING_NORM


# ---------------------------------------------------------------------------------------
# Partial months, tariff changes, zones


def test_partial_month_by_area_person_norm_and_fixed():
    maintenance, waste, cold, fixed = charge(
        ReferenceLine(rule=Rule.AREA, area=D(54), days_in_month=30, parts=(part(seg(10, "30")),)),
        ReferenceLine(rule=Rule.PERSON, parts=(part(seg(20, "120", persons=3)),)),
        ReferenceLine(
            rule=Rule.VOLUME,
            resource=Resource.COLD_WATER,
            meter_possible=False,
            parts=(part(seg(15, ХВС, norm="4.9", persons=3)),),
        ),
        ReferenceLine(rule=Rule.FIXED, parts=(part(seg(10, "250")),)),
    )
    assert (maintenance.volume, maintenance.amount) == (18_000_000, 54000)  # 18 m² × 30
    assert (waste.volume, waste.amount) == (1_935_484, 23226)  # 3 × 20/31 = 1.935484
    assert (cold.volume, cold.amount) == (7_112_903, 36226)  # 14.7 × 15/31 → 362.26015
    assert (fixed.volume, fixed.amount) == (322_581, 8065)  # 250 × 0.322581 = 80.645…


def test_tariff_change_inside_the_month_splits_the_meter_volume_by_days():
    (line,) = charge(metered("10", seg(15, ХВС), seg(16, "55.00")))
    assert line.segment_volumes == (4_838_710, 5_161_290)  # parts add up to 10 exactly
    # 4.838710 × 50.93 + 5.161290 × 55.00 = 530.306… → one rounding for the line
    assert line.amount == 53031


def test_tariff_change_inside_the_month_for_the_norm():
    (line,) = charge(
        ReferenceLine(
            rule=Rule.VOLUME,
            resource=Resource.COLD_WATER,
            meter_possible=False,
            parts=(part(seg(15, ХВС, "4.9", 3), seg(16, "55.00", "4.9", 3)),),
        )
    )
    # 14.7 × 15/31 = 7.112903 and 14.7 × 16/31 = 7.587097 (each rounded on its own)
    assert line.segment_volumes == (7_112_903, 7_587_097)
    assert line.amount == 77955  # 362.26015 + 417.29034 = 779.55049 → 779.55


def test_two_zone_electricity():
    (line,) = charge(
        ReferenceLine(
            rule=Rule.VOLUME,
            resource=Resource.ELECTRICITY,
            configured_meter=True,
            condition=MeterCondition.WORKING,
            reading_present=True,
            parts=(part(seg(rate="6.50"), meter="150"), part(seg(rate="3.20"), meter="80")),
        )
    )
    assert (line.volume, line.amount) == (230_000_000, 123100)  # 975.00 + 256.00


def test_wastewater_without_meters_is_its_own_norm_without_coefficient():
    (line,) = charge(
        ReferenceLine(
            rule=Rule.WASTEWATER,
            resource=Resource.WASTEWATER,
            coefficient_service=True,
            parts=(part(seg(rate="45", norm="7.5", persons=3)),),
        )
    )
    assert (line.method, line.amount, line.coefficient_amount) == (Method.NORM, 101250, 0)


def test_wastewater_takes_only_the_base_volume_of_its_own_account():
    lines = charge(
        cold_by_norm(account=1),  # 14.7 m³ base + 7.35 m³ of coefficient
        metered("4", resource=Resource.HOT_WATER, account=1),
        metered("100", resource=Resource.COLD_WATER, account=2),
        ReferenceLine(
            rule=Rule.WASTEWATER,
            resource=Resource.WASTEWATER,
            account=1,
            configured_meter=True,
            parts=(part(seg(15, "45"), seg(16, "50")),),
        ),
    )
    assert lines[3].volume == 18_700_000
    assert sum(lines[3].segment_volumes) == 18_700_000


# ---------------------------------------------------------------------------------------
# Method selection (п.59 «а», «б», «в», п.60; rules.md §14)


def volume_line(**facts) -> ReferenceLine:
    facts.setdefault("configured_meter", True)
    facts.setdefault("coefficient_service", True)
    return ReferenceLine(
        rule=Rule.VOLUME,
        resource=Resource.COLD_WATER,
        parts=(part(seg(rate=ХВС, norm="4.9", persons=3), meter="7", average="6.5"),),
        **facts,
    )


W, B, A = MeterCondition.WORKING, MeterCondition.BROKEN, MeterCondition.NO_ACCESS


@pytest.mark.parametrize(
    ("facts", "method"),
    [
        ({"condition": W, "reading_present": True}, Method.METER),
        # «б» readings not submitted: 6 months (non-residential 3), then the norm, no 1.5
        ({"condition": W, "spell_months": 6, "average_months": 6}, Method.AVERAGE_NOT_SUBMITTED),
        ({"condition": W, "spell_months": 7, "average_months": 6}, Method.NORM),
        (
            {"condition": W, "spell_months": 3, "average_months": 6, "residential": False},
            Method.AVERAGE_NOT_SUBMITTED,
        ),
        (
            {"condition": W, "spell_months": 4, "average_months": 6, "residential": False},
            Method.NORM,
        ),
        # an average needs at least 3 months of base; 3–5 months are enough
        ({"condition": W, "spell_months": 1, "average_months": 2}, Method.NORM),
        ({"condition": W, "spell_months": 1, "average_months": 3}, Method.AVERAGE_NOT_SUBMITTED),
        # «а» broken / verification expired: 3 months (2), then the norm × 1.5
        ({"condition": B, "spell_months": 3, "average_months": 6}, Method.AVERAGE_BROKEN),
        ({"condition": B, "spell_months": 4, "average_months": 6}, Method.NORM_COEFFICIENT),
        (
            {"condition": B, "spell_months": 4, "average_months": 6, "meter_possible": False},
            Method.NORM,
        ),
        (
            {"condition": B, "spell_months": 2, "average_months": 6, "residential": False},
            Method.AVERAGE_BROKEN,
        ),
        (
            {"condition": B, "spell_months": 3, "average_months": 6, "residential": False},
            Method.NORM_COEFFICIENT,
        ),
        ({"condition": B, "spell_months": 1, "average_months": 2}, Method.NORM),
        # «в» access refused: 3 months (residential or not), then the norm without 1.5
        ({"condition": A, "spell_months": 3, "average_months": 6}, Method.AVERAGE_NO_ACCESS),
        (
            {"condition": A, "spell_months": 3, "average_months": 6, "residential": False},
            Method.AVERAGE_NO_ACCESS,
        ),
        ({"condition": A, "spell_months": 4, "average_months": 6}, Method.NORM),
        ({"condition": A, "spell_months": 1, "average_months": 2}, Method.NORM),
        # no meter: формула 4(1) where one could be installed, формула 4 otherwise
        ({"condition": MeterCondition.NONE}, Method.NORM_COEFFICIENT),
        ({"condition": MeterCondition.NONE, "meter_possible": False}, Method.NORM),
        (
            {"condition": W, "reading_present": True, "configured_meter": False},
            Method.NORM_COEFFICIENT,
        ),
    ],
)
def test_method_selection(facts, method):
    (line,) = charge(volume_line(**facts))
    assert line.method == method
    expected_amount = {
        Method.METER: 35651,  # 7 × 50.93
        Method.NORM: 74867,
        Method.NORM_COEFFICIENT: 112301,
    }.get(method, 33105)  # averages: 6.5 × 50.93 = 331.045 → 331.05
    assert line.amount == expected_amount


def test_method_limits_are_settings():
    strict = Settings(missing_limit_residential=3)
    (line,) = charge(volume_line(condition=W, spell_months=4, average_months=6), settings=strict)
    assert line.method == Method.NORM


def test_average_volume_of_the_base_months():
    # п.59: (5 + 6 + 7.5 + 4.2 + 5.1 + 6.3) / 6 = 5.68333… → 5.683 m³
    months = [D("5"), D("6"), D("7.5"), D("4.2"), D("5.1"), D("6.3")]
    assert ref.average_volume(months) == D("5.683")
    total = np.asarray([sum(int(m * 1_000_000) for m in months)])
    assert average_volume(total, np.asarray([6])).tolist() == [5_683_000]
    # a tie goes up; no base months → 0
    assert average_volume(np.asarray([3_000]), np.asarray([2])).tolist() == [2_000]
    assert average_volume(np.asarray([5]), np.asarray([0])).tolist() == [0]


def test_catch_up_after_averaged_months_may_be_negative():
    # three months by the average of 6 m³, then the reading shows 12 m³ since the last one
    volume = catch_up_volume(np.asarray([12_000_000]), np.asarray([18_000_000]))
    assert volume.tolist() == [-6_000_000]
    assert ref.catch_up_volume(D(12), [D(6)] * 3) == D(-6)
    line, wastewater = charge(
        metered(
            "-6",
            residents=2,
            quality_percent=D(10),
            benefits=(
                ReferenceBenefit(base=BenefitBase.PER_PERSON_SHARE, covered=2, percent=D(50)),
            ),
        ),
        ReferenceLine(
            rule=Rule.WASTEWATER,
            resource=Resource.WASTEWATER,
            configured_meter=True,
            parts=(part(seg(rate="45")),),
        ),
    )
    # rules.md §14: the negative result is a reduction (reason CATCH_UP), the amount 0; the
    # quality reduction and the benefit have nothing to take from: −6 × 50.93 = −305.58 ₽
    assert (line.amount, line.reduction, line.benefit) == (0, -30558, 0)
    assert line.reduction_reasons == ReductionReason.CATCH_UP
    assert line.total == -30558
    # wastewater = cold + hot = −6 m³ × 45.00 = −270.00 ₽, likewise a reduction
    assert (wastewater.volume, wastewater.amount, wastewater.reduction) == (-6_000_000, 0, -27000)
    assert wastewater.reduction_reasons == ReductionReason.CATCH_UP


def test_positive_catch_up_is_a_charge_without_a_catch_up_reduction():
    (line,) = charge(metered("6"))
    assert (line.amount, line.reduction, line.reduction_reasons) == (30558, 0, 0)


def test_no_access_coefficient_after_the_limit_is_a_setting():
    """п.59 «в» (rules.md §1.4 table, the default): the norm without 1.5 after 3 months;
    with ``no_access_norm_coefficient`` (§1.3 last bullet, press citing п.60(3)) × 1.5 where
    a meter is required, never where it cannot be installed, and not before the limit."""
    late = {"condition": A, "spell_months": 4, "average_months": 6}
    with_k = Settings(no_access_norm_coefficient=1)
    (default,) = charge(volume_line(**late))
    (raised,) = charge(volume_line(**late), settings=with_k)
    (impossible,) = charge(volume_line(**late, meter_possible=False), settings=with_k)
    (early,) = charge(volume_line(condition=A, spell_months=3, average_months=6), settings=with_k)
    assert (default.method, default.amount) == (Method.NORM, 74867)  # 3 × 4.9 × 50.93
    # 14.7 m³ × 50.93 = 748.671 → 748.67; + 7.35 m³ × 50.93 = 374.3355 → 374.34
    assert (raised.method, raised.amount, raised.coefficient_amount) == (
        Method.NORM_COEFFICIENT,
        112301,
        37434,
    )
    assert impossible.method == Method.NORM
    assert early.method == Method.AVERAGE_NO_ACCESS


# ---------------------------------------------------------------------------------------
# Temporary absence (rules.md §1.7)


def test_absence_reduces_a_norm_charge_where_no_meter_can_be_installed():
    (line,) = charge(
        cold_by_norm(
            meter_possible=False,
            residents=3,
            absence_service=True,
            absence_person_days=10,  # one person away for 10 days
        )
    )
    # 14.7 m³ × 50.93 = 748.671 → 748.67; 748.67 × 10 / (3 × 31) = 80.502… → 80.50
    assert (line.amount, line.reduction) == (74867, -8050)


def test_absence_not_where_a_meter_could_be_installed_or_is_there():
    lines = charge(
        cold_by_norm(residents=3, absence_service=True, absence_person_days=10),
        metered("7", residents=3, absence_service=True, absence_person_days=10),
        heating(HeatingMode.SEASON, residents=3, absence_service=True, absence_person_days=10),
        cold_by_norm(meter_possible=False, residents=3, absence_person_days=10),
    )
    assert [x.reduction for x in lines] == [0, 0, 0, 0]


def test_absence_of_a_per_person_service_whatever_the_meters():
    (line,) = charge(
        ReferenceLine(
            rule=Rule.PERSON,
            residents=3,
            days_in_month=30,
            absence_service=True,
            absence_person_days=2 * 15,  # two persons away for 15 days
            parts=(part(seg(30, "150", persons=3)),),
        )
    )
    assert (line.amount, line.reduction) == (45000, -15000)


def test_absence_is_capped_at_the_whole_month():
    (line,) = charge(
        cold_by_norm(
            meter_possible=False, residents=3, absence_service=True, absence_person_days=500
        )
    )
    assert line.reduction == -line.amount


# ---------------------------------------------------------------------------------------
# Quality and interruptions (rules.md §1.8, §14)


@pytest.mark.parametrize(
    ("events", "hours"),
    [
        ([6, 5], 3),  # total 11 − 8 = 3; at once (6 − 4) + (5 − 4) = 3
        ([3, 3, 3], 1),  # total 9 − 8 = 1; none over 4 at once
        ([10], 6),  # total 2; at once 10 − 4 = 6 → the larger
        ([4, 4], 0),
        ([], 0),
    ],
)
def test_excess_hours_of_cold_water(events, hours):
    assert excess_hours(events, 8, 4) == hours == ref.excess_hours(events, 8, 4)
    assert quality_units("interruption", "cold_water", events_hours=events) == 15 * hours


def _act(*events, temperature=None, accident=False):
    return InterruptionAct(
        tuple(events), None if temperature is None else Decimal(temperature), accident
    )


def _reference(service, acts, two_sources=False):
    triples = [(a.events_hours, a.temperature, a.dead_end_accident) for a in acts]
    return ref.pooled_quality_percent(service, triples, two_sources=two_sources)


@pytest.mark.parametrize(
    ("service", "acts", "units"),
    [
        # three residents' reports confirmed as three acts of 3 h: 9 − 8 = 1 h → 0.15 %
        ("cold_water", [_act(3), _act(3), _act(3)], 15),
        # each act alone would be max(3 − 8, 0) = 0: the month, not the act, has the limit
        ("cold_water", [_act(3)], 0),
        # 6 h and 5 h in two acts: total 11 − 8 = 3, at once 2 + 1 = 3 → 3 h
        ("cold_water", [_act(6), _act(5)], 45),
        # heating, 24 h a month; at once by each act's room temperature:
        # 10 h at +13 (16 h at once), 10 h at +11 (8 h), 6 h at +9 (4 h)
        # total 26 − 24 = 2; at once 0 + 2 + 2 = 4 → 4 h → 0.6 %
        (
            "heating",
            [_act(10, temperature="13"), _act(10, temperature="11"), _act(6, temperature="9")],
            60,
        ),
        # heating: 20 h at +7 (none permitted at once) and 10 h at +12: at once 20 + 0 = 20;
        # total 30 − 24 = 6 → 20 h
        ("heating", [_act(20, temperature="7"), _act(10, temperature="12")], 300),
        # an accident on a dead-end main is apart: 20 h (24 h in a row) → 0, and the ordinary
        # 3 + 3 + 3 = 9 h → 1 h; pooling the accident's 20 h into 8 h would give 21 h
        ("cold_water", [_act(20, accident=True), _act(3), _act(3), _act(3)], 15),
        # two accidents: 20 + 10 = 30 − 24 = 6 h (as one act with both events)
        ("hot_water", [_act(20, accident=True), _act(10, accident=True)], 90),
        # solid waste: each deviation against its own act's allowance (24 h, 72 h at ≤ 0 °C),
        # the hours beyond summed over the acts: (30 − 24) + (80 − 72) = 14 h → 1 started day
        ("solid_waste", [_act(30, temperature="5"), _act(80, temperature="-3")], 330),
        # (50 − 24) + (40 − 24) = 42 h → 2 started days
        ("solid_waste", [_act(50, temperature="1"), _act(40, temperature="1")], 660),
    ],
)
def test_interruption_acts_of_a_month_are_pooled(service, acts, units):
    assert pooled_interruption_units(service, acts) == units
    assert _reference(service, acts) == Decimal(units) / 100


def test_pools_of_a_month_name_their_limits_and_hours():
    pools = interruption_pools("cold_water", [_act(3), _act(20, accident=True), _act(3), _act(3)])
    assert [(p.total_limit, p.acts, p.events_hours, p.excess_hours) for p in pools] == [
        (8, 3, (3, 3, 3), 1),
        (24, 1, (20,), 0),
    ]
    assert [p.dead_end_accident for p in pools] == [False, True]
    heating = interruption_pools("heating", [_act(10, temperature="11"), _act(6, temperature="9")])
    assert heating[0].once_limits == (8, 4)


def test_pooled_acts_are_refused_like_a_single_act():
    with pytest.raises(ValueError, match="температура наружного воздуха"):
        pooled_interruption_units("solid_waste", [_act(30, temperature="5"), _act(30)])
    with pytest.raises(ValueError, match="тупиковой"):
        pooled_interruption_units("gas", [_act(3), _act(3, accident=True)])
    with pytest.raises(ValueError, match="отрицательными"):
        pooled_interruption_units("cold_water", [_act(3), _act(-1)])
    assert pooled_interruption_units("cold_water", []) == 0


def test_quality_units_of_temperature_acts():
    # heating: 0.15 % per hour per degree; hot water: 0.1 % per hour per full 3 °C
    assert quality_units("temperature", "heating", events_hours=[], hours=10, degrees=2) == 300
    assert quality_units("temperature", "hot_water", events_hours=[], hours=5, degrees=7) == 100
    assert ref.quality_percent("temperature", "hot_water", events_hours=[], hours=5, degrees=7) == 1


@pytest.mark.parametrize(
    ("service", "conditions", "events", "hours"),
    [
        # wastewater 8 h a month, 4 h at once: 5 + 5 → total 2, at once 1 + 1 → 2
        ("wastewater", {}, [5, 5], 2),
        # electricity, one source: 24 h; 30 → 6
        ("electricity", {}, [30], 6),
        # two independent sources: 2 h; 3 + 3 → total 6 − 2 = 4, at once 1 + 1 → 4
        ("electricity", {"two_sources": True}, [3, 3], 4),
        # gas 4 h: 3 + 3 → 2
        ("gas", {}, [3, 3], 2),
        # heating 24 h a month, 16 at once at +12 °C and above (or not given)
        ("heating", {}, [20], 4),
        ("heating", {"temperature": D("12.0")}, [20], 4),
        ("heating", {"temperature": D("11.9")}, [20], 12),  # +10…+12: 8 h at once
        ("heating", {"temperature": D("10")}, [20], 12),
        ("heating", {"temperature": D("9.5")}, [20], 16),  # +8…+10: 4 h at once
        ("heating", {"temperature": D("7.9")}, [20], 20),  # below +8: none permitted
        ("heating", {"temperature": D("11")}, [10, 10, 10], 6),  # total 30 − 24 = 6
        # water, accident on a dead-end main: 24 h in a row
        ("cold_water", {"dead_end_accident": True}, [24], 0),
        ("hot_water", {"dead_end_accident": True}, [30], 6),
        ("cold_water", {}, [24], 20),
    ],
)
def test_interruption_limits_by_conditions(service, conditions, events, hours):
    assert quality_units("interruption", service, events_hours=events, **conditions) == 15 * hours
    percent = ref.quality_percent("interruption", service, events_hours=events, **conditions)
    assert percent == D("0.15") * hours


@pytest.mark.parametrize(
    ("events", "temperature", "units"),
    [
        ([24], D("5"), 0),  # within 24 h
        ([25], D("5"), 330),  # 1 h beyond → a started 24 h: 3.3 %
        ([48], D("5"), 330),  # 24 h beyond → one 24 h
        ([49], D("5"), 660),
        ([30, 30], D("5"), 330),  # 6 + 6 = 12 h beyond in the month → one started 24 h
        ([72], D("0"), 0),  # 0 °C and below: 72 h permitted
        ([73], D("-10"), 330),
        ([72], D("0.1"), 2 * 330),  # above 0 °C: 48 h beyond → two
    ],
)
def test_solid_waste_deviation(events, temperature, units):
    got = quality_units("interruption", "solid_waste", events_hours=events, temperature=temperature)
    assert got == units
    assert (
        ref.quality_percent(
            "interruption", "solid_waste", events_hours=events, temperature=temperature
        )
        == D(units) / 100
    )


@pytest.mark.parametrize(
    ("service", "conditions", "message"),
    [
        ("solid_waste", {}, "температура наружного воздуха"),
        ("gas", {"dead_end_accident": True}, "тупиковой магистрали"),
        ("solid_waste", {"dead_end_accident": True, "temperature": D(1)}, "тупиковой"),
        ("cold_water", {"temperature": D(5)}, "температура"),
    ],
)
def test_interruption_conditions_the_service_does_not_have_are_refused(
    service, conditions, message
):
    with pytest.raises(ValueError, match=message):
        quality_units("interruption", service, events_hours=[30], **conditions)


def test_negative_hours_are_refused():
    with pytest.raises(ValueError, match="отрицательными"):
        quality_units("interruption", "gas", events_hours=[-1])


@pytest.mark.parametrize(
    ("kind", "service"),
    [("interruption", "internet"), ("smell", "heating"), ("temperature", "gas")],
)
def test_quality_units_rejects_unknown_acts(kind, service):
    with pytest.raises(ValueError, match="для услуги"):
        quality_units(kind, service, events_hours=[5])


def test_quality_reduction_of_a_metered_charge():
    (line,) = charge(metered("7", quality_percent=D("0.45")))  # 3 h over the limits
    assert (line.amount, line.reduction) == (35651, -160)  # 356.51 × 0.45 % = 1.604…


def test_non_delivery_for_the_whole_month_is_capped_at_100_percent():
    units = quality_units("interruption", "cold_water", events_hours=[24] * 30)
    assert units == 15 * (30 * 24 - 8) > 10_000
    (line,) = charge(metered("7", quality_percent=D(units) / 100))
    assert line.reduction == -line.amount
    assert line.total == 0


def test_absence_and_quality_together_never_exceed_the_charge():
    (line,) = charge(
        cold_by_norm(
            meter_possible=False,
            residents=3,
            absence_service=True,
            absence_person_days=80,
            quality_percent=D(40),
        )
    )
    # 748.67 × 80/93 = 644.01 and 748.67 × 40 % = 299.47: together more than the charge
    assert line.reduction == -74867


def maintenance_line(**facts) -> ReferenceLine:
    """Housing maintenance by area: 54 m² × 30 ₽/m² = 1 620.00 ₽."""
    return ReferenceLine(rule=Rule.AREA, area=D(54), parts=(part(seg(rate="30")),), **facts)


def hot_by_norm(**facts) -> ReferenceLine:
    """C2's numbers for hot water: 3 × 4.9 m³ × 1.5 × 50.93 = 1 123.01 ₽."""
    return ReferenceLine(
        rule=Rule.VOLUME,
        resource=Resource.HOT_WATER,
        coefficient_service=True,
        parts=(part(seg(rate=ХВС, norm="4.9", persons=3)),),
        **facts,
    )


def hot_metered(volume: str = "4.000", **facts) -> ReferenceLine:
    return metered(volume, seg(rate="250.00"), resource=Resource.HOT_WATER, **facts)


def test_hot_water_below_40_is_billed_at_the_cold_water_tariff_for_its_hours():
    """ПП 354 Приложение 1 п.5: 24 h of 744 h; 1 000.00 × 24/744 = 32.258 → 32.26 taken off,
    4 m³ × 50.93 × 24/744 = 6.5716 → 6.57 charged at the cold tariff: −25.69."""
    (line,) = charge(hot_metered(cold_hours=24, cold_rate=ХВС))
    assert (line.amount, line.reduction, line.fine) == (100000, -2569, 0)
    assert line.reduction_reasons == ReductionReason.BELOW_40


def test_hot_water_below_40_all_month_leaves_the_cold_water_charge():
    (line,) = charge(hot_metered(cold_hours=10_000, cold_rate=ХВС))  # capped at 744 h
    assert line.total == 20372  # 4 m³ × 50.93 = 203.72


def test_hot_water_below_40_never_adds_to_the_charge():
    """A cold tariff above the hot one would make the hours dearer: no reduction, no charge."""
    (line,) = charge(hot_metered(cold_hours=24, cold_rate=D("300")))
    assert line.reduction == 0 and line.reduction_reasons == 0


def test_hot_water_below_40_counts_the_coefficient_volume():
    """Norm × 1.5: 3 × 4.9 = 14.7 m³ + 7.35 m³; all month below 40 °C: 22.05 × 50.93."""
    hot = ReferenceLine(
        rule=Rule.VOLUME,
        resource=Resource.HOT_WATER,
        coefficient_service=True,
        parts=(part(seg(rate="250", norm="4.9", persons=3)),),
        cold_hours=744,
        cold_rate=ХВС,
    )
    (line,) = charge(hot)
    assert line.amount == 551250  # 22.05 × 250
    assert line.total == 112301  # 22.05 × 50.93 = 1 123.0065 → 1 123.01


def test_fine_is_half_of_the_overcharge_and_may_exceed_the_charge():
    """ЖК ст.157 ч.6: 1 000.01 ₽ over-charged → 500.005 → 500.01, a reduction of its own."""
    (line,) = charge(metered("7", overcharge=100001))
    assert (line.amount, line.fine, line.reduction) == (35651, -50001, -50001)
    assert line.total == 35651 - 50001
    assert line.reduction_reasons == ReductionReason.FINE


def test_fine_does_not_change_the_benefit_base():
    benefit = ReferenceBenefit(base=BenefitBase.PER_PERSON_SHARE, covered=1, percent=D(50))
    plain, fined = charge(
        maintenance_line(benefits=(benefit,), residents=1),
        maintenance_line(benefits=(benefit,), residents=1, overcharge=20000),
    )
    assert plain.benefit == fined.benefit == -81000  # 50 % of 1 620.00
    assert fined.fine == -10000 and fined.total == plain.total - 10000


def test_maintenance_outage_is_not_reduced_by_default():
    (line,) = charge(hot_by_norm(maintenance_hours=240))
    assert line.reduction == 0


def test_maintenance_outage_reduces_a_norm_charge_when_the_organization_grants_it():
    granted = Settings(hot_water_maintenance_reduction=1)
    by_norm, by_meter = charge(
        hot_by_norm(maintenance_hours=240),
        hot_metered(maintenance_hours=240),
        settings=granted,
    )
    # 1 123.01 × 240 / 744 = 362.261… → 362.26; a meter already shows less water
    assert by_norm.reduction == -36226
    assert by_norm.reduction_reasons == ReductionReason.MAINTENANCE
    assert by_meter.reduction == 0


def test_maintenance_beyond_14_days_a_year_is_an_interruption():
    assert maintenance_split(0, 240) == (240, 0) == ref.maintenance_split(0, 240)
    assert maintenance_split(240, 240) == (96, 144) == ref.maintenance_split(240, 240)
    assert maintenance_split(400, 24) == (0, 24)
    assert quality_units("maintenance", "hot_water", events_hours=[], hours=144) == 2160


def test_upkeep_is_reduced_in_proportion_to_the_days_not_performed():
    """ПП 491 п.10, 15: 1 620.00 × 3 / 31 = 156.774 → 156.77; more days than the month: all."""
    three, all_month = charge(maintenance_line(upkeep_days=3), maintenance_line(upkeep_days=40))
    assert three.reduction == -15677
    assert three.reduction_reasons == ReductionReason.UPKEEP
    assert all_month.reduction == -162000


def test_heating_by_own_heat_meter_and_a_share_of_the_common_part():
    """Формула 3(3), every premises with a heat meter: own 1.5 Gcal + (10 − 8) × 54 / 100 =
    2.58 Gcal × 2 850.00 = 7 353.00; a negative common part counts as zero: 1.5 × 2 850."""

    def line(building_volume: str) -> ReferenceLine:
        return ReferenceLine(
            rule=Rule.HEATING,
            resource=Resource.HEATING,
            heating_mode=HeatingMode.SEASON,
            area=D(54),
            building_area=D(100),
            building_volume=D(building_volume),
            heat_meter_volume=D("1.5"),
            heat_meters_total=D(8),
            parts=(part(seg(days=16, rate="2850"), seg(days=15, rate="2850")),),
        )

    shared, negative = charge(line("10"), line("7"))
    assert (shared.method, shared.volume, shared.amount) == (
        Method.HEATING_INDIVIDUAL,
        2_580_000,
        735300,
    )
    assert METHOD_CODES[shared.method] == "heat_meter"
    assert (negative.volume, negative.amount) == (1_500_000, 427500)


def test_heating_by_own_heat_meter_after_averaged_months_catches_up():
    """rules.md §14 for формула 3(3): the reading's volume 4.5 Gcal covers the month and two
    months charged at 1.2 Gcal each — own 4.5 − 2.4 = 2.1 Gcal + (10 − 8) × 54 / 100 = 3.18
    Gcal × 2 850.00 = 9 063.00. Two averages of 3.0 Gcal: own 4.5 − 6.0 = −1.5, + 1.08 =
    −0.42 Gcal × 2 850.00 = −1 197.00, posted as the reduction (CATCH_UP), the amount 0. Σ V_ИПУ as
    charged (the building's averages 2.4 taken off Σ 8): common 10 − 5.6 = 4.4 × 0.54 =
    2.376 + 2.1 = 4.476 Gcal → 12 756.60."""

    def line(catch_up: str, building: str = "0") -> ReferenceLine:
        return ReferenceLine(
            rule=Rule.HEATING,
            resource=Resource.HEATING,
            heating_mode=HeatingMode.SEASON,
            area=D(54),
            building_area=D(100),
            building_volume=D(10),
            heat_meter_volume=D("4.5"),
            heat_meters_total=D(8),
            heat_meter_catch_up=D(catch_up),
            heat_meters_catch_up_total=D(building),
            parts=(part(seg(days=16, rate="2850"), seg(days=15, rate="2850")),),
        )

    more, less, charged = charge(line("2.4"), line("6"), line("2.4", building="2.4"))
    assert (charged.volume, charged.amount) == (4_476_000, 1275660)
    assert (more.method, more.volume, more.amount, more.reduction) == (
        Method.HEATING_INDIVIDUAL,
        3_180_000,
        906300,
        0,
    )
    assert (less.volume, less.amount, less.reduction) == (-420_000, 0, -119700)
    assert less.reduction_reasons == ReductionReason.CATCH_UP


def test_a_negative_heat_catch_up_is_refused():
    line = ReferenceLine(
        rule=Rule.HEATING,
        resource=Resource.HEATING,
        heating_mode=HeatingMode.SEASON,
        area=D(54),
        building_area=D(100),
        building_volume=D(10),
        heat_meter_volume=D("4.5"),
        heat_meters_total=D(8),
        heat_meter_catch_up=D(-1),
        parts=(part(seg(days=31, rate="2850")),),
    )
    with pytest.raises(ValueError, match="отрицательными"):
        ref.charge_batch([line], DEFAULTS)
    with pytest.raises(ValueError, match="отрицательными"):
        compute(*ref.to_arrays([line]), settings=DEFAULTS)


def test_heating_evenly_by_last_years_heat_meters():
    """Формула 3(4) (ПП 354 п.42(1)), heating paid evenly, every premises metered the whole
    last year: own 6.0 Gcal / 12 + (16.0 − 14.0) / 12 × 54 / 100 = 0.5 + 0.09 = 0.59 Gcal
    × 2 850.00 = 1 681.50; a negative common part counts as zero (0.5 Gcal → 1 425.00);
    without a whole metered year формула 3(1): 54 × 16.0 / 1 200 = 0.72 Gcal → 2 052.00."""

    def line(total: str | None, own: str | None = "6") -> ReferenceLine:
        return ReferenceLine(
            rule=Rule.HEATING,
            resource=Resource.HEATING,
            heating_mode=HeatingMode.EVENLY,
            heating_in_season=False,
            heating_season_months=7,
            area=D(54),
            building_area=D(100),
            building_volume_last_year=D(16),
            heat_meter_volume_last_year=None if own is None else D(own),
            heat_meters_total_last_year=None if total is None else D(total),
            parts=(part(seg(days=16, rate="2850"), seg(days=15, rate="2850")),),
        )

    metered, negative, incomplete, own_missing, metered_now = charge(
        line("14"),
        line("17"),
        line(None),
        line("14", own=None),
        dataclasses.replace(line(None), heat_meter_volume=D(0), heat_meters_total=D(0)),
    )
    assert (metered.method, metered.volume, metered.amount) == (
        Method.HEATING_INDIVIDUAL_EVENLY,
        590_000,
        168150,
    )
    assert METHOD_CODES[metered.method] == "heat_meter"
    assert (negative.volume, negative.amount) == (500_000, 142500)
    for fallback in (incomplete, own_missing):
        assert (fallback.method, fallback.volume, fallback.amount) == (
            Method.HEATING_BUILDING,
            720_000,
            205200,
        )
    # every premises metered this month but not the whole last year: 3(1), said so
    assert (metered_now.method, metered_now.amount) == (
        Method.HEATING_BUILDING_NO_METER_YEAR,
        205200,
    )
    assert METHOD_CODES[metered_now.method] == "building_meter"


def test_norm_per_m2_takes_the_area_and_ignores_absence():
    """rules.md §1.10: ТКО where the region sets the norm per m², gas for heating:
    54 m² × 0.0085 m³/m² = 0.459 m³ × 650.00 = 298.35; absence does not reduce it."""
    waste = ReferenceLine(
        rule=Rule.VOLUME,
        area=D(54),
        residents=2,
        meter_possible=False,
        absence_service=True,
        absence_person_days=10,
        norm_by_area=True,
        parts=(part(seg(rate="650", norm="0.0085", persons=2)),),
    )
    per_person = dataclasses.replace(waste, norm_by_area=False)
    by_area, by_persons = charge(waste, per_person)
    assert (by_area.method, by_area.volume, by_area.amount) == (Method.NORM_AREA, 459_000, 29835)
    assert by_area.reduction == 0
    assert METHOD_CODES[by_area.method] == "norm"
    # per person: 2 × 0.0085 = 0.017 m³ → 11.05; 10 person-days of 62 → −1.78
    assert (by_persons.method, by_persons.amount, by_persons.reduction) == (Method.NORM, 1105, -178)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("cold_hours", "часы ГВС ниже 40"),
        ("maintenance_hours", "ремонтного отключения"),
        ("upkeep_days", "дни невыполнения"),
        ("overcharge", "незаконного начисления"),
    ],
)
def test_negative_act_figures_are_refused(name, message):
    lines, parts, segments, benefits = ref.to_arrays([metered("7")])
    bad = dataclasses.replace(lines, **{name: np.asarray([-1], dtype=np.int64)})
    with pytest.raises(ValueError, match=message):
        compute(bad, parts, segments, benefits)
    with pytest.raises(ValueError, match="отрицательными"):
        maintenance_split(-1, 5)


# ---------------------------------------------------------------------------------------
# Benefits (rules.md §4.2)


def maintenance(*benefits: ReferenceBenefit, residents: int = 3) -> ReferenceLine:
    """54 m² × 30 ₽/m² = 1 620.00 ₽."""
    return ReferenceLine(
        rule=Rule.AREA,
        area=D(54),
        residents=residents,
        benefits=benefits,
        parts=(part(seg(rate="30")),),
    )


def benefit(base: BenefitBase, covered: int, percent: int = 50, **facts) -> ReferenceBenefit:
    return ReferenceBenefit(base=base, covered=covered, percent=D(percent), **facts)


def test_benefit_per_person_share():
    (line,) = charge(maintenance(benefit(BenefitBase.PER_PERSON_SHARE, covered=1)))
    assert (line.amount, line.benefit) == (162000, -27000)  # 1 620 / 3 × 1 × 50 %


def test_benefit_covering_more_persons_than_live_there_covers_them_all():
    (line,) = charge(maintenance(benefit(BenefitBase.PER_PERSON_SHARE, covered=5, percent=100)))
    assert line.benefit == -162000


def test_benefit_within_the_social_norm_of_area():
    assert social_norm_area(2, 3300, 4200, 1800) == 4200 == int(ref.social_norm_area(2) * 100)
    assert social_norm_area(3, 3300, 4200, 1800) == 5400
    assert social_norm_area(0, 3300, 4200, 1800) == 0
    (line,) = charge(
        heating(
            HeatingMode.SEASON,
            residents=2,
            benefits=(benefit(BenefitBase.SOCIAL_NORM_AREA, 2, social_norm_area=D(42)),),
        )
    )
    # 3 308.85 × 42/54 × 2/2 × 50 % = 1 286.775 → 1 286.78 (a tie, half-up)
    assert line.benefit == -128678


def test_benefit_within_the_consumption_norm():
    above, below = charge(
        metered(
            "7",
            residents=2,
            benefits=(benefit(BenefitBase.CONSUMPTION_NORM, 1, norm=D(3)),),
        ),
        metered(
            "5",
            residents=2,
            benefits=(benefit(BenefitBase.CONSUMPTION_NORM, 1, norm=D(3)),),
        ),
    )
    # 7 m³ > 2 × 3: 356.51 × 6/7 × 1/2 × 50 % = 76.395 → 76.40 (a tie, half-up)
    assert above.benefit == -7640
    # 5 m³ within the norm: the whole per-person share, 254.65 / 2 × 50 % = 63.6625 → 63.66
    assert (below.amount, below.benefit) == (25465, -6366)


def test_benefit_by_the_social_norm_of_a_line_without_area_is_zero():
    (line,) = charge(
        ReferenceLine(
            rule=Rule.FIXED,
            residents=1,
            benefits=(benefit(BenefitBase.SOCIAL_NORM_AREA, 1, social_norm_area=D(33)),),
            parts=(part(seg(rate="100")),),
        )
    )
    assert (line.amount, line.benefit) == (10000, 0)


def test_benefits_are_capped_at_what_is_left_to_pay():
    (line,) = charge(
        maintenance(
            benefit(BenefitBase.PER_PERSON_SHARE, 3, 100),
            benefit(BenefitBase.PER_PERSON_SHARE, 3, 50),
        )
    )
    assert (line.benefit, line.total) == (-162000, 0)


def test_benefit_excludes_the_increasing_coefficient_and_follows_reductions():
    with_coefficient, reduced = charge(
        cold_by_norm(residents=3, benefits=(benefit(BenefitBase.PER_PERSON_SHARE, 3, 100),)),
        ReferenceLine(
            rule=Rule.AREA,
            area=D(54),
            residents=3,
            quality_percent=D(10),
            benefits=(benefit(BenefitBase.PER_PERSON_SHARE, 3, 50),),
            parts=(part(seg(rate="30")),),
        ),
    )
    assert (with_coefficient.benefit, with_coefficient.total) == (-74867, 37434)
    # 1 620.00 − 10 % = 1 458.00; × 50 % = 729.00
    assert (reduced.reduction, reduced.benefit, reduced.total) == (-16200, -72900, 72900)


def cash(base: BenefitBase, covered: int, percent: int = 50, **facts) -> ReferenceBenefit:
    """A category of the ЕДК model (rules.md §4.2): the social body pays, the bill stays."""
    return ReferenceBenefit(base=base, covered=covered, percent=D(percent), cash=True, **facts)


def test_cash_benefit_is_computed_like_a_discount_and_leaves_the_bill_whole():
    discount, edk = charge(
        maintenance(benefit(BenefitBase.PER_PERSON_SHARE, covered=1)),
        maintenance(cash(BenefitBase.PER_PERSON_SHARE, covered=1)),
    )
    assert (discount.benefit, discount.benefit_cash, discount.total) == (-27000, 0, 135000)
    # 1 620 / 3 × 1 × 50 % = 270.00, paid by the social body; the citizen pays 1 620.00
    assert (edk.benefit, edk.benefit_cash, edk.total) == (0, -27000, 162000)


def test_cash_benefit_rounds_like_the_discount_one():
    (line,) = charge(
        heating(
            HeatingMode.SEASON,
            residents=2,
            benefits=(cash(BenefitBase.SOCIAL_NORM_AREA, 2, social_norm_area=D(42)),),
        )
    )
    # the same tie as the discount test above: 1 286.775 → 1 286.78
    assert (line.benefit, line.benefit_cash) == (0, -128678)


def test_discount_and_cash_on_one_line_share_what_is_left_to_pay():
    both, over = charge(
        maintenance(
            benefit(BenefitBase.PER_PERSON_SHARE, 1, 50),  # 270.00 off the bill
            cash(BenefitBase.PER_PERSON_SHARE, 2, 50),  # 540.00 from the social body
        ),
        maintenance(
            benefit(BenefitBase.PER_PERSON_SHARE, 3, 100),  # the whole 1 620.00 off the bill
            cash(BenefitBase.PER_PERSON_SHARE, 3, 50),  # nothing left to compensate
        ),
    )
    assert (both.benefit, both.benefit_cash, both.total) == (-27000, -54000, 135000)
    assert (over.benefit, over.benefit_cash, over.total) == (-162000, 0, 0)


def test_cash_benefit_is_capped_at_the_charge():
    (line,) = charge(
        maintenance(
            cash(BenefitBase.PER_PERSON_SHARE, 3, 100),
            cash(BenefitBase.PER_PERSON_SHARE, 3, 50),
        )
    )
    assert (line.benefit_cash, line.total) == (-162000, 162000)


def test_cash_flags_of_another_length_are_refused():
    lines, parts, segments, benefits = ref.to_arrays(
        [maintenance(cash(BenefitBase.PER_PERSON_SHARE, 1))]
    )
    bad = dataclasses.replace(benefits, cash=np.zeros(2, dtype=np.bool_))
    with pytest.raises(ValueError, match="ЕДК"):
        compute(lines, parts, segments, bad)


# ---------------------------------------------------------------------------------------
# Common property (КР на СОИ, rules.md §1.6, §14)


def common_cold(building_volume: str | None, **facts) -> ReferenceLine:
    """S_ob = 1 000 m², S_oi = 200 m², S_i = 50 m², N = 0.03 m³ per m² of S_oi:
    the norm share is 0.03 × 200 × 50 / 1000 = 0.3 m³."""
    return ReferenceLine(
        rule=Rule.COMMON,
        resource=Resource.COLD_WATER,
        account=9,
        area=D(50),
        building_area=D(1000),
        building_common_area=D(200),
        building_volume=None if building_volume is None else D(building_volume),
        parts=(part(seg(rate=ХВС, norm="0.03")),),
        **facts,
    )


def premises(building: int = 0) -> list[ReferenceLine]:
    """Σ V_u of cold water in building 0 is 101 m³; hot water and other buildings do not count."""
    return [
        metered("70", account=1, building=building),
        ReferenceLine(
            rule=Rule.VOLUME,
            resource=Resource.COLD_WATER,
            account=2,
            building=building,
            parts=(part(seg(rate=ХВС, norm="10.333333", persons=3)),),  # 30.999999 m³
        ),
        metered("50", resource=Resource.HOT_WATER, account=1, building=building),
        metered("500", account=3, building=1),
    ]


def test_common_property_by_the_norm_without_a_building_meter():
    *_, line = charge(*premises(), common_cold(None))
    assert (line.method, line.volume, line.amount) == (Method.COMMON_NORM, 300_000, 1528)


def test_common_property_by_the_building_meter_within_the_norm():
    # 70 + 30.999999 = 100.999999 m³ of premises; (105 − 100.999999) × 50/1000 = 0.2000000…
    *_, line = charge(*premises(), common_cold("105"))
    assert (line.method, line.volume, line.amount) == (Method.COMMON_METER, 200_000, 1019)


def test_common_property_above_the_norm_is_capped_or_actual():
    *_, capped = charge(*premises(), common_cold("120"))
    assert (capped.method, capped.volume, capped.amount) == (Method.COMMON_CAPPED, 300_000, 1528)
    *_, actual = charge(*premises(), common_cold("120", common_mode=CommonMode.ACTUAL))
    # (120 − 100.999999) × 0.05 = 0.95000005 → 0.950000; × 50.93 = 48.3835 → 48.38
    assert (actual.method, actual.volume, actual.amount) == (Method.COMMON_METER, 950_000, 4838)


def test_negative_common_property_is_zero_for_the_month():
    *_, line = charge(*premises(), common_cold("90"))
    assert (line.method, line.volume, line.amount) == (Method.COMMON_METER, 0, 0)
    *_, actual = charge(*premises(), common_cold("90", common_mode=CommonMode.ACTUAL))
    assert actual.amount == 0


def test_common_property_is_not_reduced_for_absence():
    *_, line = charge(
        *premises(),
        common_cold(None, residents=2, absence_service=True, absence_person_days=20),
    )
    assert line.reduction == 0


# ---------------------------------------------------------------------------------------
# Bad input


def test_zero_days_in_month_is_a_clear_error():
    line = cold_by_norm(days_in_month=0)
    with pytest.raises(ValueError, match="подпериоды строки длиннее месяца"):
        compute(*ref.to_arrays([line]))
    with pytest.raises(ValueError, match="число дней месяца"):
        ref.charge_batch([line])


def test_fixed_point_rejects_a_non_positive_divisor():
    with pytest.raises(ZeroDivisionError, match="делитель"):
        div_round(np.asarray([5]), np.asarray([0]))
    with pytest.raises(ZeroDivisionError, match="делитель"):
        mul_div_round([np.asarray([5]), np.asarray([3])], np.asarray([-1]))


def test_fixed_point_rejects_a_result_beyond_int64():
    with pytest.raises(OverflowError, match="вне допустимого диапазона"):
        mul_div_round([np.asarray([2**62]), np.asarray([4])], 1)


def test_amounts_finer_than_the_scale_are_rejected_by_the_bridge():
    with pytest.raises(ValueError, match="тариф"):
        ref.to_arrays([metered("7", seg(rate="50.93001"))])


def test_a_line_too_large_for_int64_is_an_error_not_a_wrong_amount():
    # 2.9·10¹¹ m³ × 50.93 ₽ does not fit 9.2·10¹⁸ units of the scale
    with pytest.raises(OverflowError, match="вне допустимого диапазона"):
        compute(*ref.to_arrays([metered("290000000000")]))


def test_a_line_amount_beyond_int64_is_not_wrapped_silently():
    line = metered("200000000000", seg(16, "0.0050"), seg(15, "0.0050"))
    assert ref.charge_batch([line])[0].amount == 100_000_000_000  # 10⁹ ₽
    try:
        (got,) = ref.result_rows(compute(*ref.to_arrays([line])), [line])
    except OverflowError:
        return
    assert got.amount == 100_000_000_000  # got −84 467 440 737


def test_a_huge_volume_does_not_change_the_benefit_silently():
    line = metered(
        "2000000000",
        seg(rate="0.0001"),
        residents=1,
        benefits=(benefit(BenefitBase.CONSUMPTION_NORM, 1, 50, norm=D("10000000000")),),
    )
    assert ref.charge_batch([line])[0].benefit == -10_000_000
    try:
        (got,) = ref.result_rows(compute(*ref.to_arrays([line])), [line])
    except (OverflowError, ZeroDivisionError):
        return
    assert got.benefit == -10_000_000  # got −20 000 000


def test_zero_building_area_with_a_building_meter_is_an_error():
    line = heating(HeatingMode.SEASON, building_volume=D("0.5"), building_area=D(0))
    with pytest.raises(ValueError, match="площадь"):
        ref.charge_batch([line])
    with pytest.raises((ValueError, ZeroDivisionError)):
        compute(*ref.to_arrays([line]))


def test_a_benefit_on_a_line_beyond_int64_is_refused_with_a_clear_error():
    # 2·10¹¹ m³ × 0.005 ₽ = 10⁹ ₽: each sub-period fits int64, their exact sum does not
    line = metered(
        "200000000000",
        seg(16, "0.0050"),
        seg(15, "0.0050"),
        residents=1,
        benefits=(benefit(BenefitBase.PER_PERSON_SHARE, 1, 50),),
    )
    with pytest.raises(OverflowError, match="льгот"):
        compute(*ref.to_arrays([line]))


def test_heating_of_a_premises_heated_individually_is_the_common_share_only():
    """rules.md §1.5 (last row), the project's default: S_ob = 1 000, S_oi = 200, S_i = 50.
    Building meter, season: the common areas' heat 120 × 200 / 1 200 = 20 Gcal, the premises'
    share 20 × 50 / 1 000 = 1.0 Gcal × 2 850.00 = 2 850.00. Norm: 0.02 × 200 × 50 / 1 000 =
    0.2 Gcal → 570.00; evenly with 6 season months 0.1 Gcal → 285.00; evenly by last year's
    1 440 Gcal: 1 440 / 12 × 200 / 1 200 × 50 / 1 000 = 1.0 Gcal. Out of season: no line.
    The neighbour heated from the building's system keeps формула 3: 120 × 60 / 1 000."""

    def line(**facts) -> ReferenceLine:
        base = {
            "rule": Rule.HEATING,
            "resource": Resource.HEATING,
            "heating_mode": HeatingMode.SEASON,
            "area": D(50),
            "building_area": D(1000),
            "building_common_area": D(200),
            "own_heating": True,
            "parts": (
                part(
                    seg(days=10, rate="2850", norm="0.02"), seg(days=21, rate="2850", norm="0.02")
                ),
            ),
        }
        return ReferenceLine(**{**base, **facts})

    meter, norm, evenly_norm, evenly_meter, off, neighbour = charge(
        line(building_volume=D(120)),
        line(),
        line(heating_mode=HeatingMode.EVENLY, heating_season_months=6),
        line(heating_mode=HeatingMode.EVENLY, building_volume_last_year=D(1440)),
        line(heating_in_season=False, building_volume=D(120)),
        line(own_heating=False, area=D(60), building_volume=D(120)),
    )
    assert (meter.method, meter.volume, meter.amount) == (
        Method.HEATING_OWN_SOURCE_METER,
        1_000_000,
        285000,
    )
    assert METHOD_CODES[meter.method] == "common_share"
    assert (norm.method, norm.volume, norm.amount) == (
        Method.HEATING_OWN_SOURCE_NORM,
        200_000,
        57000,
    )
    assert (evenly_norm.volume, evenly_norm.amount) == (100_000, 28500)
    assert (evenly_meter.method, evenly_meter.volume) == (
        Method.HEATING_OWN_SOURCE_METER,
        1_000_000,
    )
    assert (off.method, off.amount) == (Method.NONE, 0)
    assert (neighbour.method, neighbour.volume) == (Method.HEATING_BUILDING, 7_200_000)


# ---------------------------------------------------------------------------------------
# rules.md §0, §14 "Rounding": each component (the default) or the line's total once

LINE = Settings(rounding_point=RoundingPoint.LINE)


def test_c2_with_a_benefit_rounded_per_component_and_per_line():
    """C2 (3 persons × 4.9 m³ × 50.93 ₽, × 1.5) with a 20 % benefit for all three:
    base 748.671, coefficient part 374.3355, benefit 20 % of 748.671 = 149.7342.
    Each component rounded: 748.67 + 374.34 − 149.73 = 973.28. The line once:
    748.671 + 374.3355 − 149.7342 = 973.2723 → 973.27; the coefficient part and the benefit
    are still 374.34 and 149.73, so the base amount shows 973.27 − 374.34 + 149.73 = 748.66.
    """
    benefit = ReferenceBenefit(base=BenefitBase.PER_PERSON_SHARE, covered=3, percent=D(20))
    line = cold_by_norm(residents=3, benefits=(benefit,))
    (per_component,) = charge(line)
    (per_line,) = charge(line, settings=LINE)
    assert (per_component.amount, per_component.coefficient_amount) == (112301, 37434)
    assert per_component.benefit == -14973
    assert per_component.total == 97328
    assert per_line.total == 97327
    assert (per_line.coefficient_amount, per_line.benefit) == (37434, -14973)
    assert per_line.amount - per_line.coefficient_amount == 74866
    assert per_line.amount + per_line.reduction + per_line.benefit == per_line.total


def test_c2_without_anything_to_subtract_rounds_the_same_either_way():
    """1 123.0065 rounded once is 1 123.01, as is 748.67 + 374.34: the modes only differ
    where the rounding errors of the components add up past half a kopeck."""
    (per_component,) = charge(cold_by_norm())
    (per_line,) = charge(cold_by_norm(), settings=LINE)
    assert per_component == per_line
    assert per_line.total == 112301


def test_line_rounding_of_a_quality_reduction():
    """C2 with a 0.15 % quality reduction: 0.15 % of 1 123.0065 = 1.68450975.
    Each component: 1 123.01 − round(0.15 % of 1 123.01 = 1.6845150) = 1 123.01 − 1.68
    = 1 121.33. Once: 1 123.0065 − 1.68450975 = 1 121.32199025 → 1 121.32; the reduction
    shows 1.68, the coefficient part 374.34, the base 1 121.32 + 1.68 − 374.34 = 748.66."""
    line = cold_by_norm(quality_percent=D("0.15"))
    (per_component,) = charge(line)
    (per_line,) = charge(line, settings=LINE)
    assert (per_component.total, per_component.reduction) == (112133, -168)
    assert (per_line.total, per_line.reduction) == (112132, -168)
    assert per_line.amount - per_line.coefficient_amount == 74866
    assert per_line.reduction_reasons == ReductionReason.QUALITY


def test_line_rounding_of_the_cash_benefit_is_its_own():
    """The ЕДК is not part of the total; its categories' exact shares are added and rounded
    once. Three cash categories, one person of three each, 50 %, of 100.005: each share is
    100.005 / 3 × 50 % = 16.6675. Each rounded: 3 × 16.67 = 50.01; once: 50.0025 → 50.00."""
    shares = tuple(
        ReferenceBenefit(base=BenefitBase.PER_PERSON_SHARE, covered=1, percent=D(50), cash=True)
        for _ in range(3)
    )
    line = metered("1.000", seg(rate="100.005"), residents=3, benefits=shares)
    (per_component,) = charge(line)
    (per_line,) = charge(line, settings=LINE)
    assert per_component.benefit_cash == -5001
    assert per_line.benefit_cash == -5000
    assert per_line.total == per_component.total == 10001


def test_an_unknown_rounding_point_is_refused():
    with pytest.raises(ValueError, match="точка округления"):
        compute(*ref.to_arrays([cold_by_norm()]), settings=Settings(rounding_point=7))
