"""Hypothesis: the vectorised penalty equals the scalar reference, and the rules' invariants hold.

Random cases draw a key-rate table (changes every few weeks to months, rates 0–25 %), special
periods (fixed and min rate rules, moratoria for all debts or only for debts due before a
date — so rate changes and moratoria fall inside the spans), several tranches of both regimes
with due dates spread over three years, payments before, inside and after the penalty span
(some after the calculation day), both rate strategies and both payment-day settings; amounts
are either small or huge (past the int64 bound of the fast path, so the Python-integer path
runs too). `accrue_penalties` and `penalties_reference.calculate` must agree on every tranche.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from raschet.core import penalties_reference as ref
from raschet.core.penalties import (
    PenaltySettings,
    RateStrategy,
    Regime,
    accrue_penalties,
)
from raschet.core.penalties_reference import Payment, Tranche
from raschet.core.penalty_data import (
    KeyRate,
    PenaltyTables,
    SpecialKind,
    SpecialPeriod,
    shipped_tables,
)

CASES = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ORIGIN = date(2021, 1, 1)
TABLE_START = ORIGIN - timedelta(days=400)  # every rate a case needs is known
SETTINGS = st.builds(
    PenaltySettings,
    payment_day_counted=st.booleans(),
    rate_strategy=st.sampled_from(list(RateStrategy)),
)


def day(offset: int) -> date:
    return ORIGIN + timedelta(days=offset)


@st.composite
def key_rates(draw: st.DrawFn, flat: bool = False) -> tuple[KeyRate, ...]:
    if flat:
        return (KeyRate(TABLE_START, draw(st.integers(0, 2500))),)
    gaps = draw(st.lists(st.integers(1, 120), min_size=0, max_size=25))
    rates = [KeyRate(TABLE_START, draw(st.integers(0, 2500)))]
    at = TABLE_START
    for gap in gaps:
        at += timedelta(days=gap * 3)
        rates.append(KeyRate(at, draw(st.integers(0, 2500))))
    return tuple(rates)


@st.composite
def special_periods(draw: st.DrawFn, rules: bool = True) -> tuple[SpecialPeriod, ...]:
    periods: list[SpecialPeriod] = []
    if rules:
        at = -200
        for _ in range(draw(st.integers(0, 3))):
            start = at + draw(st.integers(0, 200))
            end = start + draw(st.integers(0, 300))
            kind = draw(st.sampled_from([SpecialKind.FIXED, SpecialKind.MIN]))
            rate = draw(st.integers(0, 2000))
            periods.append(SpecialPeriod(day(start), day(end), kind, rate, None, f"rule {start}"))
            at = end + 1
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.integers(-100, 900))
        end = start + draw(st.integers(0, 200))
        before = draw(st.one_of(st.none(), st.integers(-100, 900).map(day)))
        periods.append(
            SpecialPeriod(day(start), day(end), SpecialKind.MORATORIUM, None, before, "mor")
        )
    return tuple(periods)


@st.composite
def tables(draw: st.DrawFn, flat: bool = False) -> PenaltyTables:
    return PenaltyTables(draw(key_rates(flat)), draw(special_periods(rules=not flat)))


SMALL = st.one_of(st.integers(0, 100_000), st.sampled_from([0, 1, 3, 100, 500_000]))
HUGE = st.integers(10**14, 10**15)


@st.composite
def tranche_cases(
    draw: st.DrawFn,
) -> tuple[list[Tranche], list[tuple[int, Payment]], date]:
    huge = draw(st.integers(0, 5)) == 0
    tranches = draw(
        st.lists(
            st.builds(
                Tranche,
                amount=HUGE if huge else SMALL,
                due=st.integers(0, 700).map(day),
                regime=st.sampled_from(list(Regime)),
            ),
            min_size=1,
            max_size=4,
        )
    )
    payments: list[tuple[int, Payment]] = []
    for k, t in enumerate(tranches):
        left = t.amount
        for _ in range(draw(st.integers(0, 3))):
            if left == 0:
                break
            amount = draw(st.integers(1, left))
            offset = draw(st.integers(-40, 400))
            payments.append((k, Payment(t.due + timedelta(days=offset), amount)))
            left -= amount
    until = day(draw(st.integers(-50, 1100)))
    return tranches, payments, until


def vectorised(
    case: tuple[list[Tranche], list[tuple[int, Payment]], date],
    tables: PenaltyTables,
    options: PenaltySettings,
    until: date | None = None,
) -> list[int]:
    tranches, payments, drawn_until = case
    arrays = ref.to_arrays(tranches, payments)
    got = accrue_penalties(*arrays, until=until or drawn_until, tables=tables, settings=options)
    return [int(v) for v in got]


def reference(
    case: tuple[list[Tranche], list[tuple[int, Payment]], date],
    tables: PenaltyTables,
    options: PenaltySettings,
    until: date | None = None,
) -> list[int]:
    tranches, payments, drawn_until = case
    return ref.calculate_many(
        tranches, payments, until=until or drawn_until, tables=tables, settings=options
    )


# ---------------------------------------------------------------------------------------
# The vectorised core equals the reference


@CASES
@given(tranche_cases(), tables(), SETTINGS)
def test_vectorised_equals_reference(case, drawn_tables, options) -> None:
    got = vectorised(case, drawn_tables, options)
    assert got == reference(case, drawn_tables, options)
    assert all(v >= 0 for v in got)


@FEW
@given(tranche_cases(), SETTINGS)
def test_vectorised_equals_reference_on_the_shipped_tables(case, options) -> None:
    tranches, payments, until = case
    # Move the case into 2020–2026, where the shipped periods are.
    shift = timedelta(days=-300)
    moved = (
        [Tranche(t.amount, t.due + shift, t.regime) for t in tranches],
        [(k, Payment(p.day + shift, p.amount)) for k, p in payments],
        until + shift,
    )
    tables = shipped_tables()
    assert vectorised(moved, tables, options) == reference(moved, tables, options)


@FEW
@given(tranche_cases(), tables(), SETTINGS)
def test_segments_add_up_to_the_penalty(case, drawn_tables, options) -> None:
    tranches, payments, until = case
    for k, t in enumerate(tranches):
        calc = ref.calculate(
            t,
            [p for i, p in payments if i == k],
            until=until,
            tables=drawn_tables,
            settings=options,
        )
        assert sum(s.exact_kopecks for s in calc.segments) == calc.exact_kopecks
        for s in calc.segments:
            assert s.start > t.due and s.end <= until and s.days >= 1
            assert 0 < s.debt <= t.amount
            if s.fraction == ref.LABEL_MORATORIUM:
                assert s.exact_kopecks == 0


# ---------------------------------------------------------------------------------------
# Invariants


@CASES
@given(tranche_cases(), tables(), st.booleans(), st.integers(1, 200))
def test_daily_penalty_grows_with_the_calculation_date(case, drawn_tables, counted, later):
    """With the daily rate table a later calculation day only adds days of delay."""
    options = PenaltySettings(counted, RateStrategy.DAILY)
    until = case[2]
    before = vectorised(case, drawn_tables, options)
    after = vectorised(case, drawn_tables, options, until + timedelta(days=later))
    assert all(a >= b for a, b in zip(after, before, strict=True))


@CASES
@given(tranche_cases(), tables(flat=True), st.booleans(), st.integers(1, 200))
def test_payment_day_penalty_grows_with_the_calculation_date_at_a_constant_rate(
    case, drawn_tables, counted, later
):
    """With the payment-day rate the unpaid part carries the rate of the calculation day, so a
    rate cut can lower the total (the law's choice); at one constant rate it only grows."""
    options = PenaltySettings(counted, RateStrategy.PAYMENT_DAY)
    until = case[2]
    before = vectorised(case, drawn_tables, options)
    after = vectorised(case, drawn_tables, options, until + timedelta(days=later))
    assert all(a >= b for a, b in zip(after, before, strict=True))


@CASES
@given(st.data())
def test_an_earlier_payment_never_raises_the_penalty(data) -> None:
    """Moving one payment earlier: never more with the daily rates, and never more with the
    payment-day rate when the rate is constant (otherwise an earlier day may have a higher
    rate — ЖК ст.155 ч.14 takes the rate of the payment day)."""
    case = data.draw(tranche_cases())
    tranches, payments, until = case
    assume(payments)
    options = data.draw(SETTINGS)
    flat = options.rate_strategy == RateStrategy.PAYMENT_DAY
    drawn_tables = data.draw(tables(flat=flat))
    k = data.draw(st.integers(0, len(payments) - 1))
    index, payment = payments[k]
    earlier = Payment(payment.day - timedelta(days=data.draw(st.integers(1, 300))), payment.amount)
    moved = (tranches, [*payments[:k], (index, earlier), *payments[k + 1 :]], until)
    before = vectorised(case, drawn_tables, options)
    after = vectorised(moved, drawn_tables, options)
    assert after[index] <= before[index]
    assert [v for i, v in enumerate(after) if i != index] == [
        v for i, v in enumerate(before) if i != index
    ]


@CASES
@given(tranche_cases(), tables(), SETTINGS, st.integers(0, 100))
def test_splitting_a_payment_on_its_day_changes_nothing(case, drawn_tables, options, cut):
    tranches, payments, until = case
    assume(any(p.amount > 1 for _, p in payments))
    k = next(i for i, (_, p) in enumerate(payments) if p.amount > 1)
    index, payment = payments[k]
    first = 1 + cut % (payment.amount - 1)
    split = [
        *payments[:k],
        (index, Payment(payment.day, first)),
        (index, Payment(payment.day, payment.amount - first)),
        *payments[k + 1 :],
    ]
    assert vectorised((tranches, split, until), drawn_tables, options) == vectorised(
        case, drawn_tables, options
    )
