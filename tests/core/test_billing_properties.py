"""Hypothesis: the vectorised billing core equals the scalar `Decimal` reference.

Random batches of whole buildings (several accounts, every kind of line, tariff changes and
partial months, zones, benefits, reductions) are charged by `raschet.core.billing.compute`
and, line by line, by `raschet.core.billing_reference`; both must agree to the kopeck and to
1e-6 of a unit. Invariants the accountant relies on are checked on the same batches.
"""

from __future__ import annotations

import dataclasses
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raschet.core import billing_reference as ref
from raschet.core.billing import (
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
    common_carry_out,
    compute,
    excess_hours,
    maintenance_split,
    pooled_interruption_units,
    quality_units,
    social_norm_area,
)
from raschet.core.billing_reference import (
    ReferenceBenefit,
    ReferenceLine,
    ReferencePart,
    ReferenceSegment,
)
from raschet.core.fixedpoint import div_round, mul_div_round, prorate_cumulative, sum_by

# Batches are costly to draw (~30 ms each); the file stays under 20 s.
BATCHES = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAST = settings(max_examples=100, deadline=None)

INT64_MAX = 2**63 - 1
DEFAULTS = Settings()


def units(value: int, digits: int) -> Decimal:
    """A scaled integer as the exact decimal it stands for (``digits`` after the point)."""
    return Decimal(value).scaleb(-digits)


def exact_round(num: int, den: int) -> int:
    """Half-up (ties away from zero) of an exact fraction, written with `Fraction`."""
    f = Fraction(num, den)
    whole = abs(f.numerator) // f.denominator
    if 2 * (abs(f.numerator) - whole * f.denominator) >= f.denominator:
        whole += 1
    return whole if f >= 0 else -whole


# ---------------------------------------------------------------------------------------
# Strategies


# Strategies are built once: drawing from a fresh strategy costs a validation each time.
PERSONS = st.integers(0, 6)
MONTH_DAYS = st.sampled_from([28, 29, 30, 31])
SEGMENT_COUNT = st.integers(1, 3)
FLAGS = st.integers(0, 2**8 - 1)  # one draw for all the yes/no facts of a line
MONTHS = st.integers(0, 8)
CONDITIONS = st.sampled_from(  # mostly a working meter: the common case
    [MeterCondition.WORKING, MeterCondition.WORKING, *MeterCondition]
)
QUALITY = st.one_of(st.just(0), st.integers(0, 12_000))
HOURS = st.one_of(st.just(0), st.integers(0, 800))  # past a month's hours too
UPKEEP_DAYS = st.one_of(st.just(0), st.integers(0, 35))
OVERCHARGE = st.one_of(st.just(0), st.integers(0, 10**9))
AVERAGE = st.integers(0, 100_000_000)
BUILDING_AREA = st.integers(30_000, 3_000_000)
COMMON_AREA = st.integers(0, 500_000)
AREA = st.integers(0, 30_000)
HEAT_VOLUME = st.none() | st.integers(0, 3_000_000_000)
HEAT_LAST_YEAR = st.none() | st.integers(0, 30_000_000_000)
BUILDINGS = st.integers(1, 2)
ACCOUNTS = st.integers(1, 3)
SERVICES = st.lists(st.sampled_from(range(12)), min_size=1, max_size=6, unique=True)
BENEFITS = st.lists(
    st.builds(
        ReferenceBenefit,
        base=st.sampled_from(list(BenefitBase)),
        covered=st.integers(0, 7),
        percent=st.integers(0, 10_000).map(lambda p: units(p, 2)),
        social_norm_area=st.integers(0, 12_000).map(lambda a: units(a, 2)),
        norm=st.integers(0, 12_000_000).map(lambda v: units(v, 6)),
        cash=st.booleans(),  # discount and ЕДК categories, mixed on one line too
    ),
    max_size=3,
)
_integers: dict[tuple[int, int], st.SearchStrategy[int]] = {}


def ints(low: int, high: int) -> st.SearchStrategy[int]:
    if (low, high) not in _integers:
        _integers[low, high] = st.integers(low, high)
    return _integers[low, high]


def bit(flags: int, k: int) -> bool:
    return bool(flags >> k & 1)


