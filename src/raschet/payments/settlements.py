"""Settlements with the payees (rules.md §7.2 step 6): what was collected for each payee on
each day, the commission its contract withholds, what is transferred, and the payment
orders to make.

Where the money comes from: the ledger's payment entries (kind ``payment``, one per
allocation, with the payee of the service they paid) and their reversals (kind
``reversal``). A payment counts on its *payment date* (``Payment.paid_on``, joined by
``payment_id``); a reversal counts on the day it was *posted* (the local date of its
``posted_at`` in the configured time zone), not on the date of the payment it reverses —
the money already transferred for that earlier day cannot be taken back from that day's
order, so the reversal reduces the payee's money of the day it was made. Unidentified
payments are not in the ledger and so not here until an operator assigns them; an assigned
payment counts on its payment date, even if that day was settled already (the day's
figures then change: settle a day once its queue is worked off).

Commission: per payee, per collecting organization and per day, by the payee's
`PayeeCommission` in force on that day — ``round_half_up(collected × bp / 10 000)`` in
integer kopecks, never through a float (half-up away from zero, so a day whose reversals
exceed its payments gives a negative commission: the contract's share comes back with the
money). ``to_transfer = collected − commission``. A payee without a contract in force pays
none.

Not a payee's money: an advance the ledger could not give to any service (an account never
charged, entry without payee) is shown as *held* — collected, not transferred, no
commission — until an operator moves it. Money collected for the collecting organization
itself (its own services) is in the figures but gets no payment order.

Days are ranges of whole days ``start``…``end``, both included (the accountant's
«с … по …»).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from raschet.core.money import format_rubles, kopecks_to_decimal
from raschet.core.periods import Month
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.organizations.models import Organization
from raschet.organizations.validators import validate_bank_details
from raschet.payments.models import PayeeCommission, Payment
from raschet.tariffs.models import Service

BASIS_POINTS_PER_UNIT = 10_000
PURPOSE_MAX_CHARS = 210
"""Field 24 «Назначение платежа» of a payment order holds 210 characters (Положение Банка
России № 762-П, приложение 1)."""
UNALLOCATED_LABEL = "Не распределено по получателям (аванс без услуги)"


def commission_kopecks(collected_kopecks: int, basis_points: int) -> int:
    """``collected × basis_points / 10 000`` rounded half-up (away from zero) to the kopeck.

    Integer arithmetic only; equal to the `Decimal` computation with ``ROUND_HALF_UP``.
    """
    if basis_points < 0 or basis_points > BASIS_POINTS_PER_UNIT:
        raise ValueError(f"комиссия {basis_points} сотых процента вне диапазона 0…10000")
    product = abs(collected_kopecks) * basis_points
    rounded = (2 * product + BASIS_POINTS_PER_UNIT) // (2 * BASIS_POINTS_PER_UNIT)
    return rounded if collected_kopecks >= 0 else -rounded


# ----------------------------------------------------------------------------- raw sums


@dataclass(frozen=True)
class _Sum:
    """Σ of the entries of one day and key (kopecks, the payee's sign: positive = received)."""

    day: date
    organization_id: int
    payee_id: int | None
    service_id: int | None
    debt_period: date | None
    paid: int
    reversed: int


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Aware datetimes of local midnight of ``start`` and of the day after ``end``."""
    zone = timezone.get_current_timezone()
    low = datetime.combine(start, time.min, tzinfo=zone)
    high = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    return low, high


def _check_range(start: date, end: date) -> None:
    if end < start:
        raise ValueError(f"Конец периода {end:%d.%m.%Y} раньше начала {start:%d.%m.%Y}")


def _sums(
    organization_ids: Sequence[int],
    start: date,
    end: date,
    *,
    payee_id: int | None = None,
    detail: bool = False,
) -> list[_Sum]:
    """The payment and reversal entries of the days, summed by day × organization × payee
    (× service × debt month when ``detail``)."""
    ids = [int(i) for i in organization_ids]
    if not ids:
        return []
    extra = ", e.service_id, e.debt_period" if detail else ""
    marks = ", ".join(["%s"] * len(ids))
    payee_sql = " AND e.payee_id = %s" if payee_id is not None else ""
    entries, payments = LedgerEntry._meta.db_table, Payment._meta.db_table
    sql = (
        f"SELECT p.paid_on, e.organization_id, e.payee_id{extra}, SUM(e.amount_kopecks) "  # noqa: S608
        f"FROM {entries} e JOIN {payments} p ON p.id = e.payment_id "
        f"WHERE e.kind = %s AND e.organization_id IN ({marks}) "
        f"AND p.organization_id IN ({marks}) AND p.paid_on >= %s AND p.paid_on <= %s"
        f"{payee_sql} GROUP BY p.paid_on, e.organization_id, e.payee_id{extra}"
    )
    params: list[Any] = [EntryKind.PAYMENT.value, *ids, *ids, start, end]
    if payee_id is not None:
        params.append(payee_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        raw = cursor.fetchall()
    out: dict[tuple[Any, ...], list[int]] = {}
    for record in raw:
        day = _as_date(record[0])
        assert day is not None  # noqa: S101 - paid_on is NOT NULL
        service, debt = (record[3], _as_date(record[4])) if detail else (None, None)
        key = (day, record[1], record[2], service, debt)
        out.setdefault(key, [0, 0])[0] -= int(record[-1] or 0)
    # Reversals by their posting day: few rows, so the local date is taken in Python (the
    # same on PostgreSQL and SQLite). A reversal is posted in its posting month or later, so
    # the month bound lets the (organization, period) index narrow the scan.
    low, high = _day_bounds(start, end)
    reversals = LedgerEntry.objects.filter(
        kind=EntryKind.REVERSAL,
        organization_id__in=ids,
        period__gte=Month.of(start).start,
        posted_at__gte=low,
        posted_at__lt=high,
    )
    if payee_id is not None:
        reversals = reversals.filter(payee_id=payee_id)
    for posted_at, org, payee, service_id, debt_period, amount in reversals.values_list(
        "posted_at", "organization_id", "payee_id", "service_id", "debt_period", "amount_kopecks"
    ).iterator():
        key = (
            timezone.localdate(posted_at),
            org,
            payee,
            service_id if detail else None,
            debt_period if detail else None,
        )
        out.setdefault(key, [0, 0])[1] += int(amount)
    return [
        _Sum(day, org, payee, service, debt, paid, reversed_)
        for (day, org, payee, service, debt), (paid, reversed_) in out.items()
    ]


# ----------------------------------------------------------------------------- commissions


@dataclass(frozen=True)
class _Contract:
    valid_from: date
    valid_to: date | None
    basis_points: int
    contract_number: str


class _Commissions:
    """The payees' commission contracts, looked up by organization × payee × day."""

    def __init__(
        self, organization_ids: Iterable[int], payee_ids: Iterable[int], start: date, end: date
    ) -> None:
        self._by_key: dict[tuple[int, int], list[_Contract]] = defaultdict(list)
        payees = [p for p in set(payee_ids) if p is not None]
        if not payees:
            return
        rows = PayeeCommission.objects.filter(
            organization_id__in=list(organization_ids), payee_id__in=payees, valid_from__lte=end
        ).exclude(valid_to__lte=start)
        for r in rows.values_list(
            "organization_id",
            "payee_id",
            "valid_from",
            "valid_to",
            "commission_basis_points",
            "contract_number",
        ):
            self._by_key[(r[0], r[1])].append(_Contract(r[2], r[3], r[4], r[5]))

    def on(self, organization_id: int, payee_id: int | None, day: date) -> _Contract | None:
        if payee_id is None:
            return None
        for contract in self._by_key.get((organization_id, payee_id), ()):
            if contract.valid_from <= day and (
                contract.valid_to is None or day < contract.valid_to
            ):
                return contract
        return None


# ----------------------------------------------------------------------------- daily


@dataclass(frozen=True)
class PayeeDay:
    """The money of one payee collected by one organization on one day (kopecks).

    ``collected = paid − reversed``; ``collected = to_transfer + commission + held`` always:
    ``held`` is non-zero only on the row without a payee (money of no payee yet).
    """

    day: date
    organization_id: int
    organization: str
    payee_id: int | None
    payee: str
    paid_kopecks: int
    reversed_kopecks: int
    commission_basis_points: int
    contract_number: str
    commission_kopecks: int
    to_transfer_kopecks: int
    held_kopecks: int

    @property
    def collected_kopecks(self) -> int:
        return self.paid_kopecks - self.reversed_kopecks

    @property
    def own(self) -> bool:
        """Money of the collecting organization's own services: nothing to transfer out."""
        return self.payee_id == self.organization_id


def _names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    return {o.pk: str(o) for o in Organization.objects.filter(pk__in=wanted)} if wanted else {}


def _settle(sums: list[_Sum], commissions: _Commissions, names: dict[int, str]) -> list[PayeeDay]:
    """Sums of day × organization × payee → rows with commission and transfer (pure)."""
    totals: dict[tuple[date, int, int | None], list[int]] = {}
    for s in sums:
        pair = totals.setdefault((s.day, s.organization_id, s.payee_id), [0, 0])
        pair[0] += s.paid
        pair[1] += s.reversed
    rows = []
    for (day, org, payee), (paid, reversed_) in totals.items():
        collected = paid - reversed_
        if paid == 0 and reversed_ == 0:
            continue
        if payee is None:
            bp, number, commission, transfer, held = 0, "", 0, 0, collected
        else:
            contract = commissions.on(org, payee, day)
            bp = contract.basis_points if contract else 0
            number = contract.contract_number if contract else ""
            commission = commission_kopecks(collected, bp)
            transfer, held = collected - commission, 0
        rows.append(
            PayeeDay(
                day=day,
                organization_id=org,
                organization=names.get(org, f"#{org}"),
                payee_id=payee,
                payee=UNALLOCATED_LABEL if payee is None else names.get(payee, f"#{payee}"),
                paid_kopecks=paid,
                reversed_kopecks=reversed_,
                commission_basis_points=bp,
                contract_number=number,
                commission_kopecks=commission,
                to_transfer_kopecks=transfer,
                held_kopecks=held,
            )
        )
    rows.sort(key=lambda r: (r.day, r.organization, r.payee_id is None, r.payee, r.payee_id or 0))
    return rows


def payee_daily(*, organization_ids: Sequence[int], start: date, end: date) -> list[PayeeDay]:
    """Money collected per payee per day ``start``…``end`` (both included), with the
    commission of the contract in force that day and the amount to transfer.

    A payment counts on its payment date, a reversal on the day it was posted (see the
    module docstring). Rows are ordered by day, organization, payee; the row without a
    payee (an unallocated advance) comes last in its day.
    """
    _check_range(start, end)
    sums = _sums(organization_ids, start, end)
    payees = {s.payee_id for s in sums if s.payee_id is not None}
    commissions = _Commissions(organization_ids, payees, start, end)
    names = _names({*payees, *(s.organization_id for s in sums)})
    return _settle(sums, commissions, names)


@dataclass(frozen=True)
class DayTotal:
    day: date
    collected_kopecks: int
    commission_kopecks: int
    to_transfer_kopecks: int
    held_kopecks: int


def daily_totals(rows: Iterable[PayeeDay]) -> list[DayTotal]:
    """Σ of the rows of each day (ordered by day)."""
    sums: dict[date, list[int]] = {}
    for r in rows:
        t = sums.setdefault(r.day, [0, 0, 0, 0])
        t[0] += r.collected_kopecks
        t[1] += r.commission_kopecks
        t[2] += r.to_transfer_kopecks
        t[3] += r.held_kopecks
    return [DayTotal(day, *t) for day, t in sorted(sums.items())]


# ----------------------------------------------------------------------------- one payee


@dataclass(frozen=True)
class SettlementLine:
    """Money collected for one service and debt month (kopecks, net of reversals)."""

    service_id: int | None
    service: str
    debt_period: date | None
    collected_kopecks: int


@dataclass(frozen=True)
class Subtotal:
    label: str
    collected_kopecks: int


@dataclass
class SettlementReport:
    """One payee's settlement for the days ``start``…``end``: what was collected for it by
    service and by debt month, the commission withheld and the money transferred.

    The commission is computed per day (the contract's rule), so it is given per day and in
    total, not per service. ``Σ lines == Σ days.collected == collected_kopecks``.
    """

    payee: Organization
    start: date
    end: date
    lines: list[SettlementLine]
    days: list[PayeeDay]
    collected_kopecks: int = 0
    commission_kopecks: int = 0
    to_transfer_kopecks: int = 0
    by_service: list[Subtotal] = field(default_factory=list)
    by_month: list[Subtotal] = field(default_factory=list)


def settlement_report(
    *, organization_ids: Sequence[int], payee: Organization, start: date, end: date
) -> SettlementReport:
    """The settlement of ``payee`` for the days ``start``…``end`` (both included)."""
    _check_range(start, end)
    sums = _sums(organization_ids, start, end, payee_id=payee.pk, detail=True)
    commissions = _Commissions(organization_ids, [payee.pk], start, end)
    names = _names({payee.pk, *(s.organization_id for s in sums)})
    days = _settle(sums, commissions, names)
    service_ids = {s.service_id for s in sums if s.service_id is not None}
    services = dict(Service.objects.filter(pk__in=service_ids).values_list("pk", "name"))
    merged: dict[tuple[int | None, date | None], int] = defaultdict(int)
    for s in sums:
        merged[(s.service_id, s.debt_period)] += s.paid - s.reversed
    lines = [
        SettlementLine(
            service_id=service_id,
            service=services.get(service_id, "—") if service_id else "—",
            debt_period=debt,
            collected_kopecks=amount,
        )
        for (service_id, debt), amount in merged.items()
        if amount
    ]
    lines.sort(key=lambda x: (x.service, x.service_id or 0, x.debt_period or date.min))
    by_service: dict[str, int] = defaultdict(int)
    by_month: dict[date | None, int] = defaultdict(int)
    for line in lines:
        by_service[line.service] += line.collected_kopecks
        by_month[line.debt_period] += line.collected_kopecks
    return SettlementReport(
        payee=payee,
        start=start,
        end=end,
        lines=lines,
        days=days,
        collected_kopecks=sum(d.collected_kopecks for d in days),
        commission_kopecks=sum(d.commission_kopecks for d in days),
        to_transfer_kopecks=sum(d.to_transfer_kopecks for d in days),
        by_service=[Subtotal(k, v) for k, v in sorted(by_service.items())],
        by_month=[
            Subtotal(f"{m:%m.%Y}" if m else "—", v)
            for m, v in sorted(by_month.items(), key=lambda kv: kv[0] or date.min)
        ],
    )


# ----------------------------------------------------------------------------- orders


@dataclass(frozen=True)
class PaymentOrder:
    """A payment order to make: the collecting organization pays a payee the money of a day.

    ``problems`` lists what stops the order from being sent as it is (missing or wrong bank
    details, a purpose text too long), in Russian.
    """

    day: date
    payer_id: int
    payer_name: str
    payer_inn: str
    payer_kpp: str
    payer_account: str
    payer_bank: str
    payer_bic: str
    payee_id: int
    payee_name: str
    payee_inn: str
    payee_kpp: str
    bank_name: str
    bic: str
    correspondent_account: str
    settlement_account: str
    collected_kopecks: int
    commission_kopecks: int
    amount_kopecks: int
    contract_number: str
    purpose: str
    problems: tuple[str, ...] = ()


def purpose_text(*, day: date, contract_number: str, commission: int) -> str:
    """The order's purpose: «Перечисление денежных средств, принятых от населения за ЖКУ за
    ДД.ММ.ГГГГ, по договору № …; комиссия … руб. удержана. НДС не облагается»."""
    text = f"Перечисление денежных средств, принятых от населения за ЖКУ за {day:%d.%m.%Y}"
    if contract_number:
        text += f", по договору № {contract_number}"
    if commission:
        text += f"; комиссия {format_rubles(commission, thousands='')} руб. удержана"
    else:
        text += "; комиссия не удерживалась"
    return text + ". НДС не облагается"


def _order_problems(payee: Organization, purpose: str) -> tuple[str, ...]:
    problems = []
    missing = [
        title
        for title, value in (
            ("ИНН", payee.inn),
            ("БИК", payee.bic),
            ("расчётный счёт", payee.settlement_account),
        )
        if not value
    ]
    if missing:
        problems.append(f"У получателя не заданы: {', '.join(missing)}")
    for messages in validate_bank_details(
        bic=payee.bic,
        settlement_account=payee.settlement_account,
        correspondent_account=payee.correspondent_account,
    ).values():
        problems.extend(str(m) for m in messages)
    if len(purpose) > PURPOSE_MAX_CHARS:
        problems.append(
            f"Назначение платежа длиннее {PURPOSE_MAX_CHARS} символов ({len(purpose)}): "
            "сократите номер договора"
        )
    return tuple(problems)


def payment_orders(*, organization_ids: Sequence[int], day: date) -> list[PaymentOrder]:
    """The payment orders of ``day``: one per collecting organization × payee whose money
    of the day (after commission) is positive.

    Not included: the collecting organization's own money, the unallocated advance (no
    payee), and a payee whose day is zero or negative (reversals exceeding payments: the
    shortfall is settled by the accountant against a later order — it shows on the daily
    table).
    """
    rows = [
        r
        for r in payee_daily(organization_ids=organization_ids, start=day, end=day)
        if r.payee_id is not None and not r.own and r.to_transfer_kopecks > 0
    ]
    orgs = Organization.objects.in_bulk(
        {r.payee_id for r in rows} | {r.organization_id for r in rows}
    )
    orders = []
    for r in rows:
        payer, payee = orgs[r.organization_id], orgs[r.payee_id]  # type: ignore[index]
        purpose = purpose_text(
            day=day, contract_number=r.contract_number, commission=r.commission_kopecks
        )
        orders.append(
            PaymentOrder(
                day=day,
                payer_id=payer.pk,
                payer_name=payer.name,
                payer_inn=payer.inn,
                payer_kpp=payer.kpp,
                payer_account=payer.settlement_account,
                payer_bank=payer.bank_name,
                payer_bic=payer.bic,
                payee_id=payee.pk,
                payee_name=payee.name,
                payee_inn=payee.inn,
                payee_kpp=payee.kpp,
                bank_name=payee.bank_name,
                bic=payee.bic,
                correspondent_account=payee.correspondent_account,
                settlement_account=payee.settlement_account,
                collected_kopecks=r.collected_kopecks,
                commission_kopecks=r.commission_kopecks,
                amount_kopecks=r.to_transfer_kopecks,
                contract_number=r.contract_number,
                purpose=purpose,
                problems=_order_problems(payee, purpose),
            )
        )
    return orders


# ----------------------------------------------------------------------------- files

ORDER_COLUMNS = (
    "Дата поступлений",
    "Плательщик",
    "ИНН плательщика",
    "КПП плательщика",
    "Счёт плательщика",
    "Получатель",
    "ИНН получателя",
    "КПП получателя",
    "Банк получателя",
    "БИК",
    "Корр. счёт",
    "Расчётный счёт",
    "Договор",
    "Принято, руб.",
    "Комиссия, руб.",
    "Сумма к перечислению, руб.",
    "Назначение платежа",
    "Замечания",
)
_MONEY_COLUMNS = (13, 14, 15)  # 0-based positions of the amounts in ORDER_COLUMNS


def _order_cells(order: PaymentOrder) -> list[Any]:
    return [
        f"{order.day:%d.%m.%Y}",
        order.payer_name,
        order.payer_inn,
        order.payer_kpp,
        order.payer_account,
        order.payee_name,
        order.payee_inn,
        order.payee_kpp,
        order.bank_name,
        order.bic,
        order.correspondent_account,
        order.settlement_account,
        order.contract_number,
        order.collected_kopecks,
        order.commission_kopecks,
        order.amount_kopecks,
        order.purpose,
        "; ".join(order.problems),
    ]


def payment_orders_csv(orders: Sequence[PaymentOrder]) -> bytes:
    """The orders as CSV for Excel: UTF-8 with BOM, ``;``, amounts ``1234,56`` (exact).

    One line per order after the header, no total line (a program may read the file)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(ORDER_COLUMNS)
    for order in orders:
        cells = _order_cells(order)
        for i in _MONEY_COLUMNS:
            cells[i] = format_rubles(cells[i], thousands="")
        writer.writerow(cells)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def payment_orders_xlsx(orders: Sequence[PaymentOrder]) -> bytes:
    """The orders as an XLSX sheet: amounts are numbers built from `Decimal` (``0.00``),
    bank details text; a bold total line at the end."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    ws.title = "Платёжные поручения"
    days = sorted({o.day for o in orders})
    title = "Платёжные поручения получателям"
    if days:
        title += " за " + ", ".join(f"{d:%d.%m.%Y}" for d in days)
    ws.append([title])
    ws["A1"].font = Font(bold=True)
    ws.append(list(ORDER_COLUMNS))
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for order in orders:
        cells = _order_cells(order)
        for i in _MONEY_COLUMNS:
            cells[i] = kopecks_to_decimal(cells[i])
        ws.append(cells)
    total: list[Any] = [""] * len(ORDER_COLUMNS)
    total[0] = "Итого"
    for i, attr in zip(
        _MONEY_COLUMNS, ("collected_kopecks", "commission_kopecks", "amount_kopecks"), strict=True
    ):
        total[i] = kopecks_to_decimal(sum(int(getattr(o, attr)) for o in orders))
    ws.append(total)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for row in ws.iter_rows(min_row=3):
        for i in _MONEY_COLUMNS:
            row[i].number_format = "#,##0.00"
    for letter, width in (("A", 14), ("B", 36), ("F", 36), ("I", 30), ("Q", 80), ("R", 40)):
        ws.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
