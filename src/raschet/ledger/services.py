"""Writes of the ledger app that are not postings: the month-close balance snapshot."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection

from raschet.core.periods import Month
from raschet.ledger.models import TURNOVER_COLUMNS, BalanceSnapshot, LedgerEntry
from raschet.organizations.models import ClosedMonth


def ledger_snapshot_month(*, organization_id: int, period: date) -> int:
    """Store the month's balance snapshot of every account × service × payee; return rows.

    Called by the month close inside its transaction (the organization is locked, so no
    entry can arrive in between). The opening balance is the previous month's snapshot when
    that month was closed with one, otherwise the sum of all earlier entries.
    """
    month = Month.of(period)
    previous = month.previous().start
    table = BalanceSnapshot._meta.db_table
    entries = LedgerEntry._meta.db_table
    columns = list(TURNOVER_COLUMNS)
    kinds = [
        "CASE WHEN kind IN ({}) THEN amount_kopecks ELSE 0 END".format(
            ", ".join(f"'{k}'" for k in TURNOVER_COLUMNS[c])
        )
        for c in columns
    ]
    zeros = ", ".join(f"0 AS {c}" for c in columns)
    use_snapshot = (
        ClosedMonth.objects.filter(organization_id=organization_id, month=previous).exists()
        and BalanceSnapshot.objects.filter(
            organization_id=organization_id, period=previous
        ).exists()
    )
    if use_snapshot:
        opening = (
            f"SELECT account_id, service_id, payee_id, closing AS opening, {zeros}, "  # noqa: S608
            "closing AS closing "
            f"FROM {table} WHERE organization_id = %s AND period = %s"
        )
        opening_params: list[Any] = [organization_id, previous]
    else:
        opening = (
            f"SELECT account_id, service_id, payee_id, amount_kopecks AS opening, {zeros}, "  # noqa: S608
            "amount_kopecks AS closing "
            f"FROM {entries} WHERE organization_id = %s AND period < %s"
        )
        opening_params = [organization_id, month.start]
    moves = (
        f"SELECT account_id, service_id, payee_id, 0, {', '.join(kinds)}, amount_kopecks "  # noqa: S608
        f"FROM {entries} WHERE organization_id = %s AND period = %s"
    )
    figures = ["opening", *columns, "closing"]
    sums = ", ".join(f"SUM({f})" for f in figures)
    nonzero = " OR ".join(f"SUM({f}) <> 0" for f in figures)
    sql = (
        f"INSERT INTO {table} (organization_id, period, account_id, service_id, payee_id, "  # noqa: S608
        f"{', '.join(figures)}) "
        f"SELECT %s, %s, account_id, service_id, payee_id, {sums} FROM ("
        f"{opening} UNION ALL {moves}"
        ") AS u "
        f"GROUP BY account_id, service_id, payee_id HAVING {nonzero}"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [organization_id, month.start, *opening_params, organization_id, month.start]
        )
        return int(cursor.rowcount)
