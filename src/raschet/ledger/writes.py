"""Writing many ledger entries at once, from arrays: binary ``COPY`` on PostgreSQL, one
``executemany`` elsewhere. Used by the payment posting and the penalty run (the billing run
posts its lines by ``INSERT … SELECT`` on the server instead).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection

from raschet.billing.arrays import copy_binary, timestamp_micros
from raschet.ledger.models import LedgerEntry

I64 = npt.NDArray[np.int64]


def from_month_ordinal(n: int) -> date:
    return date(int(n) // 12, int(n) % 12 + 1, 1)


def month_days(months: I64) -> I64:
    """Month ordinals (``year·12 + month − 1``) → day numbers since 2000-01-01 of their first
    days (`raschet.billing.arrays.day_number`)."""
    as_months = (months - 1970 * 12).astype("datetime64[M]")
    epoch = np.datetime64("2000-01-01", "D")
    return (as_months.astype("datetime64[D]") - epoch).astype(np.int64)


def entries_write(
    *,
    organization_id: int,
    kind: str,
    account: I64,
    service: I64,
    payee: I64,
    month: I64,
    amount: I64,
    posted_at: datetime,
    debt_month: I64 | None = None,
    penalty: I64 | None = None,
    payment_id: I64 | None = None,
    posted_by_id: int | None = None,
    note: str = "",
) -> int:
    """Write entries of one ``kind`` posted in the months ``month`` (ordinals; the corrected
    month is the same). Service and payee −1 are NULL; ``debt_month`` (ordinals) and
    ``payment_id`` are left NULL when not given. Amounts are signed as the ledger keeps them.
    """
    n = len(amount)
    if n == 0:
        return 0
    penalty = np.zeros(n, dtype=np.int64) if penalty is None else penalty
    table = LedgerEntry._meta.db_table
    if connection.vendor == "postgresql":
        # binary COPY per NULL pattern of service and payee (COPY columns carry no NULLs)
        pattern = (service < 0).astype(np.int64) + 2 * (payee < 0).astype(np.int64)
        micros = timestamp_micros(posted_at)
        for p in np.unique(pattern).tolist():
            sel = pattern == p
            m = int(sel.sum())
            months = month_days(month[sel])
            cols: list[tuple[str, str, Any]] = [
                ("organization_id", "int8", np.full(m, organization_id, dtype=np.int64)),
                ("account_id", "int8", account[sel]),
                ("period", "date", months),
                ("corrects_period", "date", months),
                ("penalty", "bool", penalty[sel]),
                ("kind", "text", str(kind)),
                ("amount_kopecks", "int8", amount[sel]),
                ("posted_at", "timestamptz", np.full(m, micros, dtype=np.int64)),
                ("note", "text", note),
            ]
            if debt_month is not None:
                cols.append(("debt_period", "date", month_days(debt_month[sel])))
            if payment_id is not None:
                cols.append(("payment_id", "int8", payment_id[sel]))
            if not p & 1:
                cols.append(("service_id", "int8", service[sel]))
            if not p & 2:
                cols.append(("payee_id", "int8", payee[sel]))
            if posted_by_id is not None:
                # auth_user.id is a 4-byte integer
                cols.append(("posted_by_id", "int4", np.full(m, posted_by_id, dtype=np.int64)))
            copy_binary(table, cols)
        return n
    stamp = connection.ops.adapt_datetimefield_value(posted_at)  # as Django stores it
    months_list = [from_month_ordinal(m) for m in month.tolist()]
    debt_list: list[date | None] = (
        [from_month_ordinal(m) for m in debt_month.tolist()]
        if debt_month is not None
        else [None] * n
    )
    payments: list[int | None] = payment_id.tolist() if payment_id is not None else [None] * n
    rows = [
        (
            organization_id,
            a,
            s if s >= 0 else None,
            y if y >= 0 else None,
            mo,
            mo,
            d,
            bool(pen),
            str(kind),
            amt,
            pay,
            stamp,
            posted_by_id,
            note,
        )
        for a, s, y, mo, d, pen, amt, pay in zip(
            account.tolist(),
            service.tolist(),
            payee.tolist(),
            months_list,
            debt_list,
            penalty.tolist(),
            amount.tolist(),
            payments,
            strict=True,
        )
    ]
    sql = (
        f"INSERT INTO {table} (organization_id, account_id, service_id, payee_id, period, "  # noqa: S608
        "corrects_period, debt_period, penalty, kind, amount_kopecks, payment_id, posted_at, "
        "posted_by_id, note) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return n
