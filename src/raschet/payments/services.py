"""Every write of the payments app: registry imports, single payments (cash desk, API,
online), assigning unidentified payments, reversals.

Lock order (style §9): the organization row first. Every write below runs in one
transaction: a payment is stored once per business key (source + operation id + date, a
unique index) and posted to the ledger in the same transaction, so a failure leaves
nothing half-written and a repeated or concurrent import adds each payment once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from raschet.billing.arrays import read
from raschet.core.money import format_rubles
from raschet.housing.models import Account
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.organizations.models import Organization
from raschet.payments import formats
from raschet.payments.models import (
    Channel,
    ImportState,
    Payment,
    PaymentMethod,
    PaymentSource,
    PaymentState,
    PaymentTarget,
    RegistryImport,
)
from raschet.payments.posting import (
    first_open_month,
    from_month_ordinal,
    month_ordinal,
    post_payments,
)
from raschet.tariffs.models import Service

Progress = Callable[[str], None]
REPORT_LINES_KEPT = 1000
"""How many rejected / duplicate / unidentified lines an import report keeps in full."""


class PaymentError(Exception):
    """A payment or an import that cannot be taken; the message says why, in Russian."""


def _lock(organization_id: int) -> None:
    Organization.objects.select_for_update().filter(pk=organization_id).first()


def _user_id(user: Any) -> int | None:
    return getattr(user, "pk", None)


# ----------------------------------------------------------------------------- sources


DEFAULT_SOURCES = {
    Channel.CASH_DESK: ("cash-desk", "Касса"),
    Channel.API: ("api", "Платежи через API"),
    Channel.ONLINE: ("online", "Онлайн-оплата картой"),
    Channel.TERMINAL: ("terminal", "Платёжные терминалы"),
}


def payment_source_default(*, organization: Organization, channel: str) -> PaymentSource:
    """The organization's default source of a channel (created on first use)."""
    code, name = DEFAULT_SOURCES[Channel(channel)]
    source, _ = PaymentSource.objects.get_or_create(
        organization=organization, code=code, defaults={"name": name, "channel": channel}
    )
    return source


# ----------------------------------------------------------------------------- registries