@st.composite
def month_segments(
    draw: st.DrawFn, dim: int, *, rate_max: int, norm_max: int
) -> tuple[ReferenceSegment, ...]:
    """1–3 sub-periods covering the month or a part of it (moving in / out mid-month)."""
    n = draw(SEGMENT_COUNT)
    covered = dim if draw(st.booleans()) else draw(ints(n, dim))
    cuts = (
        sorted(draw(st.sets(ints(1, covered - 1), min_size=n - 1, max_size=n - 1))) if n > 1 else []
    )
    bounds = [0, *cuts, covered]
    return tuple(
        ReferenceSegment(
            days=bounds[k + 1] - bounds[k],
            rate=units(draw(ints(0, rate_max)), 4),
            norm=units(draw(ints(0, norm_max)), 6),
            persons=draw(PERSONS),
        )
        for k in range(n)
    )


KINDS = (
    "cold",
    "hot",
    "wastewater",
    "electricity",
    "heating",
    "maintenance",
    "waste",
    "common_cold",
    "common_hot",
    "common_wastewater",
    "common_power",
    "fixed",
)
VOLUME_RESOURCE = {
    "cold": Resource.COLD_WATER,
    "hot": Resource.HOT_WATER,
    "electricity": Resource.ELECTRICITY,
}
COMMON_RESOURCE = {
    "common_cold": Resource.COLD_WATER,
    "common_hot": Resource.HOT_WATER,
    "common_wastewater": Resource.WASTEWATER,
    "common_power": Resource.ELECTRICITY,
}
OTHER_RULE = {"maintenance": Rule.AREA, "waste": Rule.PERSON, "fixed": Rule.FIXED}


