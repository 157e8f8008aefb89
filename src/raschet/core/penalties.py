"""Penalties (пени) on late housing and capital-repair payments, vectorised (rules.md §3, §14).

A *tranche* is the unpaid base of one charge month of one account × service × payee, with
its due date and regime. It never includes penalties: no penalty on penalty (rules.md §3.1).
Day ``k`` of a tranche is ``due + k`` days; for each day the debt still unpaid that day is
charged ``rate × fraction``:

* ``Regime.HOUSING`` (ЖК ст.155 ч.14): days 1–30 — 0; days 31–90 — 1/300 of the rate; from
  day 91 — 1/130;
* ``Regime.CAPITAL_REPAIR`` (ЖК ст.155 ч.14.1, rules.md §2.2): 1/300 from day 1, no free days
  and no 1/130 step;
* a day inside a moratorium counts zero (a moratorium with ``debts_due_before`` only for
  tranches whose due date is before that day: ПП 497).

Payments (already allocated to tranches by `raschet.core.allocation`) reduce the debt on their
day; the payment day is a day of delay unless ``payment_day_counted`` is off (rules.md §14
"Penalty days"). A payment on or before the due date is a payment in time. Payments after the
calculation day (``until``) have not happened yet and are ignored; what is unpaid accrues
through ``until`` inclusive.

The rate (``RateStrategy``, rules.md §3.1, §14 "Penalty rate"):

* ``PAYMENT_DAY`` (default; ЖК ст.155 ч.14 "действующей на день фактической оплаты"): the part
  paid on a day carries the rate of that day for all its days of delay; the part still unpaid
  carries the rate of ``until``. The special period containing that day selects the rule
  (``fixed`` → its rate, ``min`` → min(its rate, key rate));
* ``DAILY``: each day carries its own rate, special periods applied by day.

The exact penalty of a tranche is ``Σ debt × rate_hundredths × w / 39 000 000`` kopecks with
``w = 13`` for 1/300 and ``w = 30`` for 1/130 (1/300 = 13/3900, 1/130 = 30/3900, and a rate
in hundredths of a percent is ``rate / 10 000``); it is rounded half-up **once per tranche**
(rules.md §14 "Penalty rounding").

How it is computed without a loop per tranche: for every tranche the debt is a sum of
*portions* (each payment, and the remainder unpaid at ``until``), each accruing from the first
penalty day to its last day. With ``F(d)`` the weight of day ``d`` (the rate on the day, or 1
for ``PAYMENT_DAY``; 0 in a moratorium) and its running integral ``S``, a portion adds
``amount × (13·(S(x₁) − S(b₁)) + 30·(S(x₂) − S(b₂)))`` to the numerator — ``b₁`` the first
penalty day, ``b₂`` the first 1/130 day, ``x₁ = clip(last + 1, b₁, b₂)``,
``x₂ = max(last + 1, b₂)`` —
times the portion's rate for ``PAYMENT_DAY``. ``S`` is a step-function lookup
(``searchsorted`` on a few dozen breakpoints). Tranches that share the same set of
applicable moratoria form a *class* (one more class than distinct ``debts_due_before``
dates); each class's weights sit in the same step function shifted by ``CLASS_SPAN`` days,
so there is no Python loop over tranches, payments or classes.

Bounds: amounts are kopecks in int64; a tranche whose exact numerator might pass int64
(``amount × max rate × 30 × days`` above 2⁶³ − 1 — e.g. 400 million ₽ owed for 10 years at
21 %) is computed with Python integers; a penalty that does not fit in int64 is a ValueError.

Not included: allocating payments to tranches (`raschet.core.allocation`), choosing which
tranches are claimable (limitation period), posting, and the segments of a printout — the
scalar `raschet.core.penalties_reference` produces those, and the hypothesis tests in
``tests/core/test_penalties_properties.py`` prove both give the same penalties.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from enum import IntEnum, StrEnum

import numpy as np
import numpy.typing as npt

from raschet.core.fixedpoint import div_round, round_half_up_int, sum_by
from raschet.core.penalty_data import PenaltyTables, SpecialKind
from raschet.core.periods import Month

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

FREE_DAYS = 30
"""Housing: days 1–30 after the due date carry no penalty (ЖК ст.155 ч.14)."""
FIRST_1_130_DAY = 91
"""Housing: 1/130 of the rate from the 91st day (ЖК ст.155 ч.14)."""
WEIGHT_1_300 = 13
WEIGHT_1_130 = 30
WEIGHT_DENOMINATOR = 3_900
"""1/300 = 13/3900 and 1/130 = 30/3900: both fractions as integers over one denominator."""
RATE_DENOMINATOR = 10_000
"""A rate in hundredths of a percent is ``rate / 10 000`` of the debt."""
PENALTY_DIVISOR = RATE_DENOMINATOR * WEIGHT_DENOMINATOR
"""``debt × rate_hundredths × weight / PENALTY_DIVISOR`` = kopecks of penalty for one day."""

MIN_DAY = date.min.toordinal()
MAX_DAY = date.max.toordinal()
_NEVER = MAX_DAY + 2 * FIRST_1_130_DAY  # the 1/130 step of a capital-repair tranche
_INT64_MAX = int(np.iinfo(np.int64).max)
_EMPTY = np.zeros(0, dtype=np.int64)

NEW_DUE_DATE_FROM = Month(2026, 3)
"""Charges from March 2026: due the 15th of the next month, no override (ФЗ № 177-ФЗ)."""
TRANSITION_MONTH = Month(2026, 2)
"""February 2026: due 10 March 2026 (Минстрой letter 20.02.2026 № 9202-ДН/04)."""


class Regime(IntEnum):
    """Which part of ЖК ст.155 sets the penalty of a tranche."""

    HOUSING = 0  # ч.14: housing and communal services
    CAPITAL_REPAIR = 1  # ч.14.1: capital-repair contributions


class RateStrategy(StrEnum):
    """Which day's rate a day of delay carries (rules.md §3.1; stated in the printout)."""

    PAYMENT_DAY = "payment_day"
    DAILY = "daily"


