"""Payment allocation: which debts a payment pays, vectorised (rules.md §3.5, §7.2, §14).

A registry of payments (up to a million at once) is applied to the accounts' unpaid debts:

* a payment that names services (a *targeted* payment: separate QR per provider, a bank
  registry with a split by service) pays each service only with the amount named for it;
* a payment that names a month (ЕПД number, ``PaymPeriod``) pays that month first
  (Пленум ВС № 22 от 27.06.2017 п.32: to the period stated in the payment document);
* otherwise, and with what is left after the named month, the oldest month first
  (ГК ст.319.1 п.3: the earliest obligation first);
* inside one month proportionally to the unpaid amounts of its services (ПП 354 п.118,
  ПП № 253 от 28.03.2012: the payer cannot choose a priority among services);
* principal before penalties (Пленум ВС № 54 от 22.11.2016 п.37: ГК ст.319 puts only costs
  and interest for use ahead of principal, неустойка is not among them);
* what is left is an advance of the payment (of the service, for a targeted amount).

Order of one allocation, for a payment or for one targeted amount restricted to its service:
principal rows — the named month, then the other months oldest first; then penalty rows in
the same month order. A month whose unpaid sum is covered is paid in full; the month where the
money runs out is split ``floor(m·u_i/U)`` and the kopecks left over go one each to the rows
with the largest remainders, ties to the lower row index of the input (largest-remainder
method: every row is within one kopeck of its exact share, and the parts add up exactly).

Payments of one account are applied in array order, each one seeing the debt the previous ones
left. The work is done in *rounds*: round k applies the k-th payment of every account at once,
so the Python loop runs over rounds, never over payments or debt rows.

Not included: the *limitation period* (which debts are still claimable is the caller's choice
of rows), spreading an advance over the services of the last ЕПД (`split_proportional` does
the arithmetic, the caller decides when), penalty computation, and storing anything.
The scalar statement of the same rules is `raschet.core.allocation_reference`; the hypothesis
tests in ``tests/core/test_allocation_properties.py`` prove both agree row by row.

Bounds: every amount is an integer number of kopecks; the sum of all payment amounts and the
sum of all positive unpaid amounts of a call must each be at most `MAX_TOTAL_KOPECKS`
(10¹⁸ kopecks = 10¹⁶ ₽), so every running sum fits in int64. Products ``m·u_i`` that might
not fit are computed with Python integers, exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

MAX_TOTAL_KOPECKS = 10**18
"""Largest sum of payments (and of positive debts) one call accepts: 10¹⁶ ₽, far above any
registry, and small enough that every running sum of the algorithm fits in int64."""

NO_MONTH = -1
"""`Payments.month` of a payment that does not name a ЕПД month."""

NO_SERVICE = -1
"""`Allocation.advance_service` of the advance of a payment without targets."""

_INT64_MAX = np.iinfo(np.int64).max
_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Debts:
    """One row per unpaid item of an account (account × month × service × principal/penalty).

    ``unpaid`` ≤ 0 is a credit: it is never paid into and is not netted against other rows.
    Rows may come in any order; the row index breaks ties of the proportional split.
    """

    account: I64
    month: I64  # month ordinal (e.g. year·12 + month − 1) of the ЕПД the debt belongs to, ≥ 0
    service: I64
    penalty: Bool  # True: penalty (пени), paid after all principal
    unpaid: I64  # kopecks


@dataclass(frozen=True)
class Payments:
    """One row per payment; payments of an account are applied in array order."""

    account: I64
    amount: I64  # kopecks, > 0
    month: I64  # the ЕПД month the payment names, or `NO_MONTH`


@dataclass(frozen=True)
class Targets:
    """Amounts of targeted payments by service; a payment with targets is fully split by them
    (Σ amounts = the payment's amount), a payment without targets pays all services."""

    payment: I64  # index into `Payments`
    service: I64  # a service key; `NO_SERVICE` (−1) is reserved
    amount: I64  # kopecks, > 0

    @classmethod
    def empty(cls) -> Targets:
        return cls(payment=_EMPTY, service=_EMPTY, amount=_EMPTY)


@dataclass(frozen=True)
class Allocation:
    """What each payment paid, and what it left as an advance.

    Allocations are the non-zero ``(payment, debt row, amount)`` triples sorted by payment,
    then debt row; a payment pays a row at most once. Advances are the non-zero
    ``(payment, service, amount)`` triples sorted by payment, then service; ``service`` is
    `NO_SERVICE` for a payment without targets. ``remaining`` is, per debt row, the unpaid
    amount after all payments (credits unchanged).
    """

    payment: I64
    debt: I64
    amount: I64
    advance_payment: I64
    advance_service: I64
    advance_amount: I64
    remaining: I64


@dataclass(frozen=True)
class Split:
    """Result of `split_proportional`: a part per row, and per group what could not be spread
    because all the group's weights are zero (the whole total then, otherwise 0)."""

    amount: I64
    unallocated: I64


# ---------------------------------------------------------------------------------------
# Input checks


def _int_array(values: object, what: str) -> I64:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{what}: ожидается одномерный массив")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{what}: ожидаются целые числа (копейки, ключи, номера месяцев)")
    if array.dtype == np.uint64 and array.size and int(array.max()) > _INT64_MAX:
        raise ValueError(f"{what}: значение больше 2⁶³ − 1")
    return array.astype(np.int64, copy=False)


