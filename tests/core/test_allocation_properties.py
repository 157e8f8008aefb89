"""Hypothesis: vectorised payment allocation equals the scalar reference, and the rules hold.

Random registries (1–3 accounts, several payments per account, named months that may have no
debt, targeted payments including services without debt, penalties, credits and zero rows,
and kopeck amounts either small — so that remainders tie often — or huge, near
`MAX_TOTAL_KOPECKS`, so that ``m·u_i`` passes int64) are allocated by
`raschet.core.allocation.allocate` and by `raschet.core.allocation_reference.allocate`; both
must agree row by row. The invariants of rules.md §3.5 / §14 are then checked on the result
by replaying the payments in order (the debt each payment saw is the unpaid amount minus what
earlier payments took).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raschet.core import allocation_reference as ref
from raschet.core.allocation import MAX_TOTAL_KOPECKS, NO_MONTH, NO_SERVICE, allocate
from raschet.core.allocation import split_proportional as split_vectorised
from raschet.core.allocation_reference import Debt, Payment

CASES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BASE_MONTH = 2024 * 12
ACCOUNTS = (17, 5, 2**40)  # arbitrary keys, not dense, not sorted
NO_DEBT_ACCOUNT = 99
SERVICES = (3, -5, 11)
NO_DEBT_SERVICE = 42
BIG = MAX_TOTAL_KOPECKS // 64  # 16 debt rows and 8 payments of at most BIG stay in bounds

SMALL_UNPAID = st.one_of(
    st.integers(-300, 0), st.integers(1, 400), st.sampled_from([1, 2, 3, 6, 100])
)
HUGE_UNPAID = st.one_of(st.integers(-BIG, 0), st.integers(BIG - 10**6, BIG), st.integers(1, BIG))
MONTHS = st.integers(0, 4).map(lambda m: BASE_MONTH + m)
NAMED = st.one_of(st.just(NO_MONTH), st.integers(-1, 5).map(lambda m: BASE_MONTH + m))


@st.composite
def payment(draw: st.DrawFn, huge: bool) -> Payment:
    account = draw(st.sampled_from([*ACCOUNTS, NO_DEBT_ACCOUNT]))
    month = draw(NAMED)
    if draw(st.integers(0, 3)) == 0:
        services = draw(
            st.lists(
                st.sampled_from([*SERVICES, NO_DEBT_SERVICE]), min_size=1, max_size=3, unique=True
            )
        )
        high = BIG // 3 if huge else 600
        targets = tuple((s, draw(st.integers(1, high))) for s in services)
        return Payment(account, sum(a for _, a in targets), month, targets)
    return Payment(account, draw(st.integers(1, BIG if huge else 1500)), month)


@st.composite
def registries(draw: st.DrawFn, huge: bool | None = None) -> tuple[list[Debt], list[Payment]]:
    if huge is None:
        huge = draw(st.integers(0, 4)) == 0
    accounts = ACCOUNTS[: draw(st.integers(1, 3))]
    debts = draw(
        st.lists(
            st.builds(
                Debt,
                account=st.sampled_from(accounts),
                month=MONTHS,
                service=st.sampled_from(SERVICES),
                penalty=st.booleans(),
                unpaid=HUGE_UNPAID if huge else SMALL_UNPAID,
            ),
            max_size=16,
        )
    )
    payments = draw(st.lists(payment(huge), max_size=8))
    return debts, payments


def run(debts: list[Debt], payments: list[Payment]) -> ref.Result:
    return ref.result_of(allocate(*ref.to_arrays(debts, payments)))


# ---------------------------------------------------------------------------------------
# The vectorised core equals the reference


@CASES
@given(registries())
def test_vectorised_equals_reference(case: tuple[list[Debt], list[Payment]]) -> None:
    debts, payments = case
    assert run(debts, payments) == ref.allocate(debts, payments)


@FEW
@given(registries(huge=True))
def test_vectorised_equals_reference_near_the_bound(
    case: tuple[list[Debt], list[Payment]],
) -> None:
    debts, payments = case
    assert run(debts, payments) == ref.allocate(debts, payments)


# ---------------------------------------------------------------------------------------
# Invariants, on the vectorised result replayed payment by payment


@dataclass(frozen=True)
class Unit:
    """One allocation: a payment, or one targeted amount of it, with the debt it saw."""

    payment: int
    named: int
    service: int  # NO_SERVICE: all services
    amount: int
    pool: list[int]  # the rows it may pay
    before: dict[int, int]  # row → positive unpaid amount it saw
    paid: dict[int, int]  # row → what it paid
    advance: int


def units(debts: list[Debt], payments: list[Payment], got: ref.Result) -> Iterator[Unit]:
    paid_by: dict[int, dict[int, int]] = defaultdict(dict)
    for p, i, a in got.allocations:
        paid_by[p][i] = a
    advance = {(p, s): a for p, s, a in got.advances}
    left = [d.unpaid for d in debts]
    for k, pay in enumerate(payments):
        for service, amount in pay.targets or ((NO_SERVICE, pay.amount),):
            pool = [
                i
                for i, d in enumerate(debts)
                if d.account == pay.account and service in (NO_SERVICE, d.service)
            ]
            yield Unit(
                payment=k,
                named=pay.month,
                service=service,
                amount=amount,
                pool=pool,
                before={i: max(left[i], 0) for i in pool},
                paid={i: paid_by[k][i] for i in pool if i in paid_by[k]},
                advance=advance.get((k, service), 0),
            )
        for i, a in paid_by[k].items():
            left[i] -= a


def blocks(debts: list[Debt], unit: Unit) -> list[list[int]]:
    """The unit's rows by month block, in the order of the rules: principal of the named month,
    other principal oldest first, penalty of the named month, other penalties oldest first."""
    keys = sorted(
        {(debts[i].penalty, debts[i].month != unit.named, debts[i].month) for i in unit.pool}
    )
    return [
        [
            i
            for i in unit.pool
            if (debts[i].penalty, debts[i].month != unit.named, debts[i].month) == k
        ]
        for k in keys
    ]


@CASES
@given(registries())
def test_parts_add_up_to_the_payment(case: tuple[list[Debt], list[Payment]]) -> None:
    debts, payments = case
    got = run(debts, payments)
    for unit in units(debts, payments, got):
        assert sum(unit.paid.values()) + unit.advance == unit.amount
    for k, pay in enumerate(payments):
        paid = sum(a for p, _, a in got.allocations if p == k)
        advanced = sum(a for p, _, a in got.advances if p == k)
        assert paid + advanced == pay.amount
    assert all(a > 0 for _, _, a in got.allocations + got.advances)


@CASES
@given(registries())
def test_no_row_gets_more_than_it_owes_and_credits_get_nothing(
    case: tuple[list[Debt], list[Payment]],
) -> None:
    debts, payments = case
    got = run(debts, payments)
    allocated = [0] * len(debts)
    for unit in units(debts, payments, got):
        for i, a in unit.paid.items():
            assert a <= unit.before[i]
            allocated[i] += a
    for i, d in enumerate(debts):
        assert allocated[i] <= max(d.unpaid, 0)
        assert got.remaining[i] == d.unpaid - allocated[i]
    # Every allocation is to a row of the payment's own pool (account, and service if named).
    in_pool = {(u.payment, i) for u in units(debts, payments, got) for i in u.pool}
    assert all((p, i) in in_pool for p, i, _ in got.allocations)


@CASES
@given(registries())
def test_principal_before_penalties(case: tuple[list[Debt], list[Payment]]) -> None:
    debts, payments = case
    for unit in units(debts, payments, run(debts, payments)):
        if any(debts[i].penalty for i in unit.paid):
            for i in unit.pool:
                if not debts[i].penalty:
                    assert unit.paid.get(i, 0) == unit.before[i]


@CASES
@given(registries())
def test_oldest_first_after_the_named_month(case: tuple[list[Debt], list[Payment]]) -> None:
    debts, payments = case
    for unit in units(debts, payments, run(debts, payments)):
        order = blocks(debts, unit)
        for k, block in enumerate(order):
            short = sum(unit.paid.get(i, 0) for i in block) < sum(unit.before[i] for i in block)
            if short:  # the money ran out here: no later block, no advance
                assert all(unit.paid.get(i, 0) == 0 for b in order[k + 1 :] for i in b)
                assert unit.advance == 0
        # The spec's words: a month k (not the named one) paid short → no later month paid.
        for penalty in (False, True):
            rows = [i for i in unit.pool if debts[i].penalty == penalty]
            for month in {debts[i].month for i in rows} - {unit.named}:
                block = [i for i in rows if debts[i].month == month]
                if sum(unit.paid.get(i, 0) for i in block) < sum(unit.before[i] for i in block):
                    later = [
                        i for i in rows if debts[i].month > month and debts[i].month != unit.named
                    ]
                    assert all(unit.paid.get(i, 0) == 0 for i in later)


@CASES
@given(registries())
def test_proportional_inside_a_month_within_one_kopeck(
    case: tuple[list[Debt], list[Payment]],
) -> None:
    debts, payments = case
    for unit in units(debts, payments, run(debts, payments)):
        for block in blocks(debts, unit):
            due = sum(unit.before[i] for i in block)
            paid = sum(unit.paid.get(i, 0) for i in block)
            for i in block:
                if due:
                    assert abs(unit.paid.get(i, 0) - Fraction(paid * unit.before[i], due)) < 1
                else:
                    assert unit.paid.get(i, 0) == 0


def permuted(debts: list[Debt], order: list[int]) -> tuple[list[Debt], dict[int, int]]:
    """``debts`` in the new ``order`` (old indices), and old index → new index."""
    return [debts[i] for i in order], {old: new for new, old in enumerate(order)}


@CASES
@given(st.data())
def test_row_order_matters_only_as_the_tie_break_inside_a_month(data: st.DataObject) -> None:
    """Rows shuffled, but with the relative order of rows of the same (account, penalty, month)
    kept — that order is the tie-break of equal remainders — give the same result per row."""
    debts, payments = data.draw(registries())
    order = data.draw(st.permutations(range(len(debts))))
    classes: dict[tuple[int, bool, int], list[int]] = defaultdict(list)
    for i in order:
        d = debts[i]
        classes[d.account, d.penalty, d.month].append(i)
    for rows in classes.values():
        rows.sort()
    taken = {k: iter(v) for k, v in classes.items()}
    order = [next(taken[debts[i].account, debts[i].penalty, debts[i].month]) for i in order]
    shuffled, new_index = permuted(debts, order)
    before, after = run(debts, payments), run(shuffled, payments)
    assert after.allocations == sorted((p, new_index[i], a) for p, i, a in before.allocations)
    assert after.advances == before.advances
    assert after.remaining == [before.remaining[i] for i in order]


def block_totals(
    debts: list[Debt], payments: list[Payment], got: ref.Result
) -> dict[tuple[int, int, bool, int], int]:
    """Σ paid per (payment, service of a target or NO_SERVICE, penalty, month): the month
    blocks of the rules, blind to which row of a block got which kopeck."""
    sums: dict[tuple[int, int, bool, int], int] = defaultdict(int)
    for p, i, a in got.allocations:
        d = debts[i]
        sums[p, d.service if payments[p].targets else NO_SERVICE, d.penalty, d.month] += a
    return dict(sums)


@CASES
@given(st.data())
def test_any_row_order_gives_the_same_month_totals_and_advances(data: st.DataObject) -> None:
    """With any shuffle, the tie-break may move a kopeck between rows of one month block, but
    what each payment pays per block and its advance stay the same.

    Precisely: this holds unless a targeted payment follows an untargeted one of the same
    account (a kopeck moved between services of a month by the first changes what the second
    owes for its service), so such targeted payments are dropped from the drawn registry.
    """
    debts, drawn = data.draw(registries())
    plain_seen: set[int] = set()
    payments = []
    for pay in drawn:
        if not (pay.targets and pay.account in plain_seen):
            payments.append(pay)
        if not pay.targets:
            plain_seen.add(pay.account)
    order = data.draw(st.permutations(range(len(debts))))
    shuffled, _ = permuted(debts, order)
    before, after = run(debts, payments), run(shuffled, payments)
    assert after.advances == before.advances
    assert block_totals(shuffled, payments, after) == block_totals(debts, payments, before)


# ---------------------------------------------------------------------------------------
# split_proportional


@CASES
@given(
    st.lists(
        st.tuples(
            st.one_of(st.integers(0, 1000), st.integers(0, BIG)),
            st.lists(st.one_of(st.integers(0, 5), st.integers(0, BIG)), max_size=5),
        ),
        min_size=1,
        max_size=6,
    ),
    st.randoms(use_true_random=False),
)
def test_split_proportional_equals_reference(
    groups: list[tuple[int, list[int]]], rnd: random.Random
) -> None:
    rows = [(g, w) for g, (_, ws) in enumerate(groups) for w in ws]
    rnd.shuffle(rows)
    got = split_vectorised(
        np.asarray([t for t, _ in groups], dtype=np.int64),
        np.asarray([w for _, w in rows], dtype=np.int64),
        np.asarray([g for g, _ in rows], dtype=np.int64),
    )
    for g, (total, _) in enumerate(groups):
        mine = [k for k, (gg, _) in enumerate(rows) if gg == g]
        expected = ref.split_proportional(total, [rows[k][1] for k in mine])
        parts = [int(got.amount[k]) for k in mine]
        if expected is None:
            assert parts == [0] * len(mine)
            assert int(got.unallocated[g]) == total
        else:
            assert parts == expected
            assert int(got.unallocated[g]) == 0
            assert sum(parts) == total
            weight = sum(rows[k][1] for k in mine)
            for k, part in zip(mine, parts, strict=True):
                assert abs(part - Fraction(total * rows[k][1], weight)) < 1