@dataclass(frozen=True)
class PenaltySettings:
    """An organization's penalty settings; the defaults are rules.md §14."""

    payment_day_counted: bool = True  # §14 "Penalty days": the payment day counts
    rate_strategy: RateStrategy = RateStrategy.PAYMENT_DAY  # §14 "Penalty rate"


@dataclass(frozen=True)
class Tranches:
    """One row per tranche: the unpaid base of one charge month (never penalties)."""

    amount: I64  # kopecks, ≥ 0
    due: I64  # day numbers (``date.toordinal()``) of the due dates
    regime: I64  # `Regime`


@dataclass(frozen=True)
class TranchePayments:
    """Payments already allocated to tranches: which tranche, which day, how much."""

    tranche: I64  # index into `Tranches`
    day: I64  # day numbers
    amount: I64  # kopecks, > 0

    @classmethod
    def empty(cls) -> TranchePayments:
        return cls(tranche=_EMPTY, day=_EMPTY, amount=_EMPTY)


def day_number(day: date) -> int:
    """The day number used in the arrays (the proleptic ordinal, 01.01.0001 = 1)."""
    return day.toordinal()


def day_date(number: int) -> date:
    return date.fromordinal(number)


# ---------------------------------------------------------------------------------------
# Due dates (rules.md §3.2, §14 "Payment due date")