def _bool_array(values: object, what: str) -> Bool:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{what}: ожидается одномерный массив")
    not_bool = array.size > 0 and array.dtype != np.bool_
    if not_bool and (
        not np.issubdtype(array.dtype, np.integer) or np.any((array != 0) & (array != 1))
    ):
        raise ValueError(f"{what}: ожидаются логические значения")
    return array.astype(np.bool_, copy=False)


def _same_length(name: str, **arrays: npt.NDArray[np.generic]) -> None:
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{k} {n}" for k, n in lengths.items())
        raise ValueError(f"{name}: длины массивов различаются ({listed})")


def _first(mask: Bool) -> int:
    return int(np.flatnonzero(mask)[0])


def _exact_total(values: I64) -> int:
    """Σ of non-negative int64 values ≤ 2⁶² as a Python int, without int64 wrap-around."""
    high = values >> 31
    low = values & (2**31 - 1)
    return int(high.sum()) * 2**31 + int(low.sum())


def _check_total(values: I64, what: str) -> None:
    too_big = values > MAX_TOTAL_KOPECKS
    if np.any(too_big):
        i = _first(too_big)
        raise ValueError(
            f"{what} № {i}: {int(values[i])} коп. больше допустимых {MAX_TOTAL_KOPECKS} коп."
        )
    if _exact_total(values) > MAX_TOTAL_KOPECKS:
        raise ValueError(
            f"{what}: сумма больше допустимых {MAX_TOTAL_KOPECKS} коп. за один расчёт — "
            "разбейте реестр на части"
        )


# ---------------------------------------------------------------------------------------
# Exact arithmetic of the proportional split


def _mul_divmod(a: I64, b: I64, d: I64) -> tuple[I64, I64]:
    """``divmod(a·b, d)`` elementwise and exact, for ``a, b ≥ 0``, ``d > 0``.

    The caller guarantees the quotient fits in int64 (it is at most ``b`` when ``a ≤ d``, or at
    most ``a`` when ``b ≤ d``). Rows whose product might pass int64 are computed with Python
    integers; the test ``b ≤ INT64_MAX // a`` is itself exact.
    """
    q = np.zeros(len(a), dtype=np.int64)
    r = np.zeros(len(a), dtype=np.int64)
    safe = b <= _INT64_MAX // np.maximum(a, 1)
    q[safe], r[safe] = np.divmod(a[safe] * b[safe], d[safe])
    for i in np.flatnonzero(~safe).tolist():
        qi, ri = divmod(int(a[i]) * int(b[i]), int(d[i]))
        q[i] = qi
        r[i] = ri
    return q, r


