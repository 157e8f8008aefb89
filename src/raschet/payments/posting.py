"""Posting payments to the ledger: the debts of their accounts → the core's allocation →
ledger entries, for thousands of payments at once without a Python object per row.

A posted payment is a set of ledger entries of kind ``payment`` (negative amounts), one per
allocation: the account × service × payee × debt month (× principal or penalty) it paid, and
its advance, if any. The advance is spread over the services of the account's last payment
document in proportion to their charges (rules.md §7.2 step 5); an account that was never
charged keeps it unallocated (an entry without a service) until an operator moves it.

The entries go into the *posting month*: the month of the payment date, or the first open
month when that one is closed already (a registry of the 31st arriving after the close).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection

from raschet.billing.arrays import days_sql, in_list, read
from raschet.core import allocation as core
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.ledger.readahead import ReadAhead
from raschet.ledger.writes import entries_write, from_month_ordinal
from raschet.organizations.models import ClosedMonth
from raschet.payments.models import Payment, PaymentState, PaymentTarget

I64 = npt.NDArray[np.int64]

CHUNK_ACCOUNTS_PG = 100_000
CHUNK_ACCOUNTS_SQLITE = 5_000


def month_ordinal(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_sql(column: str) -> str:
    """SQL giving ``year × 12 + month − 1`` of a date column."""
    if connection.vendor == "postgresql":
        return (
            f"(CAST(EXTRACT(YEAR FROM {column}) AS bigint) * 12 "
            f"+ CAST(EXTRACT(MONTH FROM {column}) AS bigint) - 1)"
        )
    return (
        f"(CAST(strftime('%%Y', {column}) AS INTEGER) * 12 "
        f"+ CAST(strftime('%%m', {column}) AS INTEGER) - 1)"
    )


def first_open_month(organization_id: int) -> int:
    """The month ordinal after the organization's last closed month (January of year 1 when
    none is)."""
    last = (
        ClosedMonth.objects.filter(organization_id=organization_id)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    return month_ordinal(last) + 1 if last else month_ordinal(date.min)


@dataclass
class PostingResult:
    payments: int
    entries: int
    advance_kopecks: int


def load_debts(organization_id: int, account_ids: Sequence[int]) -> dict[str, I64]:
    """The non-zero balances of the accounts by service × payee × debt month × penalty.

    ``charged`` is the month's charges (kind ``charge``) of the row: the weights of the
    advance split. NULL service and payee travel as -1. Grouped on the plain date column
    (integer-cheap) and turned into month ordinals here: PostgreSQL's ``EXTRACT`` is
    numeric and made the grouping several times slower.
    """
    table = LedgerEntry._meta.db_table
    where, params = in_list("account_id", account_ids)
    if connection.vendor == "postgresql" and account_ids:
        # a contiguous id range lets the planner read the (account, period) index
        where = (
            f"account_id BETWEEN {int(min(account_ids))} AND {int(max(account_ids))} AND {where}"
        )
    debt_day = days_sql("COALESCE(debt_period, period)")
    sql = (
        f"SELECT account_id, COALESCE(service_id, -1), COALESCE(payee_id, -1), {debt_day}, "  # noqa: S608
        "CASE WHEN penalty THEN 1 ELSE 0 END, SUM(amount_kopecks), "
        "SUM(CASE WHEN kind = 'charge' THEN amount_kopecks ELSE 0 END) "
        f"FROM {table} WHERE organization_id = %s AND {where} "
        "GROUP BY account_id, service_id, payee_id, COALESCE(debt_period, period), penalty"
    )
    debts = read(
        sql,
        [organization_id, *params],
        ["account", "service", "payee", "day", "penalty", "unpaid", "charged"],
    )
    days = debts.pop("day")
    months = (np.datetime64("2000-01-01", "D") + days).astype("datetime64[M]").astype(np.int64)
    debts["month"] = months + 1970 * 12
    return debts


def _load_payments(payment_ids: Sequence[int]) -> dict[str, I64]:
    table = Payment._meta.db_table
    where, params = in_list("id", payment_ids)
    sql = (
        f"SELECT id, account_id, amount_kopecks, "  # noqa: S608
        f"COALESCE({month_sql('period')}, -1), {month_sql('paid_on')} "
        f"FROM {table} WHERE {where} AND account_id IS NOT NULL"
    )
    rows = read(sql, params, ["id", "account", "amount", "named", "paid_month"])
    order = np.lexsort((rows["id"], rows["account"]))
    return {k: v[order] for k, v in rows.items()}


def _load_targets(payment_ids: Sequence[int]) -> dict[str, I64]:
    table = PaymentTarget._meta.db_table
    where, params = in_list("payment_id", payment_ids)
    sql = f"SELECT payment_id, service_id, amount_kopecks FROM {table} WHERE {where}"  # noqa: S608
    return read(sql, params, ["payment", "service", "amount"])


def post_payments(
    *,
    organization_id: int,
    payment_ids: Sequence[int],
    posted_at: datetime,
    posted_by_id: int | None = None,
    marked: bool = False,
) -> PostingResult:
    """Allocate and post identified payments (state other than posted) of one organization.

    ``marked``: the payments were written as posted in their posting month already (a
    registry import does it in its INSERT), so their rows are not updated again.

    The caller holds the organization lock and a transaction. Payments of one account are
    applied in the order of their ids (the order they were received).
    """
    if not payment_ids:
        return PostingResult(0, 0, 0)
    open_month = first_open_month(organization_id)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # the debts of a chunk are grouped in memory rather than sorted on disk
            cursor.execute("SET LOCAL work_mem = '256MB'")
    chunk = CHUNK_ACCOUNTS_PG if connection.vendor == "postgresql" else CHUNK_ACCOUNTS_SQLITE
    payments = _load_payments(payment_ids)
    accounts = np.unique(payments["account"])
    parts = [accounts[k : k + chunk] for k in range(0, len(accounts), chunk)]
    total = PostingResult(0, 0, 0)
    # the next chunk's debts are read on another connection while this one writes
    calls = [functools.partial(load_debts, organization_id, part.tolist()) for part in parts]
    ahead = connection.vendor == "postgresql" and len(parts) > 1
    with ReadAhead(calls, enabled=ahead) as loader:
        for index, part in enumerate(parts):
            lo = int(np.searchsorted(payments["account"], part[0], side="left"))
            hi = int(np.searchsorted(payments["account"], part[-1], side="right"))
            sel = {name: values[lo:hi] for name, values in payments.items()}
            result = _post_chunk(
                organization_id,
                sel,
                loader.result(index),
                open_month,
                posted_at,
                posted_by_id,
                marked,
            )
            total = PostingResult(
                total.payments + result.payments,
                total.entries + result.entries,
                total.advance_kopecks + result.advance_kopecks,
            )
    return total


def _post_chunk(
    organization_id: int,
    payments: dict[str, I64],
    debts: dict[str, I64],
    open_month: int,
    posted_at: datetime,
    posted_by_id: int | None,
    marked: bool,
) -> PostingResult:
    targets = _load_targets(payments["id"].tolist())
    index_of = {int(pid): i for i, pid in enumerate(payments["id"].tolist())}
    target_payment = np.asarray(
        [index_of[int(p)] for p in targets["payment"].tolist()], dtype=np.int64
    )
    allocation = core.allocate(
        core.Debts(
            account=debts["account"],
            month=debts["month"],
            service=debts["service"],
            penalty=debts["penalty"].astype(bool),
            unpaid=debts["unpaid"],
        ),
        core.Payments(
            account=payments["account"], amount=payments["amount"], month=payments["named"]
        ),
        core.Targets(payment=target_payment, service=targets["service"], amount=targets["amount"]),
    )
    posting_month = np.maximum(payments["paid_month"], open_month)

    # allocations → entries
    rows_payment = allocation.payment
    rows_debt = allocation.debt
    entry = {
        "payment": rows_payment,
        "account": payments["account"][rows_payment],
        "service": debts["service"][rows_debt],
        "payee": debts["payee"][rows_debt],
        "debt_month": debts["month"][rows_debt],
        "penalty": debts["penalty"][rows_debt],
        "amount": allocation.amount,
    }
    advance = _advance_entries(payments, debts, allocation, posting_month)
    entries = {k: np.concatenate([entry[k], advance[k]]) for k in entry}
    entries["month"] = posting_month[entries["payment"]]
    entries["payment_id"] = payments["id"][entries["payment"]]
    n = _write_entries(organization_id, entries, posted_at, posted_by_id)
    if not marked:
        _mark_posted(payments["id"], posting_month)
    return PostingResult(len(payments["id"]), n, int(advance["amount"].sum()))


def _advance_entries(
    payments: dict[str, I64],
    debts: dict[str, I64],
    allocation: Any,
    posting_month: I64,
) -> dict[str, I64]:
    """The advances as entry columns: targeted ones on their service, the rest split by the
    charges of the account's last charged month, or unallocated (service -1)."""
    pay = allocation.advance_payment
    amount = allocation.advance_amount
    service = allocation.advance_service
    account = payments["account"][pay]
    # the advance belongs to the month after the account's latest debt month (and not
    # before the month it is posted in)
    latest = _latest_month(debts, account)
    month = np.maximum(posting_month[pay], latest + 1)
    targeted = service >= 0
    out: dict[str, list[I64]] = {
        k: [] for k in ("payment", "account", "service", "payee", "debt_month", "penalty", "amount")
    }

    def add(p: I64, a: I64, s: I64, y: I64, m: I64, amt: I64) -> None:
        out["payment"].append(p)
        out["account"].append(a)
        out["service"].append(s)
        out["payee"].append(y)
        out["debt_month"].append(m)
        out["penalty"].append(np.zeros(len(p), dtype=np.int64))
        out["amount"].append(amt)

    if targeted.any():
        t_account = account[targeted]
        t_service = service[targeted]
        add(
            pay[targeted],
            t_account,
            t_service,
            _latest_payee(debts, t_account, t_service),
            month[targeted],
            amount[targeted],
        )
    rest = ~targeted
    if rest.any():
        r_pay, r_account, r_month, r_amount = pay[rest], account[rest], month[rest], amount[rest]
        # weights: the charges of each account's last charged month
        charged = debts["charged"] > 0
        last_charged = _latest_month({k: v[charged] for k, v in debts.items()}, debts["account"])
        w_rows = np.flatnonzero(charged & (debts["month"] == last_charged))
        # pair every advance with the weight rows of its account
        order = np.argsort(debts["account"][w_rows], kind="stable")
        w_rows = w_rows[order]
        w_account = debts["account"][w_rows]
        start = np.searchsorted(w_account, r_account, side="left")
        stop = np.searchsorted(w_account, r_account, side="right")
        counts = stop - start
        group = np.repeat(np.arange(len(r_pay), dtype=np.int64), counts)
        offsets = np.repeat(start - np.cumsum(counts) + counts, counts) + np.arange(
            int(counts.sum()), dtype=np.int64
        )
        rows = w_rows[offsets] if len(offsets) else np.zeros(0, dtype=np.int64)
        split = core.split_proportional(r_amount, debts["charged"][rows], group)
        keep = split.amount > 0
        add(
            r_pay[group[keep]],
            r_account[group[keep]],
            debts["service"][rows[keep]],
            debts["payee"][rows[keep]],
            r_month[group[keep]],
            split.amount[keep],
        )
        unsplit = split.unallocated > 0
        if unsplit.any():
            m = int(unsplit.sum())
            add(
                r_pay[unsplit],
                r_account[unsplit],
                np.full(m, -1, dtype=np.int64),
                np.full(m, -1, dtype=np.int64),
                r_month[unsplit],
                split.unallocated[unsplit],
            )
    return {k: (np.concatenate(v) if v else np.zeros(0, dtype=np.int64)) for k, v in out.items()}