@st.composite
def batches(
    draw: st.DrawFn, *, huge: bool = False, negative_meter: bool = True
) -> list[ReferenceLine]:
    """A batch of 1–2 whole buildings with 1–3 accounts each and a random set of services.

    ``huge``: meter and building volumes of 1.5–5·10¹¹ m³ with tariffs of thousandths of a
    kopeck, so products of volumes and days leave int64 (the Python-int path of
    `mul_div_round`) while every amount still fits.
    """
    dim = draw(MONTH_DAYS)
    if huge:  # 1.5·10¹⁷ × 31 days > 2⁶²: every metered split leaves int64
        meter = ints(15 * 10**16, 29 * 10**16)
        common_volume = st.none() | ints(10**17, 5 * 10**17)
    else:
        meter = ints(-50_000_000 if negative_meter else 0, 500_000_000)
        common_volume = st.none() | ints(0, 5_000_000_000)
    volume_rate_max = 15 if huge else 20_000_000
    lines: list[ReferenceLine] = []
    account = 0
    for building in range(draw(BUILDINGS)):
        b_area = units(draw(BUILDING_AREA), 2)
        b_common = units(draw(COMMON_AREA), 2)
        b_flags = draw(FLAGS)
        heating_mode = HeatingMode(draw(ints(0, 2)))
        season_months = draw(ints(0, 12))
        heat_volume = draw(HEAT_VOLUME)
        heat_last_year = draw(HEAT_LAST_YEAR)
        building_volume = {r: draw(common_volume) for r in COMMON_RESOURCE.values()}
        for _ in range(draw(ACCOUNTS)):
            area = units(draw(AREA), 2)
            residents = draw(PERSONS)
            residential = draw(st.booleans())
            for kind in (KINDS[k] for k in draw(SERVICES)):
                flags = draw(FLAGS)
                facts = {
                    "account": account,
                    "building": building,
                    "area": area,
                    "residents": residents,
                    "residential": residential,
                    "days_in_month": dim,
                    "building_area": b_area,
                    "building_common_area": b_common,
                    "meter_possible": bit(flags, 0),
                    "absence_service": bit(flags, 1),
                    "absence_person_days": draw(ints(0, residents * dim + 5)),
                    "quality_percent": units(draw(QUALITY), 2),
                    "cold_hours": draw(HOURS),
                    "cold_rate": units(draw(ints(0, 2_000_000)), 4),
                    "maintenance_hours": draw(HOURS),
                    "upkeep_days": draw(UPKEEP_DAYS),
                    "overcharge": draw(OVERCHARGE),
                    "norm_by_area": kind in ("wastewater", *VOLUME_RESOURCE) and bit(flags, 6),
                    # A line with a benefit beyond 9·10⁸ ₽ is refused (OverflowError, see
                    # test_billing_formulas), so huge batches carry no benefits.
                    "benefits": () if huge else tuple(draw(BENEFITS)),
                }
                if kind in VOLUME_RESOURCE:
                    zones = 2 if kind == "electricity" and bit(flags, 2) else 1
                    parts = tuple(
                        ReferencePart(
                            segments=draw(
                                month_segments(dim, rate_max=volume_rate_max, norm_max=12_000_000)
                            ),
                            meter_volume=units(draw(meter), 6),
                            average_volume=units(draw(AVERAGE), 6),
                        )
                        for _ in range(zones)
                    )
                    line = ReferenceLine(
                        rule=Rule.VOLUME,
                        resource=VOLUME_RESOURCE[kind],
                        parts=parts,
                        configured_meter=bit(flags, 3) or bit(flags, 6),
                        coefficient_service=bit(flags, 4),
                        reading_present=bit(flags, 5) or bit(flags, 7),
                        condition=draw(CONDITIONS),
                        spell_months=draw(MONTHS),
                        average_months=draw(MONTHS),
                        **facts,
                    )
                elif kind == "wastewater":
                    segs = draw(month_segments(dim, rate_max=volume_rate_max, norm_max=20_000_000))
                    line = ReferenceLine(
                        rule=Rule.WASTEWATER,
                        resource=Resource.WASTEWATER,
                        configured_meter=bit(flags, 3),
                        parts=(ReferencePart(segments=segs),),
                        **facts,
                    )
                elif kind == "heating":
                    segs = draw(month_segments(dim, rate_max=50_000_000, norm_max=60_000))
                    line = ReferenceLine(
                        rule=Rule.HEATING,
                        resource=Resource.HEATING,
                        heating_mode=heating_mode,
                        heating_in_season=bit(b_flags, 0),
                        heating_season_months=season_months,
                        building_volume=None if heat_volume is None else units(heat_volume, 6),
                        building_volume_last_year=(
                            None if heat_last_year is None else units(heat_last_year, 6)
                        ),
                        parts=(ReferencePart(segments=segs),),
                        # a room of a communal flat: формула 8
                        flat_area=units(draw(AREA), 2) if bit(flags, 7) else None,
                        room_living_area=units(draw(ints(0, 5_000)), 2),
                        flat_living_area=units(draw(ints(1, 9_000)), 2),
                        # формула 3(3): every premises with a heat meter (or not)
                        heat_meter_volume=(
                            units(draw(ints(0, 3_000_000)), 6) if bit(b_flags, 2) else None
                        ),
                        heat_meters_total=(
                            units(draw(ints(0, 3_000_000_000)), 6) if bit(b_flags, 2) else None
                        ),
                        # rules.md §14: averaged months before the reading — the catch-up,
                        # at times more than the reading's volume (a reduction)
                        heat_meter_catch_up=units(
                            draw(ints(0, 4_000_000)) if bit(flags, 6) else 0, 6
                        ),
                        heat_meters_catch_up_total=units(
                            draw(ints(0, 4_000_000_000)) if bit(b_flags, 5) else 0, 6
                        ),
                        # формула 3(4): every premises metered the whole last year (or not)
                        heat_meter_volume_last_year=(
                            units(draw(ints(0, 40_000_000)), 6) if bit(b_flags, 4) else None
                        ),
                        heat_meters_total_last_year=(
                            units(draw(ints(0, 30_000_000_000)), 6) if bit(b_flags, 4) else None
                        ),
                        # rules.md §1.5: heated by its own installation (common share only)
                        own_heating=draw(st.booleans()),
                        **facts,
                    )
                elif kind in COMMON_RESOURCE:
                    resource = COMMON_RESOURCE[kind]
                    volume = building_volume[resource]
                    segs = draw(month_segments(dim, rate_max=volume_rate_max, norm_max=100_000))
                    line = ReferenceLine(
                        rule=Rule.COMMON,
                        resource=resource,
                        building_volume=None if volume is None else units(volume, 6),
                        common_mode=CommonMode.ACTUAL if bit(b_flags, 1) else CommonMode.NORM_CAP,
                        common_carry=units(draw(ints(0, 2_000_000_000)), 6)
                        if bit(b_flags, 3)
                        else units(0, 6),
                        parts=(ReferencePart(segments=segs),),
                        **facts,
                    )
                else:
                    segs = draw(month_segments(dim, rate_max=10_000_000, norm_max=0))
                    line = ReferenceLine(
                        rule=OTHER_RULE[kind], parts=(ReferencePart(segments=segs),), **facts
                    )
                lines.append(line)
            account += 1
    return lines


engine_settings = st.builds(
    Settings,
    missing_limit_residential=st.integers(1, 6),
    missing_limit_non_residential=st.integers(1, 6),
    broken_limit_residential=st.integers(1, 6),
    broken_limit_non_residential=st.integers(1, 6),
    no_access_limit=st.integers(1, 6),
    average_min_months=st.integers(1, 6),
    coefficient_numerator=st.integers(0, 3),
    coefficient_denominator=st.integers(1, 4),
    hot_water_maintenance_reduction=st.integers(0, 1),
    no_access_norm_coefficient=st.integers(0, 1),
    rounding_point=st.sampled_from(list(RoundingPoint)),
)


