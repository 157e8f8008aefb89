"""Money invariants of the ledger under random payments (hypothesis), and the month-close
snapshot against the entries and the turnover sheet."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raschet.billing.services import billing_month_close
from raschet.ledger.models import TURNOVER_COLUMNS, BalanceSnapshot, EntryKind, LedgerEntry
from raschet.ledger.selectors import account_balance, account_balances, turnover
from raschet.ledger.services import ledger_snapshot_month
from raschet.organizations.models import ClosedMonth
from raschet.payments.services import (
    Target,
    allocated_total,
    payment_create,
    payment_reverse,
)
from tests.payments.conftest import FEB, JAN

pytestmark = pytest.mark.django_db

TODAY = date(2025, 3, 20)


class Rollback(Exception):
    pass


payment_st = st.tuples(
    st.integers(min_value=1, max_value=12_000_00),  # amount
    st.sampled_from([None, JAN, FEB]),  # named month
    st.sampled_from([None, "water", "heat"]),  # targeted service
    st.booleans(),  # reverse it afterwards
)


def _balances(account) -> dict:
    return {(b.service_id, b.payee_id): b.balance for b in account_balances(account=account)}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payments=st.lists(payment_st, min_size=1, max_size=5))
def test_payments_keep_every_invariant(books, payments):
    try:
        with transaction.atomic():
            for k, (amount, month, service, reverse) in enumerate(payments):
                before = _balances(books.account)
                targets = [Target(getattr(books, service), amount)] if service is not None else []
                payment, _ = payment_create(
                    organization=books.org,
                    source=books.bank,
                    account=books.account,
                    amount_kopecks=amount,
                    paid_on=TODAY,
                    operation_id=f"h{k}",
                    period=month,
                    targets=targets,
                    today=TODAY,
                )
                # a payment equals the sum of its allocations
                assert allocated_total(payment) == amount
                # the account's balance equals the sum of its service balances
                after = _balances(books.account)
                assert sum(after.values()) == account_balance(account=books.account)
                assert sum(after.values()) == sum(before.values()) - amount
                if reverse:
                    payment_reverse(payment=payment, reason="проверка")
                    restored = {k: v for k, v in _balances(books.account).items() if v}
                    assert restored == {k: v for k, v in before.items() if v}
            raise Rollback
    except Rollback:
        pass


def test_snapshot_equals_its_entries_and_the_turnover_sheet(books):
    payment_create(
        organization=books.org,
        source=books.bank,
        account=books.account,
        amount_kopecks=2500_00,
        paid_on=date(2025, 2, 10),
        operation_id="s1",
        today=TODAY,
    )
    books.charge(books.account, books.water, FEB, -100_00, kind=EntryKind.RECALCULATION)
    rows = ledger_snapshot_month(organization_id=books.org.pk, period=JAN)
    ClosedMonth.objects.create(organization=books.org, month=JAN)
    rows += ledger_snapshot_month(organization_id=books.org.pk, period=FEB)
    ClosedMonth.objects.create(organization=books.org, month=FEB)
    assert rows == BalanceSnapshot.objects.count() > 0
    for snap in BalanceSnapshot.objects.all():
        entries = LedgerEntry.objects.filter(
            account_id=snap.account_id, service_id=snap.service_id, payee_id=snap.payee_id
        )
        moves = {
            column: entries.filter(period=snap.period, kind__in=kinds).aggregate(
                t=Sum("amount_kopecks")
            )["t"]
            or 0
            for column, kinds in TURNOVER_COLUMNS.items()
        }
        assert {c: getattr(snap, c) for c in TURNOVER_COLUMNS} == moves
        up_to = entries.filter(period__lte=snap.period).aggregate(t=Sum("amount_kopecks"))["t"]
        assert snap.closing == up_to
        assert snap.closing == snap.opening + sum(moves.values())
    # the February snapshot opens with January's closing and agrees with the turnover sheet
    sheet = turnover(organization_ids=[books.org.pk], start=FEB, end=FEB, by="service")
    feb = BalanceSnapshot.objects.filter(period=FEB)
    for figure in ("opening", "charged", "recalculated", "paid", "closing"):
        assert sheet.totals[figure] == sum(getattr(s, figure) for s in feb)
    assert sheet.totals["paid"] == -2500_00
    jan = BalanceSnapshot.objects.filter(period=JAN)
    assert sum(s.closing for s in jan) == sum(s.opening for s in feb)


def test_month_close_stores_the_snapshot_and_refuses_changes(books):
    from raschet.billing.models import BillingRun, RunState

    BillingRun.objects.create(
        organization=books.org, period=JAN, state=RunState.POSTED, basis=0, trial=False
    )
    billing_month_close(organization=books.org, period=JAN)
    snap = BalanceSnapshot.objects.get(period=JAN, service=books.heat)
    assert (snap.opening, snap.charged, snap.closing) == (0, 3000_00, 3000_00)
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        BalanceSnapshot.objects.filter(pk=snap.pk).update(closing=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        BalanceSnapshot.objects.filter(pk=snap.pk).delete()