def _latest_month(debts: dict[str, I64], account: I64) -> I64:
    """For each of ``account``, the latest debt month among ``debts`` rows (-1 when none)."""
    if len(debts["account"]) == 0:
        return np.full(len(account), -1, dtype=np.int64)
    keys, inverse = np.unique(debts["account"], return_inverse=True)
    latest = np.full(len(keys), -1, dtype=np.int64)
    np.maximum.at(latest, inverse, debts["month"])
    pos = np.clip(np.searchsorted(keys, account), 0, len(keys) - 1)
    return np.where(keys[pos] == account, latest[pos], -1)


def _latest_payee(debts: dict[str, I64], account: I64, service: I64) -> I64:
    """The payee of the latest debt row of each account × service (-1 when none)."""
    result = np.full(len(account), -1, dtype=np.int64)
    if len(debts["account"]) == 0:
        return result
    order = np.lexsort((debts["month"], debts["service"], debts["account"]))
    a, s, y = debts["account"][order], debts["service"][order], debts["payee"][order]
    key = a * (1 << 31) + s  # ids far below 2**31 in one organization's month
    want = account * (1 << 31) + service
    pos = np.searchsorted(key, want, side="right") - 1
    found = (pos >= 0) & (key[np.clip(pos, 0, None)] == want)
    result[found] = y[pos[found]]
    return result


def _write_entries(
    organization_id: int, e: dict[str, I64], posted_at: datetime, posted_by_id: int | None
) -> int:
    """The allocations and advances as ``payment`` entries (negative amounts)."""
    return entries_write(
        organization_id=organization_id,
        kind=EntryKind.PAYMENT,
        account=e["account"],
        service=e["service"],
        payee=e["payee"],
        month=e["month"],
        debt_month=e["debt_month"],
        penalty=e["penalty"],
        amount=-e["amount"],
        payment_id=e["payment_id"],
        posted_at=posted_at,
        posted_by_id=posted_by_id,
    )


def _mark_posted(payment_ids: I64, posting_month: I64) -> None:
    table = Payment._meta.db_table
    months = sorted(set(posting_month.tolist()))
    with connection.cursor() as cursor:
        for month in months:
            ids = payment_ids[posting_month == month].tolist()
            for k in range(0, len(ids), 50_000):
                where, params = in_list("id", ids[k : k + 50_000])
                cursor.execute(
                    f"UPDATE {table} SET state = %s, posted_period = %s WHERE {where}",  # noqa: S608
                    [str(PaymentState.POSTED), from_month_ordinal(month), *params],
                )