@dataclass
class ImportReport:
    """What an import did, line by line where it matters."""

    filename: str
    layout: str
    state: str = ImportState.ACCEPTED
    error: str = ""
    import_id: int | None = None
    lines: int = 0
    total_kopecks: int = 0
    accepted: int = 0
    accepted_kopecks: int = 0
    unidentified: list[tuple[int, str, str, int]] = field(default_factory=list)
    duplicates: list[tuple[int, str, str]] = field(default_factory=list)
    rejected: list[tuple[int, str, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.state == ImportState.ACCEPTED

    def as_dict(self) -> dict[str, Any]:
        return {
            "unidentified": [list(r) for r in self.unidentified[:REPORT_LINES_KEPT]],
            "duplicates": [list(r) for r in self.duplicates[:REPORT_LINES_KEPT]],
            "rejected": [list(r) for r in self.rejected[:REPORT_LINES_KEPT]],
        }

    def summary(self) -> str:
        if not self.ok:
            return f"Файл {self.filename} отклонён: {self.error}"
        return (
            f"Файл {self.filename}: строк {self.lines} на {format_rubles(self.total_kopecks)} ₽; "
            f"принято {self.accepted} на {format_rubles(self.accepted_kopecks)} ₽, "
            f"повторов {len(self.duplicates)}, не опознано {len(self.unidentified)}, "
            f"отклонено {len(self.rejected)}"
        )


def registry_import(
    *,
    organization: Organization,
    source: PaymentSource,
    data: bytes,
    filename: str,
    layout: str | None = None,
    user: Any = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a bank or agent registry: parse, store each payment once, post the known ones.

    A file the layout refuses as a whole (encoding, trailer count or total, …) writes no
    payment; its import is recorded as rejected with the reason. Lines with an unknown
    account wait in the unidentified queue; lines already imported (the business key
    exists) are reported as duplicates; malformed lines are reported with their reason.
    """
    say = progress or (lambda _msg: None)
    if source.organization_id != organization.pk:
        raise PaymentError("Источник платежей принадлежит другой организации")
    layout_name = layout or source.layout
    if not layout_name:
        raise PaymentError(f"У источника «{source}» не задан формат реестра")
    spec = formats.load_layout(layout_name)
    today = today or timezone.localdate()
    report = ImportReport(filename=filename, layout=spec.name)
    digest = hashlib.sha256(data).hexdigest()
    say(f"Разбор файла {filename} ({spec.title})…")
    try:
        parsed = formats.parse_registry(data, spec, filename=filename, today=today)
    except formats.RegistryFileError as exc:
        report.state = ImportState.REJECTED
        report.error = str(exc)
        record = RegistryImport.objects.create(
            organization=organization,
            source=source,
            filename=filename,
            sha256=digest,
            state=ImportState.REJECTED,
            error=report.error,
            imported_by=user if _user_id(user) else None,
        )
        report.import_id = record.pk
        return report
    records = parsed.payments
    report.lines = parsed.payment_lines
    report.total_kopecks = parsed.total_kopecks
    report.rejected = [(r.line_no, r.field, r.value, r.message) for r in parsed.rejected]
    report.duplicates = [
        (d.line_no, d.operation_id, f"повтор строки {d.first_line_no} этого файла")
        for d in parsed.duplicates
    ]
    in_file_duplicates = {d.line_no for d in parsed.duplicates}
    say(f"Строк с платежами: {len(records.line_no)}; запись…")
    now = timezone.now()
    with transaction.atomic():
        _lock(organization.pk)
        record = RegistryImport.objects.create(
            organization=organization,
            source=source,
            filename=filename,
            sha256=digest,
            state=ImportState.ACCEPTED,
            imported_by=user if _user_id(user) else None,
            lines=report.lines,
            total_kopecks=report.total_kopecks,
        )
        report.import_id = record.pk
        _store_records(
            organization.pk,
            source.pk,
            record.pk,
            records,
            now,
            _user_id(user),
            open_month=from_month_ordinal(first_open_month(organization.pk)),
        )
        table = Payment._meta.db_table
        new = read(
            f"SELECT id, line_no, COALESCE(account_id, -1), amount_kopecks "  # noqa: S608
            f"FROM {table} WHERE registry_id = %s",
            [record.pk],
            ["id", "line", "account", "amount"],
        )
        line_no = (
            np.frombuffer(records.line_no, dtype=np.int64)
            if len(records.line_no)
            else (np.zeros(0, dtype=np.int64))
        )
        skipped = ~np.isin(line_no, new["line"]) & ~np.isin(
            line_no, np.fromiter(in_file_duplicates, dtype=np.int64)
        )
        for k in np.flatnonzero(skipped).tolist():
            report.duplicates.append((int(line_no[k]), records.operation_id[k], "уже принят ранее"))
        report.duplicates.sort()
        if source.target_service_id is not None:  # e.g. a special account's bank
            PaymentTarget.objects.bulk_create(
                (
                    PaymentTarget(
                        organization_id=organization.pk,
                        payment_id=int(pid),
                        service_id=source.target_service_id,
                        amount_kopecks=int(amount),
                    )
                    for pid, amount in zip(new["id"].tolist(), new["amount"].tolist(), strict=True)
                    if amount > 0
                ),
                batch_size=5000,
            )
        identified = new["account"] >= 0
        known = new["id"][identified].tolist()
        report.unidentified = sorted(
            (int(line or 0), number, "", amount)
            for line, number, amount in Payment.objects.filter(
                registry_id=record.pk, account_id__isnull=True
            ).values_list("line_no", "account_number", "amount_kopecks")
        )
        say(
            f"Новых платежей: {len(new['id'])}, из них с известным лицевым счётом {len(known)}; "
            "разноска…"
        )
        post_payments(
            organization_id=organization.pk,
            payment_ids=known,
            posted_at=now,
            posted_by_id=_user_id(user),
            marked=True,
        )
        report.accepted_kopecks = int(new["amount"][identified].sum())
        report.accepted = len(known)
        record.accepted = report.accepted
        record.accepted_kopecks = report.accepted_kopecks
        record.duplicates = len(report.duplicates)
        record.unidentified = len(report.unidentified)
        record.rejected = len(report.rejected)
        record.report = report.as_dict()
        record.save()
    say(report.summary())
    return report


_STAGE_COLUMNS = (
    "line_no",
    "operation_id",
    "paid_on",
    "account",
    "payer_name",
    "address",
    "period",
    "amount_kopecks",
    "commission_kopecks",
)


def _store_records(
    organization_id: int,
    source_id: int,
    registry_id: int,
    records: Any,
    now: datetime,
    user_id: int | None,
    *,
    open_month: date,
) -> None:
    """Insert the parsed payments, skipping business keys that exist (ON CONFLICT DO NOTHING).

    Accounts are identified by number within the organization in the same statement; the
    identified ones are written as posted in their posting month (the caller posts them in
    the same transaction), the others as unidentified.
    """
    payment = Payment._meta.db_table
    account = Account._meta.db_table
    if not len(records.line_no):
        return
    pg = connection.vendor == "postgresql"
    month = (
        "GREATEST(CAST(date_trunc('month', s.paid_on) AS date), %s)"
        if pg
        else "MAX(date(s.paid_on, 'start of month'), %s)"
    )
    insert = (
        f"INSERT INTO {payment} (organization_id, source_id, registry_id, line_no, operation_id, "  # noqa: S608
        "paid_on, account_number, payer_name, address, period, amount_kopecks, "
        "commission_kopecks, account_id, state, posted_period, method, created_at, "
        "created_by_id, reversal_reason) "
        "SELECT %s, %s, %s, s.line_no, s.operation_id, s.paid_on, SUBSTR(s.account, 1, 40), "
        "SUBSTR(s.payer_name, 1, 300), SUBSTR(s.address, 1, 300), s.period, s.amount_kopecks, "
        "s.commission_kopecks, a.id, "
        "CASE WHEN a.id IS NULL THEN 'unidentified' ELSE 'posted' END, "
        f"CASE WHEN a.id IS NULL THEN NULL ELSE {month} END, "
        "'cashless', %s, %s, '' "
        f"FROM payment_stage s LEFT JOIN {account} a "
        "ON a.organization_id = %s AND a.number = s.account "
        f"{'' if pg else 'WHERE true '}ORDER BY s.line_no "
        "ON CONFLICT (organization_id, source_id, operation_id, paid_on) DO NOTHING"
    )
    stamp = now if pg else connection.ops.adapt_datetimefield_value(now)
    params: list[Any] = [
        organization_id,
        source_id,
        registry_id,
        open_month,
        stamp,
        user_id,
        organization_id,
    ]
    names = ", ".join(_STAGE_COLUMNS)
    with connection.cursor() as cursor:
        if pg:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS payment_stage (line_no integer, "
                "operation_id text, paid_on date, account text, "
                "payer_name text, address text, period date, "
                "amount_kopecks bigint, commission_kopecks bigint) ON COMMIT DROP"
            )
            with cursor.copy(f"COPY payment_stage ({names}) FROM STDIN") as copy:
                for chunk in _copy_text(records):
                    copy.write(chunk)
        else:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS payment_stage (line_no integer, "
                "operation_id text, paid_on date, account text, payer_name text, "
                "address text, period date, amount_kopecks integer, commission_kopecks integer)"
            )
            cursor.execute("DELETE FROM payment_stage")
            columns = [getattr(records, name) for name in _STAGE_COLUMNS]
            marks = ", ".join(["%s"] * len(_STAGE_COLUMNS))
            cursor.executemany(
                f"INSERT INTO payment_stage ({names}) VALUES ({marks})",  # noqa: S608
                list(zip(*columns, strict=True)),
            )
        if pg:
            cursor.execute("ANALYZE payment_stage")
        cursor.execute(insert, params)
        if not pg:
            cursor.execute("DELETE FROM payment_stage")


_NULL = "\\N"  # NULL in COPY's text format
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(records: Any, step: int = 50_000) -> Any:
    """The staged columns as ``COPY … FROM STDIN`` text, a chunk of lines at a time.

    Formatted by hand: psycopg's ``write_row`` costs several microseconds a value, and a
    registry has a million lines. Text is escaped for the COPY format.
    """
    n = len(records.line_no)
    line_no, operation_id, paid_on = records.line_no, records.operation_id, records.paid_on
    account, payer, address = records.account, records.payer_name, records.address
    period, amount, commission = records.period, records.amount_kopecks, records.commission_kopecks
    for start in range(0, n, step):
        out = []
        for k in range(start, min(n, start + step)):
            month = period[k]
            named = _NULL if month is None else month
            out.append(
                f"{line_no[k]}\t{operation_id[k].translate(_COPY_ESCAPES)}\t{paid_on[k]}\t"
                f"{account[k].translate(_COPY_ESCAPES)}\t{payer[k].translate(_COPY_ESCAPES)}\t"
                f"{address[k].translate(_COPY_ESCAPES)}\t"
                f"{named}\t{amount[k]}\t{commission[k]}\n"
            )
        yield "".join(out)


# ----------------------------------------------------------------------------- single payments


@dataclass(frozen=True)
class Target:
    service: Service
    amount_kopecks: int


def payment_create(
    *,
    organization: Organization,
    source: PaymentSource,
    account: Account,
    amount_kopecks: int,
    paid_on: date,
    operation_id: str,
    period: date | None = None,
    targets: Sequence[Target] = (),
    method: str = PaymentMethod.CASHLESS,
    payer_name: str = "",
    shift_id: int | None = None,
    user: Any = None,
    today: date | None = None,
) -> tuple[Payment, bool]:
    """Take one payment (cash desk, API, online) and post it; idempotent by business key.

    Returns the payment and whether it was created now. The same source + operation id +
    date again returns the stored payment and writes nothing; if that payment differs (an
    other account or amount), `PaymentError` says so.
    """
    today = today or timezone.localdate()
    _check_payment(organization, source, account, amount_kopecks, paid_on, period, targets, today)
    now = timezone.now()
    with transaction.atomic():
        _lock(organization.pk)
        earlier = Payment.objects.filter(
            organization_id=organization.pk,
            source_id=source.pk,
            operation_id=operation_id,
            paid_on=paid_on,
        ).first()
        if earlier is not None:
            if earlier.account_id != account.pk or earlier.amount_kopecks != amount_kopecks:
                raise PaymentError(
                    f"Операция {operation_id} от {paid_on:%d.%m.%Y} уже принята с другими "
                    f"данными: лицевой счёт, сумма {format_rubles(earlier.amount_kopecks)} ₽"
                )
            return earlier, False
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    organization_id=organization.pk,
                    source_id=source.pk,
                    operation_id=operation_id,
                    paid_on=paid_on,
                    account_id=account.pk,
                    account_number=account.number,
                    payer_name=payer_name or account.payer_name,
                    amount_kopecks=amount_kopecks,
                    method=method,
                    period=period,
                    state=PaymentState.UNIDENTIFIED,
                    shift_id=shift_id,
                    created_at=now,
                    created_by_id=_user_id(user),
                )
        except IntegrityError as exc:  # a concurrent writer got the same key first
            raise PaymentError(f"Операция {operation_id} уже принимается другим процессом") from exc
        PaymentTarget.objects.bulk_create(
            PaymentTarget(
                organization_id=organization.pk,
                payment=payment,
                service=t.service,
                amount_kopecks=t.amount_kopecks,
            )
            for t in targets
        )
        post_payments(
            organization_id=organization.pk,
            payment_ids=[payment.pk],
            posted_at=now,
            posted_by_id=_user_id(user),
        )
        payment.refresh_from_db()
    return payment, True


def _check_payment(
    organization: Organization,
    source: PaymentSource,
    account: Account,
    amount_kopecks: int,
    paid_on: date,
    period: date | None,
    targets: Sequence[Target],
    today: date,
) -> None:
    if source.organization_id != organization.pk or account.organization_id != organization.pk:
        raise PaymentError("Лицевой счёт или источник платежа принадлежит другой организации")
    if amount_kopecks <= 0:
        raise PaymentError("Сумма платежа должна быть больше нуля")
    if amount_kopecks > 10**12:
        raise PaymentError(f"Сумма платежа {format_rubles(amount_kopecks)} ₽ невероятно велика")
    if paid_on > today:
        raise PaymentError(f"Дата платежа {paid_on:%d.%m.%Y} ещё не наступила")
    if period is not None and period.day != 1:
        raise PaymentError("Оплачиваемый месяц задаётся первым днём месяца")
    if targets:
        if sum(t.amount_kopecks for t in targets) != amount_kopecks:
            raise PaymentError(
                "Сумма по услугам не равна сумме платежа: "
                f"{format_rubles(sum(t.amount_kopecks for t in targets))} ₽ против "
                f"{format_rubles(amount_kopecks)} ₽"
            )
        services = [t.service.pk for t in targets]
        if len(set(services)) != len(services):
            raise PaymentError("Услуга указана в платеже дважды")
        for t in targets:
            if t.amount_kopecks <= 0:
                raise PaymentError(f"Сумма по услуге «{t.service}» должна быть больше нуля")
            if t.service.organization_id != organization.pk:
                raise PaymentError(f"Услуга «{t.service}» принадлежит другой организации")


# ----------------------------------------------------------------------------- queue, reversal


def payment_assign(*, payment: Payment, account: Account, user: Any = None) -> Payment:
    """Give an unidentified payment its account and post it."""
    if account.organization_id != payment.organization_id:
        raise PaymentError("Лицевой счёт принадлежит другой организации")
    with transaction.atomic():
        _lock(payment.organization_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.state != PaymentState.UNIDENTIFIED:
            raise PaymentError(
                "Платёж уже разнесён"
                if payment.state == PaymentState.POSTED
                else "Платёж сторнирован"
            )
        payment.account_id = account.pk
        payment.save(update_fields=["account"])
        post_payments(
            organization_id=payment.organization_id,
            payment_ids=[payment.pk],
            posted_at=timezone.now(),
            posted_by_id=_user_id(user),
        )
        payment.refresh_from_db()
    return payment


def payment_reverse(*, payment: Payment, reason: str, user: Any = None) -> Payment:
    """Reverse an erroneous payment: every entry it posted is mirrored by a reversal entry
    in the open month (same account, service, payee, debt month), so every balance returns
    to what it was before the payment. The payment itself stays, marked reversed."""
    reason = reason.strip()
    if not reason:
        raise PaymentError("Укажите причину сторнирования платежа")
    with transaction.atomic():
        _lock(payment.organization_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.state != PaymentState.POSTED:
            raise PaymentError(
                "Сторнировать можно только разнесённый платёж; этот "
                + ("уже сторнирован" if payment.state == PaymentState.REVERSED else "не опознан")
            )
        now = timezone.now()
        month = from_month_ordinal(
            max(month_ordinal(timezone.localdate()), first_open_month(payment.organization_id))
        )
        entries = [
            LedgerEntry(
                organization_id=e.organization_id,
                account_id=e.account_id,
                service_id=e.service_id,
                payee_id=e.payee_id,
                period=month,
                corrects_period=month,
                debt_period=e.debt_period,
                penalty=e.penalty,
                kind=EntryKind.REVERSAL,
                amount_kopecks=-e.amount_kopecks,
                payment_id=payment.pk,
                posted_at=now,
                posted_by_id=_user_id(user),
                note=reason[:300],
            )
            for e in LedgerEntry.objects.filter(payment_id=payment.pk, kind=EntryKind.PAYMENT)
        ]
        LedgerEntry.objects.bulk_create(entries)
        payment.state = PaymentState.REVERSED
        payment.reversed_at = now
        payment.reversal_reason = reason[:300]
        payment.save(update_fields=["state", "reversed_at", "reversal_reason"])
    return payment


def payment_allocations(payment: Payment) -> list[LedgerEntry]:
    """The ledger entries of a payment (allocations, then reversals), for display."""
    return list(
        LedgerEntry.objects.filter(payment_id=payment.pk).order_by("kind", "debt_period", "id")
    )


def allocated_total(payment: Payment) -> int:
    """Σ of the payment's allocation entries as a positive amount (payment invariant)."""
    total = LedgerEntry.objects.filter(payment_id=payment.pk, kind=EntryKind.PAYMENT).aggregate(
        t=Sum("amount_kopecks")
    )["t"]
    return -int(total or 0)
