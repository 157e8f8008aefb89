"""Certificates of the passport desk as numbered PDFs (rules.md §10).

Four kinds (`CertificateKind`):
- registration extract («выписка из домовой книги», form 9): everyone registered at the
  premises on the date — on any of its accounts — with date of birth, relation, registration
  date and kind;
- household composition («справка о составе семьи»): who is registered on the account on the
  date; an applicant, when named, must be one of them;
- statement of the personal account («выписка из финансового лицевого счёта»): per month of
  the period the opening balance, charges, recalculations, benefits and reductions,
  penalties, payments and the closing balance, summed from the ledger's posted entries by
  the month they are posted in (the definition of the turnover sheet and of
  ``BalanceSnapshot``);
- no-debt certificate («справка об отсутствии задолженности»): the balance of every entry
  posted up to the end of the date less what is not yet due on it (the charges, benefits,
  reductions and penalties of months whose payment due date is that day or later, rules.md
  §3.2); refused when that overdue part is a debt. The charges not yet due are printed with
  their due date.

`certificate_issue` numbers the certificate per organization and year (``2026/000123``):
the counter row is locked, the PDF is rendered with its number and written under
``RASCHET_DATA_DIR/certificates/``, and the log row is written — all in one transaction, so
a failed issue leaves neither a number gap nor a file. Pages are laid out by typst
(``typst/certificate.typ``) from a context of ready-formatted strings.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import typst
from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, Case, Sum, Value, When
from django.utils import timezone

from raschet.core.money import format_rubles
from raschet.core.periods import Month
from raschet.housing.models import Account
from raschet.ledger.models import TURNOVER_COLUMNS, EntryKind, LedgerEntry
from raschet.registry.models import (
    Certificate,
    CertificateCounter,
    CertificateKind,
    Person,
    Registration,
    RegistrationKind,
)
from raschet.registry.selectors import premises_registrations_on, registrations_on

TEMPLATE = Path(__file__).parent / "typst" / "certificate.typ"
FONTS = Path(__file__).resolve().parent.parent / "payments" / "fonts"
MAX_STATEMENT_MONTHS = 120
"""A statement covers at most ten years (an archive request, not a ledger dump)."""

TITLES = {
    CertificateKind.REGISTRATION_EXTRACT: (
        "Выписка из домовой книги",
        "(справка о зарегистрированных по форме № 9)",
    ),
    CertificateKind.HOUSEHOLD: ("Справка о составе семьи", ""),
    CertificateKind.ACCOUNT_STATEMENT: ("Выписка из финансового лицевого счёта", ""),
    CertificateKind.NO_DEBT: ("Справка об отсутствии задолженности", ""),
}


class CertificateError(Exception):
    """A certificate cannot be issued; the message says why, in Russian."""


def _day(value: date | None) -> str:
    return f"{value:%d.%m.%Y}" if value else ""


def _kind_text(r: Registration) -> str:
    if r.kind == RegistrationKind.TEMPORARY:
        return f"по месту пребывания до {_day(r.valid_to)}"
    return "по месту жительства"


def _relation(r: Registration) -> str:
    return str(r.get_relation_display()).lower()


def _org_block(account: Account) -> dict[str, Any]:
    org = account.organization
    lines = [
        line
        for line in (
            org.legal_address,
            f"ИНН {org.inn}" + (f", КПП {org.kpp}" if org.kpp else ""),
            f"тел. {org.phone}" if org.phone else "",
        )
        if line
    ]
    return {"name": org.name, "lines": lines}


def _address(account: Account) -> str:
    premises = account.premises
    return f"{premises.building.address}, кв. {premises.number}"


# ----------------------------------------------------------------------------- contents


def registration_extract(account: Account, on: date) -> dict[str, Any]:
    regs = list(premises_registrations_on(account, on))
    rows = [
        [
            str(k),
            r.person.full_name,
            _day(r.person.birth_date) or "—",
            _relation(r),
            _day(r.valid_from),
            _kind_text(r),
        ]
        for k, r in enumerate(regs, start=1)
    ]
    before = [
        f"Адрес: {_address(account)}. Общая площадь {account.premises.area_total_m2} м². "
        f"Лицевой счёт № {account.number}.",
    ]
    after: list[str] = []
    if rows:
        before.append(f"По состоянию на {_day(on)} по указанному адресу зарегистрированы:")
        after.append(f"Всего зарегистрировано: {len(rows)} чел.")
    else:
        before.append(f"По состоянию на {_day(on)} по указанному адресу никто не зарегистрирован.")
    return {
        "before": before,
        "table": {
            "columns": [
                "№",
                "Фамилия, имя, отчество",
                "Дата рождения",
                "Родственные отношения",
                "Дата регистрации",
                "Вид регистрации",
            ],
            "widths": ["auto", "1fr", "auto", "auto", "auto", "auto"],
            "right": [],
            "rows": rows,
        }
        if rows
        else None,
        "after": after,
    }


def household(account: Account, on: date, person: Person | None) -> dict[str, Any]:
    regs = list(registrations_on(account, on))
    applicant = account.payer_name
    if person is not None:
        if not any(r.person_id == person.pk for r in regs):
            raise CertificateError(
                f"{person.full_name} не зарегистрирован(а) по лицевому счёту "
                f"{account.number} на {_day(on)}: справка о составе семьи не выдаётся"
            )
        applicant = person.full_name
    if not regs:
        raise CertificateError(
            f"По лицевому счёту {account.number} на {_day(on)} никто не зарегистрирован: "
            "справка о составе семьи не выдаётся"
        )
    rows = [
        [
            str(k),
            r.person.full_name,
            _relation(r),
            _day(r.person.birth_date) or "—",
            _day(r.valid_from),
            _kind_text(r),
        ]
        for k, r in enumerate(regs, start=1)
    ]
    return {
        "before": [
            f"Дана {applicant} в том, что по адресу: {_address(account)} "
            f"(лицевой счёт № {account.number}) по состоянию на {_day(on)} "
            "зарегистрированы:",
        ],
        "table": {
            "columns": [
                "№",
                "Фамилия, имя, отчество",
                "Родственные отношения",
                "Дата рождения",
                "Зарегистрирован(а) с",
                "Вид регистрации",
            ],
            "widths": ["auto", "1fr", "auto", "auto", "auto", "auto"],
            "right": [],
            "rows": rows,
        },
        "after": [
            f"Состав семьи: {len(rows)} чел.",
            "Справка выдана для предъявления по месту требования.",
        ],
    }


@dataclass(frozen=True)
class StatementMonth:
    """One month of an account statement: opening, the turnover columns (`TURNOVER_COLUMNS`
    names), closing; kopecks, positive is owed."""

    month: date
    opening: int
    figures: dict[str, int]
    closing: int


def statement_months(account: Account, start: date, end: date) -> list[StatementMonth]:
    """Per month of ``start``…``end`` (first days): opening, the turnover columns, closing
    (kopecks, positive is owed). One query."""
    rows = (
        LedgerEntry.objects.filter(
            organization_id=account.organization_id, account_id=account.pk, period__lte=end
        )
        .values("period", "kind")
        .annotate(total=Sum("amount_kopecks"))
        .order_by()
    )
    opening = 0
    by_month: dict[date, dict[str, int]] = {}
    column_of = {kind: name for name, kinds in TURNOVER_COLUMNS.items() for kind in kinds}
    for row in rows:
        amount = int(row["total"] or 0)
        if row["period"] < start:
            opening += amount
            continue
        month = by_month.setdefault(row["period"], dict.fromkeys(TURNOVER_COLUMNS, 0))
        month[column_of.get(row["kind"], "other")] += amount
    out: list[StatementMonth] = []
    month_obj = Month.of(start)
    balance = opening
    while month_obj.start <= end:
        figures = by_month.get(month_obj.start, dict.fromkeys(TURNOVER_COLUMNS, 0))
        closing = balance + sum(figures.values())
        out.append(StatementMonth(month_obj.start, balance, figures, closing))
        balance = closing
        month_obj = month_obj.next()
    return out


def account_statement(account: Account, start: date, end: date) -> dict[str, Any]:
    start, end = Month.of(start).start, Month.of(end).start
    if end < start:
        raise CertificateError(f"Конец периода {end:%m.%Y} раньше начала {start:%m.%Y}")
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months > MAX_STATEMENT_MONTHS:
        raise CertificateError(
            f"Период выписки {months} мес.: не больше {MAX_STATEMENT_MONTHS} месяцев"
        )
    data = statement_months(account, start, end)

    def cells(label: str, opening: int, f: dict[str, int], closing: int) -> list[str]:
        return [
            label,
            format_rubles(opening),
            format_rubles(f["charged"]),
            format_rubles(f["recalculated"]),
            format_rubles(f["benefits"] + f["reductions"]),
            format_rubles(f["penalties"]),
            format_rubles(-f["paid"]),
            format_rubles(closing),
        ]

    rows = [cells(f"{m.month:%m.%Y}", m.opening, m.figures, m.closing) for m in data]
    totals = {name: sum(m.figures[name] for m in data) for name in TURNOVER_COLUMNS}
    closing = data[-1].closing
    rows.append(cells("Итого", data[0].opening, totals, closing))
    if closing > 0:
        result = f"Задолженность на конец периода: {format_rubles(closing)} руб."
    elif closing < 0:
        result = f"Переплата (аванс) на конец периода: {format_rubles(-closing)} руб."
    else:
        result = "На конец периода задолженности и переплаты нет."
    return {
        "before": [
            f"Лицевой счёт № {account.number}. Плательщик: {account.payer_name}.",
            f"Адрес: {_address(account)}. Площадь {account.charged_area_m2} м².",
            f"Период: {start:%m.%Y} — {end:%m.%Y}. Суммы в рублях; положительное сальдо — "
            "задолженность, отрицательное — переплата.",
        ],
        "table": {
            "columns": [
                "Месяц",
                "Сальдо на начало",
                "Начислено",
                "Перерасчёт",
                "Льготы, снижения",
                "Пени",
                "Оплачено",
                "Сальдо на конец",
            ],
            "widths": ["auto", "1fr", "1fr", "1fr", "1fr", "1fr", "1fr", "1fr"],
            "right": [1, 2, 3, 4, 5, 6, 7],
            "rows": rows,
        },
        "after": [result],
    }


def balance_on(account: Account, on: date) -> int:
    """The balance of every entry posted up to the end of ``on`` (kopecks, positive owed)."""
    end = timezone.make_aware(datetime.combine(on + timedelta(days=1), time.min))
    total = LedgerEntry.objects.filter(
        organization_id=account.organization_id, account_id=account.pk, posted_at__lt=end
    ).aggregate(t=Sum("amount_kopecks"))["t"]
    return int(total or 0)


CHARGE_KINDS = (
    EntryKind.CHARGE, EntryKind.RECALCULATION, EntryKind.REDUCTION, EntryKind.BENEFIT,
    EntryKind.PENALTY,
)  # fmt: skip


def not_yet_due(account: Account, on: date) -> list[tuple[date, date, int]]:
    """(month, due date, amount) of what was charged for the months whose payment is not
    due yet on ``on`` (their due date is ``on`` or later: paying on it is on time), among the
    entries posted up to the end of ``on``. The capital-repair contribution has its own due
    date where the region's law sets one (``capital_repair_due_day``, rules.md §2.2), so one
    month may give two rows: the contribution not yet due while the ЖКУ already are."""
    from raschet.core.penalties import due_date
    from raschet.debt.penalties import CAPITAL_REPAIR_CODE, due_options_for

    organization = account.organization
    options = {
        capital: due_options_for(organization, capital_repair=capital) for capital in (False, True)
    }
    end = timezone.make_aware(datetime.combine(on + timedelta(days=1), time.min))
    rows = (
        LedgerEntry.objects.filter(
            organization_id=account.organization_id,
            account_id=account.pk,
            posted_at__lt=end,
            kind__in=CHARGE_KINDS,
            # a month's charges are due in the next month at the latest (rules.md §3.2),
            # the capital repair's regional day included (ЖК ст.171 ч.1: "следующего месяца")
            period__gte=Month.of(on).previous().start,
        )
        .annotate(
            capital=Case(
                When(service__code=CAPITAL_REPAIR_CODE, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .values("period", "capital")
        .annotate(t=Sum("amount_kopecks"))
        .order_by("period", "capital")
    )
    by_due: dict[tuple[date, date], int] = {}
    for row in rows:
        due = due_date(Month.of(row["period"]), **options[bool(row["capital"])])
        if due >= on and row["t"]:
            key = (row["period"], due)
            by_due[key] = by_due.get(key, 0) + int(row["t"])
    return [(month, due, amount) for (month, due), amount in sorted(by_due.items()) if amount]


def no_debt(account: Account, on: date) -> dict[str, Any]:
    pending = not_yet_due(account, on)
    balance = balance_on(account, on)
    overdue = balance - sum(amount for _, _, amount in pending)
    if overdue > 0:
        raise CertificateError(
            f"По лицевому счёту {account.number} на {_day(on)} задолженность "
            f"{format_rubles(overdue)} руб.: справка об отсутствии задолженности не выдаётся"
        )
    after = []
    if balance > 0:  # all of it charged for months whose payment is not due yet
        first_due = min(due for _, due, amount in pending if amount > 0)
        after.append(
            f"Начислено к оплате {format_rubles(balance)} руб., срок оплаты не наступил "
            f"(до {_day(first_due)} включительно)."
        )
    if balance < 0:
        after.append(f"Переплата (аванс) на {_day(on)}: {format_rubles(-balance)} руб.")
    return {
        "before": [
            f"Дана {account.payer_name} в том, что по лицевому счёту № {account.number} "
            f"(адрес: {_address(account)}) по состоянию на {_day(on)} задолженность по оплате "
            "жилого помещения и коммунальных услуг, включая пени, отсутствует.",
        ],
        "table": None,
        "after": [*after, "Справка выдана для предъявления по месту требования."],
    }


def certificate_content(
    *,
    account: Account,
    kind: str,
    on: date,
    person: Person | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
) -> dict[str, Any]:
    """The page's content without the number; raises `CertificateError` when refused."""
    if kind == CertificateKind.REGISTRATION_EXTRACT:
        body = registration_extract(account, on)
    elif kind == CertificateKind.HOUSEHOLD:
        body = household(account, on, person)
    elif kind == CertificateKind.ACCOUNT_STATEMENT:
        if period_start is None or period_end is None:
            raise CertificateError("Для выписки из лицевого счёта укажите период (с и по)")
        body = account_statement(account, period_start, period_end)
    elif kind == CertificateKind.NO_DEBT:
        body = no_debt(account, on)
    else:
        raise CertificateError(f"Неизвестный вид справки: {kind}")
    title, subtitle = TITLES[CertificateKind(kind)]
    return {
        "kind": str(kind),
        "title": title,
        "subtitle": subtitle,
        "org": _org_block(account),
        **body,
    }


