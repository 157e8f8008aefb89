"""`documents_data`: what an account's ЕПД says, checked against the ledger it comes from."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from raschet.billing.models import BillingRun, ChargeLine, LineKind, RunState
from raschet.documents.assemble import DocumentDataError, Epd, documents_data
from raschet.ledger.models import BalanceSnapshot, EntryKind, LedgerEntry
from raschet.metering.models import Reading
from raschet.tariffs.models import Norm
from tests.documents.conftest import (
    FEB,
    JAN,
    PAYMENT_KOPECKS,
    PENALTY_KOPECKS,
    Town,
    build_town,
    kopecks,
    ledger_due,
    payee_entries,
    total,
)
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

CHARGE_KINDS = (
    EntryKind.CHARGE,
    EntryKind.RECALCULATION,
    EntryKind.REDUCTION,
    EntryKind.BENEFIT,
)


def data(town: Town) -> list[Epd]:
    return documents_data(
        organization=town.org, period=FEB, account_ids=[a.pk for a in town.accounts]
    )


def blocks(doc: Epd) -> dict[int, dict]:
    """Payee id → its block on the page (blocks and QR payloads come in the same order)."""
    return {qr.payee_id: block for block, qr in zip(doc.content["payees"], doc.qr, strict=True)}


def amount(text: str) -> int:
    """A printed amount; a blank cell is zero."""
    return kopecks(text) if text else 0


def test_each_payee_block_is_that_payees_ledger(town):
    payees = (town.org, town.vodokanal)
    for doc, account in zip(data(town), town.accounts, strict=True):
        assert doc.account_number == account.number
        by_payee = blocks(doc)
        with_entries = {
            p.pk for p in payees if payee_entries(town, account, p).filter(period__lte=FEB)
        }
        assert set(by_payee) == with_entries, account.number
        due_total = 0
        for payee in payees:
            if payee.pk not in by_payee:
                continue
            block = by_payee[payee.pk]
            entries = payee_entries(town, account, payee)
            month = entries.filter(period=FEB)
            opening = total(entries.filter(period__lt=FEB))
            charged = total(month.filter(kind__in=CHARGE_KINDS))
            paid = -total(month.filter(kind__in=(EntryKind.PAYMENT, EntryKind.REVERSAL)))
            penalties = total(month.filter(kind=EntryKind.PENALTY))
            closing = ledger_due(town, account, payee)
            assert closing == opening + charged - paid + penalties
            snapshot = BalanceSnapshot.objects.filter(
                period=FEB, account_id=account.pk, service_id__isnull=False
            ).filter(payee_id__in=[payee.pk, None] if payee == town.org else [payee.pk])
            assert snapshot.aggregate(s=Sum("closing"))["s"] == closing
            where = f"{account.number} / {payee.short_name}"
            assert (block["name"], block["inn"], block["kpp"]) == (
                payee.short_name,
                payee.inn,
                payee.kpp,
            ), where
            assert (block["account"], block["bic"], block["corr"], block["bank"]) == (
                payee.settlement_account,
                payee.bic,
                payee.correspondent_account,
                payee.bank_name,
            ), where
            assert kopecks(block["opening"]) == opening, where
            assert kopecks(block["charged"]) == charged, where
            assert kopecks(block["paid"]) == paid, where
            assert kopecks(block["penalties"]) == penalties, where
            assert kopecks(block["due"]) == max(closing, 0), where
            assert amount(block["advance"]) == max(-closing, 0), where
            due_total += max(closing, 0)
        assert doc.amount_due == due_total
        assert kopecks(doc.content["due_total"]) == due_total
    # the cases the fixture was built for are really there
    assert ledger_due(town, town.flat2, town.org) > 0
    assert ledger_due(town, town.flat2, town.vodokanal) > 0
    assert ledger_due(town, town.flat10, town.vodokanal) < 0
    assert total(payee_entries(town, town.flat2, town.org).filter(kind=EntryKind.PENALTY)) > 0


def test_last_payment_is_the_part_of_the_payment_that_went_to_the_payee(town):
    doc = documents_data(organization=town.org, period=FEB, account_ids=[town.flat2.pk])[0]
    by_payee = blocks(doc)
    parts = 0
    for payee in (town.org, town.vodokanal):
        paid = -total(payee_entries(town, town.flat2, payee).filter(payment_id=town.payment.pk))
        assert paid > 0
        day, _, text = by_payee[payee.pk]["last_payment"].partition(", ")
        assert day == f"{town.payment.paid_on:%d.%m.%Y}"
        assert kopecks(text.removesuffix(" ₽")) == paid
        parts += paid
    assert parts == PAYMENT_KOPECKS
    flat1 = documents_data(organization=town.org, period=FEB, account_ids=[town.flat1.pk])[0]
    assert [b["last_payment"] for b in flat1.content["payees"]] == ["—"]


def test_lines_table_agrees_with_the_snapshot(town):
    for doc, account in zip(data(town), town.accounts, strict=True):
        snapshot = BalanceSnapshot.objects.filter(period=FEB, account_id=account.pk).aggregate(
            charged=Sum("charged"),
            recalculated=Sum("recalculated"),
            reductions=Sum("reductions"),
            benefits=Sum("benefits"),
        )
        month_total = sum(snapshot.values())
        totals = doc.content["totals"]
        rows = doc.content["lines"]
        assert kopecks(totals["total"]) == month_total, account.number
        assert sum(kopecks(r["total"]) for r in rows) == month_total
        for row in rows:
            parts = ("charged", "coefficient", "recalculation", "benefit", "reduction")
            assert sum(amount(row[k]) for k in parts) == kopecks(row["total"]), row
        assert amount(totals["recalculation"]) == snapshot["recalculated"]
        assert amount(totals["benefit"]) == snapshot["benefits"]
        assert amount(totals["reduction"]) == snapshot["reductions"]
        charged = amount(totals["charged"]) + amount(totals["coefficient"])
        assert charged == snapshot["charged"]
        # the payee blocks split the same month's charges
        assert sum(kopecks(b["charged"]) for b in doc.content["payees"]) == month_total
    flat2 = BalanceSnapshot.objects.filter(period=FEB, account_id=town.flat2.pk)
    assert flat2.aggregate(s=Sum("benefits"))["s"] < 0  # the benefit is on the page


def test_recalculations_name_the_month_and_the_reason(town):
    posted = BillingRun.objects.filter(organization=town.org, state=RunState.POSTED)
    names = {town.maintenance.pk: town.maintenance.name, town.water.pk: town.water.name}
    reasons = []
    for doc, account in zip(data(town), town.accounts, strict=True):
        lines = ChargeLine.objects.filter(
            run_id__in=list(posted.values_list("pk", flat=True)),
            account_id=account.pk,
            period=FEB,
            kind=LineKind.RECALCULATION,
        )
        expected = sorted(
            (names[ln.service_id], f"{ln.corrects_period:%m.%Y}", ln.total, ln.reason)
            for ln in lines
            if ln.total
        )
        shown = sorted(
            (r["service"], r["month"], kopecks(r["amount"]), r["reason"])
            for r in doc.content["recalculations"]
        )
        assert shown == expected, account.number
        assert expected, f"{account.number}: the January tariff change is recalculated"
        for service, _month, kop, _reason in shown:
            sid = next(k for k, v in names.items() if v == service)
            posted_entries = LedgerEntry.objects.filter(
                account_id=account.pk,
                service_id=sid,
                period=FEB,
                corrects_period=JAN,
                kind=EntryKind.RECALCULATION,
            )
            assert total(posted_entries) == kop
        reasons += [r[3] for r in shown]
    assert all(r and r != "перерасчёт" for r in reasons)
    assert any("тариф" in r for r in reasons)
    assert any("льгот" in r for r in reasons)  # flat 2's benefit grew with the tariff


def test_penalty_is_shown_on_the_account_that_has_it(town):
    docs = {d.account_id: d for d in data(town)}
    note = docs[town.flat2.pk].content["penalty_note"]
    found = re.search(r"начислено в месяце: (\S+) ₽", note)
    assert found, note
    penalties = total(payee_entries(town, town.flat2, town.org).filter(kind=EntryKind.PENALTY))
    assert kopecks(found.group(1)) == penalties == PENALTY_KOPECKS
    assert "ст.155" in note
    assert docs[town.flat1.pk].content["penalty_note"] == ""
    assert docs[town.flat10.pk].content["penalty_note"] == ""


def _three(value: Decimal) -> str:
    return f"{value:.3f}".replace(".", ",")


def test_readings_and_norms_are_in_the_reference_block(town):
    docs = {d.account_id: d for d in data(town)}
    readings = docs[town.flat2.pk].content["readings"]
    values = dict(
        Reading.objects.filter(meter__premises=town.flat2.premises, is_current=True).values_list(
            "period", "value"
        )
    )
    feb = Reading.objects.get(meter__premises=town.flat2.premises, period=FEB, is_current=True)
    assert len(readings) == 1
    assert "ХВ-2002" in readings[0]["name"] and town.water.name in readings[0]["name"]
    assert readings[0]["previous"] == _three(values[JAN])
    assert readings[0]["current"] == _three(values[FEB])
    assert readings[0]["volume"] == _three(feb.volume)
    assert docs[town.flat2.pk].content["norms"] == []  # metered: no norm line

    norms = docs[town.flat10.pk].content["norms"]
    norm = Norm.objects.get(service=town.water)
    in_building = ChargeLine.objects.filter(
        service_id=town.water.pk, period=FEB, corrects_period=FEB
    ).aggregate(s=Sum("volume"))["s"]
    assert norms == [
        {
            "service": town.water.name,
            "norm": f"{norm.value:.2f}".replace(".", ",") + " м³",
            "building": _three(Decimal(in_building) / 10**6),
        }
    ]
    assert docs[town.flat10.pk].content["readings"] == []
    assert docs[town.flat1.pk].content["readings"] == []
    assert docs[town.flat1.pk].content["norms"] == []


def test_the_address_names_the_flat(town):
    doc = documents_data(organization=town.org, period=FEB, account_ids=[town.flat10.pk])[0]
    building = town.flat10.premises.building.address
    assert doc.content["account"]["address"] == f"{building}, кв. 10"
    assert doc.content["account"]["payer"] == town.flat10.payer_name
    assert doc.content["period_name"] == "февраль 2025"


def test_a_service_without_a_contract_is_paid_to_the_organization(db):
    town = build_town(maintenance_contract=False)
    assert set(
        ChargeLine.objects.filter(service_id=town.maintenance.pk).values_list("payee_id", flat=True)
    ) == {None}
    doc = documents_data(organization=town.org, period=FEB, account_ids=[town.flat2.pk])[0]
    by_payee = blocks(doc)
    assert set(by_payee) == {town.org.pk, town.vodokanal.pk}
    due = ledger_due(town, town.flat2, town.org)
    assert due > 0
    assert kopecks(by_payee[town.org.pk]["due"]) == due
    assert kopecks(by_payee[town.org.pk]["penalties"]) == PENALTY_KOPECKS
    assert doc.amount_due == due + ledger_due(town, town.flat2, town.vodokanal)


def test_an_account_of_another_organization_is_refused(town):
    stranger = AccountFactory()
    with pytest.raises(DocumentDataError, match="не найдены"):
        documents_data(organization=town.org, period=FEB, account_ids=[town.flat1.pk, stranger.pk])


def test_the_number_of_queries_does_not_grow_with_the_accounts(town):
    with CaptureQueriesContext(connection) as one:
        documents_data(organization=town.org, period=FEB, account_ids=[town.flat2.pk])
    with CaptureQueriesContext(connection) as three:
        data(town)
    assert len(three) == len(one)