def charge(lines: list[ReferenceLine], s: Settings = DEFAULTS) -> list[ref.ReferenceResult]:
    return ref.result_rows(compute(*ref.to_arrays(lines), settings=s), lines)


def assert_same(lines: list[ReferenceLine], s: Settings = DEFAULTS) -> list[ref.ReferenceResult]:
    got = charge(lines, s)
    expected = ref.charge_batch(lines, s)
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert g == e, f"line {i}: {lines[i]}"
    return got


def assert_invariants(lines: list[ReferenceLine], results: list[ref.ReferenceResult]) -> None:
    """What holds for every batch, whatever the settings."""
    water: dict[int, int] = {}
    for line, r in zip(lines, results, strict=True):
        if line.rule == Rule.VOLUME and line.resource in ref.WATER:
            water[line.account] = water.get(line.account, 0) + r.volume
    for line, r in zip(lines, results, strict=True):
        # Metered volume: each part's segments add up to the part exactly.
        if r.method == Method.METER:
            offset = 0
            for part in line.parts:
                n = len(part.segments)
                assert sum(r.segment_volumes[offset : offset + n]) == int(
                    part.meter_volume.scaleb(6)
                )
                offset += n
        if r.method == Method.DERIVED:
            assert r.volume == water.get(line.account, 0)
        assert r.volume == sum(r.segment_volumes)
        # The reduction (the fine apart) is never more than the charge, never an addition;
        # the fine is 50 % of the over-charge whatever the charge.
        # A negative catch-up (rules.md §14) is a reduction of its own: the amount is never
        # negative, and a line with one has nothing else to reduce.
        assert r.amount >= 0
        if r.reduction_reasons & ReductionReason.CATCH_UP:
            assert r.amount == 0 and r.reduction - r.fine < 0
        else:
            assert 0 >= r.reduction - r.fine >= -max(r.amount, 0)
        assert -r.fine == (line.overcharge + 1) // 2
        assert bool(r.reduction_reasons & ReductionReason.FINE) == (line.overcharge > 0)
        # A benefit never exceeds what is left to pay (the fine does not count).
        net = r.amount - r.coefficient_amount + r.reduction - r.fine
        assert 0 >= r.benefit >= -max(net, 0)
        # The ЕДК of cash categories is never more than what is left after the discount, and
        # is not part of what the citizen pays.
        assert 0 >= r.benefit_cash >= -max(net, 0) - r.benefit
        assert r.total == r.amount + r.reduction + r.benefit
        if not any(b.cash for b in line.benefits):
            assert r.benefit_cash == 0
        assert r.coefficient_amount >= 0


# ---------------------------------------------------------------------------------------
# compute == reference


@BATCHES
@given(batches(), engine_settings)
def test_compute_equals_reference(lines: list[ReferenceLine], s: Settings) -> None:
    assert_invariants(lines, assert_same(lines, s))


@FEW
@given(batches(huge=True))
def test_compute_equals_reference_on_huge_volumes(lines: list[ReferenceLine]) -> None:
    assert_invariants(lines, assert_same(lines))


def test_huge_batch_really_leaves_int64() -> None:
    """Guard of the strategy above: a 2.9·10¹¹ m³ part over 31 days is past 2⁶², so the split
    of the part runs on Python integers."""
    volume = 290_000_000_000_000_000
    assert volume * 31 > 2**62
    segs = (ReferenceSegment(days=16, rate=Decimal("0.0015")), ReferenceSegment(days=15))
    line = ReferenceLine(
        rule=Rule.VOLUME,
        resource=Resource.COLD_WATER,
        configured_meter=True,
        condition=MeterCondition.WORKING,
        reading_present=True,
        parts=(ReferencePart(meter_volume=units(volume, 6), segments=segs),),
    )
    (got,) = charge([line])
    assert got == ref.charge_batch([line])[0]
    assert sum(got.segment_volumes) == volume