def due_date(
    month: Month,
    *,
    override_day: int | None = None,
    regional_day: int | None = None,
    shift_weekends: bool = False,
    holidays: Collection[date] = (),
) -> date:
    """The due date of the charges for ``month``.

    Up to January 2026: the 10th of the next month, or ``override_day`` of the next month
    (the management contract or the ТСЖ decision, e.g. 20 or 25; a day past the end of a
    short month is its last day) — ЖК ст.155 ч.1 old text. February 2026: 10 March 2026.
    From March 2026: the 15th of the next month; an override no longer applies (ФЗ от
    24.06.2025 № 177-ФЗ). With ``shift_weekends`` a due date on a Saturday, Sunday or one
    of ``holidays`` moves to the next working day (ГК ст.193; rules.md §3.1, a setting
    because courts differ).

    ``regional_day`` is the capital-repair due day set by the region's law (ЖК ст.171 ч.1
    "если иное не установлено законом субъекта", rules.md §2.2 — e.g. Красноярский край,
    закон № 4-1451 ст.6 ч.1: the 20th of the next month): it is the law, not a contract, so
    it applies in every month, the 177-ФЗ months included, and replaces both the federal
    day and ``override_day`` (a day past the end of a short month is its last day). Pass it
    for capital-repair charges only. Whether 177-ФЗ's amendment of ст.171 leaves regional
    days in force could not be checked here [M]: a region that aligned its law with the
    15th is configured by leaving the day empty (docs/credit-control.md).
    Not included: transferred working Saturdays (pass them as not-holidays: they are
    never shifted to, only from).
    """
    for name, value in (("срока оплаты", override_day), ("срока взноса", regional_day)):
        if value is not None and not 1 <= value <= 31:
            raise ValueError(f"день {name} должен быть от 1 до 31, получено {value}")
    following = month.next()
    if regional_day is not None:
        day = date(following.year, following.month, min(regional_day, following.days))
    elif month >= NEW_DUE_DATE_FROM:
        day = date(following.year, following.month, 15)
    elif month == TRANSITION_MONTH:
        day = date(2026, 3, 10)
    else:
        wanted = 10 if override_day is None else override_day
        day = date(following.year, following.month, min(wanted, following.days))
    if shift_weekends:
        days_off = frozenset(holidays)
        while day.weekday() >= 5 or day in days_off:
            day += timedelta(days=1)
    return day


