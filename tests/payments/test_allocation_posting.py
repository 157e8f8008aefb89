"""Payments posted to the ledger: order of allocation, advances, reversals, invariants."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum

from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.ledger.selectors import account_balance, account_balances
from raschet.payments.models import Payment, PaymentState
from raschet.payments.services import (
    PaymentError,
    Target,
    allocated_total,
    payment_create,
    payment_reverse,
)
from tests.factories import AccountFactory, PremisesFactory
from tests.payments.conftest import FEB, JAN, MAR

pytestmark = pytest.mark.django_db

TODAY = date(2025, 3, 10)


def pay(books, amount, *, op="op-1", period=None, targets=(), account=None, paid_on=TODAY):
    payment, _created = payment_create(
        organization=books.org,
        source=books.bank,
        account=account or books.account,
        amount_kopecks=amount,
        paid_on=paid_on,
        operation_id=op,
        period=period,
        targets=targets,
        today=TODAY,
    )
    return payment


def allocations(payment):
    """{(service code or None, debt month): paid kopecks} of the payment's entries."""
    out = {}
    for e in LedgerEntry.objects.filter(payment_id=payment.pk).select_related("service"):
        key = (e.service.code if e.service else None, e.debt_period, e.penalty)
        out[key] = out.get(key, 0) - e.amount_kopecks
    return out


def test_oldest_month_first_then_proportional_inside_the_month(books):
    payment = pay(books, 5000_00)
    assert payment.state == PaymentState.POSTED
    assert payment.posted_period == MAR
    assert allocations(payment) == {
        ("cold_water", JAN, False): 1000_00,
        ("heating", JAN, False): 3000_00,
        ("cold_water", FEB, False): 250_00,
        ("heating", FEB, False): 750_00,
    }


def test_named_month_is_paid_first(books):
    payment = pay(books, 2000_00, period=FEB)
    assert allocations(payment) == {
        ("cold_water", FEB, False): 500_00,
        ("heating", FEB, False): 1500_00,
    }


def test_targeted_payment_pays_only_its_service(books):
    payment = pay(books, 1500_00, targets=[Target(books.heat, 1500_00)])
    assert allocations(payment) == {("heating", JAN, False): 1500_00}


def test_overpayment_is_an_advance_split_like_the_last_document(books):
    payment = pay(books, 9000_00)
    got = allocations(payment)
    # 8000 of debt, then 1000 of advance for March in the proportion of February's charges
    assert got[("cold_water", MAR, False)] == 250_00
    assert got[("heating", MAR, False)] == 750_00
    assert sum(got.values()) == 9000_00
    assert account_balance(account=books.account) == -1000_00


def test_account_never_charged_keeps_an_unallocated_advance(books):
    other = AccountFactory(
        premises=PremisesFactory(building=books.account.premises.building), number="100002"
    )
    payment = pay(books, 700_00, account=other)
    assert allocations(payment) == {(None, MAR, False): 700_00}
    balances = account_balances(account=other)
    assert [(b.service_id, b.balance) for b in balances] == [(None, -700_00)]


def test_penalties_are_paid_after_all_principal(books):
    books.charge(books.account, books.water, JAN, 100_00, kind=EntryKind.PENALTY, penalty=True)
    payment = pay(books, 8050_00)
    got = allocations(payment)
    assert got[("cold_water", JAN, True)] == 50_00
    assert sum(v for (s, m, p), v in got.items() if not p) == 8000_00


def test_invariants_balances_allocations_reversal(books):
    before = {
        (b.service_id, b.payee_id): b.balance for b in account_balances(account=books.account)
    }
    assert sum(before.values()) == account_balance(account=books.account) == 8000_00
    payment = pay(books, 4321_99)
    assert allocated_total(payment) == 4321_99
    after = account_balances(account=books.account)
    assert sum(b.balance for b in after) == account_balance(account=books.account)
    assert account_balance(account=books.account) == 8000_00 - 4321_99
    payment_reverse(payment=payment, reason="ошибочный лицевой счёт")
    restored = {
        (b.service_id, b.payee_id): b.balance for b in account_balances(account=books.account)
    }
    assert restored == before
    payment.refresh_from_db()
    assert payment.state == PaymentState.REVERSED
    with pytest.raises(PaymentError, match="разнесённый"):
        payment_reverse(payment=payment, reason="ещё раз")


def test_reversal_needs_a_reason(books):
    payment = pay(books, 100_00)
    with pytest.raises(PaymentError, match="причину"):
        payment_reverse(payment=payment, reason="  ")


def test_same_business_key_is_taken_once(books):
    first = pay(books, 100_00, op="A-1")
    again, created = payment_create(
        organization=books.org,
        source=books.bank,
        account=books.account,
        amount_kopecks=100_00,
        paid_on=TODAY,
        operation_id="A-1",
        today=TODAY,
    )
    assert (again.pk, created) == (first.pk, False)
    assert Payment.objects.filter(operation_id="A-1").count() == 1
    assert allocated_total(first) == 100_00
    with pytest.raises(PaymentError, match="другими данными"):
        pay(books, 200_00, op="A-1")


def test_database_refuses_a_second_payment_with_the_same_key(books):
    pay(books, 100_00, op="B-1")
    existing = Payment.objects.get(operation_id="B-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            organization_id=books.org.pk,
            source_id=books.bank.pk,
            operation_id="B-1",
            paid_on=existing.paid_on,
            amount_kopecks=1,
            state=PaymentState.UNIDENTIFIED,
            created_at=existing.created_at,
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount": 0}, "больше нуля"),
        ({"amount": -5}, "больше нуля"),
        ({"amount": 100, "paid_on": date(2025, 3, 11)}, "не наступила"),
        ({"amount": 100, "period": date(2025, 2, 2)}, "первым днём"),
        ({"amount": 100, "targets": "mismatch"}, "не равна сумме"),
    ],
)
def test_bad_payments_are_refused_with_a_reason(books, kwargs, message):
    targets = [Target(books.water, 50)] if kwargs.pop("targets", None) else []
    with pytest.raises(PaymentError, match=message):
        pay(books, kwargs.pop("amount"), targets=targets, **kwargs)
    assert not LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).exists()


def test_payment_dated_in_a_closed_month_posts_into_the_open_one(books):
    from raschet.ledger.services import ledger_snapshot_month
    from raschet.organizations.models import ClosedMonth

    for month in (JAN, FEB, MAR):
        ledger_snapshot_month(organization_id=books.org.pk, period=month)
        ClosedMonth.objects.create(organization=books.org, month=month)
    payment = pay(books, 100_00, paid_on=date(2025, 3, 5))
    assert payment.posted_period == date(2025, 4, 1)
    assert set(
        LedgerEntry.objects.filter(payment_id=payment.pk).values_list("period", flat=True)
    ) == {date(2025, 4, 1)}


def test_ledger_refuses_updates_of_payment_entries(books):
    payment = pay(books, 100_00)
    entry = LedgerEntry.objects.filter(payment_id=payment.pk).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_kopecks=0)
    total = LedgerEntry.objects.filter(payment_id=payment.pk).aggregate(t=Sum("amount_kopecks"))
    assert total["t"] == -100_00