@FAST
@given(
    volume=st.integers(10**9, 10**10),
    rate=st.integers(10**5, 10**7),
    percent=st.integers(5_000, 10_000),
    covered=st.integers(1, 6),
    extra_residents=st.integers(0, 3),
    norm=st.integers(10**9, 10**10),
)
def test_benefit_of_a_large_charge_leaves_int64(
    volume: int, rate: int, percent: int, covered: int, extra_residents: int, norm: int
) -> None:
    """net × min(V, N × n) × covered × percent of a consumption-norm benefit is past 2⁶²
    here, so the benefit runs on Python integers; it must still equal the reference."""
    line = ReferenceLine(
        rule=Rule.VOLUME,
        resource=Resource.ELECTRICITY,
        configured_meter=True,
        condition=MeterCondition.WORKING,
        reading_present=True,
        residents=covered + extra_residents,
        parts=(
            ReferencePart(
                meter_volume=units(volume, 6),
                segments=(ReferenceSegment(days=30, rate=units(rate, 4)),),
            ),
        ),
        days_in_month=30,
        benefits=(
            ReferenceBenefit(
                base=BenefitBase.CONSUMPTION_NORM,
                covered=covered,
                percent=units(percent, 2),
                norm=units(norm, 6),
            ),
        ),
    )
    (got,) = charge([line])
    share = min(volume, norm * (covered + extra_residents))
    assert got.amount * share * covered * percent > 2**62
    assert got == ref.charge_batch([line])[0]


@FEW
@given(batches())
def test_cash_categories_are_the_discount_moved_out_of_the_bill(lines: list[ReferenceLine]) -> None:
    """All categories as discounts, then all as ЕДК: the same amounts by the same rules
    (rules.md §4.2), the first reducing the bill, the second only reported."""
    as_discount = [
        dataclasses.replace(
            x, benefits=tuple(dataclasses.replace(b, cash=False) for b in x.benefits)
        )
        for x in lines
    ]
    as_cash = [
        dataclasses.replace(
            x, benefits=tuple(dataclasses.replace(b, cash=True) for b in x.benefits)
        )
        for x in lines
    ]
    for d, c in zip(assert_same(as_discount), assert_same(as_cash), strict=True):
        assert (c.benefit, c.benefit_cash) == (0, d.benefit)
        assert d.benefit_cash == 0
        assert c.total == d.total - d.benefit


# ---------------------------------------------------------------------------------------
# Invariants


@FEW
@given(batches(negative_meter=False))
def test_nothing_negative_without_negative_volumes(lines: list[ReferenceLine]) -> None:
    for r in charge(lines):
        assert r.volume >= 0
        assert r.amount >= 0
        # the fine may exceed the charge; reductions may take the coefficient part too, but a
        # benefit never does
        assert r.total - r.fine >= 0 and r.coefficient_amount >= 0
        if r.benefit:
            assert r.total - r.fine >= r.coefficient_amount


@FEW
@given(st.data())
def test_order_of_lines_does_not_matter(data: st.DataObject) -> None:
    lines = data.draw(batches())
    order = data.draw(st.permutations(range(len(lines))))
    before = charge(lines)
    after = charge([lines[i] for i in order])
    assert [before[i] for i in order] == after


# ---------------------------------------------------------------------------------------
# Small functions of `billing` against their scalar statements


@FAST
@given(st.lists(st.integers(0, 72), max_size=6), st.sampled_from(sorted(ref.INTERRUPTION_LIMITS)))
def test_quality_units_of_interruptions(events: list[int], service: str) -> None:
    percent = ref.quality_percent("interruption", service, events_hours=events)
    assert quality_units("interruption", service, events_hours=events) == int(percent * 100)


ACT_CONDITIONS = st.fixed_dictionaries(
    {
        "temperature": st.none() | st.decimals(-40, 30, places=1),
        "dead_end_accident": st.booleans(),
        "two_sources": st.booleans(),
    }
)


@FAST
@given(
    st.lists(st.integers(0, 200), max_size=6),
    st.sampled_from(sorted({*ref.INTERRUPTION_LIMITS, "solid_waste", "internet"})),
    ACT_CONDITIONS,
)
def test_quality_units_of_interruptions_under_conditions(
    events: list[int], service: str, conditions: dict[str, object]
) -> None:
    """Electricity by supply sources, heating by room temperature, water in an accident on a
    dead-end main, solid waste by outdoor temperature: both statements agree, and refuse the
    same acts (a condition the service does not have, an unknown service)."""
    try:
        percent = ref.quality_percent("interruption", service, events_hours=events, **conditions)
    except ValueError:
        with pytest.raises(ValueError):
            quality_units("interruption", service, events_hours=events, **conditions)  # type: ignore[arg-type]
        return
    got = quality_units("interruption", service, events_hours=events, **conditions)  # type: ignore[arg-type]
    assert got == int(percent * 100)


