"""Scalar reference of the penalty (пени) rules, and the segments of a penalty printout.

The second, independent statement of what `raschet.core.penalties.accrue_penalties` computes
with numpy, written day by day so that it can be read against the rules:

1. day ``k`` of a tranche is ``due + k`` days (rules.md §3.1);
2. its fraction of the rate: housing (ЖК ст.155 ч.14) — 0 for days 1–30, 1/300 for days
   31–90, 1/130 from day 91; capital repair (ч.14.1, rules.md §2.2) — 1/300 from day 1;
3. the debt of day ``k``: the tranche minus the payments made before that day — a payment
   made that day still counts as debt if the payment day is counted (rules.md §14
   "Penalty days"); payments after ``until`` are ignored, and ``until`` is the last day;
4. the rate: with ``PAYMENT_DAY`` the part paid on a day carries the rate of its payment
   day, the part unpaid on ``until`` the rate of ``until``; with ``DAILY`` every day its own
   rate. "The rate of a day": the key rate in force that day, replaced by the special
   period containing the day — ``fixed`` → its rate, ``min`` → min(its rate, key rate)
   (rules.md §3.3, §14 "Penalty rate");
5. a day inside a moratorium counts zero, a moratorium with ``debts_due_before`` only for a
   tranche due before that date (ПП 424, ПП 497; rules.md §14 "Moratoria");
6. the day's penalty is ``debt × rate × fraction``; the exact sum over the days is rounded
   half-up to the kopeck once per tranche (rules.md §14 "Penalty rounding").

Consecutive days with the same debt, rate and fraction form a `Segment` — the rows of the
calculator and of the court printout. With ``PAYMENT_DAY`` the debt of a day is split by
rate (the parts to be paid at different rates are different rows); days 1–30 of a housing
tranche are not listed (they carry nothing), moratorium days are listed at rate 0 with a
zero amount.

Slow on purpose (a loop over days): the hypothesis tests compare it with the vectorised code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np

from raschet.core.penalties import (
    FIRST_1_130_DAY,
    FREE_DAYS,
    PenaltySettings,
    RateStrategy,
    Regime,
    TranchePayments,
    Tranches,
)
from raschet.core.penalty_data import PenaltyTables, SpecialKind, SpecialPeriod

ONE_300 = Fraction(1, 300)
ONE_130 = Fraction(1, 130)
LABEL_1_300 = "1/300"
LABEL_1_130 = "1/130"
LABEL_MORATORIUM = "0 (мораторий)"


@dataclass(frozen=True)
class Tranche:
    """One charge month's unpaid base (kopecks), its due date and regime."""

    amount: int
    due: date
    regime: Regime = Regime.HOUSING


@dataclass(frozen=True)
class Payment:
    """A payment already allocated to the tranche."""

    day: date
    amount: int  # kopecks, > 0