def due_days(
    months: I64,
    *,
    override_day: int | None = None,
    regional_day: int | None = None,
    shift_weekends: bool = False,
    holidays: Collection[date] = (),
) -> I64:
    """`due_date` for an array of month ordinals (``year·12 + month − 1``), as day numbers;
    computed once per distinct month."""
    months = _ints(months, "months")
    unique, inverse = np.unique(months, return_inverse=True)
    days = [
        due_date(
            Month(m // 12, m % 12 + 1),
            override_day=override_day,
            regional_day=regional_day,
            shift_weekends=shift_weekends,
            holidays=holidays,
        ).toordinal()
        for m in unique.tolist()
    ]
    return np.asarray(days, dtype=np.int64)[inverse].reshape(-1)


# ---------------------------------------------------------------------------------------
# Rates and moratoria as step functions of the day number

CLASS_SPAN = 1 << 22
"""Day numbers of moratorium class ``c`` are shifted by ``c × CLASS_SPAN`` (> `MAX_DAY` +
the 1/130 step) so that one step function holds the weights of every class."""


@dataclass(frozen=True)
class _Step:
    """``value[j]`` on the days ``[start[j], start[j+1])``, the last value onwards."""

    start: I64
    value: I64
    prefix: I64  # Σ value over [start[0], start[j])

    @classmethod
    def of(cls, points: list[int], values: list[int]) -> _Step:
        start = np.asarray(points, dtype=np.int64)
        value = np.asarray(values, dtype=np.int64)
        prefix = np.r_[0, np.cumsum(value[:-1] * np.diff(start))].astype(np.int64)
        return cls(start, value, prefix)

    def at(self, day: I64) -> I64:
        return self.value[np.searchsorted(self.start, day, side="right") - 1]

    def integral(self, end: I64) -> I64:
        """Σ value over the days ``[start[0], end)`` (``end ≥ start[0]``)."""
        j = np.searchsorted(self.start, end, side="right") - 1
        return self.prefix[j] + self.value[j] * (end - self.start[j])


@dataclass(frozen=True)
class _Schedule:
    known_from: int  # day number of the first key rate; the rate is unknown before it
    rate: _Step  # effective rate (special rate rules applied), 0 before `known_from`
    max_rate: int
    thresholds: I64  # sorted distinct `debts_due_before` day numbers
    weight: _Step  # per class (shifted by CLASS_SPAN): the weight of a day of delay


def _rate_step(tables: PenaltyTables) -> _Step:
    """The rate of each day: the key rate, replaced in a ``fixed``/``min`` period."""
    key_days = [r.effective_from.toordinal() for r in tables.key_rates]
    rules = [p for p in tables.special_periods if p.kind != SpecialKind.MORATORIUM]
    points = sorted(
        {MIN_DAY, *key_days}
        | {p.start.toordinal() for p in rules}
        | {p.end.toordinal() + 1 for p in rules if p.end.toordinal() < MAX_DAY}
    )
    key = _Step.of([MIN_DAY, *key_days], [0, *(r.rate_hundredths for r in tables.key_rates)])
    rates = key.at(np.asarray(points, dtype=np.int64)).tolist()
    for i, point in enumerate(points):
        if point < key_days[0]:
            rates[i] = 0
            continue
        for p in rules:
            if p.start.toordinal() <= point <= p.end.toordinal():
                fixed = p.kind == SpecialKind.FIXED
                rates[i] = p.rule_rate if fixed else min(p.rule_rate, rates[i])
    return _Step.of(points, rates)


def _schedule(tables: PenaltyTables, daily: bool) -> _Schedule:
    """Compile the tables into step functions (a loop over table rows, not tranches).

    Moratorium class ``c`` holds the tranches due on or after the ``c`` smallest
    ``debts_due_before`` dates and before the others: the moratoria applying to it are those
    without the condition and those whose date is among the others. Its weight is 0 on its
    moratorium days and the rate of the day (``daily``) or 1 elsewhere.
    """
    rate = _rate_step(tables)
    moratoria = [p for p in tables.special_periods if p.kind == SpecialKind.MORATORIUM]
    thresholds = sorted(
        {p.debts_due_before.toordinal() for p in moratoria if p.debts_due_before is not None}
    )
    points: list[int] = []
    values: list[int] = []
    for c in range(len(thresholds) + 1):
        applicable = [
            (p.start.toordinal(), p.end.toordinal())
            for p in moratoria
            if p.debts_due_before is None or p.debts_due_before.toordinal() in thresholds[c:]
        ]
        cuts = sorted(
            {MIN_DAY}
            | {start for start, _ in applicable}
            | {end + 1 for _, end in applicable if end < MAX_DAY}
            | (set(rate.start.tolist()) if daily else set())
        )
        day_rate = rate.at(np.asarray(cuts, dtype=np.int64)).tolist() if daily else None
        for i, cut in enumerate(cuts):
            closed = any(start <= cut <= end for start, end in applicable)
            points.append(cut + c * CLASS_SPAN)
            values.append(0 if closed else (day_rate[i] if day_rate is not None else 1))
    return _Schedule(
        known_from=tables.key_rates[0].effective_from.toordinal(),
        rate=rate,
        max_rate=int(rate.value.max()),
        thresholds=np.asarray(thresholds, dtype=np.int64),
        weight=_Step.of(points, values),
    )


# ---------------------------------------------------------------------------------------
# Input checks


def _ints(values: object, what: str) -> I64:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{what}: ожидается одномерный массив")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{what}: ожидаются целые числа")
    if array.dtype == np.uint64 and array.size and int(array.max()) > _INT64_MAX:
        raise ValueError(f"{what}: значение больше 2⁶³ − 1")
    return array.astype(np.int64, copy=False)


def _first(mask: Bool) -> int:
    return int(np.flatnonzero(mask)[0])


@dataclass(frozen=True)
class _Input:
    amount: I64
    due: I64
    housing: Bool
    pay_tranche: I64
    pay_day: I64
    pay_amount: I64