POOL_ACTS = st.lists(
    st.builds(
        InterruptionAct,
        st.lists(st.integers(0, 200), max_size=4).map(tuple),
        st.none() | st.decimals(-40, 30, places=1),
        st.booleans(),
    ),
    max_size=5,
)


@FAST
@given(
    POOL_ACTS,
    st.sampled_from(sorted({*ref.INTERRUPTION_LIMITS, "solid_waste", "internet"})),
    st.booleans(),
)
def test_pooled_interruptions_against_the_reference(
    acts: list[InterruptionAct], service: str, two_sources: bool
) -> None:
    """A line's month of interruption acts pooled (rules.md §14): both statements agree and
    refuse the same months; one act alone is `quality_units` of the act."""
    triples = [(a.events_hours, a.temperature, a.dead_end_accident) for a in acts]
    try:
        percent = ref.pooled_quality_percent(service, triples, two_sources=two_sources)
    except ValueError:
        with pytest.raises(ValueError):
            pooled_interruption_units(service, acts, two_sources=two_sources)
        return
    assert pooled_interruption_units(service, acts, two_sources=two_sources) == int(percent * 100)
    if len(acts) == 1:
        (act,) = acts
        single = quality_units(
            "interruption",
            service,
            events_hours=list(act.events_hours),
            temperature=act.temperature,
            dead_end_accident=act.dead_end_accident,
            two_sources=two_sources,
        )
        assert single == int(percent * 100)


@FAST
@given(
    st.lists(st.integers(0, 200), max_size=8),
    st.sampled_from(sorted({*ref.INTERRUPTION_LIMITS, "solid_waste"})),
    st.data(),
)
def test_how_events_are_split_into_acts_does_not_matter(
    events: list[int], service: str, data: st.DataObject
) -> None:
    """Events under the same conditions give the same reduction whether one act records them
    or several (three residents' reports confirmed as three acts), in any order."""
    temperature = Decimal(5) if service in ("solid_waste", "heating") else None
    cuts = sorted(data.draw(st.sets(st.integers(0, len(events)), max_size=4)))
    parts = [events[a:b] for a, b in zip([0, *cuts], [*cuts, len(events)], strict=True)]
    acts = [InterruptionAct(tuple(p), temperature) for p in parts]
    order = data.draw(st.permutations(acts))
    whole = quality_units("interruption", service, events_hours=events, temperature=temperature)
    assert pooled_interruption_units(service, acts) == whole
    assert pooled_interruption_units(service, list(order)) == whole


@FAST
@given(POOL_ACTS, st.sampled_from(sorted(ref.INTERRUPTION_LIMITS)))
def test_pooling_never_reduces_less_than_the_acts_alone(
    acts: list[InterruptionAct], service: str
) -> None:
    """``max(Σ h − L, Σ over at once)`` of the month is at least the sum of the acts' own
    (the at-once part adds up, the monthly one is taken once): pooling only adds."""
    acts = [InterruptionAct(a.events_hours, None, False) for a in acts]
    alone = sum(
        quality_units("interruption", service, events_hours=list(a.events_hours)) for a in acts
    )
    assert pooled_interruption_units(service, acts) >= alone


