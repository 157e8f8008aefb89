"""Reads of the ledger's unpaid debt: ageing buckets, debtor lists, the collection rate.

Everything here is one aggregated SQL query over `LedgerEntry` (no Python loop per account),
so it answers for an organization of a million accounts; nothing is stored.

Definitions (the sign is the ledger's: positive is owed; amounts are integer kopecks)

* **Debt month** of an entry: ``COALESCE(debt_period, period)`` — the payment-document (ЕПД)
  month it belongs to (ADR 0006 §3): the posting month of a charge, recalculation, reduction,
  benefit or penalty (a recalculation posted in March belongs to March's document, whatever
  month it corrects), the month a payment, reversal or write-off settles.
* **Remainder**: the sum of the entries of one account × service × payee × debt month ×
  principal/penalty (``penalty`` flag). Payments are allocated to debt months when posted,
  so the unpaid amount of a month is just this sum; nothing is re-allocated here.
* **Credits are advances.** A remainder below zero (a payment ahead of the next document,
  a month whose benefits or negative recalculation exceed its charges, an advance with no
  service yet) is shown as ``advance`` — a positive amount of credit — and is *not*
  subtracted from the debt of other months, services or payees: where a credit goes is the
  allocation's decision (rules.md §14), not this report's. So for every account × service ×
  payee ``principal + penalty − advance`` is its balance, and a debtor may hold an advance
  on another service at the same time.
* **Due date** of debt month M (rules.md §3.2, §14 "Payment due date"): the 10th of the
  next month for months up to February 2026 (February 2026 → 10 March 2026, Минстрой letter
  № 9202-ДН/04), the 15th of the next month from March 2026 (ФЗ № 177-ФЗ). A due date on a
  weekend is not moved, and contractual dates of the old rule (20th, 25th) are not read:
  the project's defaults. `raschet.core.penalties.due_date` holds the rule.
* **Months overdue** on day ``on``: 0 while ``on`` is not after the due date; otherwise the
  number of started months of delay — the least n ≥ 1 with ``on ≤ due + n calendar
  months``. Due 10.02, on 10.05 → 3; on 11.05 → 4.
* **Buckets** of principal by months overdue: ``not_due`` (0: current, not yet due),
  ``up_to_3`` (1–3), ``from_3_to_6`` (4–6), ``from_6_to_12`` (7–12), ``over_12`` (13 and
  more). ``overdue`` is the sum of the last four, ``principal`` of all five.
* **Penalty** remainders are not bucketed: their positive sum is ``penalty`` (the penalty
  debt, shown beside the principal); a negative one is an advance like any other.
* **As of ``on``**: the entries posted in months up to the month of ``on``
  (``period ≤`` that month). The ledger posts by month, not by day, so an entry posted in
  the month of ``on`` counts whatever its day.
* **Debtor**: an account whose ``overdue`` principal (over its services and payees, or the
  chosen ones) is above zero. Not-yet-due debt alone does not make a debtor.
* **Collection rate** of month M: the principal paid for M ÷ the principal charged for M,
  in percent (half-up to 0.01). *Charged* is the net sum of the charge, recalculation,
  reduction and benefit entries whose debt month is M — what the document of M asked for;
  *paid* is minus the sum of the payment and reversal entries whose debt month is M,
  whenever they were posted (an advance paid in M−1 for M counts for M). Penalties and
  their payments, write-offs and transfers are left out of both. No rate when nothing
  (or less than nothing) was charged.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection

from raschet.billing.arrays import in_list, read
from raschet.core import penalties
from raschet.core.money import round_half_up
from raschet.core.periods import Month
from raschet.housing.models import Account, Building, Premises
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.ledger.selectors import FiguresRow
from raschet.organizations.models import Organization
from raschet.tariffs.models import Service

I64 = npt.NDArray[np.int64]

BUCKETS = ("not_due", "up_to_3", "from_3_to_6", "from_6_to_12", "over_12")
OVERDUE_BUCKETS = BUCKETS[1:]
#: The most months overdue of each bucket but the last, which has no upper limit.
BUCKET_MONTHS = (0, 3, 6, 12)
#: The figures of an ageing row, in the order of the columns of pages and files.
FIGURES = (*BUCKETS, "overdue", "principal", "penalty", "advance")
#: What the ageing summary may be grouped by; ``total`` is one line for everything.
AGEING_DIMENSIONS = ("total", "building", "service", "payee")

#: ``(first debt month, day of the next month its debt is due)`` — the last row whose month
#: is not after the debt month applies (rules.md §3.2: ФЗ от 24.06.2025 № 177-ФЗ).

#: The charge kinds whose sum is what a month's document asked for (the collection rate).
CHARGED_KINDS = (
    EntryKind.CHARGE,
    EntryKind.RECALCULATION,
    EntryKind.REDUCTION,
    EntryKind.BENEFIT,
)
PAID_KINDS = (EntryKind.PAYMENT, EntryKind.REVERSAL)
MAX_COLLECTION_MONTHS = 36
UNASSIGNED_SERVICE = "Аванс, не распределённый по услугам"

_MIN_MONTH = 1 * 12  # January of year 1, as year × 12 + month − 1
_MAX_MONTH = 9999 * 12 + 11


# ----------------------------------------------------------------------------- due dates


def _ordinal(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month(ordinal: int) -> date:
    ordinal = min(max(ordinal, _MIN_MONTH), _MAX_MONTH)
    return date(ordinal // 12, ordinal % 12 + 1, 1)


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """``day`` plus calendar months, the day clamped to the month's length (31.01 + 1 →
    28.02); beyond the calendar's ends, `date.min` or `date.max`."""
    target = _ordinal(day) + months
    if target > _MAX_MONTH:
        return date.max
    if target < _MIN_MONTH:
        return date.min
    start = _month(target)
    last = calendar.monthrange(start.year, start.month)[1]
    return start.replace(day=min(day.day, last))