def _largest_remainder(money: I64, total: I64, group: I64, weights: I64, tiebreak: I64) -> I64:
    """Split ``money[g]`` over the rows of group ``g`` by ``weights``; ``total[g] = Σ weights``
    of the group, > 0. Each row gets ``floor(money·w/total)``; the kopecks left over go one
    each to the rows with the largest remainders, ties to the lower ``tiebreak``."""
    q, rem = _mul_divmod(money[group], weights, total[group])
    sums = np.zeros(len(money), dtype=np.int64)
    np.add.at(sums, group, q)
    short = money - sums  # = Σ remainders / total < number of rows with a remainder > 0
    candidate = np.flatnonzero((rem > 0) & (short[group] > 0))
    if len(candidate) == 0:
        return q
    order = candidate[np.lexsort((tiebreak[candidate], -rem[candidate], group[candidate]))]
    sorted_group = group[order]
    pos = np.arange(len(order))
    first = np.r_[True, sorted_group[1:] != sorted_group[:-1]]
    rank = pos - np.maximum.accumulate(np.where(first, pos, 0))
    q[order[rank < short[sorted_group]]] += 1
    return q


def split_proportional(total: I64, weights: I64, group: I64) -> Split:
    """Split ``total[g]`` over the rows of group ``g`` (``group[i]`` indexes ``total``)
    proportionally to ``weights`` by the largest-remainder method, ties to the lower row.

    Used to spread an advance over the services of the last ЕПД (rules.md §7.2 step 5:
    "same payee split as the last ЕПД or held unallocated"). A group whose weights are all 0
    (or that has no rows) gets nothing: its rows get 0 and ``Split.unallocated[g]`` is the
    whole ``total[g]`` — the caller keeps that advance unallocated. Rows need not be sorted.
    """
    total = _int_array(total, "split_proportional: total")
    weights = _int_array(weights, "split_proportional: weights")
    group = _int_array(group, "split_proportional: group")
    _same_length("split_proportional", weights=weights, group=group)
    if np.any(total < 0):
        raise ValueError(f"split_proportional: отрицательная сумма группы № {_first(total < 0)}")
    if np.any(weights < 0):
        raise ValueError(f"split_proportional: отрицательный вес строки № {_first(weights < 0)}")
    bad = (group < 0) | (group >= len(total))
    if np.any(bad):
        i = _first(bad)
        raise ValueError(
            f"split_proportional: строка № {i} ссылается на несуществующую группу {int(group[i])}"
        )
    _check_total(total, "split_proportional: сумма группы")
    _check_total(weights, "split_proportional: вес строки")
    weight_sum = np.zeros(len(total), dtype=np.int64)
    np.add.at(weight_sum, group, weights)
    spread = weight_sum > 0
    amount = np.zeros(len(weights), dtype=np.int64)
    rows = np.flatnonzero(spread[group])
    if len(rows):
        amount[rows] = _largest_remainder(
            total, np.where(spread, weight_sum, 1), group[rows], weights[rows], rows
        )
    return Split(amount=amount, unallocated=np.where(spread, 0, total).astype(np.int64))


# ---------------------------------------------------------------------------------------
# Allocation


@dataclass(frozen=True)
class _Input:
    account: I64
    month: I64
    service: I64
    penalty: Bool
    unpaid: I64
    pay_account: I64
    pay_amount: I64
    pay_month: I64
    target_payment: I64
    target_service: I64
    target_amount: I64


