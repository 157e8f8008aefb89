"""Worked examples, special periods, due dates and bad input of the penalty engine (rules.md §3).

Every example runs both the vectorised `accrue_penalties` and the scalar reference and checks
them against numbers computed by hand from the rules: the exact penalty is
``Σ debt × rate_hundredths × w / 39 000 000`` kopecks, ``w = 13`` for 1/300 and 30 for 1/130.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from raschet.core import penalties_reference as ref
from raschet.core.penalties import (
    PenaltySettings,
    RateStrategy,
    Regime,
    TranchePayments,
    Tranches,
    accrue_penalties,
    due_date,
    due_days,
)
from raschet.core.penalties_reference import Payment, Tranche
from raschet.core.penalty_data import (
    KeyRate,
    PenaltyDataError,
    PenaltyTables,
    SpecialKind,
    SpecialPeriod,
    parse_key_rates,
    parse_special_periods,
    read_tables,
    shipped_tables,
)
from raschet.core.periods import Month

TABLES = shipped_tables()
COUNTED = PenaltySettings()
EXCLUDED = PenaltySettings(payment_day_counted=False)
DAILY = PenaltySettings(rate_strategy=RateStrategy.DAILY)
ALL_SETTINGS = [
    PenaltySettings(counted, strategy) for counted in (True, False) for strategy in RateStrategy
]


def exact(*terms: tuple[int, int, int, int]) -> int:
    """Σ debt × rate × days × w / 39e6, rounded half-up once: terms (debt, rate, days, w)."""
    total = Fraction(sum(d * r * n * w for d, r, n, w in terms), 39_000_000)
    whole, rest = divmod(total.numerator, total.denominator)
    return whole + (2 * rest >= total.denominator)


def penalty(
    tranche: Tranche,
    payments: list[Payment],
    until: date,
    settings: PenaltySettings = COUNTED,
    tables: PenaltyTables = TABLES,
) -> int:
    """Both implementations; they must agree."""
    calc = ref.calculate(tranche, payments, until=until, tables=tables, settings=settings)
    arrays = ref.to_arrays([tranche], [(0, p) for p in payments])
    got = accrue_penalties(*arrays, until=until, tables=tables, settings=settings)
    assert got.tolist() == [calc.penalty_kopecks]
    return calc.penalty_kopecks


def segments(
    tranche: Tranche,
    payments: list[Payment],
    until: date,
    settings: PenaltySettings = COUNTED,
    tables: PenaltyTables = TABLES,
) -> list[tuple[date, date, int, int, int, str]]:
    calc = ref.calculate(tranche, payments, until=until, tables=tables, settings=settings)
    return [(s.start, s.end, s.days, s.debt, s.rate_hundredths, s.fraction) for s in calc.segments]


# ---------------------------------------------------------------------------------------
# P1 (rules.md §3.6)

P1 = Tranche(amount=500_000, due=date(2025, 2, 10))
P1_PAID = [Payment(date(2025, 5, 20), 500_000)]


@pytest.mark.parametrize("strategy", list(RateStrategy))
def test_p1_with_the_payment_day_counted_is_127_88(strategy: RateStrategy) -> None:
    settings = PenaltySettings(rate_strategy=strategy)
    assert penalty(P1, P1_PAID, date(2025, 5, 20), settings) == 12_788
    assert segments(P1, P1_PAID, date(2025, 5, 20), settings) == [
        (date(2025, 3, 13), date(2025, 5, 11), 60, 500_000, 950, "1/300"),
        (date(2025, 5, 12), date(2025, 5, 20), 9, 500_000, 950, "1/130"),
    ]


@pytest.mark.parametrize("strategy", list(RateStrategy))
def test_p1_with_the_payment_day_excluded_is_124_23(strategy: RateStrategy) -> None:
    settings = PenaltySettings(payment_day_counted=False, rate_strategy=strategy)
    assert penalty(P1, P1_PAID, date(2025, 5, 20), settings) == 12_423
    assert segments(P1, P1_PAID, date(2025, 5, 20), settings)[-1][:3] == (
        date(2025, 5, 12),
        date(2025, 5, 19),
        8,
    )


def test_p1_segment_amounts_are_exact_and_the_total_is_rounded_once() -> None:
    calc = ref.calculate(P1, P1_PAID, until=date(2025, 5, 20), tables=TABLES)
    first, second = calc.segments
    assert first.exact_kopecks == 9_500
    assert second.exact_kopecks == Fraction(500_000 * 950 * 9, 10_000 * 130)
    assert str(second.amount_rubles()) == "32.884615"
    assert second.amount_kopecks == 3_288
    assert calc.exact_kopecks == Fraction(12_788_461_538, 1_000_000) + Fraction(6, 13_000_000)
    assert calc.penalty_kopecks == 12_788
    assert first.act == "ПП РФ от 18.03.2025 № 329"


def test_p1_unpaid_on_the_calculation_day_is_the_same_as_paid_that_day() -> None:
    assert penalty(P1, [], date(2025, 5, 20)) == 12_788


# ---------------------------------------------------------------------------------------
# Due dates and the March-2026 timeline (rules.md §3.2)


def test_due_dates_by_the_law_in_force() -> None:
    assert due_date(Month(2025, 1)) == date(2025, 2, 10)
    assert due_date(Month(2025, 12)) == date(2026, 1, 10)
    assert due_date(Month(2026, 1)) == date(2026, 2, 10)
    assert due_date(Month(2026, 2)) == date(2026, 3, 10)
    assert due_date(Month(2026, 3)) == date(2026, 4, 15)
    assert due_date(Month(2026, 12)) == date(2027, 1, 15)


def test_the_contract_day_applies_only_up_to_january_2026() -> None:
    assert due_date(Month(2025, 6), override_day=25) == date(2025, 7, 25)
    assert due_date(Month(2026, 1), override_day=20) == date(2026, 2, 20)
    assert due_date(Month(2026, 2), override_day=20) == date(2026, 3, 10)
    assert due_date(Month(2026, 3), override_day=25) == date(2026, 4, 15)
    # a day past the end of a short month is its last day
    assert due_date(Month(2025, 1), override_day=31) == date(2025, 2, 28)


def test_weekend_and_holiday_shift_is_a_setting() -> None:
    saturday = due_date(Month(2025, 4))
    assert saturday == date(2025, 5, 10) and saturday.weekday() == 5
    assert due_date(Month(2025, 4), shift_weekends=True) == date(2025, 5, 12)
    assert due_date(Month(2025, 4), shift_weekends=True, holidays={date(2025, 5, 12)}) == date(
        2025, 5, 13
    )
    assert due_date(Month(2025, 1), shift_weekends=True) == date(2025, 2, 10)  # a Monday


def test_due_days_vectorised_equals_due_date() -> None:
    months = np.asarray([2025 * 12 + 3, 2026 * 12 + 1, 2026 * 12 + 2, 2025 * 12 + 3])
    got = due_days(months, override_day=25, shift_weekends=True)
    expected = [
        due_date(Month(m // 12, m % 12 + 1), override_day=25, shift_weekends=True).toordinal()
        for m in months.tolist()
    ]
    assert got.tolist() == expected


def test_the_regional_capital_repair_day_applies_in_every_month() -> None:
    """ЖК ст.171 ч.1: a region's law (Красноярский край: the 20th) sets the contribution's
    day; it is the law, not a contract, so the 177-ФЗ months keep it (rules.md §2.2)."""
    assert due_date(Month(2025, 6), regional_day=20) == date(2025, 7, 20)
    assert due_date(Month(2025, 6), override_day=25, regional_day=20) == date(2025, 7, 20)
    assert due_date(Month(2026, 2), regional_day=20) == date(2026, 3, 20)
    assert due_date(Month(2026, 3), regional_day=20) == date(2026, 4, 20)
    assert due_date(Month(2026, 3), regional_day=10) == date(2026, 4, 10)  # earlier too
    assert due_date(Month(2027, 1), regional_day=31) == date(2027, 2, 28)
    # 20.09.2026 is a Sunday
    assert due_date(Month(2026, 8), regional_day=20, shift_weekends=True) == date(2026, 9, 21)
    months = np.asarray([2025 * 12 + 5, 2026 * 12 + 1, 2026 * 12 + 2])
    assert due_days(months, regional_day=20).tolist() == [
        date(2025, 7, 20).toordinal(),
        date(2026, 3, 20).toordinal(),
        date(2026, 4, 20).toordinal(),
    ]
    with pytest.raises(ValueError, match="срока взноса должен быть от 1 до 31"):
        due_date(Month(2025, 1), regional_day=32)


def test_bad_override_day() -> None:
    with pytest.raises(ValueError, match="от 1 до 31"):
        due_date(Month(2025, 1), override_day=0)


MARCH_2026 = Tranche(amount=100_000, due=due_date(Month(2026, 3)))


def test_march_2026_days_30_and_31() -> None:
    assert penalty(MARCH_2026, [], date(2026, 5, 15)) == 0
    assert segments(MARCH_2026, [], date(2026, 5, 15)) == []
    assert segments(MARCH_2026, [], date(2026, 5, 16)) == [
        (date(2026, 5, 16), date(2026, 5, 16), 1, 100_000, 950, "1/300")
    ]
    assert penalty(MARCH_2026, [], date(2026, 5, 16)) == exact((100_000, 950, 1, 13))


def test_march_2026_days_90_and_91() -> None:
    assert segments(MARCH_2026, [], date(2026, 7, 14)) == [
        (date(2026, 5, 16), date(2026, 7, 14), 60, 100_000, 950, "1/300")
    ]
    assert segments(MARCH_2026, [], date(2026, 7, 15))[-1] == (
        date(2026, 7, 15),
        date(2026, 7, 15),
        1,
        100_000,
        950,
        "1/130",
    )
    assert penalty(MARCH_2026, [], date(2026, 7, 15)) == exact(
        (100_000, 950, 60, 13), (100_000, 950, 1, 30)
    )


# ---------------------------------------------------------------------------------------
# Special periods (rules.md §3.3)


def test_2020_moratorium_counts_zero_for_every_debt() -> None:
    tranche = Tranche(100_000, date(2020, 2, 10))  # day 31 = 12.03.2020, day 91 = 11.05.2020
    until = date(2021, 1, 31)
    # daily: 12.03–05.04 at 6 % (1/300), moratorium 06.04–31.12, 01–31.01.2021 at 4.25 % (1/130)
    assert penalty(tranche, [], until, DAILY) == exact(
        (100_000, 600, 25, 13), (100_000, 425, 31, 30)
    )
    # payment day: every day at the rate of the calculation day, 4.25 %
    assert penalty(tranche, [], until) == exact((100_000, 425, 25, 13), (100_000, 425, 31, 30))
    calc = ref.calculate(tranche, [], until=until, tables=TABLES, settings=DAILY)
    moratorium = [s for s in calc.segments if s.fraction == ref.LABEL_MORATORIUM]
    assert [(s.start, s.end, s.act) for s in moratorium] == [
        (date(2020, 4, 6), date(2020, 12, 31), "ПП РФ от 02.04.2020 № 424")
    ]
    assert moratorium[0].exact_kopecks == 0


def test_2022_rate_is_fixed_at_9_5_even_when_the_key_rate_is_lower() -> None:
    tranche = Tranche(100_000, date(2022, 6, 10))  # May 2022: after the ПП 497 cut-off
    paid = [Payment(date(2022, 9, 20), 100_000)]  # key rate 7.5 % from 19.09.2022; day 102
    expected = exact((100_000, 950, 60, 13), (100_000, 950, 12, 30))
    for settings in ALL_SETTINGS[:2]:
        assert penalty(tranche, paid, date(2022, 12, 31), settings) == expected
    without_rule = PenaltyTables(TABLES.key_rates, ())
    assert penalty(tranche, paid, date(2022, 12, 31), tables=without_rule) == exact(
        (100_000, 750, 60, 13), (100_000, 750, 12, 30)
    )


def test_2022_moratorium_covers_only_debts_due_before_1_april_2022() -> None:
    until = date(2022, 12, 31)
    old = Tranche(100_000, date(2022, 3, 10))  # February 2022; day 91 = 09.06.2022
    new = Tranche(100_000, date(2022, 4, 10))  # March 2022; day 31 = 11.05, day 91 = 10.07
    # old: day 31 = 10.04.2022 is inside the moratorium (to 01.10.2022); from 02.10.2022 to
    # 31.12.2022 = 91 days at 1/130 of 9.5 %
    assert penalty(old, [], until) == exact((100_000, 950, 91, 30))
    assert penalty(new, [], until) == exact((100_000, 950, 60, 13), (100_000, 950, 175, 30))
    first = ref.calculate(old, [], until=until, tables=TABLES).segments[0]
    assert (first.fraction, first.act) == (ref.LABEL_MORATORIUM, "ПП РФ от 28.03.2022 № 497")


def test_2023_and_2024_rate_is_the_lower_of_9_5_and_the_key_rate() -> None:
    low = Tranche(100_000, date(2022, 12, 10))
    low_paid = [Payment(date(2023, 3, 15), 100_000)]  # day 95; key rate 7.5 %
    assert penalty(low, low_paid, date(2023, 3, 15)) == exact(
        (100_000, 750, 60, 13), (100_000, 750, 5, 30)
    )
    high = Tranche(100_000, date(2023, 9, 10))
    high_paid = [Payment(date(2023, 12, 20), 100_000)]  # day 101; key rate 16 %
    assert penalty(high, high_paid, date(2023, 12, 20)) == exact(
        (100_000, 950, 60, 13), (100_000, 950, 11, 30)
    )
    in_2024 = Tranche(100_000, date(2024, 8, 10))  # paid on day 120; key rate 21 %
    assert penalty(in_2024, [Payment(date(2024, 12, 8), 100_000)], date(2024, 12, 31)) == exact(
        (100_000, 950, 60, 13), (100_000, 950, 30, 30)
    )


def test_2025_2026_rate_is_9_5_although_the_key_rate_is_21() -> None:
    without_rule = PenaltyTables(TABLES.key_rates, ())
    # 20.05.2025: key rate 21 % — P1 at the key rate
    assert penalty(P1, P1_PAID, date(2025, 5, 20), tables=without_rule) == exact(
        (500_000, 2_100, 60, 13), (500_000, 2_100, 9, 30)
    )
    assert penalty(P1, P1_PAID, date(2025, 5, 20)) == 12_788


def test_after_2026_the_key_rate_applies_again() -> None:
    tranche = Tranche(100_000, date(2026, 11, 15))
    # day 31 = 16.12.2026; 16–31.12.2026 at 9.5 % (ПП 329), 01–14.01.2027 at the key rate
    # (the last row, 15.5 %); with the payment-day rate all 30 days at the rate of 14.01.2027
    until = date(2027, 1, 14)
    assert penalty(tranche, [], until) == exact((100_000, 1_550, 30, 13))
    assert penalty(tranche, [], until, DAILY) == exact(
        (100_000, 950, 16, 13), (100_000, 1_550, 14, 13)
    )


# ---------------------------------------------------------------------------------------
# Capital repair, partial payments, payments in time


def test_capital_repair_is_1_300_from_day_1_without_the_1_130_step() -> None:
    repair = Tranche(500_000, date(2025, 2, 10), Regime.CAPITAL_REPAIR)
    housing = Tranche(500_000, date(2025, 2, 10))
    assert penalty(repair, [], date(2025, 3, 12)) == exact((500_000, 950, 30, 13)) == 4_750
    assert penalty(housing, [], date(2025, 3, 12)) == 0
    assert penalty(repair, P1_PAID, date(2025, 5, 20)) == exact((500_000, 950, 99, 13))
    assert segments(repair, P1_PAID, date(2025, 5, 20)) == [
        (date(2025, 2, 11), date(2025, 5, 20), 99, 500_000, 950, "1/300")
    ]


def test_a_partial_payment_lowers_the_debt_after_its_day() -> None:
    paid = [Payment(date(2025, 4, 25), 100_000)]  # day 74
    until = date(2025, 5, 20)
    assert segments(P1, paid, until) == [
        (date(2025, 3, 13), date(2025, 4, 25), 44, 500_000, 950, "1/300"),
        (date(2025, 4, 26), date(2025, 5, 11), 16, 400_000, 950, "1/300"),
        (date(2025, 5, 12), date(2025, 5, 20), 9, 400_000, 950, "1/130"),
    ]
    assert penalty(P1, paid, until) == exact(
        (500_000, 950, 44, 13), (400_000, 950, 16, 13), (400_000, 950, 9, 30)
    )
    assert penalty(P1, paid, until, EXCLUDED) == exact(
        (500_000, 950, 43, 13), (400_000, 950, 17, 13), (400_000, 950, 9, 30)
    )


def test_payments_at_different_rates_are_separate_rows() -> None:
    """Payment-day rate: the part paid in 2022 carries 9.5 % (ПП 474), the part paid in March
    2023 the key rate 7.5 % (ПП 2479, min)."""
    tranche = Tranche(200_000, date(2022, 10, 10))
    paid = [Payment(date(2022, 12, 20), 100_000), Payment(date(2023, 3, 1), 100_000)]
    rows = segments(tranche, paid, date(2023, 3, 1))
    assert rows == [
        (date(2022, 11, 10), date(2022, 12, 20), 41, 100_000, 950, "1/300"),
        (date(2022, 11, 10), date(2023, 1, 8), 60, 100_000, 750, "1/300"),
        (date(2023, 1, 9), date(2023, 3, 1), 52, 100_000, 750, "1/130"),
    ]
    assert penalty(tranche, paid, date(2023, 3, 1)) == exact(
        (100_000, 950, 41, 13), (100_000, 750, 60, 13), (100_000, 750, 52, 30)
    )


def test_paid_before_day_31_gives_nothing() -> None:
    for settings in ALL_SETTINGS:
        assert penalty(P1, [Payment(date(2025, 3, 12), 500_000)], date(2025, 6, 1), settings) == 0
    # paid on day 31: one day if the payment day counts
    day_31 = [Payment(date(2025, 3, 13), 500_000)]
    assert penalty(P1, day_31, date(2025, 6, 1)) == exact((500_000, 950, 1, 13))
    assert penalty(P1, day_31, date(2025, 6, 1), EXCLUDED) == 0


def test_a_payment_before_the_due_date_is_in_time() -> None:
    early = [Payment(date(2025, 1, 20), 500_000)]
    assert penalty(P1, early, date(2025, 12, 31)) == 0
    assert penalty(P1, [Payment(date(2025, 1, 20), 200_000)], date(2025, 5, 20)) == exact(
        (300_000, 950, 60, 13), (300_000, 950, 9, 30)
    )


def test_a_payment_after_the_calculation_day_is_ignored() -> None:
    later = [Payment(date(2025, 6, 1), 500_000)]
    assert penalty(P1, later, date(2025, 5, 20)) == 12_788


def test_zero_tranche_and_calculation_before_the_due_date() -> None:
    assert penalty(Tranche(0, date(2025, 2, 10)), [], date(2026, 1, 1)) == 0
    assert penalty(P1, [], date(2025, 1, 1)) == 0


def test_many_tranches_at_once() -> None:
    tranches = [P1, Tranche(500_000, date(2025, 2, 10), Regime.CAPITAL_REPAIR), MARCH_2026]
    payments = [(0, P1_PAID[0]), (1, Payment(date(2025, 3, 1), 250_000))]
    until = date(2026, 7, 15)
    got = accrue_penalties(*ref.to_arrays(tranches, payments), until=until, tables=TABLES)
    assert got.tolist() == ref.calculate_many(tranches, payments, until=until, tables=TABLES)
    assert got[0] == 12_788


def test_a_huge_debt_is_exact_through_python_integers() -> None:
    huge = Tranche(4 * 10**15, date(2020, 2, 10))
    until = date(2030, 1, 1)
    got = penalty(huge, [Payment(date(2025, 1, 1), 10**15)], until)
    assert got > 10**15


def test_a_penalty_beyond_int64_is_refused() -> None:
    tables = PenaltyTables((KeyRate(date(2000, 1, 1), 99_999),))
    tranches = Tranches(
        amount=np.asarray([2**62]),
        due=np.asarray([date(2000, 1, 1).toordinal()]),
        regime=np.asarray([0]),
    )
    with pytest.raises(ValueError, match="больше 2⁶³"):
        accrue_penalties(tranches, TranchePayments.empty(), until=date(2010, 1, 1), tables=tables)


# ---------------------------------------------------------------------------------------
# Bad input of the engine


def arrays(
    amount: list[int], due: list[date], regime: list[int], payments: list[tuple[int, date, int]]
) -> tuple[Tranches, TranchePayments]:
    return (
        Tranches(
            amount=np.asarray(amount, dtype=np.int64),
            due=np.asarray([d.toordinal() for d in due], dtype=np.int64),
            regime=np.asarray(regime, dtype=np.int64),
        ),
        TranchePayments(
            tranche=np.asarray([t for t, _, _ in payments], dtype=np.int64),
            day=np.asarray([d.toordinal() for _, d, _ in payments], dtype=np.int64),
            amount=np.asarray([a for _, _, a in payments], dtype=np.int64),
        ),
    )


D = date(2025, 2, 10)
U = date(2025, 5, 20)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (arrays([-1], [D], [0], []), "долг № 0: отрицательная сумма"),
        (arrays([100, 5], [D, D], [0, 0], [(1, U, 6)]), "долг № 1: платежи больше суммы"),
        (arrays([100], [D], [0], [(0, U, 60), (0, D, 41)]), "долг № 0: платежи больше"),
        (arrays([100], [D], [0], [(0, U, 0)]), "платёж № 0: сумма должна быть больше нуля"),
        (arrays([100], [D], [0], [(3, U, 10)]), "платёж № 0: нет долга № 3"),
        (arrays([100], [D], [2], []), "долг № 0: режим 2 неизвестен"),
    ],
)
def test_bad_input_is_refused_with_the_row(
    case: tuple[Tranches, TranchePayments], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        accrue_penalties(*case, until=U, tables=TABLES)


def test_arrays_of_different_lengths_and_floats_are_refused() -> None:
    tranches, pays = arrays([100], [D], [0], [])
    uneven = Tranches(
        amount=tranches.amount, due=np.r_[tranches.due, tranches.due], regime=tranches.regime
    )
    with pytest.raises(ValueError, match="длины массивов различаются"):
        accrue_penalties(uneven, pays, until=U, tables=TABLES)
    floats = Tranches(amount=np.asarray([100.5]), due=tranches.due, regime=tranches.regime)
    with pytest.raises(ValueError, match="ожидаются целые числа"):
        accrue_penalties(floats, pays, until=U, tables=TABLES)


def test_days_out_of_the_calendar_are_refused() -> None:
    tranches, _ = arrays([100], [D], [0], [])
    pays = TranchePayments(tranche=np.asarray([0]), day=np.asarray([0]), amount=np.asarray([10]))
    with pytest.raises(ValueError, match="платёж № 0: день 0 вне диапазона дат"):
        accrue_penalties(tranches, pays, until=U, tables=TABLES)


def test_the_reference_refuses_the_same_input() -> None:
    with pytest.raises(ValueError, match="отрицательная сумма"):
        ref.calculate(Tranche(-1, D), [], until=U, tables=TABLES)
    with pytest.raises(ValueError, match="платежи больше суммы долга"):
        ref.calculate(Tranche(100, D), [Payment(U, 101)], until=U, tables=TABLES)
    with pytest.raises(ValueError, match="больше нуля"):
        ref.calculate(Tranche(100, D), [Payment(U, 0)], until=U, tables=TABLES)


@pytest.mark.parametrize("options", ALL_SETTINGS)
def test_a_rate_before_the_table_is_refused(options: PenaltySettings) -> None:
    old = Tranche(100_000, date(2019, 6, 10))  # the shipped table starts 10.02.2020
    until = date(2019, 12, 31) if options.rate_strategy == RateStrategy.PAYMENT_DAY else U
    message = r"таблица ключевых ставок начинается с 10\.02\.2020"
    with pytest.raises(ValueError, match=message):
        accrue_penalties(*ref.to_arrays([old], []), until=until, tables=TABLES, settings=options)
    with pytest.raises(ValueError, match=message):
        ref.calculate(old, [], until=until, tables=TABLES, settings=options)


def test_an_old_debt_paid_in_2025_needs_only_the_2025_rate() -> None:
    old = Tranche(100_000, date(2019, 6, 10))
    assert penalty(old, [Payment(date(2025, 3, 1), 100_000)], date(2025, 3, 1)) > 0


# ---------------------------------------------------------------------------------------
# The data files


def test_shipped_tables() -> None:
    assert len(TABLES.key_rates) == 33
    assert TABLES.key_rates[0] == KeyRate(date(2020, 2, 10), 600)
    assert TABLES.key_rates[-1] == KeyRate(date(2026, 2, 16), 1_550)
    kinds = [
        (p.start, p.end, p.kind, p.rate_hundredths, p.debts_due_before)
        for p in TABLES.special_periods
    ]
    assert kinds == [
        (date(2020, 4, 6), date(2020, 12, 31), SpecialKind.MORATORIUM, None, None),
        (date(2022, 2, 28), date(2022, 12, 31), SpecialKind.FIXED, 950, None),
        (date(2022, 4, 1), date(2022, 10, 1), SpecialKind.MORATORIUM, None, date(2022, 4, 1)),
        (date(2023, 1, 1), date(2023, 12, 31), SpecialKind.MIN, 950, None),
        (date(2024, 1, 1), date(2024, 12, 31), SpecialKind.MIN, 950, None),
        (date(2025, 1, 1), date(2026, 12, 31), SpecialKind.FIXED, 950, None),
    ]


def test_tables_read_from_files_with_bom_quotes_and_blank_lines(tmp_path: Path) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_bytes(
        '\ufeffeffective_from,rate_percent\n2020-01-01,"7,5"\n\n2021-01-01,8\n'.encode()
    )
    periods = tmp_path / "periods.csv"
    periods.write_text("start,end,kind,rate_percent,debts_due_before,act\n", encoding="utf-8")
    tables = read_tables(rates, periods)
    assert tables.key_rates == (KeyRate(date(2020, 1, 1), 750), KeyRate(date(2021, 1, 1), 800))
    assert tables.special_periods == ()


KEY_HEADER = "effective_from,rate_percent\n"
SP_HEADER = "start,end,kind,rate_percent,debts_due_before,act\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "key_rates.csv: файл пуст"),
        ("date,rate\n2020-01-01,6\n", "key_rates.csv, строка 1: заголовок должен быть"),
        (KEY_HEADER, "key_rates.csv: нет ни одной ставки"),
        (KEY_HEADER + "2020-01-01,6,7\n", "строка 2: ожидается полей: 2, получено: 3"),
        (KEY_HEADER + "10.02.2020,6\n", "строка 2, поле effective_from: нужна дата ГГГГ-ММ-ДД"),
        (KEY_HEADER + "2025-02-30,6\n", "строка 2, поле effective_from: такой даты нет"),
        (KEY_HEADER + "2020-01-01,6%\n", "строка 2, поле rate_percent: нужен процент"),
        (KEY_HEADER + "2020-01-01,-1\n", "строка 2, поле rate_percent: нужен процент"),
        (KEY_HEADER + "2020-01-01,6.125\n", "строка 2, поле rate_percent: нужен процент"),
        (
            KEY_HEADER + "2020-02-10,6\n2020-01-27,5.5\n",
            "строка 3, поле effective_from: дата 27.01.2020 не позже даты строки 2",
        ),
    ],
)
def test_bad_key_rates(text: str, message: str) -> None:
    with pytest.raises(PenaltyDataError, match=message):
        parse_key_rates(text)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2020-04-06,2020-12-31,holiday,,,ПП", "строка 2, поле kind: вид должен быть"),
        ("2020-04-06,2020-03-31,moratorium,,,ПП", "строка 2, поле end: конец 31.03.2020 раньше"),
        ("2020-04-06,2020-12-31,moratorium,5,,ПП", "строка 2, поле rate_percent: у моратория"),
        ("2022-02-28,2022-12-31,fixed,,,ПП", "строка 2, поле rate_percent: для вида fixed нужна"),
        (
            "2022-02-28,2022-12-31,min,9.5,2022-04-01,ПП",
            "строка 2, поле debts_due_before: заполняется только для моратория",
        ),
        ("2022-02-28,2022-12-31,fixed,9.5,,", "строка 2, поле act: укажите нормативный акт"),
        ("2022-02-28,2022-12-31,fixed,9.5,x,ПП", "поле debts_due_before: заполняется только"),
        ("2020-04-06,2020-12-31,moratorium,,1.4.2022,ПП", "поле debts_due_before: нужна дата"),
        ("2020-04-06,2020-12-31,moratorium,ПП", "строка 2: ожидается полей: 6, получено: 4"),
    ],
)
def test_bad_special_periods(line: str, message: str) -> None:
    with pytest.raises(PenaltyDataError, match=message):
        parse_special_periods(SP_HEADER + line + "\n", "periods.csv")


def test_overlapping_rate_rules_are_refused_but_moratoria_may_overlap() -> None:
    text = SP_HEADER + "2022-01-01,2022-12-31,fixed,9.5,,A\n2022-12-31,2023-06-30,min,9.5,,B\n"
    with pytest.raises(PenaltyDataError, match=r"строка 3, поле start: период .* строки 2"):
        parse_special_periods(text)
    ok = SP_HEADER + "2022-01-01,2022-12-31,fixed,9.5,,A\n2022-03-01,2022-05-01,moratorium,,,B\n"
    ok += "2022-04-01,2022-06-01,moratorium,,2022-04-01,C\n"
    assert len(parse_special_periods(ok)) == 3


def test_overlapping_moratoria_count_each_day_once() -> None:
    tables = PenaltyTables(
        (KeyRate(date(2020, 1, 1), 1_000),),
        (
            SpecialPeriod(
                date(2021, 3, 1), date(2021, 3, 31), SpecialKind.MORATORIUM, None, None, "A"
            ),
            SpecialPeriod(
                date(2021, 3, 15),
                date(2021, 4, 14),
                SpecialKind.MORATORIUM,
                None,
                date(2021, 2, 1),
                "B",
            ),
        ),
    )
    covered = Tranche(100_000, date(2021, 1, 10))  # both apply: 01.03–14.04 counts zero
    other = Tranche(100_000, date(2021, 2, 10))  # only A: 01.03–31.03
    until = date(2021, 4, 30)
    # covered: day 31 = 10.02, day 91 = 11.04; 10.02–28.02 = 19 days at 1/300, then the
    # moratoria A ∪ B to 14.04, then 15.04–30.04 = 16 days at 1/130
    assert penalty(covered, [], until, tables=tables) == exact(
        (100_000, 1_000, 19, 13), (100_000, 1_000, 16, 30)
    )
    # other: day 31 = 13.03, inside A; 01.04–30.04 = 30 days 1/300
    assert penalty(other, [], until, tables=tables) == exact((100_000, 1_000, 30, 13))


def test_files_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(PenaltyDataError, match="нет такого файла"):
        read_tables(tmp_path / "missing.csv")
    cp1251 = tmp_path / "rates.csv"
    cp1251.write_bytes(("effective_from,rate_percent\n2020-01-01,6\n# ставка\n").encode("cp1251"))
    with pytest.raises(PenaltyDataError, match="не в кодировке UTF-8"):
        read_tables(cp1251)


def test_tables_built_in_code_are_checked_too() -> None:
    with pytest.raises(PenaltyDataError, match="пуста"):
        PenaltyTables(())
    with pytest.raises(PenaltyDataError, match="не позже"):
        PenaltyTables((KeyRate(date(2021, 1, 1), 5), KeyRate(date(2020, 1, 1), 5)))
    rule = SpecialPeriod(date(2021, 1, 1), date(2021, 2, 1), SpecialKind.FIXED, 950, None, "A")
    with pytest.raises(PenaltyDataError, match="пересекаются"):
        PenaltyTables((KeyRate(date(2020, 1, 1), 5),), (rule, rule))
    with pytest.raises(PenaltyDataError, match="нужна ставка"):
        PenaltyTables(
            (KeyRate(date(2020, 1, 1), 5),),
            (SpecialPeriod(date(2021, 1, 1), date(2021, 2, 1), SpecialKind.MIN, None, None, "A"),),
        )
