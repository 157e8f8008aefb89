"""Settlements with payees (rules.md §7.2 step 6): money per payee per day, commission,
transfer, one payee's report, payment orders and their files."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.payments.models import PayeeCommission, Payment
from raschet.payments.services import payment_create, payment_reverse
from raschet.payments.settlements import (
    ORDER_COLUMNS,
    PURPOSE_MAX_CHARS,
    commission_kopecks,
    daily_totals,
    payee_daily,
    payment_orders,
    payment_orders_csv,
    payment_orders_xlsx,
    purpose_text,
    settlement_report,
)
from tests.factories import AccountFactory, OrganizationFactory, PremisesFactory
from tests.payments.conftest import FEB, JAN, MAR

D1, D2, D3, D4 = date(2025, 3, 5), date(2025, 3, 6), date(2025, 3, 7), date(2025, 3, 8)
TODAY = date(2025, 3, 10)
MSK_LATE = "2025-03-08 01:00 +03:00"  # still the 7th in UTC: the local day must count


# ----------------------------------------------------------------------------- pure rule


def reference_commission(collected: int, bp: int) -> int:
    exact = Decimal(collected) * Decimal(bp) / Decimal(10000)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@given(st.integers(-(10**12), 10**12), st.integers(0, 10000))
def test_commission_is_the_decimal_half_up(collected, bp):
    assert commission_kopecks(collected, bp) == reference_commission(collected, bp)


@pytest.mark.parametrize(
    ("collected", "bp", "expected"),
    [(1250_00, 150, 18_75), (50, 100, 1), (49, 100, 0), (-50, 100, -1), (333_33, 0, 0)],
)
def test_commission_examples(collected, bp, expected):
    assert commission_kopecks(collected, bp) == expected


def test_commission_out_of_range_is_refused():
    with pytest.raises(ValueError, match="10001"):
        commission_kopecks(100, 10001)


def test_purpose_text():
    text = purpose_text(day=D1, contract_number="В-17", commission=18_75)
    assert text == (
        "Перечисление денежных средств, принятых от населения за ЖКУ за 05.03.2025, "
        "по договору № В-17; комиссия 18,75 руб. удержана. НДС не облагается"
    )
    assert "комиссия не удерживалась" in purpose_text(day=D1, contract_number="", commission=0)


# ----------------------------------------------------------------------------- with the ledger


def pay(books, kopecks, day, op, account=None):
    payment, _ = payment_create(
        organization=books.org,
        source=books.bank,
        account=account or books.account,
        amount_kopecks=kopecks,
        paid_on=day,
        operation_id=op,
        today=TODAY,
    )
    return payment


@pytest.fixture
def settled(books):
    """Two payments on two days; the water supplier pays 1.50 %, heat 2.00 % from the 6th."""
    PayeeCommission.objects.create(
        organization=books.org,
        payee=books.vodokanal,
        commission_basis_points=150,
        contract_number="В-17",
        valid_from=JAN,
    )
    PayeeCommission.objects.create(
        organization=books.org,
        payee=books.teplo,
        commission_basis_points=200,
        contract_number="Т-5",
        valid_from=D2,
    )
    first = pay(books, 5000_00, D1, "op-1")  # JAN whole, FEB a quarter: water 1250, heat 3750
    second = pay(books, 333_33, D2, "op-2")
    return books, first, second


def by_key(rows):
    return {(r.day, r.payee_id): r for r in rows}


def ledger_paid(books, day):
    """Σ of the payment entries of the payments of ``day``, as a positive amount."""
    ids = Payment.objects.filter(organization=books.org, paid_on=day).values("pk")
    entries = LedgerEntry.objects.filter(kind=EntryKind.PAYMENT, payment_id__in=ids)
    return -sum(entries.values_list("amount_kopecks", flat=True))


def test_money_per_payee_per_day_with_commission(settled):
    books, _first, _second = settled
    rows = by_key(payee_daily(organization_ids=[books.org.pk], start=D1, end=D2))
    water, heat = rows[(D1, books.vodokanal.pk)], rows[(D1, books.teplo.pk)]
    assert (water.collected_kopecks, water.commission_kopecks) == (1250_00, 18_75)
    assert water.to_transfer_kopecks == 1231_25 and water.contract_number == "В-17"
    # heat's contract starts on the 6th: nothing withheld on the 5th
    assert (heat.collected_kopecks, heat.commission_kopecks, heat.to_transfer_kopecks) == (
        3750_00,
        0,
        3750_00,
    )
    heat2 = rows[(D2, books.teplo.pk)]
    assert heat2.commission_basis_points == 200
    assert heat2.commission_kopecks == reference_commission(heat2.collected_kopecks, 200)
    assert sum(r.collected_kopecks for r in rows.values() if r.day == D2) == 333_33


def test_parts_sum_to_the_day_and_to_the_ledger(settled):
    books, _first, _second = settled
    rows = payee_daily(organization_ids=[books.org.pk], start=D1, end=D3)
    for day in (D1, D2):
        day_rows = [r for r in rows if r.day == day]
        collected = sum(r.collected_kopecks for r in day_rows)
        assert (
            sum(r.to_transfer_kopecks for r in day_rows)
            + sum(r.commission_kopecks for r in day_rows)
            == collected
        )
        assert collected == ledger_paid(books, day)
    totals = {t.day: t for t in daily_totals(rows)}
    assert totals[D1].collected_kopecks == 5000_00
    assert totals[D2].to_transfer_kopecks + totals[D2].commission_kopecks == 333_33


def test_a_reversal_reduces_the_payees_money_on_the_day_it_was_posted(settled):
    books, first, _second = settled
    with time_machine.travel(MSK_LATE, tick=False):
        payment_reverse(payment=first, reason="ошибочный лицевой счёт")
    rows = by_key(payee_daily(organization_ids=[books.org.pk], start=D1, end=D4))
    # the payment's day keeps its money (already transferred); the reversal day gives it back
    assert rows[(D1, books.vodokanal.pk)].collected_kopecks == 1250_00
    back = rows[(D4, books.vodokanal.pk)]
    assert (back.paid_kopecks, back.reversed_kopecks, back.collected_kopecks) == (
        0,
        1250_00,
        -1250_00,
    )
    assert back.commission_kopecks == -18_75 and back.to_transfer_kopecks == -1231_25
    assert rows[(D4, books.teplo.pk)].commission_kopecks == -75_00  # 2 % in force on the 8th
    assert (D3, books.vodokanal.pk) not in rows
    net = sum(r.collected_kopecks for r in rows.values() if r.payee_id == books.vodokanal.pk)
    second_water = rows[(D2, books.vodokanal.pk)].collected_kopecks
    assert net == second_water  # only the second payment's water money is left
    # a day range that ends before the reversal does not see it
    before = by_key(payee_daily(organization_ids=[books.org.pk], start=D1, end=D3))
    assert all(r.reversed_kopecks == 0 for r in before.values())


def test_another_organizations_money_is_not_seen(settled):
    books, _first, _second = settled
    other = OrganizationFactory()
    assert payee_daily(organization_ids=[books.org.pk], start=D1, end=D4)
    assert payee_daily(organization_ids=[other.pk], start=D1, end=D4) == []
    assert payee_daily(organization_ids=[], start=D1, end=D4) == []


def test_an_unallocated_advance_is_held_not_transferred(books):
    stranger = AccountFactory(
        premises=PremisesFactory(building=books.account.premises.building), number="100777"
    )
    pay(books, 700_00, D1, "adv-1", account=stranger)
    [row] = payee_daily(organization_ids=[books.org.pk], start=D1, end=D1)
    assert row.payee_id is None
    assert (row.held_kopecks, row.to_transfer_kopecks, row.commission_kopecks) == (700_00, 0, 0)
    assert payment_orders(organization_ids=[books.org.pk], day=D1) == []


def test_range_the_wrong_way_round_is_refused(books):
    with pytest.raises(ValueError, match="раньше начала"):
        payee_daily(organization_ids=[books.org.pk], start=D2, end=D1)


def test_settlement_report_by_service_and_debt_month(settled):
    books, _first, _second = settled
    report = settlement_report(organization_ids=[books.org.pk], payee=books.teplo, start=D1, end=D2)
    assert sum(line.collected_kopecks for line in report.lines) == report.collected_kopecks
    assert sum(d.collected_kopecks for d in report.days) == report.collected_kopecks
    assert {line.service for line in report.lines} == {"Отопление"}
    months = {s.label: s.collected_kopecks for s in report.by_month}
    assert months["01.2025"] == 3000_00
    assert months["01.2025"] + months["02.2025"] == report.collected_kopecks
    assert report.commission_kopecks == sum(d.commission_kopecks for d in report.days)
    assert report.to_transfer_kopecks + report.commission_kopecks == report.collected_kopecks
    assert [s.label for s in report.by_service] == ["Отопление"]
    assert JAN in {line.debt_period for line in report.lines}
    assert FEB in {line.debt_period for line in report.lines}
    assert MAR not in {line.debt_period for line in report.lines}


def test_payment_orders_of_a_day(settled):
    books, _first, _second = settled
    books.teplo.settlement_account = ""
    books.teplo.save()
    orders = {o.payee_id: o for o in payment_orders(organization_ids=[books.org.pk], day=D1)}
    assert set(orders) == {books.vodokanal.pk, books.teplo.pk}
    water = orders[books.vodokanal.pk]
    assert (water.amount_kopecks, water.commission_kopecks, water.collected_kopecks) == (
        1231_25,
        18_75,
        1250_00,
    )
    assert water.payee_inn == books.vodokanal.inn and water.bic == books.vodokanal.bic
    assert water.payer_id == books.org.pk
    assert water.purpose == purpose_text(day=D1, contract_number="В-17", commission=18_75)
    assert water.problems == ()
    assert any("расчётный счёт" in p for p in orders[books.teplo.pk].problems)


def test_no_order_for_the_organizations_own_money(books):
    LedgerEntry.objects.create(
        organization=books.org,
        account=books.account,
        service=books.heat,
        payee=books.org,  # a service the management company is paid for itself
        period=JAN,
        corrects_period=JAN,
        kind=EntryKind.CHARGE,
        amount_kopecks=500_00,
        posted_at=timezone.now(),
    )
    pay(books, 8500_00, D1, "op-own")
    rows = by_key(payee_daily(organization_ids=[books.org.pk], start=D1, end=D1))
    own = rows[(D1, books.org.pk)]
    assert own.own and own.collected_kopecks == 500_00
    orders = payment_orders(organization_ids=[books.org.pk], day=D1)
    assert {o.payee_id for o in orders} == {books.vodokanal.pk, books.teplo.pk}


def test_no_order_for_a_day_of_reversals_only(settled):
    books, first, _second = settled
    with time_machine.travel(MSK_LATE, tick=False):
        payment_reverse(payment=first, reason="ошибка")
    rows = payee_daily(organization_ids=[books.org.pk], start=D4, end=D4)
    assert rows and all(r.to_transfer_kopecks < 0 for r in rows)
    assert payment_orders(organization_ids=[books.org.pk], day=D4) == []


def test_a_too_long_purpose_is_a_problem(settled):
    books, _first, _second = settled
    PayeeCommission.objects.filter(payee=books.vodokanal).update(contract_number="Д" * 100)
    [water] = [
        o
        for o in payment_orders(organization_ids=[books.org.pk], day=D1)
        if o.payee_id == books.vodokanal.pk
    ]
    assert len(water.purpose) > PURPOSE_MAX_CHARS
    assert any("210" in p for p in water.problems)


def test_payment_order_files(settled):
    books, _first, _second = settled
    orders = payment_orders(organization_ids=[books.org.pk], day=D1)
    data = payment_orders_csv(orders)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert tuple(rows[0]) == ORDER_COLUMNS
    assert len(rows) == 1 + len(orders)
    amounts = {r[5]: r[15] for r in rows[1:]}
    assert amounts[books.vodokanal.name] == "1231,25"
    assert amounts[books.teplo.name] == "3750,00"

    book = load_workbook(io.BytesIO(payment_orders_xlsx(orders)))
    ws = book.active
    assert [c.value for c in ws[2]] == list(ORDER_COLUMNS)
    values = {ws.cell(row=r, column=6).value: ws.cell(row=r, column=16).value for r in (3, 4)}
    assert values[books.vodokanal.name] == pytest.approx(1231.25)
    last = [c.value for c in ws[ws.max_row]]
    assert last[0] == "Итого"
    assert Decimal(str(last[15])) == Decimal("4981.25")
    assert Decimal(str(last[13])) == Decimal("5000.00")