def _checked(debts: Debts, payments: Payments, targets: Targets) -> _Input:
    """Refuse input that would allocate nonsense: every problem is a ValueError naming the row."""
    d = _Input(
        account=_int_array(debts.account, "Debts.account"),
        month=_int_array(debts.month, "Debts.month"),
        service=_int_array(debts.service, "Debts.service"),
        penalty=_bool_array(debts.penalty, "Debts.penalty"),
        unpaid=_int_array(debts.unpaid, "Debts.unpaid"),
        pay_account=_int_array(payments.account, "Payments.account"),
        pay_amount=_int_array(payments.amount, "Payments.amount"),
        pay_month=_int_array(payments.month, "Payments.month"),
        target_payment=_int_array(targets.payment, "Targets.payment"),
        target_service=_int_array(targets.service, "Targets.service"),
        target_amount=_int_array(targets.amount, "Targets.amount"),
    )
    _same_length(
        "Debts",
        account=d.account,
        month=d.month,
        service=d.service,
        penalty=d.penalty,
        unpaid=d.unpaid,
    )
    _same_length("Payments", account=d.pay_account, amount=d.pay_amount, month=d.pay_month)
    _same_length(
        "Targets", payment=d.target_payment, service=d.target_service, amount=d.target_amount
    )
    if np.any(d.month < 0):
        i = _first(d.month < 0)
        raise ValueError(f"долг № {i}: номер месяца {int(d.month[i])} отрицательный")
    huge = (d.unpaid > MAX_TOTAL_KOPECKS) | (d.unpaid < -MAX_TOTAL_KOPECKS)
    if np.any(huge):
        i = _first(huge)
        raise ValueError(
            f"долг № {i}: {int(d.unpaid[i])} коп. по модулю больше допустимых "
            f"{MAX_TOTAL_KOPECKS} коп."
        )
    _check_total(np.maximum(d.unpaid, 0), "долг")
    if np.any(d.pay_amount <= 0):
        i = _first(d.pay_amount <= 0)
        raise ValueError(
            f"платёж № {i}: сумма должна быть больше нуля, получено {int(d.pay_amount[i])} коп."
        )
    _check_total(d.pay_amount, "платёж")
    if np.any(d.pay_month < NO_MONTH):
        i = _first(d.pay_month < NO_MONTH)
        raise ValueError(
            f"платёж № {i}: номер месяца {int(d.pay_month[i])} меньше −1 (−1 — месяц не указан)"
        )
    _check_targets(d)
    return d


def _check_targets(d: _Input) -> None:
    n_pay = len(d.pay_amount)
    bad = (d.target_payment < 0) | (d.target_payment >= n_pay)
    if np.any(bad):
        i = _first(bad)
        raise ValueError(
            f"адресная часть № {i}: нет платежа № {int(d.target_payment[i])} (платежей {n_pay})"
        )
    if np.any(d.target_amount <= 0):
        i = _first(d.target_amount <= 0)
        raise ValueError(
            f"адресная часть № {i} платежа № {int(d.target_payment[i])}: сумма должна быть "
            f"больше нуля, получено {int(d.target_amount[i])} коп."
        )
    if np.any(d.target_service == NO_SERVICE):
        i = _first(d.target_service == NO_SERVICE)
        raise ValueError(f"адресная часть № {i}: ключ услуги −1 зарезервирован («без услуги»)")
    _check_total(d.target_amount, "адресная часть")
    order = np.lexsort((d.target_service, d.target_payment))
    p_sorted = d.target_payment[order]
    s_sorted = d.target_service[order]
    dup = (p_sorted[1:] == p_sorted[:-1]) & (s_sorted[1:] == s_sorted[:-1])
    if np.any(dup):
        i = _first(dup)
        raise ValueError(
            f"платёж № {int(p_sorted[i])}: услуга {int(s_sorted[i])} указана в адресных "
            "частях дважды"
        )
    sums = np.zeros(n_pay, dtype=np.int64)
    np.add.at(sums, d.target_payment, d.target_amount)
    has = np.zeros(n_pay, dtype=np.bool_)
    has[d.target_payment] = True
    wrong = has & (sums != d.pay_amount)
    if np.any(wrong):
        i = _first(wrong)
        raise ValueError(
            f"платёж № {i}: сумма адресных частей {int(sums[i])} коп. не равна сумме "
            f"платежа {int(d.pay_amount[i])} коп."
        )


