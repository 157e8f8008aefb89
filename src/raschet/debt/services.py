"""Writes of credit control: debtor notices by rules, disputes, instalment plans.

Notices go to accounts whose unpaid principal is at least a threshold and whose oldest
unpaid payment-document month is overdue by at least some months — never while a kept
instalment plan or an open dispute covers the account, and not again within a quiet period.
An account with an e-mail address gets an e-mail (Django's mail backend, sent after the
transaction commits); the others a printable PDF letter kept with the notice. A missed
instalment breaks the plan and triggers a notice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Sum

from raschet.core.money import format_rubles
from raschet.debt.ageing import DebtFilter, DebtorQuery, debtors_all
from raschet.debt.models import (
    DebtorNotice,
    Dispute,
    Instalment,
    InstalmentPlan,
    NoticeChannel,
    NoticeState,
    PlanState,
)
from raschet.housing.models import Account
from raschet.organizations.models import Organization
from raschet.payments.models import Payment, PaymentState

FONTS = Path(__file__).resolve().parents[1] / "payments" / "fonts"
QUIET_DAYS = 30
"""No second notice to an account within this many days (organization setting
``notice_quiet_days``)."""


class DebtError(Exception):
    """A plan or notice that cannot be made; the message says why, in Russian."""


@dataclass(frozen=True)
class Debtor:
    account_id: int
    debt_kopecks: int
    oldest_month: date
    months_overdue: int


def debtors(
    *, organization: Organization, on: date, min_kopecks: int = 0, min_months: int = 0
) -> list[Debtor]:
    """Accounts with principal past its due date on ``on`` (the ageing's definition: the
    overdue principal and the oldest overdue month), filtered by the database."""
    query = DebtorQuery(
        DebtFilter.of([organization.pk]), on, min_kopecks=min_kopecks, min_months=min_months
    )
    return [
        Debtor(d.account_id, d.figures["overdue"], d.oldest_month or on, d.months_overdue)
        for d in debtors_all(query)
    ]


# ----------------------------------------------------------------------------- notices


@dataclass
class NoticeReport:
    sent: int = 0
    letters: int = 0
    skipped_plan: int = 0
    skipped_dispute: int = 0
    skipped_recent: int = 0


def _covered(organization: Organization, on: date) -> tuple[set[int], set[int]]:
    plans = set(
        InstalmentPlan.objects.filter(
            organization=organization, state=PlanState.ACTIVE
        ).values_list("account_id", flat=True)
    )
    disputes = set(
        Dispute.objects.filter(organization=organization, opened_on__lte=on)
        .exclude(closed_on__lte=on)
        .values_list("account_id", flat=True)
    )
    return plans, disputes


def notices_send(
    *,
    organization: Organization,
    on: date,
    threshold_kopecks: int,
    min_months: int,
    user: Any = None,
    accounts: Sequence[int] | None = None,
) -> NoticeReport:
    """Send (or prepare as letters) the notices the rules call for on ``on``."""
    if threshold_kopecks < 0 or min_months < 0:
        raise DebtError("Порог суммы и число месяцев не могут быть отрицательными")
    quiet = int(organization.billing_settings.get("notice_quiet_days", QUIET_DAYS))
    report = NoticeReport()
    plans, disputes = _covered(organization, on)
    recent = set(
        DebtorNotice.objects.filter(
            organization=organization, created_at__date__gt=on - timedelta(days=quiet)
        ).values_list("account_id", flat=True)
    )
    chosen = [
        d
        for d in debtors(
            organization=organization, on=on, min_kopecks=threshold_kopecks, min_months=min_months
        )
        if accounts is None or d.account_id in accounts
    ]
    by_id = Account.objects.select_related("premises__building").in_bulk(
        [d.account_id for d in chosen]
    )
    with transaction.atomic():
        for debtor in chosen:
            if debtor.account_id in plans:
                report.skipped_plan += 1
                continue
            if debtor.account_id in disputes:
                report.skipped_dispute += 1
                continue
            if debtor.account_id in recent:
                report.skipped_recent += 1
                continue
            account = by_id[debtor.account_id]
            notice = _notice(organization, account, debtor, on, user, "Задолженность")
            if notice.channel == NoticeChannel.EMAIL:
                report.sent += 1
            else:
                report.letters += 1
    return report


def _notice_text(organization: Organization, account: Account, debtor: Debtor, on: date) -> str:
    return (
        f"Уважаемый(ая) {account.payer_name}!\n\n"
        f"По лицевому счёту № {account.number} ({account.premises}) на {on:%d.%m.%Y} "
        f"не оплачено {format_rubles(debtor.debt_kopecks)} ₽, самый ранний неоплаченный "
        f"месяц — {debtor.oldest_month:%m.%Y} (просрочка {debtor.months_overdue} мес.).\n\n"
        "Просим погасить задолженность. За каждый день просрочки начисляются пени по "
        "ч. 14 ст. 155 Жилищного кодекса РФ; при длительной задолженности возможны "
        "взыскание в судебном порядке и ограничение предоставления коммунальных услуг "
        "(раздел XI Правил, утв. ПП РФ № 354).\n\n"
        "Если вы уже оплатили, не обращайте внимания на это письмо. Оплатить можно "
        "по платёжному документу, в кассе или в личном кабинете; договориться о рассрочке — "
        "в абонентском отделе.\n\n"
        f"{organization.display_name}"
    )


def _notice(
    organization: Organization,
    account: Account,
    debtor: Debtor,
    on: date,
    user: Any,
    reason: str,
) -> DebtorNotice:
    text = _notice_text(organization, account, debtor, on)
    common = {
        "organization": organization,
        "account": account,
        "created_by": user if getattr(user, "pk", None) else None,
        "reason": reason,
        "debt_kopecks": debtor.debt_kopecks,
        "months_overdue": debtor.months_overdue,
    }
    if account.email:
        notice = DebtorNotice.objects.create(
            channel=NoticeChannel.EMAIL, state=NoticeState.SENT, email=account.email, **common
        )
        message = EmailMessage(
            subject=f"Задолженность по лицевому счёту № {account.number}",
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[account.email],
        )
        transaction.on_commit(lambda: _deliver(notice.pk, message))
        return notice
    return DebtorNotice.objects.create(
        channel=NoticeChannel.LETTER,
        state=NoticeState.PRINTED,
        pdf=notice_letter_pdf(organization, account, text, on),
        **common,
    )


def _deliver(notice_id: int, message: EmailMessage) -> None:
    """Send after the commit; a failure is recorded on the notice, not raised."""
    try:
        message.send(fail_silently=False)
    except Exception as exc:
        DebtorNotice.objects.filter(pk=notice_id).update(state=NoticeState.FAILED, error=str(exc))


def notice_letter_pdf(organization: Organization, account: Account, text: str, on: date) -> bytes:
    """A one-page A4 letter to the payer at the premises' address."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_creator("Raschet")
    pdf.set_title(f"Уведомление о задолженности, л/с {account.number}")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(0, 6, organization.display_name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(
        0, 5, f"{account.payer_name}\n{account.premises}", align="R",
        new_x=XPos.LMARGIN, new_y=YPos.NEXT,
    )  # fmt: skip
    pdf.ln(8)
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(
        0, 7, "Уведомление о задолженности", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(0, 5, f"от {on:%d.%m.%Y}", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


# ----------------------------------------------------------------------------- plans


def instalment_plan_create(
    *,
    account: Account,
    agreed_on: date,
    schedule: Sequence[tuple[date, int]],
    note: str = "",
    user: Any = None,
) -> InstalmentPlan:
    """Agree a plan: instalments (due date, kopecks) summing to the debt they cover."""
    if not schedule:
        raise DebtError("В графике рассрочки нет ни одного платежа")
    days = [d for d, _ in schedule]
    if len(set(days)) != len(days):
        raise DebtError("Два платежа графика в один день")
    if any(amount <= 0 for _, amount in schedule):
        raise DebtError("Каждый платёж графика должен быть больше нуля")
    if min(days) < agreed_on:
        raise DebtError("Платёж графика раньше даты соглашения")
    with transaction.atomic():
        if InstalmentPlan.objects.filter(account=account, state=PlanState.ACTIVE).exists():
            raise DebtError(f"По лицевому счёту {account.number} уже действует рассрочка")
        plan = InstalmentPlan.objects.create(
            organization_id=account.organization_id,
            account=account,
            agreed_on=agreed_on,
            debt_kopecks=sum(a for _, a in schedule),
            note=note,
        )
        Instalment.objects.bulk_create(
            Instalment(
                organization_id=account.organization_id, plan=plan, due_on=d, amount_kopecks=a
            )
            for d, a in sorted(schedule)
        )
    return plan


@dataclass
class PlanCheck:
    kept: int = 0
    broken: int = 0
    completed: int = 0


def instalment_plans_check(*, organization: Organization, on: date, user: Any = None) -> PlanCheck:
    """Mark plans completed or broken as of ``on``; a broken plan sends a notice.

    Paid = the account's posted payments dated from the agreement to ``on``; a plan is
    broken when that is less than the instalments due before ``on``.
    """
    result = PlanCheck()
    with transaction.atomic():
        for plan in (
            InstalmentPlan.objects.select_for_update()
            .filter(organization=organization, state=PlanState.ACTIVE)
            .select_related("account")
        ):
            paid = (
                Payment.objects.filter(
                    account_id=plan.account_id,
                    state=PaymentState.POSTED,
                    paid_on__gte=plan.agreed_on,
                    paid_on__lte=on,
                ).aggregate(t=Sum("amount_kopecks"))["t"]
                or 0
            )
            due = (
                plan.instalments.filter(due_on__lt=on).aggregate(t=Sum("amount_kopecks"))["t"] or 0
            )
            if paid >= plan.debt_kopecks:
                plan.state = PlanState.COMPLETED
                result.completed += 1
            elif paid < due:
                plan.state = PlanState.BROKEN
                result.broken += 1
                debtor = Debtor(plan.account_id, plan.debt_kopecks - paid, plan.agreed_on, 0)
                _notice(
                    organization, plan.account, debtor, on, user, "Пропущен платёж по рассрочке"
                )
            else:
                result.kept += 1
                continue
            plan.save(update_fields=["state"])
    return result


# ----------------------------------------------------------------------------- rate tables


def rates_load(
    *, key_rates: Path | None = None, special_periods: Path | None = None
) -> tuple[int, int]:
    """Replace the key-rate table and the special periods by the given CSV files (the
    shipped ones for a file not given), checked whole first: nothing changes on an error."""
    from raschet.core.penalty_data import read_tables
    from raschet.debt.models import KeyRate, SpecialPeriod

    tables = read_tables(key_rates, special_periods)
    with transaction.atomic():
        KeyRate.objects.all().delete()
        SpecialPeriod.objects.all().delete()
        KeyRate.objects.bulk_create(
            KeyRate(effective_from=r.effective_from, rate_hundredths=r.rate_hundredths)
            for r in tables.key_rates
        )
        SpecialPeriod.objects.bulk_create(
            SpecialPeriod(
                start=p.start,
                end=p.end,
                kind=str(p.kind),
                rate_hundredths=p.rate_hundredths,
                debts_due_before=p.debts_due_before,
                act=p.act,
            )
            for p in tables.special_periods
        )
    return len(tables.key_rates), len(tables.special_periods)