def _checked(tranches: Tranches, payments: TranchePayments) -> _Input:
    """Refuse nonsense; every problem is a ValueError naming the row."""
    amount = _ints(tranches.amount, "Tranches.amount")
    due = _ints(tranches.due, "Tranches.due")
    regime = _ints(tranches.regime, "Tranches.regime")
    pay_tranche = _ints(payments.tranche, "TranchePayments.tranche")
    pay_day = _ints(payments.day, "TranchePayments.day")
    pay_amount = _ints(payments.amount, "TranchePayments.amount")
    if not len(amount) == len(due) == len(regime):
        raise ValueError(
            f"Tranches: длины массивов различаются (amount {len(amount)}, due {len(due)}, "
            f"regime {len(regime)})"
        )
    if not len(pay_tranche) == len(pay_day) == len(pay_amount):
        raise ValueError(
            f"TranchePayments: длины массивов различаются (tranche {len(pay_tranche)}, "
            f"day {len(pay_day)}, amount {len(pay_amount)})"
        )
    if np.any(amount < 0):
        i = _first(amount < 0)
        raise ValueError(f"долг № {i}: отрицательная сумма {int(amount[i])} коп.")
    for days, what in ((due, "долг № {}: срок оплаты"), (pay_day, "платёж № {}: день")):
        bad = (days < MIN_DAY) | (days > MAX_DAY - 2 * FIRST_1_130_DAY)
        if np.any(bad):
            i = _first(bad)
            raise ValueError(f"{what.format(i)} {int(days[i])} вне диапазона дат")
    bad_regime = (regime != Regime.HOUSING) & (regime != Regime.CAPITAL_REPAIR)
    if np.any(bad_regime):
        i = _first(bad_regime)
        raise ValueError(f"долг № {i}: режим {int(regime[i])} неизвестен (0 — ЖКУ, 1 — капремонт)")
    if np.any(pay_amount <= 0):
        i = _first(pay_amount <= 0)
        raise ValueError(
            f"платёж № {i}: сумма должна быть больше нуля, получено {int(pay_amount[i])} коп."
        )
    bad_ref = (pay_tranche < 0) | (pay_tranche >= len(amount))
    if np.any(bad_ref):
        i = _first(bad_ref)
        raise ValueError(f"платёж № {i}: нет долга № {int(pay_tranche[i])} (долгов {len(amount)})")
    # Σ payments of a tranche, exactly: high and low 31 bits summed apart cannot wrap.
    high = sum_by(pay_amount >> 31, pay_tranche, len(amount))
    low = sum_by(pay_amount & (2**31 - 1), pay_tranche, len(amount))
    over = high > (amount >> 31) + 1
    paid = np.where(over, 0, (high << 31) + low)
    over |= paid > amount
    if np.any(over):
        i = _first(over)
        raise ValueError(
            f"долг № {i}: платежи больше суммы долга {int(amount[i])} коп. — "
            "переплата не относится к долгу (распределите её по правилам зачёта)"
        )
    return _Input(
        amount=amount,
        due=due,
        housing=regime == Regime.HOUSING,
        pay_tranche=pay_tranche,
        pay_day=pay_day,
        pay_amount=pay_amount,
    )


# ---------------------------------------------------------------------------------------
# The computation