def _ranges(start: I64, length: I64) -> tuple[I64, I64, I64]:
    """Concatenate the index ranges ``[start_k, start_k + length_k)``: returns the owner ``k``
    of each position, the position, and each range's offset in the concatenation."""
    offset = np.cumsum(length) - length
    owner = np.repeat(np.arange(len(length), dtype=np.int64), length)
    position = np.arange(int(length.sum()), dtype=np.int64) - offset[owner] + start[owner]
    return owner, position, offset


def _round(
    d: _Input, left: I64, rows_in_order: I64, start: I64, length: I64, money: I64, named: I64
) -> tuple[I64, I64, I64, I64]:
    """Apply one allocation per *unit* (a payment, or one targeted amount of it); the units'
    pools ``rows_in_order[start : start + length]`` are disjoint and each sorted by
    (penalty, month, row). Reduces ``left`` in place.

    Returns the unit and row of every non-zero allocation, its amount, and each unit's advance.
    """
    unit_of_row, position, offset = _ranges(start, length)
    rows = rows_in_order[position]
    n_rows = len(rows)
    u = np.maximum(left[rows], 0)  # credits and paid rows take nothing
    pen = d.penalty[rows]
    month = d.month[rows]
    cum = np.r_[0, np.cumsum(u)]  # ≤ Σ positive debts ≤ MAX_TOTAL_KOPECKS: no overflow
    unit_total = cum[offset + length] - cum[offset]
    advance = money - np.minimum(money, unit_total)
    if n_rows == 0:
        return _EMPTY, _EMPTY, _EMPTY, advance

    # Month blocks: consecutive rows of one unit with the same (penalty, month).
    new = np.r_[
        True,
        (unit_of_row[1:] != unit_of_row[:-1]) | (pen[1:] != pen[:-1]) | (month[1:] != month[:-1]),
    ]
    g_start = np.flatnonzero(new)
    group_of_row = np.cumsum(new) - 1
    g_unit = unit_of_row[g_start]
    g_pen = pen[g_start]
    g_month = month[g_start]
    g_due = cum[np.r_[g_start[1:], n_rows]] - cum[g_start]
    g_cum = cum[g_start] - cum[offset[g_unit]]  # unpaid of the unit's earlier blocks

    # Money spent before a block in the order named month → other months, principal first.
    # In array order the named block sits among the others; shift by it where it comes later.
    is_named = g_month == named[g_unit]
    named_due = np.zeros((len(money), 2), dtype=np.int64)
    named_due[g_unit[is_named], g_pen[is_named].astype(np.int64)] = g_due[is_named]
    principal_cum = np.r_[0, np.cumsum(np.where(pen, 0, u))]
    principal_total = principal_cum[offset + length] - principal_cum[offset]
    before = np.where(
        is_named,
        np.where(g_pen, principal_total[g_unit], 0),
        g_cum + np.where(named[g_unit] > g_month, named_due[g_unit, g_pen.astype(np.int64)], 0),
    )
    g_paid = np.clip(money[g_unit] - before, 0, g_due)

    amount = np.where((g_paid == g_due)[group_of_row], u, 0)
    partial = (g_paid > 0) & (g_paid < g_due)
    if np.any(partial):
        local = np.cumsum(partial) - 1
        split_rows = np.flatnonzero(partial[group_of_row])
        amount[split_rows] = _largest_remainder(
            g_paid[partial],
            g_due[partial],
            local[group_of_row[split_rows]],
            u[split_rows],
            rows[split_rows],
        )
    left[rows] -= amount
    paid = np.flatnonzero(amount > 0)
    return unit_of_row[paid], rows[paid], amount[paid], advance


def _starts(sorted_keys: I64) -> Bool:
    """True where a run of equal keys begins (the first element included)."""
    first = np.ones(len(sorted_keys), dtype=np.bool_)
    first[1:] = sorted_keys[1:] != sorted_keys[:-1]
    return first