@FAST
@given(st.lists(st.integers(0, 300), min_size=1, max_size=6), st.decimals(-40, 30, places=1))
def test_solid_waste_deviation_in_started_days(events: list[int], temperature: Decimal) -> None:
    allowed = 72 if temperature <= 0 else 24
    beyond = sum(max(0, h - allowed) for h in events)
    got = quality_units("interruption", "solid_waste", events_hours=events, temperature=temperature)
    assert got % 330 == 0
    # a started 24 h counts: one hour less than the days found would give one day less
    assert (got // 330 - 1) * 24 < beyond <= got // 330 * 24


@FAST
@given(st.integers(0, 744), st.integers(0, 30), st.sampled_from(["heating", "hot_water"]))
def test_quality_units_of_temperature(hours: int, degrees: int, service: str) -> None:
    percent = ref.quality_percent(
        "temperature", service, events_hours=[], hours=hours, degrees=degrees
    )
    got = quality_units("temperature", service, events_hours=[], hours=hours, degrees=degrees)
    assert got == int(percent * 100)


@FAST
@given(st.lists(st.integers(-(10**12), 10**12), max_size=8))
def test_common_carry_is_used_up_then_zero(differences: list[int]) -> None:
    carry_in = 0
    reference = ref.ZERO
    for diff in differences:
        carry = int(common_carry_out(np.asarray([carry_in]), np.asarray([diff]))[0])
        reference = ref.common_carry_out(reference, units(diff, 6))
        assert carry == int(reference.scaleb(6)) >= 0
        # the month is charged on what is left after the carry, never below zero
        assert (diff - carry_in > 0) == (carry == 0 and diff - carry_in != 0)
        carry_in = carry


@FAST
@given(st.integers(0, 744))
def test_quality_units_of_maintenance_beyond_the_allowance(hours: int) -> None:
    percent = ref.quality_percent("maintenance", "hot_water", events_hours=[], hours=hours)
    assert quality_units("maintenance", "hot_water", events_hours=[], hours=hours) == int(
        percent * 100
    )


@FAST
@given(st.lists(st.integers(0, 400), max_size=6))
def test_maintenance_split_gives_at_most_14_days_a_year(outages: list[int]) -> None:
    before = 0
    within_total = 0
    for hours in outages:
        within, beyond = maintenance_split(before, hours)
        assert (within, beyond) == ref.maintenance_split(before, hours)
        assert within + beyond == hours and within >= 0 and beyond >= 0
        within_total += within
        before += hours
    assert within_total == min(sum(outages), 14 * 24)


@FAST
@given(st.lists(st.integers(0, 100), max_size=8), st.integers(0, 30), st.integers(0, 30))
def test_excess_hours(events: list[int], total_limit: int, once_limit: int) -> None:
    assert excess_hours(events, total_limit, once_limit) == ref.excess_hours(
        events, total_limit, once_limit
    )


@FAST
@given(st.lists(st.integers(0, 10**12), min_size=0, max_size=12))
def test_average_volume(volumes: list[int]) -> None:
    got = average_volume(np.asarray([sum(volumes)]), np.asarray([len(volumes)]))
    expected = ref.average_volume([units(v, 6) for v in volumes])
    assert int(got[0]) == int(expected.scaleb(6))


@FAST
@given(st.integers(-(10**12), 10**12), st.lists(st.integers(0, 10**11), max_size=6))
def test_catch_up_volume(reading: int, averaged: list[int]) -> None:
    got = catch_up_volume(np.asarray([reading]), np.asarray([sum(averaged)]))
    expected = ref.catch_up_volume(units(reading, 6), [units(a, 6) for a in averaged])
    assert int(got[0]) == int(expected.scaleb(6))


@given(st.integers(0, 12))
def test_social_norm_area(persons: int) -> None:
    expected = ref.social_norm_area(persons)
    assert social_norm_area(persons, 3300, 4200, 1800) == int(expected * 100)


# ---------------------------------------------------------------------------------------
# Fixed point


huge_int = st.integers(-(2**62), 2**62)


@FAST
@given(
    st.lists(
        st.tuples(huge_int, st.integers(-(10**6), 10**6), st.integers(1, 10**9)),
        min_size=1,
        max_size=8,
    )
)
def test_mul_div_round_is_exact_with_and_without_python_ints(
    rows: list[tuple[int, int, int]],
) -> None:
    a = np.asarray([r[0] for r in rows], dtype=np.int64)
    b = np.asarray([r[1] for r in rows], dtype=np.int64)
    d = np.asarray([r[2] for r in rows], dtype=np.int64)
    expected = [exact_round(x * y, z) for x, y, z in rows]
    if any(abs(v) > INT64_MAX for v in expected):
        with pytest.raises(OverflowError, match="вне допустимого диапазона"):
            mul_div_round([a, b], d)
    else:
        assert mul_div_round([a, b], d).tolist() == expected


@FAST
@given(st.integers(-(2**62), 2**62), st.integers(1, 2**40))
def test_div_round_half_up_like_decimal(num: int, den: int) -> None:
    with localcontext(prec=60):
        expected = (Decimal(num) / den).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert int(div_round(np.asarray([num]), den)[0]) == int(expected) == exact_round(num, den)


@FAST
@given(
    st.lists(
        st.tuples(
            st.integers(-(10**18), 10**18), st.lists(st.integers(0, 31), min_size=1, max_size=4)
        ),
        min_size=1,
        max_size=5,
    )
)
def test_prorate_cumulative_equals_split_by_days(
    groups: list[tuple[int, list[int]]],
) -> None:
    total = np.asarray([g[0] for g in groups], dtype=np.int64)
    weights = np.asarray([w for g in groups for w in g[1]], dtype=np.int64)
    group = np.asarray([k for k, g in enumerate(groups) for _ in g[1]], dtype=np.int64)
    group_weight = sum_by(weights, group, len(groups))
    got = prorate_cumulative(total, weights, group, group_weight).tolist()
    expected = [
        int(piece.scaleb(6)) for t, w in groups for piece in ref.split_by_days(units(t, 6), w)
    ]
    assert got == expected
    sums = sum_by(np.asarray(got, dtype=np.int64), group, len(groups)).tolist()
    assert sums == [t if sum(w) else 0 for t, w in groups]


@FAST
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(-(10**15), 10**15)), max_size=20))
def test_sum_by(rows: list[tuple[int, int]]) -> None:
    index = np.asarray([r[0] for r in rows], dtype=np.int64)
    values = np.asarray([r[1] for r in rows], dtype=np.int64)
    expected = [sum(v for k, v in rows if k == g) for g in range(5)]
    assert sum_by(values, index, 5).tolist() == expected