# ----------------------------------------------------------------------------- render


class RenderError(RuntimeError):
    """typst refused the page: a template bug, not user input."""


def render(content: dict[str, Any], *, timestamp: datetime) -> bytes:
    """The PDF of one certificate (the content with its number, date and signer)."""
    data = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    try:
        pdf = typst.compile(
            str(TEMPLATE),
            root=str(TEMPLATE.parent),
            font_paths=[str(FONTS)],
            ignore_system_fonts=True,
            format="pdf",
            sys_inputs={"data": data},
            timestamp=timestamp.replace(microsecond=0),
            pdf_tags=False,
        )
    except typst.TypstError as exc:  # pragma: no cover - a template bug
        raise RenderError(f"Ошибка вёрстки справки: {exc.message}\n{exc.diagnostic}") from exc
    finally:
        from raschet.documents.render import typst_cache_evictor

        evict = typst_cache_evictor()
        if evict is not None:
            evict(0)
    assert isinstance(pdf, bytes)  # noqa: S101 - typst returns bytes for a PDF
    return pdf


# ----------------------------------------------------------------------------- issue


def archive_root() -> Path:
    return Path(settings.DATA_DIR) / "certificates"


def certificate_path(certificate: Certificate) -> Path:
    return Path(settings.DATA_DIR) / certificate.file_path