def due_date(month: date) -> date:
    """The day the debt of ``month`` (its payment document) is due (rules.md §3.2, §14):
    `raschet.core.penalties.due_date` with the project's defaults."""
    if _ordinal(month) + 1 > _MAX_MONTH:
        return date.max
    if not 1900 <= month.year < 2999:  # outside the billing calendar (`Month`)
        return _month(_ordinal(month) + 1).replace(day=10 if month.year < 1900 else 15)
    return penalties.due_date(Month.of(month))


def months_overdue(month: date, on: date) -> int:
    """Started months of delay of the debt of ``month`` on day ``on`` (0: not yet due)."""
    due = due_date(month)
    if on <= due:
        return 0
    n = _ordinal(on) - _ordinal(due)
    if n < 1 or add_months(due, n) < on:
        n += 1
    return n


def bucket_of(month: date, on: date) -> str:
    """The ageing bucket of the principal of ``month`` on day ``on`` (the scalar rule the
    SQL of this module follows; tests compare the two)."""
    n = months_overdue(month, on)
    for name, limit in zip(BUCKETS, BUCKET_MONTHS, strict=False):
        if n <= limit:
            return name
    return BUCKETS[-1]


def first_month_within(on: date, limit: int) -> date:
    """The earliest debt month that is at most ``limit`` months overdue on ``on``.

    Months overdue never grow with a later debt month, so the months of one bucket are a
    contiguous range and SQL compares the debt month with these bounds (a binary search:
    ``limit`` may be large).
    """
    if limit < 0:
        raise ValueError(f"Число месяцев просрочки не может быть отрицательным: {limit}")
    lo = max(_MIN_MONTH, _ordinal(on) - limit - 2)
    hi = _ordinal(on)  # the month of `on` is due in the next month: never overdue
    while lo < hi:
        mid = (lo + hi) // 2
        if months_overdue(_month(mid), on) <= limit:
            hi = mid
        else:
            lo = mid + 1
    return _month(lo)


