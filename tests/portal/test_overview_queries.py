"""The overview's queries do not grow with the account's data (style.md §7; the portal
benchmark, bench/portal.py): the lines, recalculations, payments, payees and months of the
account are each read in one query, whatever their number."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from raschet.billing.models import BillingRun, ChargeLine, LineKind, RunState
from raschet.core.billing import Method
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.organizations.models import OrganizationKind
from raschet.payments.models import Payment, PaymentState
from tests.factories import OrganizationFactory, ServiceFactory
from tests.payments.conftest import FEB, JAN, MAR
from tests.payments.conftest import books as books  # the fixture

pytestmark = pytest.mark.django_db

CODES = ("heating", "hot_water", "electricity", "wastewater", "solid_waste", "maintenance")


def _run(books, month):
    return BillingRun.objects.create(
        organization=books.org, period=month, trial=False, state=RunState.POSTED
    )


def _line(books, run, month, service, payee, corrects=None, kind=LineKind.CHARGE, amount=100_00):
    return ChargeLine.objects.create(
        organization=books.org, run_id=run.pk, account_id=books.account.pk, period=month,
        service_id=service.pk, payee_id=payee.pk, corrects_period=corrects or month, kind=kind,
        method=Method.METER, volume=1_000_000, rate=509_300, amount=amount,
        reason="изменился объём (показания)" if kind == LineKind.RECALCULATION else "",
    )  # fmt: skip


def _manual_recalculation(books, month, service):
    LedgerEntry.objects.create(
        organization=books.org, account=books.account, service=service, payee=books.vodokanal,
        period=month, corrects_period=JAN, kind=EntryKind.RECALCULATION, amount_kopecks=-10_00,
        note="акт о недопоставке", posted_at=timezone.now(),
    )  # fmt: skip


def _pay(books, day, kopecks):
    Payment.objects.create(
        organization=books.org, source=books.bank, operation_id=f"{day}-{kopecks}",
        paid_on=day, account=books.account, amount_kopecks=kopecks, state=PaymentState.POSTED,
        created_at=timezone.now(),
    )  # fmt: skip


def _count(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_the_overview_queries_do_not_grow_with_lines_payments_payees_and_months(
    books, make_resident
):
    client = make_resident("r@example.ru", books.account)
    url = f"/portal/accounts/{books.account.pk}/?month=2025-02"
    # small: one charge line, one recalculation line, one operator recalculation, a payment
    run = _run(books, FEB)
    _line(books, run, FEB, books.water, books.vodokanal)
    _line(books, run, FEB, books.water, books.vodokanal, corrects=JAN, kind=LineKind.RECALCULATION)
    _manual_recalculation(books, FEB, books.water)
    _pay(books, date(2025, 2, 5), 1000_00)
    client.get(url)  # the first request may fill per-process caches (content types, …)
    small, html = _count(client, url)
    assert "1\xa0000,00" in html

    # large: six more services, each with its own payee, balance, lines and recalculations;
    # more months in the ledger, more operator recalculations and twenty payments
    for k, code in enumerate(CODES):
        service = ServiceFactory(organization=books.org, code=code, name=f"Услуга {k}")
        payee = OrganizationFactory(kind=OrganizationKind.SUPPLIER, name=f"АО «Поставщик {k}»")
        for month in (JAN, FEB, MAR):
            LedgerEntry.objects.create(
                organization=books.org, account=books.account, service=service, payee=payee,
                period=month, corrects_period=month, kind=EntryKind.CHARGE,
                amount_kopecks=(k + 1) * 100_00, posted_at=timezone.now(),
            )  # fmt: skip
        _line(books, run, FEB, service, payee, amount=(k + 1) * 100_00)
        _line(books, run, FEB, service, payee, corrects=JAN, kind=LineKind.RECALCULATION)
        _manual_recalculation(books, FEB, service)
    for day in range(1, 21):
        _pay(books, date(2025, 3, day), 100_00 + day)
    large, html = _count(client, url)
    assert "Услуга 5" in html and "АО «Поставщик 5»" in html and "20.03.2025" in html
    assert large == small


def test_the_overview_of_the_latest_month_reads_in_a_fixed_number_of_queries(
    books, make_resident, django_assert_max_num_queries
):
    """The page the benchmark loads (no month chosen): session, user, account, balances,
    services, payees, months, posted runs, lines, services, payments — and no more."""
    run = _run(books, FEB)
    _line(books, run, FEB, books.water, books.vodokanal)
    _pay(books, date(2025, 2, 5), 1000_00)
    client = make_resident("r@example.ru", books.account)
    client.get(f"/portal/accounts/{books.account.pk}/")
    with django_assert_max_num_queries(12):
        response = client.get(f"/portal/accounts/{books.account.pk}/")
    assert response.context["overview"].month == FEB