def _next_number(organization_id: int, year: int) -> int:
    """Lock the organization's counter of ``year`` and take the next number (gap-free: the
    caller's transaction writes the certificate; a rollback returns the number)."""
    CertificateCounter.objects.bulk_create(
        [CertificateCounter(organization_id=organization_id, year=year)], ignore_conflicts=True
    )
    counter = CertificateCounter.objects.select_for_update().get(
        organization_id=organization_id, year=year
    )
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def _signer(user: Any) -> str:
    if getattr(user, "pk", None):
        return str(user.get_full_name() or user.get_username())
    return ""


def certificate_issue(
    *,
    account: Account,
    kind: str,
    on: date,
    person: Person | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    user: Any = None,
    now: datetime | None = None,
) -> Certificate:
    """Issue a certificate: check, number, render, archive and log it (see the module)."""
    if person is not None and person.organization_id != account.organization_id:
        raise CertificateError("Заявитель и лицевой счёт принадлежат разным организациям")
    content = certificate_content(
        account=account,
        kind=kind,
        on=on,
        person=person,
        period_start=period_start,
        period_end=period_end,
    )
    issued_at = now or timezone.now()
    local = timezone.localtime(issued_at)
    year = local.year
    written: Path | None = None
    try:
        with transaction.atomic():
            sequence = _next_number(account.organization_id, year)
            number = f"{year}/{sequence:06d}"
            content.update(
                number=number,
                issued=_day(local.date()),
                signer="Специалист паспортного стола",
                signer_name=_signer(user),
            )
            pdf = render(content, timestamp=issued_at)
            relative = Path("certificates") / str(account.organization_id) / str(year)
            relative /= f"{sequence:06d}-{kind}.pdf"
            target = Path(settings.DATA_DIR) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            partial.write_bytes(pdf)
            os.replace(partial, target)
            written = target
            return Certificate.objects.create(
                organization_id=account.organization_id,
                kind=kind,
                year=year,
                sequence=sequence,
                number=number,
                account=account,
                person=person,
                on_date=on,
                period_start=Month.of(period_start).start if period_start else None,
                period_end=Month.of(period_end).start if period_end else None,
                issued_at=issued_at,
                issued_by=user if getattr(user, "pk", None) else None,
                content_sha256=hashlib.sha256(pdf).hexdigest(),
                file_path=str(relative),
            )
    except BaseException:
        if written is not None:
            written.unlink(missing_ok=True)
        raise