def bucket_bounds(on: date) -> tuple[date, ...]:
    """The first debt month of ``not_due``, ``up_to_3``, ``from_3_to_6``, ``from_6_to_12``:
    a month belongs to the first bucket whose bound it is not before, else to ``over_12``."""
    return tuple(first_month_within(on, limit) for limit in BUCKET_MONTHS)


# ----------------------------------------------------------------------------- SQL pieces


@dataclass(frozen=True)
class DebtFilter:
    """Which entries count: the organizations' (always), optionally of one building,
    service or payee."""

    organization_ids: tuple[int, ...]
    building_id: int | None = None
    service_id: int | None = None
    payee_id: int | None = None

    @classmethod
    def of(
        cls,
        organization_ids: Sequence[int],
        building_id: int | None = None,
        service_id: int | None = None,
        payee_id: int | None = None,
    ) -> DebtFilter:
        return cls(tuple(int(i) for i in organization_ids), building_id, service_id, payee_id)


def _tables() -> tuple[str, str, str, str]:
    return (
        LedgerEntry._meta.db_table,
        Account._meta.db_table,
        Premises._meta.db_table,
        Building._meta.db_table,
    )


def _remainders_sql(debt: DebtFilter, on: date) -> tuple[str, list[Any]]:
    """The non-zero remainders as of ``on``: one row per account × service × payee × debt
    month × principal/penalty, with columns account_id, service_id, payee_id, dm, pen,
    unpaid."""
    ledger, accounts, premises, _ = _tables()
    where, params = in_list("e.organization_id", debt.organization_ids)
    clauses = [where, "e.period <= %s"]
    params.append(month_start(on))
    joins = ""
    if debt.building_id is not None:
        joins = (
            f" JOIN {accounts} a0 ON a0.id = e.account_id"
            f" JOIN {premises} p0 ON p0.id = a0.premises_id"
        )
        clauses.append("p0.building_id = %s")
        params.append(debt.building_id)
    for column, value in (("e.service_id", debt.service_id), ("e.payee_id", debt.payee_id)):
        if value is not None:
            clauses.append(f"{column} = %s")
            params.append(value)
    sql = (
        "SELECT e.account_id AS account_id, e.service_id AS service_id, "  # noqa: S608
        "e.payee_id AS payee_id, COALESCE(e.debt_period, e.period) AS dm, "
        "CASE WHEN e.penalty THEN 1 ELSE 0 END AS pen, SUM(e.amount_kopecks) AS unpaid "
        f"FROM {ledger} e{joins} WHERE {' AND '.join(clauses)} "
        "GROUP BY e.account_id, e.service_id, e.payee_id, COALESCE(e.debt_period, e.period), "
        "e.penalty HAVING SUM(e.amount_kopecks) <> 0"
    )
    return sql, params


_PRINCIPAL = "m.pen = 0 AND m.unpaid > 0"
#: The sums that `_figure_sums` yields, in order (``overdue`` and ``principal`` are derived).
_SUMMED = (*BUCKETS, "penalty", "advance")


def _figure_sums(bounds: Sequence[date]) -> tuple[list[str], list[Any]]:
    """``SUM`` expressions over the remainders ``m`` for `_SUMMED`, and their parameters."""
    sums: list[str] = []
    params: list[Any] = []
    upper: date | None = None
    for lower in (*bounds, None):
        conditions = [_PRINCIPAL]
        if lower is not None:
            conditions.append("m.dm >= %s")
            params.append(lower)
        if upper is not None:
            conditions.append("m.dm < %s")
            params.append(upper)
        sums.append(f"SUM(CASE WHEN {' AND '.join(conditions)} THEN m.unpaid ELSE 0 END)")
        upper = lower
    sums.append("SUM(CASE WHEN m.pen = 1 AND m.unpaid > 0 THEN m.unpaid ELSE 0 END)")
    sums.append("SUM(CASE WHEN m.unpaid < 0 THEN -m.unpaid ELSE 0 END)")
    return sums, params