def accrue_penalties(
    tranches: Tranches,
    payments: TranchePayments,
    *,
    until: date,
    tables: PenaltyTables,
    settings: PenaltySettings | None = None,
) -> I64:
    """The penalty of every tranche as of ``until``, in kopecks (see the module docstring).

    Raises ValueError, naming the row, for arrays of different lengths, a negative amount, an
    unknown regime, a payment ≤ 0 or of a missing tranche, payments above the tranche, dates
    out of range, a rate needed before the first key rate, and a penalty beyond int64.
    """
    settings = settings or PenaltySettings()
    d = _checked(tranches, payments)
    daily = settings.rate_strategy == RateStrategy.DAILY
    schedule = _schedule(tables, daily)
    weight = schedule.weight
    n = len(d.amount)
    end = until.toordinal()

    # Per tranche: b₁ the first penalty day, b₂ the first 1/130 day, the class offset and
    # the weight integrals up to both.
    b1 = d.due + np.where(d.housing, FREE_DAYS + 1, 1)
    b2 = np.where(d.housing, d.due + FIRST_1_130_DAY, _NEVER)
    base = np.searchsorted(schedule.thresholds, d.due, side="right") * CLASS_SPAN
    s1 = weight.integral(b1 + base)
    s2 = weight.integral(b2 + base)

    def part(t: I64 | None, last: I64 | int) -> I64:
        """Σ weight × (13 or 30) over the penalty days up to ``last`` of tranches ``t``."""
        tb1, tb2, tbase = (b1, b2, base) if t is None else (b1[t], b2[t], base[t])
        ts1, ts2 = (s1, s2) if t is None else (s1[t], s2[t])
        x = np.asarray(last, dtype=np.int64) + 1
        x1 = np.clip(x, tb1, tb2) + tbase
        x2 = np.maximum(x, tb2) + tbase
        return WEIGHT_1_300 * (weight.integral(x1) - ts1) + WEIGHT_1_130 * (
            weight.integral(x2) - ts2
        )

    # Portions: each payment made by `until` (its last day of delay and its rate day), and
    # what is still unpaid on `until`.
    made = d.pay_day <= end
    t = d.pay_tranche[made]
    p_amount = d.pay_amount[made]
    p_day = d.pay_day[made]
    p_last = p_day - (0 if settings.payment_day_counted else 1)
    rest = d.amount - sum_by(p_amount, t, n)
    _check_rates_known(
        schedule, daily, end, (rest > 0) & (end >= b1), b1, t, (p_last >= b1[t]), p_day
    )
    rest_part = part(None, end)
    p_part = part(t, p_last)
    if not daily:
        rest_part = rest_part * int(schedule.rate.at(np.asarray([end]))[0])
        p_part = p_part * schedule.rate.at(p_day)

    # Σ amount × part fits in int64 unless amount × bound does not (then Python integers).
    bound = 30 * max(schedule.max_rate, 1) * np.maximum(end - d.due, 0)
    safe = d.amount <= _INT64_MAX // np.maximum(bound, 1)
    p_safe = safe[t]
    numerator = np.where(safe, rest, 0) * rest_part + sum_by(
        np.where(p_safe, p_amount, 0) * p_part, t, n
    )
    penalty = div_round(numerator, PENALTY_DIVISOR)
    if not np.all(safe):
        big = {i: int(rest[i]) * int(rest_part[i]) for i in np.flatnonzero(~safe).tolist()}
        rows = np.flatnonzero(~p_safe)
        for i, a, w in zip(
            t[rows].tolist(), p_amount[rows].tolist(), p_part[rows].tolist(), strict=True
        ):
            big[i] += a * w
        for i, total in big.items():
            value = round_half_up_int(total, PENALTY_DIVISOR)
            if value > _INT64_MAX:
                raise ValueError(f"долг № {i}: пени {value} коп. больше 2⁶³ − 1 коп.")
            penalty[i] = value
    return penalty


def _check_rates_known(
    schedule: _Schedule,
    daily: bool,
    end: int,
    rest_active: Bool,
    b1: I64,
    t: I64,
    p_active: Bool,
    p_day: I64,
) -> None:
    """A portion with a penalty day needs the rate of its first penalty day onwards
    (``DAILY``) or of its rate day (``PAYMENT_DAY``); before the first key rate it is
    unknown."""
    known = schedule.known_from
    if daily:
        rest_bad = rest_active & (b1 < known)
        p_bad = p_active & (b1[t] < known)
    else:
        rest_bad = rest_active & (end < known)
        p_bad = p_active & (p_day < known)
    for bad, rows, days in (
        (p_bad, t, b1[t] if daily else p_day),
        (rest_bad, None, b1 if daily else np.full(len(b1), end, dtype=np.int64)),
    ):
        if np.any(bad):
            i = _first(bad)
            tranche = i if rows is None else int(rows[i])
            raise ValueError(
                f"долг № {tranche}: нужна ставка на {day_date(int(days[i])):%d.%m.%Y}, а "
                f"таблица ключевых ставок начинается с {day_date(known):%d.%m.%Y}"
            )
