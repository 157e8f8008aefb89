"""Scalar reference of payment allocation (rules.md §3.5, §7.2, §14 "Payment allocation").

The second, independent statement of what `raschet.core.allocation.allocate` does with numpy,
written to be read against the rules, one payment at a time, with Python integers and
`fractions.Fraction`:

1. a payment that names services (targets) pays each service only with its own amount
   (the payer chose the service: rules.md §3.5, first bullet); otherwise it pays all services;
2. principal before penalties (Пленум ВС № 54 от 22.11.2016 п.37; ГК ст.319);
3. within principal, then within penalties: the month the payment names first (Пленум ВС № 22
   от 27.06.2017 п.32), then the other months oldest first (ГК ст.319.1 п.3);
4. inside a month: paid in full if the money covers it, otherwise proportionally to the unpaid
   amounts of its rows (ПП 354 п.118), each row getting ``floor`` of its exact share and the
   kopecks left over going one each to the largest remainders, ties to the lower row index;
5. what is left is an advance (of the payment, or of the service for a targeted amount).

A debt row with unpaid ≤ 0 (a credit) is never paid into. Payments are applied in list order,
each seeing what the earlier ones left. Slow on purpose: the hypothesis tests compare
`allocate` with it row by row. `to_arrays` and `result_of` convert between this form and the
vectorised one so that a test case is written once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from raschet.core.allocation import NO_MONTH, NO_SERVICE, Allocation, Debts, Payments, Targets


@dataclass(frozen=True)
class Debt:
    """An unpaid item of an account: a service's principal or penalty of one ЕПД month."""

    account: int
    month: int
    service: int
    penalty: bool
    unpaid: int  # kopecks; ≤ 0 is a credit


@dataclass(frozen=True)
class Payment:
    """A payment; ``targets`` are ``(service, amount)`` pairs adding up to ``amount``."""

    account: int
    amount: int  # kopecks
    month: int = NO_MONTH
    targets: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Result:
    """Allocations ``(payment, debt, amount)`` and advances ``(payment, service, amount)``,
    both non-zero and sorted; ``remaining`` is each debt's unpaid amount after all payments."""

    allocations: list[tuple[int, int, int]]
    advances: list[tuple[int, int, int]]
    remaining: list[int]


def largest_remainder(money: int, weights: Sequence[int]) -> list[int]:
    """Split ``money`` by ``weights`` (Σ > 0): each part is the floor of its exact share
    ``money·w/Σw``; the kopecks left over go one each to the largest remainders, and between
    equal remainders to the earlier position."""
    total = sum(weights)
    shares = [Fraction(money * w, total) for w in weights]
    parts = [math.floor(s) for s in shares]
    left_over = money - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(shares[i] - parts[i]), i))
    for i in by_remainder[:left_over]:
        parts[i] += 1
    return parts


def split_proportional(total: int, weights: Sequence[int]) -> list[int] | None:
    """Spread ``total`` (an advance) by ``weights`` (the services of the last ЕПД); None when
    all weights are zero: the advance stays unallocated (rules.md §7.2 step 5)."""
    if sum(weights) == 0:
        return None
    return largest_remainder(total, weights)


def _month_order(months: set[int], named: int) -> list[int]:
    """The named month first, then the others oldest first."""
    return sorted(months, key=lambda m: (m != named, m))


def allocate(debts: Sequence[Debt], payments: Sequence[Payment]) -> Result:
    """Apply the payments one after another (see the module docstring for the rules)."""
    left = [d.unpaid for d in debts]
    allocations: list[tuple[int, int, int]] = []
    advances: list[tuple[int, int, int]] = []
    for p_index, payment in enumerate(payments):
        parts = payment.targets or ((NO_SERVICE, payment.amount),)
        for service, amount in parts:
            pool = [
                i
                for i, d in enumerate(debts)
                if d.account == payment.account and service in (NO_SERVICE, d.service)
            ]
            money = amount
            for penalty in (False, True):
                rows = [i for i in pool if debts[i].penalty == penalty]
                for month in _month_order({debts[i].month for i in rows}, payment.month):
                    block = [i for i in rows if debts[i].month == month and left[i] > 0]
                    due = sum(left[i] for i in block)
                    if due == 0 or money == 0:
                        continue
                    if money >= due:
                        paid = [left[i] for i in block]
                    else:
                        paid = largest_remainder(money, [left[i] for i in block])
                    for i, a in zip(block, paid, strict=True):
                        if a:
                            allocations.append((p_index, i, a))
                            left[i] -= a
                    money -= sum(paid)
            if money:
                advances.append((p_index, service, money))
    return Result(sorted(allocations), sorted(advances), left)


def to_arrays(
    debts: Sequence[Debt], payments: Sequence[Payment]
) -> tuple[Debts, Payments, Targets]:
    """The vectorised input of the same case (targets in payment order)."""

    def ints(values: list[int]) -> np.ndarray[tuple[int], np.dtype[np.int64]]:
        return np.asarray(values, dtype=np.int64).reshape(-1)

    return (
        Debts(
            account=ints([d.account for d in debts]),
            month=ints([d.month for d in debts]),
            service=ints([d.service for d in debts]),
            penalty=np.asarray([d.penalty for d in debts], dtype=np.bool_).reshape(-1),
            unpaid=ints([d.unpaid for d in debts]),
        ),
        Payments(
            account=ints([p.account for p in payments]),
            amount=ints([p.amount for p in payments]),
            month=ints([p.month for p in payments]),
        ),
        Targets(
            payment=ints([k for k, p in enumerate(payments) for _ in p.targets]),
            service=ints([s for p in payments for s, _ in p.targets]),
            amount=ints([a for p in payments for _, a in p.targets]),
        ),
    )


def result_of(allocation: Allocation) -> Result:
    """The vectorised `Allocation` in the reference's form."""
    return Result(
        allocations=list(
            zip(
                allocation.payment.tolist(),
                allocation.debt.tolist(),
                allocation.amount.tolist(),
                strict=True,
            )
        ),
        advances=list(
            zip(
                allocation.advance_payment.tolist(),
                allocation.advance_service.tolist(),
                allocation.advance_amount.tolist(),
                strict=True,
            )
        ),
        remaining=allocation.remaining.tolist(),
    )