# ---------------------------------------------------------------------------------------
# rules.md §0, §14 "Rounding": the line rounded once (`RoundingPoint.LINE`)


def _half_up(kopecks: Decimal) -> int:
    return int(kopecks.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@st.composite
def norm_lines_with_reductions_and_benefits(draw: st.DrawFn) -> ReferenceLine:
    """A norm line × 1.5 (C2's shape) with a quality reduction and per-person benefits,
    discount and ЕДК — a line whose exact figures the test can state on its own."""
    persons = draw(st.integers(1, 6))
    segment = ReferenceSegment(
        days=31,
        rate=units(draw(ints(1, 5_000_000)), 4),
        norm=units(draw(ints(1, 20_000_000)), 6),
        persons=persons,
    )
    benefits = tuple(
        ReferenceBenefit(
            base=BenefitBase.PER_PERSON_SHARE,
            covered=draw(st.integers(1, persons)),
            percent=units(draw(ints(0, 10_000)), 2),
            cash=draw(st.booleans()),
        )
        for _ in range(draw(st.integers(0, 3)))
    )
    return ReferenceLine(
        rule=Rule.VOLUME,
        resource=Resource.COLD_WATER,
        coefficient_service=True,
        residents=persons,
        quality_percent=units(draw(ints(0, 10_000)), 2),
        parts=(ReferencePart(segments=(segment,)),),
        benefits=benefits,
    )


@FAST
@given(norm_lines_with_reductions_and_benefits())
def test_line_mode_rounds_the_exact_total_once(line: ReferenceLine) -> None:
    """In `RoundingPoint.LINE` the total is ``round_half_up`` of the exact total; the
    coefficient part, the reduction, the benefit and the ЕДК are each their exact figure
    rounded; the base amount takes the rest, within two kopecks of its exact figure. The
    per-component mode (the default) is not touched by the setting."""
    (s,) = line.segments
    with localcontext(prec=60):
        base = s.persons * s.norm * s.rate * 100
        # the coefficient's volume is a quantity, rounded to 1e-6 m³ like every volume
        extra = (s.persons * s.norm / 2).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
        coefficient = extra * s.rate * 100
        amount = base + coefficient
        reduction = amount * line.quality_percent / 100
        # the benefit's base: the base amount after the reduction (which is taken of the
        # coefficient part too, so it may pass the base), never below zero
        net = max(base - reduction, Decimal(0))
        shares = [
            (net * b.covered * b.percent / (100 * line.residents), b.cash) for b in line.benefits
        ]
        discount = min(sum((x for x, cash in shares if not cash), Decimal(0)), net)
        cash = min(sum((x for x, cash in shares if cash), Decimal(0)), net - discount)
        exact_total = amount - reduction - discount
    (r,) = assert_same([line], Settings(rounding_point=RoundingPoint.LINE))
    assert r.method == Method.NORM_COEFFICIENT
    assert r.total == _half_up(exact_total)
    assert r.amount + r.reduction + r.benefit == r.total
    assert r.coefficient_amount == _half_up(coefficient)
    assert r.reduction == -_half_up(reduction)
    assert r.benefit == -_half_up(discount)
    assert r.benefit_cash == -_half_up(cash)
    assert abs(r.amount - r.coefficient_amount - base) <= 2
    # The default is each component rounded, and the setting's 0 is that default.
    (default,) = assert_same([line])
    assert charge([line], Settings(rounding_point=RoundingPoint.COMPONENT)) == [default]
    assert default.coefficient_amount == r.coefficient_amount
    assert default.amount - default.coefficient_amount == _half_up(base)
    assert (default.method, default.volume, default.fine) == (r.method, r.volume, r.fine)