def _figures(values: Sequence[Any]) -> dict[str, int]:
    """The `FIGURES` of a row from the `_SUMMED` values (``None`` counts as zero)."""
    summed = {name: int(v or 0) for name, v in zip(_SUMMED, values, strict=True)}
    summed["overdue"] = sum(summed[b] for b in OVERDUE_BUCKETS)
    summed["principal"] = summed["overdue"] + summed["not_due"]
    return {name: summed[name] for name in FIGURES}


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])  # SQLite returns the text of the date


def _run(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return list(cursor.fetchall())


# ----------------------------------------------------------------------------- ageing


def ageing_lines(
    *,
    organization_ids: Sequence[int],
    on: date,
    building_id: int | None = None,
    service_id: int | None = None,
    payee_id: int | None = None,
) -> dict[str, I64]:
    """The ageing per account × service × payee as int64 arrays, sorted by those keys.

    Arrays: ``account``, ``service`` and ``payee`` (−1 for none), and one per `FIGURES`.
    Rows whose every figure is zero are left out. For the bulk readers (notices, claims).
    """
    debt = DebtFilter.of(organization_ids, building_id, service_id, payee_id)
    remainders, inner = _remainders_sql(debt, on)
    sums, params = _figure_sums(bucket_bounds(on))
    sql = (
        "SELECT m.account_id, COALESCE(m.service_id, -1), COALESCE(m.payee_id, -1), "  # noqa: S608
        f"{', '.join(sums)} FROM ({remainders}) m "
        "GROUP BY m.account_id, m.service_id, m.payee_id"
    )
    names = ["account", "service", "payee", *_SUMMED]
    rows = read(sql, [*params, *inner], names)
    order = np.lexsort((rows["payee"], rows["service"], rows["account"]))
    out = {name: np.ascontiguousarray(values[order]) for name, values in rows.items()}
    out["overdue"] = sum((out[b] for b in OVERDUE_BUCKETS), np.zeros(len(order), np.int64))
    out["principal"] = out["overdue"] + out["not_due"]
    return out


AgeingRow = FiguresRow
"""One line of the ageing summary: a key of the chosen dimension and its figures."""


@dataclass
class Ageing:
    on: date
    by: str
    rows: list[AgeingRow]
    totals: dict[str, int]


def ageing(
    *,
    organization_ids: Sequence[int],
    on: date,
    by: str = "total",
    building_id: int | None = None,
    service_id: int | None = None,
    payee_id: int | None = None,
) -> Ageing:
    """The ageing summary on ``on``: the `FIGURES` summed by building, service or payee
    (``by="total"``: no rows, only the totals), narrowed to one building, service or payee.

    Rows whose every figure is zero are left out; rows are sorted by their label.
    """
    if by not in AGEING_DIMENSIONS:
        raise ValueError(f"Неизвестный разрез: {by} (возможны: {', '.join(AGEING_DIMENSIONS)})")
    debt = DebtFilter.of(organization_ids, building_id, service_id, payee_id)
    remainders, inner = _remainders_sql(debt, on)
    sums, params = _figure_sums(bucket_bounds(on))
    _, accounts, premises, _ = _tables()
    key, joins, group = "NULL", "", ""
    if by == "building":
        key = "p.building_id"
        joins = (
            f" JOIN {accounts} a ON a.id = m.account_id JOIN {premises} p ON p.id = a.premises_id"
        )
    elif by in ("service", "payee"):
        key = f"m.{by}_id"
    if by != "total":
        group = f" GROUP BY {key}"
    sql = f"SELECT {key}, {', '.join(sums)} FROM ({remainders}) m{joins}{group}"  # noqa: S608
    rows: list[AgeingRow] = []
    totals = dict.fromkeys(FIGURES, 0)
    for record in _run(sql, [*params, *inner]):
        figures = _figures(record[1:])
        for name, value in figures.items():
            totals[name] += value
        if by != "total" and any(figures.values()):
            rows.append(AgeingRow(key=record[0], figures=figures))
    _label(by, rows)
    rows.sort(key=lambda r: (r.label, r.key or 0))
    return Ageing(on=on, by=by, rows=rows, totals=totals)


def _label(by: str, rows: list[AgeingRow]) -> None:
    ids = [r.key for r in rows if r.key is not None]
    names: dict[int, str] = {}
    if not ids:
        pass
    elif by == "building":
        names = dict(Building.objects.filter(pk__in=ids).values_list("pk", "address"))
    elif by == "service":
        names = dict(Service.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif by == "payee":
        names = {o.pk: o.display_name for o in Organization.objects.filter(pk__in=ids)}
    for row in rows:
        if row.key is None:
            row.label = UNASSIGNED_SERVICE if by == "service" else "—"
        else:
            row.label = names.get(row.key, f"#{row.key}")


# ----------------------------------------------------------------------------- debtors


@dataclass(frozen=True)
class Debtor:
    """An account with overdue debt: its `FIGURES` over the chosen services and payees, the
    oldest debt month with overdue principal and how many months overdue that is."""

    account_id: int
    number: str
    payer: str
    building_id: int
    address: str
    figures: dict[str, int]
    oldest_month: date | None
    months_overdue: int

    def __getattr__(self, name: str) -> int:
        try:
            return self.__dict__["figures"][name]
        except KeyError as exc:
            raise AttributeError(name) from exc


@dataclass
class Debtors:
    """One page of debtors (largest overdue first), how many match and their totals."""

    on: date
    count: int
    offset: int
    rows: list[Debtor]
    totals: dict[str, int]


@dataclass(frozen=True)
class DebtorQuery:
    """The debtor list's question: whose overdue principal is at least ``min_kopecks`` and
    whose oldest overdue month is at least ``min_months`` months overdue, on ``on``."""

    debt: DebtFilter
    on: date
    min_kopecks: int = 0
    min_months: int = 0

    def __post_init__(self) -> None:
        if self.min_kopecks < 0:
            raise ValueError("Минимальная сумма долга не может быть отрицательной")
        if self.min_months < 0:
            raise ValueError("Число месяцев просрочки не может быть отрицательным")


_DEBTOR_COLUMNS = (
    "d.account_id",
    "a.number",
    "a.payer_name",
    "p.building_id",
    "b.address",
    "p.number",
    *(f"d.f{k}" for k in range(len(_SUMMED))),
    "d.oldest",
)


def _debtors_sql(query: DebtorQuery, *, totals: bool = False) -> tuple[str, list[Any]]:
    """The matching debtors in the list's order; columns ``c0``… are `_DEBTOR_COLUMNS`,
    then (``totals``) the count and the `_SUMMED` sums of all matching rows on every row."""
    _, accounts, premises, buildings = _tables()
    bounds = bucket_bounds(query.on)
    remainders, inner = _remainders_sql(query.debt, query.on)
    sums, params = _figure_sums(bounds)
    overdue = f"{_PRINCIPAL} AND m.dm < %s"
    columns = [f"{s} AS f{k}" for k, s in enumerate(sums)]
    columns.append(f"SUM(CASE WHEN {overdue} THEN m.unpaid ELSE 0 END) AS overdue")
    columns.append(f"MIN(CASE WHEN {overdue} THEN m.dm END) AS oldest")
    params += [bounds[0], bounds[0], *inner]
    per_account = (
        f"SELECT m.account_id AS account_id, {', '.join(columns)} "  # noqa: S608
        f"FROM ({remainders}) m GROUP BY m.account_id"
    )
    where = ["d.overdue > 0", "d.overdue >= %s"]
    params.append(query.min_kopecks)
    if query.min_months > 0:
        where.append("d.oldest < %s")
        params.append(first_month_within(query.on, query.min_months - 1))
    named = ", ".join(f"{c} AS c{k}" for k, c in enumerate(_DEBTOR_COLUMNS))
    if totals:
        named += ", COUNT(*) OVER ()" + "".join(
            f", SUM(d.f{k}) OVER ()" for k in range(len(_SUMMED))
        )
    sql = (
        f"SELECT {named} FROM ({per_account}) d "  # noqa: S608
        f"JOIN {accounts} a ON a.id = d.account_id JOIN {premises} p ON p.id = a.premises_id "
        f"JOIN {buildings} b ON b.id = p.building_id WHERE {' AND '.join(where)} "
        "ORDER BY d.overdue DESC, a.number, d.account_id"
    )
    return sql, params


def _debtor(record: Sequence[Any], on: date, cache: dict[date, int]) -> Debtor:
    n = len(_SUMMED)
    oldest = _as_date(record[6 + n])
    if oldest is not None and oldest not in cache:
        cache[oldest] = months_overdue(oldest, on)
    return Debtor(
        account_id=int(record[0]),
        number=record[1],
        payer=record[2],
        building_id=int(record[3]),
        address=f"{record[4]}, кв. {record[5]}",
        figures=_figures(record[6 : 6 + n]),
        oldest_month=oldest,
        months_overdue=cache[oldest] if oldest is not None else 0,
    )


def debtors(query: DebtorQuery, *, limit: int = 50, offset: int = 0) -> Debtors:
    """``limit`` debtors from ``offset``, largest overdue principal first (then by account
    number), with the count and the totals of every matching debtor: one query (two when
    ``offset`` is past the last debtor — the second counts)."""
    if limit < 1 or offset < 0:
        raise ValueError("Неверная страница списка должников")
    n = len(_SUMMED)
    width = len(_DEBTOR_COLUMNS)
    sql, params = _debtors_sql(query, totals=True)
    records = _run(f"{sql} LIMIT %s OFFSET %s", [*params, limit, offset])
    if records:
        head: Sequence[Any] = records[0][width:]
    elif offset == 0:
        head = (0,)
    else:  # past the end: count and total without rows
        sql, params = _debtors_sql(query)
        summed = ", ".join(["COUNT(*)", *(f"SUM(q.c{6 + k})" for k in range(n))])
        head = _run(f"SELECT {summed} FROM ({sql}) q", params)[0]  # noqa: S608
    count = int(head[0])
    totals = _figures(head[1:]) if count else dict.fromkeys(FIGURES, 0)
    cache: dict[date, int] = {}
    rows = [_debtor(r[:width], query.on, cache) for r in records]
    return Debtors(on=query.on, count=count, offset=offset, rows=rows, totals=totals)


def debtors_all(query: DebtorQuery, *, chunk: int = 5000) -> Iterator[Debtor]:
    """Every debtor, in the order of the list, read ``chunk`` rows at a time (the exports;
    a server-side cursor on PostgreSQL, so a million debtors are never all in memory)."""
    sql, params = _debtors_sql(query)
    cache: dict[date, int] = {}
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            batch = cursor.fetchmany(chunk)
            if not batch:
                return
            for record in batch:
                yield _debtor(record, query.on, cache)


# ----------------------------------------------------------------------------- collection


def collection_percent(paid: int, charged: int) -> Decimal | None:
    """``paid ÷ charged`` in percent, half-up to 0.01; ``None`` when nothing was charged."""
    if charged <= 0:
        return None
    return round_half_up(Decimal(paid) * 100 / Decimal(charged))


@dataclass(frozen=True)
class Collected:
    """Charged and paid principal (kopecks) of some months, and their collection rate."""

    charged: int = 0
    paid: int = 0

    @property
    def rate(self) -> Decimal | None:
        return collection_percent(self.paid, self.charged)

    def __add__(self, other: Collected) -> Collected:
        return Collected(self.charged + other.charged, self.paid + other.paid)


@dataclass
class CollectionRow:
    building_id: int
    label: str
    cells: list[Collected]
    total: Collected


@dataclass
class Collection:
    """The collection rate per building × month for ``months``, with the totals per month
    (``totals``) and for everything (``total``)."""

    months: list[date]
    rows: list[CollectionRow]
    totals: list[Collected]
    total: Collected


def collection_rate(
    *,
    organization_ids: Sequence[int],
    start: date,
    end: date,
    building_id: int | None = None,
) -> Collection:
    """The collection rate of the debt months ``start``…``end`` (both included, at most
    `MAX_COLLECTION_MONTHS`) per building, as defined in the module docstring.

    Buildings with nothing charged or paid in these months are left out; rows are sorted
    by address.
    """
    first, last = month_start(start), month_start(end)
    if last < first:
        raise ValueError("Конец периода раньше начала")
    span = _ordinal(last) - _ordinal(first) + 1
    if span > MAX_COLLECTION_MONTHS:
        raise ValueError(f"Выберите не больше {MAX_COLLECTION_MONTHS} месяцев (выбрано {span})")
    months = [_month(_ordinal(first) + k) for k in range(span)]
    ledger, accounts, premises, _ = _tables()
    charged = ", ".join(["%s"] * len(CHARGED_KINDS))
    paid = ", ".join(["%s"] * len(PAID_KINDS))
    # the kinds' plain values: a driver may write an Enum member by its name
    params: list[Any] = [k.value for k in (*CHARGED_KINDS, *PAID_KINDS)]
    where, ids = in_list("e.organization_id", organization_ids)
    clauses = [
        where,
        "NOT e.penalty",
        "COALESCE(e.debt_period, e.period) >= %s",
        "COALESCE(e.debt_period, e.period) <= %s",
    ]
    params += [*ids, first, last]
    outer = ""
    if building_id is not None:
        outer = " WHERE p.building_id = %s"
        params.append(building_id)
    # summed per account first: the join to the buildings then meets one row per account
    # and month instead of every entry
    per_account = (
        "SELECT e.account_id AS account_id, COALESCE(e.debt_period, e.period) AS dm, "  # noqa: S608
        f"SUM(CASE WHEN e.kind IN ({charged}) THEN e.amount_kopecks ELSE 0 END) AS charged, "
        f"SUM(CASE WHEN e.kind IN ({paid}) THEN -e.amount_kopecks ELSE 0 END) AS paid "
        f"FROM {ledger} e WHERE {' AND '.join(clauses)} "
        "GROUP BY e.account_id, COALESCE(e.debt_period, e.period)"
    )
    sql = (
        "SELECT p.building_id, x.dm, SUM(x.charged), SUM(x.paid) "  # noqa: S608
        f"FROM ({per_account}) x JOIN {accounts} a ON a.id = x.account_id "
        f"JOIN {premises} p ON p.id = a.premises_id{outer} GROUP BY p.building_id, x.dm"
    )
    index = {m: k for k, m in enumerate(months)}
    cells: dict[int, list[Collected]] = {}
    for building, month, charged_sum, paid_sum in _run(sql, params):
        value = Collected(int(charged_sum or 0), int(paid_sum or 0))
        if value == Collected():
            continue
        row = cells.setdefault(building, [Collected() for _ in months])
        k = index[_as_date(month)]  # type: ignore[index]
        row[k] = row[k] + value
    labels = dict(Building.objects.filter(pk__in=list(cells)).values_list("pk", "address"))
    rows = [
        CollectionRow(
            building_id=b,
            label=labels.get(b, f"#{b}"),
            cells=values,
            total=sum(values, Collected()),
        )
        for b, values in cells.items()
    ]
    rows.sort(key=lambda r: (r.label, r.building_id))
    totals = [sum((r.cells[k] for r in rows), Collected()) for k in range(len(months))]
    return Collection(months=months, rows=rows, totals=totals, total=sum(totals, Collected()))
