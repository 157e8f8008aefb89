"""The fund statement and the contributions: figures by hand and against the ledger, the
per-account rows summing to the building, what stays out, refusals, query counts."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.models import Q, Sum
from django.test.utils import CaptureQueriesContext

from raschet.capitalrepair.models import FundSpending
from raschet.capitalrepair.selectors import (
    FIGURES,
    Contributions,
    FundError,
    building_contributions,
    contributions_by_account,
    fund_statement,
    work_spent,
)
from raschet.ledger.models import EntryKind, LedgerEntry
from tests.capitalrepair.conftest import DEC, EXPECTED, FEB, JAN, MAR, Fund
from tests.factories import BuildingFactory

pytestmark = pytest.mark.django_db

PAID = (EntryKind.PAYMENT, EntryKind.REVERSAL)
CHARGES = (EntryKind.CHARGE, EntryKind.RECALCULATION, EntryKind.REDUCTION, EntryKind.BENEFIT)


def ledger(fund: Fund, *filters: Q, **lookups) -> int:
    """A sum over the ledger entries of the building's capital repair, straight from the
    table (not through the selectors)."""
    ids = [a.pk for a in fund.accounts]
    total = LedgerEntry.objects.filter(
        *filters, account_id__in=ids, service_id=fund.repair.pk, **lookups
    ).aggregate(s=Sum("amount_kopecks"))["s"]
    return int(total or 0)


def spent(fund: Fund, **lookups) -> int:
    total = FundSpending.objects.filter(work__building=fund.building, **lookups).aggregate(
        s=Sum("amount_kopecks")
    )["s"]
    return int(total or 0)


def test_the_statement_matches_the_figures_worked_out_by_hand(fund):
    s = fund_statement(building=fund.building, start=JAN, end=FEB)
    c = s.contributions
    assert s.opening == EXPECTED["opening"]
    assert c.charged == EXPECTED["charged"]
    assert c.penalties == EXPECTED["penalties"]
    assert c.paid == EXPECTED["paid"]
    assert c.penalties_paid == EXPECTED["penalties_paid"]
    assert c.other == EXPECTED["other"]
    assert s.spent == EXPECTED["spent"]
    assert s.closing == EXPECTED["closing"]
    assert c.opening == EXPECTED["owners_opening"]
    assert c.closing == s.owners_debt == EXPECTED["owners_closing"]
    assert [sp.document for sp in s.spendings] == ["п/п 2"]
    assert s.fund.payee == fund.operator


def test_the_statement_adds_up_to_the_ledger_of_its_accounts(fund):
    s = fund_statement(building=fund.building, start=JAN, end=FEB)
    before, in_range = Q(period__lt=JAN), Q(period__gte=JAN, period__lte=FEB)
    paid_before = -ledger(fund, before, kind__in=PAID)
    assert s.opening == paid_before - spent(fund, paid_on__lt=JAN)
    assert s.charged == ledger(fund, in_range, kind__in=CHARGES)
    assert s.paid == -ledger(fund, in_range, kind__in=PAID, penalty=False)
    assert s.penalties_paid == -ledger(fund, in_range, kind__in=PAID, penalty=True)
    assert s.spent == spent(fund, paid_on__gte=JAN, paid_on__lt=MAR)
    assert s.closing == -ledger(fund, Q(period__lte=FEB), kind__in=PAID) - spent(
        fund, paid_on__lt=MAR
    )
    assert s.closing == s.opening + s.paid + s.penalties_paid - s.spent
    c = s.contributions
    assert c.opening == ledger(fund, before)
    assert c.closing == ledger(fund, Q(period__lte=FEB))
    assert c.closing == (c.opening + c.charged + c.penalties - c.paid - c.penalties_paid + c.other)


def test_the_accounts_sum_to_the_building(fund):
    s = fund_statement(building=fund.building, start=JAN, end=FEB)
    assert [r.number for r in s.accounts] == ["5001", "5002", "5003"]
    summed = sum((r.figures for r in s.accounts), Contributions())
    assert summed == s.contributions
    for row, account in zip(s.accounts, fund.accounts, strict=True):
        own = Q(account_id=account.pk)
        assert row.figures.closing == ledger(fund, own, period__lte=FEB)
        assert row.figures.opening == ledger(fund, own, period__lt=JAN)
    a3 = s.accounts[2].figures
    assert (a3.penalties, a3.penalties_paid, a3.paid) == (15_50, 15_50, 700_00)


def test_other_services_buildings_and_organizations_stay_out(fund):
    s = fund_statement(building=fund.building, start=DEC, end=MAR)
    # everything of the building: December to March, every payment, every spending
    assert s.opening == 0
    assert s.paid + s.penalties_paid == 500_00 + 1900_00 + 15_50 + 300_00
    assert s.spent == 100_00 + 300_00 + 50_00
    assert {r.account_id for r in s.accounts} == {a.pk for a in fund.accounts}
    other = fund_statement(building=fund.other_building, start=JAN, end=FEB)
    assert (other.charged, other.paid, other.spent) == (999_00, 999_00, 77_00)
    assert [r.number for r in other.accounts] == ["6001"]


def test_one_month_and_a_range_after_everything(fund):
    feb = fund_statement(building=fund.building, start=FEB, end=FEB)
    jan = fund_statement(building=fund.building, start=JAN, end=JAN)
    assert feb.opening == jan.closing
    assert jan.charged + feb.charged == EXPECTED["charged"]
    later = fund_statement(building=fund.building, start=date(2027, 1, 1), end=date(2027, 12, 1))
    assert later.charged == later.paid == later.spent == 0
    assert later.opening == later.closing == 500_00 + 1900_00 + 15_50 + 300_00 - 450_00


def test_per_account_contributions_of_one_account(fund):
    a3 = fund.accounts[2]
    rows = contributions_by_account(building=fund.building, start=JAN, end=FEB, account_id=a3.pk)
    assert len(rows) == 1 and rows[0].number == "5003"
    assert rows[0].figures.charged == 1200_00
    # an account of another building is not the building's
    assert not contributions_by_account(
        building=fund.building, start=JAN, end=FEB, account_id=fund.elsewhere.pk
    )
    assert building_contributions(building=fund.building, start=JAN, end=FEB) == (
        fund_statement(building=fund.building, start=JAN, end=FEB).contributions
    )


def test_work_spent_is_per_work(fund):
    assert work_spent(building=fund.building) == {fund.work.pk: 450_00}


def test_months_out_of_order_are_refused(fund):
    with pytest.raises(FundError, match="раньше начала"):
        fund_statement(building=fund.building, start=FEB, end=JAN)
    with pytest.raises(FundError, match="первым днём"):
        fund_statement(building=fund.building, start=date(2026, 1, 2), end=FEB)


def test_without_fund_settings_the_capital_repair_service_is_the_fund(fund):
    from tests.capitalrepair.conftest import entry
    from tests.factories import AccountFactory, PremisesFactory

    bare = BuildingFactory(organization=fund.org, address="г. Тверь, ул. Пустая, д. 1")
    empty = fund_statement(building=bare, start=JAN, end=FEB)
    assert empty.fund is None and empty.accounts == []
    assert (empty.opening, empty.charged, empty.closing) == (0, 0, 0)
    account = AccountFactory(
        organization=fund.org, number="8001",
        premises=PremisesFactory(building=bare, number="1"),
    )  # fmt: skip
    entry(account, fund.repair, JAN, 250_00, payee=fund.operator)
    entry(account, fund.repair, FEB, -200_00, EntryKind.PAYMENT, debt_period=JAN)
    entry(account, fund.water, FEB, 900_00)
    s = fund_statement(building=bare, start=JAN, end=FEB)
    assert s.fund is None
    assert (s.charged, s.paid, s.closing, s.owners_debt) == (250_00, 200_00, 200_00, 50_00)
    # a fund whose settings start after the range: the range has none
    early = fund_statement(building=fund.building, start=date(2013, 1, 1), end=date(2013, 12, 1))
    assert early.fund is None and early.charged == 0


def test_the_statement_costs_the_same_queries_whatever_the_accounts(fund):
    with CaptureQueriesContext(connection) as few:
        fund_statement(building=fund.building, start=JAN, end=FEB)
    from tests.capitalrepair.conftest import entry
    from tests.factories import AccountFactory, PremisesFactory

    for n in range(5):
        account = AccountFactory(
            organization=fund.org, number=f"58{n:02d}",
            premises=PremisesFactory(building=fund.building, number=f"1{n}"),
        )  # fmt: skip
        entry(account, fund.repair, JAN, 100_00, payee=fund.operator)
    with CaptureQueriesContext(connection) as many:
        s = fund_statement(building=fund.building, start=JAN, end=FEB)
    assert len(s.accounts) == 8
    assert len(many) == len(few) <= 8


def test_figures_are_named_in_one_place():
    assert FIGURES == (
        "opening", "charged", "penalties", "paid", "penalties_paid", "other", "closing",
    )  # fmt: skip