def _dense_ids(keys: I64) -> tuple[I64, I64]:
    """Dense ids ``0..k−1`` of arbitrary int64 keys (in key order), and the sorted keys."""
    order = np.argsort(keys)
    sorted_keys = keys[order]
    first = _starts(sorted_keys)
    ids = np.empty(len(keys), dtype=np.int64)
    ids[order] = np.cumsum(first) - 1
    return ids, sorted_keys[first]


def _lookup(unique: I64, values: I64, sorter: I64 | None = None) -> tuple[I64, Bool]:
    """Position of each of ``values`` in the sorted ``unique`` keys and whether it is there.
    ``sorter`` (an argsort of ``values``) only makes the binary search cache-friendly."""
    order = np.arange(len(values)) if sorter is None else sorter
    at = np.empty(len(values), dtype=np.int64)
    at[order] = np.searchsorted(unique, values[order])
    found = at < len(unique)
    found[found] = unique[at[found]] == values[found]
    return np.where(found, at, 0), found


def _row_order(keys: list[I64], sizes: list[int]) -> I64:
    """Row indices sorted by ``keys`` (most significant first, ``0 ≤ keys[j] < sizes[j]``),
    ties by row index. One int64 composite key when it fits, else a stable lexsort."""
    n = len(keys[0])
    if math.prod(sizes) * max(n, 1) <= _INT64_MAX:
        composite = np.zeros(n, dtype=np.int64)
        for key, size in zip(keys, sizes, strict=True):
            composite = composite * size + key
        return np.argsort(composite * n + np.arange(n, dtype=np.int64)).astype(np.int64)
    return np.lexsort(tuple(reversed(keys))).astype(np.int64)


def _sort_pairs(major: I64, minor: I64, minor_size: int) -> I64:
    """Argsort of distinct pairs ``(major, minor)`` with ``0 ≤ minor < minor_size``."""
    if (int(major.max(initial=0)) + 1) * max(minor_size, 1) <= _INT64_MAX:
        return np.argsort(major * minor_size + minor).astype(np.int64)
    return np.lexsort((minor, major)).astype(np.int64)  # pragma: no cover - > 9·10¹⁸ pairs


@dataclass(frozen=True)
class _Pools:
    rows_in_order: I64  # debt rows, each unit's pool a contiguous range of it
    start: I64  # per unit
    length: I64  # per unit


def _pools(d: _Input, unit_payment: I64, unit_service: I64, unit_targeted: Bool) -> _Pools:
    """Sort the debt rows once so that every unit's pool is one range, sorted by (penalty,
    month, row): by (account, penalty, month) for units over all services and by (account,
    service, penalty, month) for targeted units."""
    n = len(d.unpaid)
    account_id, accounts = _dense_ids(d.account)
    month_id = d.month - (int(d.month.min()) if n else 0)
    span = int(month_id.max(initial=0)) + 1
    penalty = d.penalty.astype(np.int64)
    by_account = _row_order([account_id, penalty, month_id], [len(accounts), 2, span])
    account_start = np.r_[0, np.cumsum(np.bincount(account_id, minlength=len(accounts)))]
    pay_account_id, pay_found = _lookup(
        accounts, d.pay_account, np.argsort(d.pay_account, kind="stable")
    )
    unit_account = pay_account_id[unit_payment]
    unit_found = pay_found[unit_payment]
    start = np.where(unit_found, account_start[unit_account], 0)
    stop = np.where(unit_found, account_start[np.minimum(unit_account + 1, len(accounts))], 0)
    if not np.any(unit_targeted):
        return _Pools(by_account, start, stop - start)
    service_id, services = _dense_ids(d.service)
    by_service = _row_order(
        [account_id, service_id, penalty, month_id], [len(accounts), len(services), 2, span]
    )
    pair = account_id[by_service] * len(services) + service_id[by_service]
    t = np.flatnonzero(unit_targeted)
    t_service, t_found = _lookup(services, unit_service[t])
    t_found &= unit_found[t]
    t_pair = unit_account[t] * max(len(services), 1) + t_service
    lo = np.searchsorted(pair, t_pair, side="left")
    hi = np.searchsorted(pair, t_pair, side="right")
    start[t] = np.where(t_found, lo + n, 0)
    stop[t] = np.where(t_found, hi + n, 0)
    return _Pools(np.r_[by_account, by_service].astype(np.int64), start, stop - start)


