"""Reads of the resident portal: the accounts linked to a resident and the overview of one.

Every account read goes through `resident_account`, which answers 404 for an account not
linked to the user — whoever else it belongs to (issue 8: residents changing ids in URLs get
404). Staff users are not residents: they see no accounts here whatever their role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import F
from django.http import Http404
from django.utils.translation import gettext as _

from raschet.billing.models import LineKind
from raschet.billing.selectors import account_lines
from raschet.documents.models import PaymentDocument
from raschet.documents.selectors import document_months
from raschet.housing.models import Account
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.ledger.selectors import Balance, account_balances
from raschet.payments.models import Payment, PaymentState
from raschet.tariffs.models import Service

PAYMENTS_SHOWN = 12
"""The overview lists the last twelve payments (a year of monthly payments)."""


def resident_accounts(user: Any) -> list[Account]:
    """The accounts linked to ``user``, by number; none for anonymous and staff users."""
    if not user.is_authenticated or user.is_staff:
        return []
    return list(
        Account.objects.filter(
            portal_links__user=user, portal_links__organization_id=F("organization_id")
        )
        .select_related("premises__building", "organization")
        .order_by("number", "pk")
    )


def resident_account(user: Any, pk: int) -> Account:
    """Account ``pk`` if it is linked to ``user``; 404 otherwise (the same for an account of
    another resident, of another organization, or that does not exist)."""
    if not user.is_authenticated or user.is_staff:
        raise Http404(_("No such account"))
    try:
        return (
            Account.objects.select_related("premises__building", "organization")
            .filter(portal_links__user=user, portal_links__organization_id=F("organization_id"))
            .get(pk=pk)
        )
    except Account.DoesNotExist as exc:
        raise Http404(_("No such account")) from exc


@dataclass(frozen=True)
class Recalculation:
    """A recalculation shown to the resident: the month it corrects, why, and by how much."""

    corrects_period: date
    service: str
    amount: int  # kopecks, signed: positive adds to the debt
    reason: str
    explanation: str
    benefit_cash: int = 0  # the ЕДК's difference (≤ 0: more compensation), not in ``amount``


@dataclass(frozen=True)
class Overview:
    """What a resident sees of one account (issue 8 «Обзор»).

    ``balances`` are the ledger's (`account_balances`): positive is a debt, negative an
    advance. ``charges`` and ``recalculations`` are the lines posted in ``month`` (each charge
    with its derivation in ``line.explanation``); ``payments`` the last identified payments.
    """

    account: Account
    balances: list[Balance]
    total: int
    months: list[date]
    month: date | None
    charges: list[Any]
    recalculations: list[Recalculation]
    payments: list[Payment]

    @property
    def charges_total(self) -> int:
        return sum(line.total for line in self.charges)

    @property
    def cash_benefit(self) -> int:
        """The month's ЕДК (kopecks, ≥ 0 as paid to the resident; rules.md §4.2): shown for
        information, never part of ``charges_total``."""
        return -sum(int(getattr(line, "benefit_cash", 0) or 0) for line in self.charges)

    @property
    def cash_benefit_recalculated(self) -> int:
        """The ЕДК of earlier months recalculated in this one (kopecks, signed: + more)."""
        return -sum(r.benefit_cash for r in self.recalculations)


def account_months(account: Account) -> list[date]:
    """The months with charges or recalculations of the account, newest first (a month in
    which only a payment has arrived so far has nothing to show under «Начисления»)."""
    return list(
        LedgerEntry.objects.filter(
            organization_id=account.organization_id,
            account_id=account.pk,
            kind__in=[EntryKind.CHARGE, EntryKind.RECALCULATION],
        )
        .values_list("period", flat=True)
        .distinct()
        .order_by("-period")
    )


def _manual_recalculations(account: Account, month: date) -> list[Recalculation]:
    """Recalculation entries an operator posted by hand (no charge line behind them)."""
    entries = list(
        LedgerEntry.objects.filter(
            organization_id=account.organization_id,
            account_id=account.pk,
            period=month,
            kind=EntryKind.RECALCULATION,
            line_id__isnull=True,
        ).order_by("pk")
    )
    if not entries:
        return []
    names = dict(
        Service.objects.filter(organization_id=account.organization_id).values_list("pk", "name")
    )
    return [
        Recalculation(
            corrects_period=e.corrects_period,
            service=names.get(e.service_id, "") if e.service_id is not None else "",
            amount=e.amount_kopecks,
            reason=e.note,
            explanation="",
        )
        for e in entries
    ]


def account_overview(account: Account, month: date | None = None) -> Overview:
    """The overview of ``account`` for ``month`` (the latest month with entries by default)."""
    balances = account_balances(account=account)
    months = account_months(account)
    if month is None and months:
        month = months[0]
    charges: list[Any] = []
    recalculations: list[Recalculation] = []
    if month is not None:
        for line in account_lines(account, month, derive=False):
            if line.kind == LineKind.CHARGE and line.corrects_period == month:
                charges.append(line)
                continue
            service = getattr(line, "service", None)
            recalculations.append(
                Recalculation(
                    corrects_period=line.corrects_period,
                    service=service.name if service else "",
                    amount=line.total,
                    reason=line.reason,
                    explanation=line.explanation,  # type: ignore[attr-defined]
                    benefit_cash=line.benefit_cash,
                )
            )
        recalculations += _manual_recalculations(account, month)
    payments = list(
        Payment.objects.filter(organization_id=account.organization_id, account_id=account.pk)
        .exclude(state=PaymentState.UNIDENTIFIED)
        .order_by("-paid_on", "-pk")[:PAYMENTS_SHOWN]
    )
    return Overview(
        account=account,
        balances=balances,
        total=sum(b.balance for b in balances),
        months=months,
        month=month,
        charges=charges,
        recalculations=recalculations,
        payments=payments,
    )


@dataclass(frozen=True)
class MonthDocument:
    """A closed month of the account and its archived ЕПД (the latest version), if printed."""

    period: date
    document: PaymentDocument | None


def account_document_months(account: Account) -> list[MonthDocument]:
    """The closed months of the account's organization in which the account was open, newest
    first, each with the latest archived payment document (two queries whatever the count)."""
    months = document_months(account)
    latest: dict[date, PaymentDocument] = {}
    for document in PaymentDocument.objects.filter(
        organization_id=account.organization_id, account_id=account.pk, period__in=months
    ).order_by("period", "version"):
        latest[document.period] = document  # the highest version wins
    return [MonthDocument(period=m, document=latest.get(m)) for m in months]
