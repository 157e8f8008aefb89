"""Reads of the ledger: balances per account × service × payee, and the turnover sheet.

Every figure is a sum of entries in kopecks (the ledger's sign: positive is owed). The
turnover sheet (оборотно-сальдовая ведомость) sums the entries of a range of months by the
columns of `TURNOVER_COLUMNS`; its opening balance is everything posted before the range,
its closing balance everything posted up to its end, so ``closing = opening + Σ columns``
holds for every row by construction (and a test proves it against the stored snapshots).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Case, Sum, When

from raschet.housing.models import Account, Building, Premises
from raschet.ledger.models import TURNOVER_COLUMNS, LedgerEntry
from raschet.organizations.models import Organization
from raschet.tariffs.models import Service

DIMENSIONS = ("account", "building", "service", "payee")
FIGURES = ("opening", *TURNOVER_COLUMNS, "closing")


@dataclass
class FiguresRow:
    """One row of a report by a dimension (turnover sheet, ageing): the key of the account,
    building, service or payee, its label, and named figures in kopecks (``row.charged`` …
    in templates)."""

    key: int | None
    label: str = ""
    figures: dict[str, int] = field(default_factory=dict)

    def __getattr__(self, name: str) -> int:
        try:
            return self.__dict__["figures"][name]
        except KeyError as exc:
            raise AttributeError(name) from exc


TurnoverRow = FiguresRow


@dataclass
class Turnover:
    by: str
    start: date
    end: date
    rows: list[TurnoverRow]
    totals: dict[str, int]


def _key_sql(by: str) -> tuple[str, str]:
    """The key expression of a dimension and the joins it needs."""
    if by == "account":
        return "e.account_id", ""
    if by == "service":
        return "e.service_id", ""
    if by == "payee":
        return "e.payee_id", ""
    if by == "building":
        accounts = Account._meta.db_table
        premises = Premises._meta.db_table
        return (
            "p.building_id",
            f" JOIN {accounts} a ON a.id = e.account_id JOIN {premises} p ON p.id = a.premises_id",
        )
    raise ValueError(f"Неизвестный разрез ведомости: {by} (возможны: {', '.join(DIMENSIONS)})")


def _ids_sql(column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
    if not ids:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", [int(i) for i in ids]


def turnover(
    *,
    organization_ids: Sequence[int],
    start: date,
    end: date,
    by: str = "service",
    account_ids: Sequence[int] | None = None,
    building_id: int | None = None,
    service_id: int | None = None,
    payee_id: int | None = None,
) -> Turnover:
    """The turnover sheet for the months ``start``…``end`` (first days, both included).

    Rows are grouped by ``by`` (account, building, service or payee) and may be narrowed to
    some accounts, one building, service or payee. Rows whose every figure is zero are left
    out. Labels are filled in (account number and address, building address, service or
    payee name).
    """
    if end < start:
        raise ValueError("Конец периода раньше начала")
    key, joins = _key_sql(by)
    if building_id is not None and by != "building":  # by building joins the premises already
        accounts = Account._meta.db_table
        premises = Premises._meta.db_table
        joins += (
            f" JOIN {accounts} a ON a.id = e.account_id JOIN {premises} p ON p.id = a.premises_id"
        )
    where, params = _ids_sql("e.organization_id", organization_ids)
    clauses = [where, "e.period <= %s"]
    params.append(end)
    if account_ids is not None:
        sql, extra = _ids_sql("e.account_id", account_ids)
        clauses.append(sql)
        params += extra
    for column, value in (
        ("p.building_id", building_id),
        ("e.service_id", service_id),
        ("e.payee_id", payee_id),
    ):
        if value is not None:
            clauses.append(f"{column} = %s")
            params.append(value)
    sums = ["SUM(CASE WHEN e.period < %s THEN e.amount_kopecks ELSE 0 END)"]
    sum_params: list[Any] = [start]
    for kinds in TURNOVER_COLUMNS.values():
        marks = ", ".join(f"'{k}'" for k in kinds)
        sums.append(
            "SUM(CASE WHEN e.period >= %s AND e.kind IN ("
            + marks
            + ") THEN e.amount_kopecks ELSE 0 END)"
        )
        sum_params.append(start)
    sums.append("SUM(e.amount_kopecks)")
    table = LedgerEntry._meta.db_table
    sql = (
        f"SELECT {key}, {', '.join(sums)} FROM {table} e{joins} "  # noqa: S608
        f"WHERE {' AND '.join(clauses)} GROUP BY {key}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, sum_params + params)
        raw = cursor.fetchall()
    rows = []
    totals = dict.fromkeys(FIGURES, 0)
    for record in raw:
        figures = {name: int(v or 0) for name, v in zip(FIGURES, record[1:], strict=True)}
        if not any(figures.values()):
            continue
        rows.append(TurnoverRow(key=record[0], figures=figures))
        for name, value in figures.items():
            totals[name] += value
    _label(by, rows)
    rows.sort(key=lambda r: (r.label, r.key or 0))
    return Turnover(by=by, start=start, end=end, rows=rows, totals=totals)


def _label(by: str, rows: Iterable[TurnoverRow]) -> None:
    rows = list(rows)
    ids = [r.key for r in rows if r.key is not None]
    names: dict[int, str] = {}
    if by == "account":
        for a in Account.objects.filter(pk__in=ids).select_related("premises__building"):
            names[a.pk] = f"{a.number} — {a.premises}"
    elif by == "building":
        names = {b.pk: str(b) for b in Building.objects.filter(pk__in=ids)}
    elif by == "service":
        names = {s.pk: s.name for s in Service.objects.filter(pk__in=ids)}
    elif by == "payee":
        names = {o.pk: o.display_name for o in Organization.objects.filter(pk__in=ids)}
    for row in rows:
        if row.key is None:
            row.label = "Аванс, не распределённый по услугам" if by == "service" else "—"
        else:
            row.label = names.get(row.key, f"#{row.key}")


@dataclass(frozen=True)
class Balance:
    service_id: int | None
    service: str
    payee_id: int | None
    payee: str
    balance: int
    principal: int
    penalty: int


def account_balances(*, account: Account, up_to: date | None = None) -> list[Balance]:
    """The account's balance per service × payee (posted entries up to month ``up_to``).

    Positive is a debt, negative an advance. Services with a zero balance are left out.
    """
    entries = LedgerEntry.objects.filter(account_id=account.pk)
    if up_to is not None:
        entries = entries.filter(period__lte=up_to)
    rows = (
        entries.values("service_id", "payee_id")
        .annotate(
            total=Sum("amount_kopecks"),
            penalty_total=Sum(Case(When(penalty=True, then="amount_kopecks"), default=0)),
        )
        .order_by()
    )
    services = {
        s.pk: s.name for s in Service.objects.filter(organization_id=account.organization_id)
    }
    payee_ids = {r["payee_id"] for r in rows if r["payee_id"]}
    payees = {o.pk: o.display_name for o in Organization.objects.filter(pk__in=payee_ids)}
    result = []
    for r in rows:
        total = int(r["total"] or 0)
        penalty = int(r["penalty_total"] or 0)
        if total == 0 and penalty == 0:
            continue
        result.append(
            Balance(
                service_id=r["service_id"],
                service=services.get(r["service_id"], "Аванс, не распределённый по услугам"),
                payee_id=r["payee_id"],
                payee=payees.get(r["payee_id"], ""),
                balance=total,
                principal=total - penalty,
                penalty=penalty,
            )
        )
    result.sort(key=lambda b: (b.service, b.payee))
    return result


def account_balance(*, account: Account) -> int:
    """The account's whole balance: the sum of all its entries."""
    total = LedgerEntry.objects.filter(account_id=account.pk).aggregate(t=Sum("amount_kopecks"))
    return int(total["t"] or 0)