def allocate(debts: Debts, payments: Payments, targets: Targets | None = None) -> Allocation:
    """Allocate every payment of a registry to the debts (see the module docstring).

    Raises ValueError, naming the row, for arrays of different lengths, non-integer money, a
    payment amount ≤ 0, a payment month below −1, a debt month below 0, targets that do not
    add up to their payment, a target of a missing payment, a service named twice in one
    payment, and sums beyond `MAX_TOTAL_KOPECKS`.
    """
    d = _checked(debts, payments, targets if targets is not None else Targets.empty())
    n_pay = len(d.pay_amount)
    left = d.unpaid.copy()

    # Units: a payment without targets is one unit over all services of its account; a
    # targeted payment is one unit per target, restricted to the target's service.
    has_targets = np.zeros(n_pay, dtype=np.bool_)
    has_targets[d.target_payment] = True
    plain = np.flatnonzero(~has_targets)
    unit_payment = np.r_[plain, d.target_payment].astype(np.int64)
    unit_service = np.r_[np.full(len(plain), NO_SERVICE), d.target_service].astype(np.int64)
    unit_money = np.r_[d.pay_amount[plain], d.target_amount].astype(np.int64)
    unit_targeted = np.r_[np.zeros(len(plain), np.bool_), np.ones(len(d.target_payment), np.bool_)]

    # Round of a payment = how many earlier payments its account has.
    by_account = np.argsort(d.pay_account, kind="stable")
    acc_sorted = d.pay_account[by_account]
    pos = np.arange(n_pay, dtype=np.int64)
    first = _starts(acc_sorted)
    rank = np.empty(n_pay, dtype=np.int64)
    rank[by_account] = pos - np.maximum.accumulate(np.where(first, pos, 0))
    unit_round = rank[unit_payment]
    order = np.argsort(unit_round * max(n_pay, 1) + unit_payment, kind="stable")
    unit_payment, unit_service, unit_money, unit_targeted, unit_round = (
        unit_payment[order],
        unit_service[order],
        unit_money[order],
        unit_targeted[order],
        unit_round[order],
    )
    pools = _pools(d, unit_payment, unit_service, unit_targeted)
    unit_named = d.pay_month[unit_payment]

    out_unit: list[I64] = []
    out_row: list[I64] = []
    out_amount: list[I64] = []
    advance = np.zeros(len(unit_money), dtype=np.int64)
    bounds = np.searchsorted(unit_round, np.arange(int(unit_round.max(initial=-1)) + 2))
    for r in range(len(bounds) - 1):
        s = slice(int(bounds[r]), int(bounds[r + 1]))
        unit, row, amount, advance[s] = _round(
            d,
            left,
            pools.rows_in_order,
            pools.start[s],
            pools.length[s],
            unit_money[s],
            unit_named[s],
        )
        out_unit.append(unit + s.start)
        out_row.append(row)
        out_amount.append(amount)

    a_unit = np.concatenate([_EMPTY, *out_unit])
    a_row = np.concatenate([_EMPTY, *out_row])
    a_amount = np.concatenate([_EMPTY, *out_amount])
    a_payment = unit_payment[a_unit]
    a_order = _sort_pairs(a_payment, a_row, len(d.unpaid))
    has_advance = np.flatnonzero(advance > 0)
    v_payment = unit_payment[has_advance]
    v_service = unit_service[has_advance]
    v_order = np.lexsort((v_service, v_payment))
    return Allocation(
        payment=a_payment[a_order],
        debt=a_row[a_order],
        amount=a_amount[a_order],
        advance_payment=v_payment[v_order],
        advance_service=v_service[v_order],
        advance_amount=advance[has_advance][v_order],
        remaining=left,
    )