@dataclass(frozen=True)
class Segment:
    """Days ``start``…``end`` (inclusive) of one debt at one rate and fraction."""

    start: date
    end: date
    debt: int  # kopecks
    rate_hundredths: int  # 9.50 % → 950
    fraction: str  # LABEL_1_300, LABEL_1_130 or LABEL_MORATORIUM
    act: str  # the moratorium's act, or the special rate rule's, or ""
    exact_kopecks: Fraction  # debt × rate × fraction × days, not rounded

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def rate_percent(self) -> Decimal:
        return Decimal(self.rate_hundredths) / 100

    @property
    def amount_kopecks(self) -> int:
        """The segment's amount rounded half-up to the kopeck — for display only: the
        tranche total is the exact sum rounded once, not the sum of these."""
        return _round(self.exact_kopecks)

    def amount_rubles(self, places: int = 6) -> Decimal:
        """The exact amount in rubles to ``places`` decimals (half-up): 1/300 and 1/130 give
        non-terminating decimals, so a printout shows the exact value to fixed places."""
        exact = Decimal(self.exact_kopecks.numerator) / Decimal(self.exact_kopecks.denominator)
        return (exact / 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Calculation:
    """The penalty of a tranche: its segments, the exact sum and the rounded total."""

    segments: tuple[Segment, ...]
    exact_kopecks: Fraction
    penalty_kopecks: int


def _round(value: Fraction) -> int:
    """Half-up to a whole kopeck (value ≥ 0)."""
    whole, rest = divmod(value.numerator, value.denominator)
    return whole + (2 * rest >= value.denominator)


def key_rate_on(day: date, tables: PenaltyTables) -> int:
    """The key rate in force on ``day`` (the last row effective on or before it)."""
    known = [r for r in tables.key_rates if r.effective_from <= day]
    if not known:
        first = tables.key_rates[0].effective_from
        raise ValueError(
            f"нужна ставка на {day:%d.%m.%Y}, а таблица ключевых ставок начинается с "
            f"{first:%d.%m.%Y}"
        )
    return known[-1].rate_hundredths


def rate_rule_on(day: date, tables: PenaltyTables) -> SpecialPeriod | None:
    """The ``fixed``/``min`` special period containing ``day``, if any."""
    for p in tables.special_periods:
        if p.kind != SpecialKind.MORATORIUM and p.contains(day):
            return p
    return None


def rate_on(day: date, tables: PenaltyTables) -> int:
    """The penalty rate of ``day``: the key rate, or the special period's rule."""
    key = key_rate_on(day, tables)
    rule = rate_rule_on(day, tables)
    if rule is None:
        return key
    if rule.kind == SpecialKind.FIXED:
        return rule.rule_rate
    return min(rule.rule_rate, key)


def moratorium_on(day: date, due: date, tables: PenaltyTables) -> SpecialPeriod | None:
    """The moratorium that makes ``day`` count zero for a tranche due on ``due``, if any."""
    for p in tables.special_periods:
        if p.kind == SpecialKind.MORATORIUM and p.contains(day) and p.covers_debt_due(due):
            return p
    return None


def fraction_of_day(k: int, regime: Regime) -> Fraction:
    """The fraction of the rate for day ``k`` of delay (ЖК ст.155 ч.14, ч.14.1)."""
    if regime == Regime.CAPITAL_REPAIR:
        return ONE_300 if k >= 1 else Fraction(0)
    if k <= FREE_DAYS:
        return Fraction(0)
    return ONE_300 if k < FIRST_1_130_DAY else ONE_130


def calculate(
    tranche: Tranche,
    payments: Sequence[Payment],
    *,
    until: date,
    tables: PenaltyTables,
    settings: PenaltySettings | None = None,
) -> Calculation:
    """The penalty of one tranche as of ``until`` (see the module docstring)."""
    settings = settings or PenaltySettings()
    if tranche.amount < 0:
        raise ValueError(f"отрицательная сумма долга {tranche.amount} коп.")
    if any(p.amount <= 0 for p in payments):
        raise ValueError("сумма платежа должна быть больше нуля")
    if sum(p.amount for p in payments) > tranche.amount:
        raise ValueError(f"платежи больше суммы долга {tranche.amount} коп.")
    counted = settings.payment_day_counted
    daily = settings.rate_strategy == RateStrategy.DAILY

    # Portions of the debt: (amount, last day of delay, the day whose rate it carries).
    made = [p for p in payments if p.day <= until]
    rest = tranche.amount - sum(p.amount for p in made)
    portions = [(p.amount, p.day if counted else p.day - timedelta(days=1), p.day) for p in made]
    portions.append((rest, until, until))
    portions = [p for p in portions if p[0] > 0]

    # Day by day: the debt of the day by (rate, act of the rate rule), then merged into rows.
    # A row group is one rate and rule (PAYMENT_DAY) or the whole debt (DAILY).
    done: list[tuple[object, Segment]] = []
    open_rows: dict[object, Segment] = {}
    first_rate_day: dict[object, date] = {}
    rated_on: dict[date, tuple[int, str]] = {}  # a cache: the same few days recur

    def rate_and_act(day: date) -> tuple[int, str]:
        if day not in rated_on:
            rule = rate_rule_on(day, tables)
            rated_on[day] = (rate_on(day, tables), rule.act if rule is not None else "")
        return rated_on[day]

    last_day = max((last for _, last, _ in portions), default=tranche.due)
    for k in range(1, (last_day - tranche.due).days + 1):
        day = tranche.due + timedelta(days=k)
        fraction = fraction_of_day(k, tranche.regime)
        if fraction == 0:
            continue
        debts: dict[tuple[int, str], int] = {}
        for amount, last, rate_day in portions:
            if last >= day:
                key = rate_and_act(day if daily else rate_day)
                debts[key] = debts.get(key, 0) + amount
                group = None if daily else key
                first_rate_day[group] = min(first_rate_day.get(group, rate_day), rate_day)
        moratorium = moratorium_on(day, tranche.due, tables)
        for (rate, act), debt in debts.items():
            group = None if daily else (rate, act)
            if moratorium is not None:  # shown at rate 0, one row however the rate moves
                label, note, value, rate = LABEL_MORATORIUM, moratorium.act, Fraction(0), 0
            else:
                label = LABEL_1_300 if fraction == ONE_300 else LABEL_1_130
                note, value = act, debt * Fraction(rate, 10_000) * fraction
            s = open_rows.get(group)
            if (
                s is not None
                and s.end == day - timedelta(days=1)
                and (s.debt, s.rate_hundredths, s.fraction, s.act) == (debt, rate, label, note)
            ):
                open_rows[group] = Segment(
                    s.start, day, debt, rate, label, note, s.exact_kopecks + value
                )
                continue
            if s is not None:
                done.append((group, s))
            open_rows[group] = Segment(day, day, debt, rate, label, note, value)
    done.extend(open_rows.items())
    done.sort(key=lambda row: (first_rate_day[row[0]], row[1].start))
    segments = tuple(s for _, s in done)
    exact = sum((s.exact_kopecks for s in segments), Fraction(0))
    return Calculation(segments=segments, exact_kopecks=exact, penalty_kopecks=_round(exact))


def calculate_many(
    tranches: Sequence[Tranche],
    payments: Sequence[tuple[int, Payment]],
    *,
    until: date,
    tables: PenaltyTables,
    settings: PenaltySettings | None = None,
) -> list[int]:
    """Penalties of many tranches; ``payments`` are ``(tranche index, payment)`` pairs."""
    return [
        calculate(
            t,
            [p for i, p in payments if i == k],
            until=until,
            tables=tables,
            settings=settings,
        ).penalty_kopecks
        for k, t in enumerate(tranches)
    ]


def to_arrays(
    tranches: Sequence[Tranche], payments: Sequence[tuple[int, Payment]]
) -> tuple[Tranches, TranchePayments]:
    """The vectorised input of the same case."""

    def ints(values: list[int]) -> np.ndarray[tuple[int], np.dtype[np.int64]]:
        return np.asarray(values, dtype=np.int64).reshape(-1)

    return (
        Tranches(
            amount=ints([t.amount for t in tranches]),
            due=ints([t.due.toordinal() for t in tranches]),
            regime=ints([int(t.regime) for t in tranches]),
        ),
        TranchePayments(
            tranche=ints([i for i, _ in payments]),
            day=ints([p.day.toordinal() for _, p in payments]),
            amount=ints([p.amount for _, p in payments]),
        ),
    )
