"""Worked examples and bad input of payment allocation (rules.md §3.5, §7.2, §14).

Every example runs the vectorised `allocate` and checks it against hand-computed numbers; the
scalar reference must give the same (the hypothesis file does that on random registries).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from raschet.core import allocation_reference as ref
from raschet.core.allocation import (
    MAX_TOTAL_KOPECKS,
    NO_MONTH,
    NO_SERVICE,
    Debts,
    Payments,
    Targets,
    allocate,
    split_proportional,
)
from raschet.core.allocation_reference import Debt, Payment

JAN, FEB, MAR, APR = 2025 * 12, 2025 * 12 + 1, 2025 * 12 + 2, 2025 * 12 + 3
WATER, HEAT, REPAIR, GAS = 1, 2, 3, 4
A, B = 1001, 1002


def run(debts: list[Debt], payments: list[Payment]) -> ref.Result:
    """The vectorised result, after checking the reference agrees with it."""
    got = ref.result_of(allocate(*ref.to_arrays(debts, payments)))
    assert got == ref.allocate(debts, payments)
    return got


def principal(month: int, service: int, unpaid: int, account: int = A) -> Debt:
    return Debt(account=account, month=month, service=service, penalty=False, unpaid=unpaid)


def penalty(month: int, service: int, unpaid: int, account: int = A) -> Debt:
    return Debt(account=account, month=month, service=service, penalty=True, unpaid=unpaid)


# ---------------------------------------------------------------------------------------
# Order of allocation


def test_a_payment_of_the_whole_debt_pays_every_row_and_leaves_no_advance() -> None:
    debts = [principal(JAN, WATER, 1000), principal(FEB, HEAT, 2500), penalty(JAN, WATER, 37)]
    got = run(debts, [Payment(A, 3537)])
    assert got.allocations == [(0, 0, 1000), (0, 1, 2500), (0, 2, 37)]
    assert got.advances == []
    assert got.remaining == [0, 0, 0]


def test_excess_is_an_advance_of_the_payment() -> None:
    got = run([principal(JAN, WATER, 1000)], [Payment(A, 1500)])
    assert got.allocations == [(0, 0, 1000)]
    assert got.advances == [(0, NO_SERVICE, 500)]


def test_oldest_month_first_when_no_month_is_named() -> None:
    debts = [principal(MAR, WATER, 300), principal(JAN, WATER, 100), principal(FEB, WATER, 200)]
    got = run(debts, [Payment(A, 250)])
    assert got.allocations == [(0, 1, 100), (0, 2, 150)]
    assert got.remaining == [300, 0, 50]


def test_the_named_month_first_then_the_oldest() -> None:
    debts = [principal(JAN, WATER, 100), principal(FEB, WATER, 200), principal(MAR, WATER, 300)]
    got = run(debts, [Payment(A, 350, month=MAR)])
    assert got.allocations == [(0, 0, 50), (0, 2, 300)]
    assert got.remaining == [50, 200, 0]


def test_a_named_month_without_debt_falls_back_to_the_oldest() -> None:
    debts = [principal(FEB, WATER, 200), principal(JAN, WATER, 100)]
    got = run(debts, [Payment(A, 150, month=APR)])
    assert got.allocations == [(0, 0, 50), (0, 1, 100)]


def test_principal_of_every_month_before_any_penalty() -> None:
    debts = [penalty(JAN, WATER, 40), principal(FEB, WATER, 200), principal(JAN, WATER, 100)]
    got = run(debts, [Payment(A, 320)])
    assert got.allocations == [(0, 0, 20), (0, 1, 200), (0, 2, 100)]


def test_named_month_principal_then_other_principal_then_named_penalty() -> None:
    debts = [
        principal(JAN, WATER, 100),
        principal(FEB, WATER, 200),
        penalty(JAN, WATER, 10),
        penalty(FEB, WATER, 20),
    ]
    got = run(debts, [Payment(A, 320, month=FEB)])
    assert got.allocations == [(0, 0, 100), (0, 1, 200), (0, 3, 20)]
    assert got.remaining == [0, 0, 10, 0]


# ---------------------------------------------------------------------------------------
# Inside a month: proportional, largest remainder


def test_partial_month_is_split_proportionally_with_the_largest_remainder() -> None:
    # Exact shares of 100 by 100:200:300 are 16⅔, 33⅓, 50: floors 16, 33, 50 leave one
    # kopeck, which goes to the largest remainder (⅔, the first row).
    debts = [principal(JAN, WATER, 100), principal(JAN, HEAT, 200), principal(JAN, REPAIR, 300)]
    got = run(debts, [Payment(A, 100)])
    assert got.allocations == [(0, 0, 17), (0, 1, 33), (0, 2, 50)]


def test_equal_remainders_go_to_the_lower_row_index() -> None:
    debts = [principal(FEB, GAS, 5), principal(JAN, WATER, 1), principal(JAN, HEAT, 1)]
    debts += [principal(JAN, REPAIR, 1)]
    got = run(debts, [Payment(A, 2)])
    assert got.allocations == [(0, 1, 1), (0, 2, 1)]


def test_a_larger_remainder_beats_a_lower_index() -> None:
    # 5 by 1:3 → shares 1¼ and 3¾: the second row has the larger remainder.
    got = run([principal(JAN, WATER, 1), principal(JAN, HEAT, 3)], [Payment(A, 3)])
    assert got.allocations == [(0, 0, 1), (0, 1, 2)]
    got = run([principal(JAN, WATER, 4), principal(JAN, HEAT, 12)], [Payment(A, 5)])
    assert got.allocations == [(0, 0, 1), (0, 1, 4)]


def test_credits_are_never_paid_into_nor_netted() -> None:
    debts = [principal(JAN, WATER, -500), principal(JAN, HEAT, 300), principal(FEB, GAS, 0)]
    got = run(debts, [Payment(A, 400)])
    assert got.allocations == [(0, 1, 300)]
    assert got.advances == [(0, NO_SERVICE, 100)]
    assert got.remaining == [-500, 0, 0]


# ---------------------------------------------------------------------------------------
# Several payments, several accounts, targets


def test_later_payments_of_an_account_see_what_earlier_ones_left() -> None:
    debts = [principal(JAN, WATER, 100), principal(JAN, HEAT, 200), principal(FEB, WATER, 50)]
    payments = [Payment(A, 100), Payment(B, 70), Payment(A, 250), Payment(A, 10)]
    got = run(debts, payments)
    # First: 100 by 100:200 → 33⅓, 66⅔ → 33, 67. Second (account B, no debt): an advance.
    # Third: January's rest 67 + 133 = 200, then February 50. Fourth: all an advance.
    assert got.allocations == [
        (0, 0, 33),
        (0, 1, 67),
        (2, 0, 67),
        (2, 1, 133),
        (2, 2, 50),
    ]
    assert got.advances == [(1, NO_SERVICE, 70), (3, NO_SERVICE, 10)]


def test_accounts_are_independent() -> None:
    debts = [principal(JAN, WATER, 100, account=B), principal(JAN, WATER, 100, account=A)]
    got = run(debts, [Payment(A, 60), Payment(B, 30)])
    assert got.allocations == [(0, 1, 60), (1, 0, 30)]


def test_targets_pay_only_their_service() -> None:
    debts = [
        principal(JAN, WATER, 100),
        principal(FEB, WATER, 100),
        principal(JAN, HEAT, 500),
        penalty(JAN, HEAT, 30),
    ]
    targets = ((WATER, 150), (HEAT, 540), (GAS, 25))
    got = run(debts, [Payment(A, 715, targets=targets)])
    assert got.allocations == [(0, 0, 100), (0, 1, 50), (0, 2, 500), (0, 3, 30)]
    assert got.advances == [(0, HEAT, 10), (0, GAS, 25)]


def test_targets_with_a_named_month() -> None:
    debts = [principal(JAN, WATER, 100), principal(FEB, WATER, 100), principal(JAN, HEAT, 80)]
    got = run(debts, [Payment(A, 120, month=FEB, targets=((WATER, 120),))])
    assert got.allocations == [(0, 0, 20), (0, 1, 100)]
    assert got.remaining == [80, 0, 80]


def test_empty_registry() -> None:
    got = run([], [])
    assert got == ref.Result([], [], [])
    assert run([principal(JAN, WATER, 5)], []).remaining == [5]
    assert run([], [Payment(A, 5)]).advances == [(0, NO_SERVICE, 5)]


def test_month_arrays_may_be_int32() -> None:
    debts = Debts(
        account=np.asarray([1, 1]),
        month=np.asarray([2, 1], dtype=np.int32),
        service=np.asarray([7, 7]),
        penalty=np.asarray([False, False]),
        unpaid=np.asarray([10, 10]),
    )
    payments = Payments(
        account=np.asarray([1]), amount=np.asarray([15]), month=np.asarray([-1], dtype=np.int32)
    )
    got = allocate(debts, payments)
    assert got.debt.tolist() == [0, 1]
    assert got.amount.tolist() == [5, 10]


# ---------------------------------------------------------------------------------------
# Huge values: exact beyond int64 products, refused beyond the stated bound


def test_huge_amounts_are_split_exactly() -> None:
    big = MAX_TOTAL_KOPECKS // 4
    unpaid = [big - 7, big // 3 + 1, big // 2 - 5]
    debts = [principal(JAN, s, u) for s, u in zip((WATER, HEAT, REPAIR), unpaid, strict=True)]
    money = big - 12_345
    assert money * unpaid[0] > 2**63  # the Python-integer path
    got = run(debts, [Payment(A, money)])
    total = sum(unpaid)
    parts = [a for _, _, a in got.allocations]
    assert sum(parts) == money
    for part, u in zip(parts, unpaid, strict=True):
        assert abs(part - Fraction(money * u, total)) < 1


def test_sums_up_to_the_bound_are_accepted() -> None:
    half = MAX_TOTAL_KOPECKS // 2
    debts = [principal(JAN, WATER, half), principal(JAN, HEAT, MAX_TOTAL_KOPECKS - half)]
    got = run(debts, [Payment(A, MAX_TOTAL_KOPECKS - 1)])
    assert sum(a for _, _, a in got.allocations) == MAX_TOTAL_KOPECKS - 1


@pytest.mark.parametrize(
    ("debts", "payments", "message"),
    [
        ([principal(JAN, WATER, MAX_TOTAL_KOPECKS + 1)], [], "долг № 0: .* больше допустимых"),
        (
            [principal(JAN, WATER, MAX_TOTAL_KOPECKS), principal(JAN, HEAT, 1)],
            [],
            "долг: сумма больше допустимых",
        ),
        ([principal(JAN, WATER, -MAX_TOTAL_KOPECKS - 1)], [], "по модулю больше допустимых"),
        ([], [Payment(A, MAX_TOTAL_KOPECKS + 1)], "платёж № 0: .* больше допустимых"),
        (
            [],
            [Payment(A, MAX_TOTAL_KOPECKS), Payment(B, 1)],
            "платёж: сумма больше допустимых .* разбейте реестр",
        ),
    ],
)
def test_amounts_beyond_the_bound_are_refused(
    debts: list[Debt], payments: list[Payment], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        allocate(*ref.to_arrays(debts, payments))


# ---------------------------------------------------------------------------------------
# Bad input


def arrays(
    debts: list[Debt] | None = None, payments: list[Payment] | None = None
) -> tuple[Debts, Payments, Targets]:
    return ref.to_arrays(
        debts if debts is not None else [principal(JAN, WATER, 100)],
        payments if payments is not None else [Payment(A, 100)],
    )


@pytest.mark.parametrize("amount", [0, -100])
def test_payment_amount_must_be_positive(amount: int) -> None:
    with pytest.raises(ValueError, match=rf"платёж № 1: сумма должна быть больше нуля.*{amount}"):
        allocate(*arrays(payments=[Payment(A, 5), Payment(A, amount)]))


def test_payment_month_below_minus_one_is_refused() -> None:
    with pytest.raises(ValueError, match="платёж № 0: номер месяца -2 меньше −1"):
        allocate(*arrays(payments=[Payment(A, 5, month=-2)]))


def test_debt_month_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="долг № 1: номер месяца -1 отрицательный"):
        allocate(*arrays(debts=[principal(JAN, WATER, 1), principal(-1, WATER, 1)]))


def test_targets_must_add_up_to_the_payment() -> None:
    payments = [Payment(A, 100), Payment(A, 100, targets=((WATER, 60), (HEAT, 30)))]
    with pytest.raises(
        ValueError, match=r"платёж № 1: сумма адресных частей 90 коп\. не равна сумме платежа 100"
    ):
        allocate(*arrays(payments=payments))


def test_target_amount_must_be_positive() -> None:
    payments = [Payment(A, 100, targets=((WATER, 110), (HEAT, -10)))]
    with pytest.raises(ValueError, match="адресная часть № 1 платежа № 0: сумма должна быть"):
        allocate(*arrays(payments=payments))


def test_a_service_named_twice_in_one_payment_is_refused() -> None:
    payments = [Payment(A, 100, targets=((WATER, 60), (WATER, 40)))]
    with pytest.raises(ValueError, match="платёж № 0: услуга 1 указана в адресных частях дважды"):
        allocate(*arrays(payments=payments))


def test_reserved_service_key_in_targets_is_refused() -> None:
    payments = [Payment(A, 100, targets=((NO_SERVICE, 100),))]
    with pytest.raises(ValueError, match="ключ услуги −1 зарезервирован"):
        allocate(*arrays(payments=payments))


def test_target_of_a_missing_payment_is_refused() -> None:
    debts, payments, _ = arrays()
    targets = Targets(payment=np.asarray([3]), service=np.asarray([1]), amount=np.asarray([100]))
    with pytest.raises(ValueError, match="адресная часть № 0: нет платежа № 3"):
        allocate(debts, payments, targets)


def test_mismatched_array_lengths_are_refused() -> None:
    debts, payments, _ = arrays()
    short_debts = Debts(
        account=debts.account,
        month=debts.month,
        service=debts.service,
        penalty=debts.penalty,
        unpaid=np.asarray([1, 2]),
    )
    with pytest.raises(ValueError, match=r"Debts: длины массивов различаются \(.*unpaid 2\)"):
        allocate(short_debts, payments)
    long_payments = Payments(account=payments.account, amount=payments.amount, month=np.r_[-1, -1])
    with pytest.raises(ValueError, match="Payments: длины массивов различаются"):
        allocate(debts, long_payments)
    bad_targets = Targets(
        payment=np.asarray([0]), service=np.asarray([1, 2]), amount=np.asarray([100])
    )
    with pytest.raises(ValueError, match="Targets: длины массивов различаются"):
        allocate(debts, payments, bad_targets)


def test_money_must_be_integer_kopecks() -> None:
    debts, payments, _ = arrays()
    float_payments = Payments(
        account=payments.account, amount=np.asarray([1.5]), month=payments.month
    )
    with pytest.raises(ValueError, match=r"Payments\.amount: ожидаются целые числа"):
        allocate(debts, float_payments)


def test_penalty_flags_must_be_booleans() -> None:
    debts, payments, _ = arrays()
    bad = Debts(
        account=debts.account,
        month=debts.month,
        service=debts.service,
        penalty=np.asarray([2]),
        unpaid=debts.unpaid,
    )
    with pytest.raises(ValueError, match=r"Debts\.penalty: ожидаются логические значения"):
        allocate(bad, payments)


def test_two_dimensional_arrays_are_refused() -> None:
    debts, payments, _ = arrays()
    bad = Payments(account=payments.account, amount=np.asarray([[100]]), month=payments.month)
    with pytest.raises(ValueError, match=r"Payments\.amount: ожидается одномерный массив"):
        allocate(debts, bad)


# ---------------------------------------------------------------------------------------
# split_proportional


def test_split_proportional_by_the_last_document() -> None:
    got = split_proportional(
        np.asarray([100, 50, 7]),
        np.asarray([100, 200, 300, 0, 0, 1, 1]),
        np.asarray([0, 0, 0, 1, 1, 2, 2]),
    )
    assert got.amount.tolist() == [17, 33, 50, 0, 0, 4, 3]
    assert got.unallocated.tolist() == [0, 50, 0]


def test_split_proportional_rows_need_not_be_sorted_and_groups_may_be_empty() -> None:
    got = split_proportional(
        np.asarray([10, 9, 4]), np.asarray([1, 2, 1, 1]), np.asarray([1, 0, 1, 1])
    )
    assert got.amount.tolist() == [3, 10, 3, 3]
    assert got.unallocated.tolist() == [0, 0, 4]
    assert ref.split_proportional(9, [1, 1, 1]) == [3, 3, 3]
    assert ref.split_proportional(4, []) is None


@pytest.mark.parametrize(
    ("total", "weights", "group", "message"),
    [
        ([-1], [1], [0], "отрицательная сумма группы № 0"),
        ([1], [-1], [0], "отрицательный вес строки № 0"),
        ([1], [1, 1], [0, 1], "строка № 1 ссылается на несуществующую группу 1"),
        ([1], [1], [0, 0], "длины массивов различаются"),
        ([MAX_TOTAL_KOPECKS + 1], [1], [0], "больше допустимых"),
    ],
)
def test_split_proportional_bad_input(
    total: list[int], weights: list[int], group: list[int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        split_proportional(np.asarray(total), np.asarray(weights), np.asarray(group))


def test_constants() -> None:
    assert NO_MONTH == -1
    assert NO_SERVICE == -1
    assert MAX_TOTAL_KOPECKS * 2 < 2**63  # a running sum plus a payment still fits in int64
