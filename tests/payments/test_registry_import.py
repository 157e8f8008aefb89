"""Registry imports end to end: stored once, posted, duplicates, unidentified, rejected."""

from __future__ import annotations

from datetime import date

import pytest

from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.ledger.selectors import account_balance
from raschet.payments.models import ImportState, Payment, PaymentState, RegistryImport
from raschet.payments.services import allocated_total, payment_assign, registry_import
from tests.payments.registry_files import sber_file

pytestmark = pytest.mark.django_db

TODAY = date(2025, 3, 10)


def run(books, data, name="reestr.txt"):
    return registry_import(
        organization=books.org, source=books.bank, data=data, filename=name, today=TODAY
    )


def test_a_registry_is_posted_and_reported(books):
    data = sber_file([("1001", "100001", 2000_00), ("1002", "999999", 150_00)])
    report = run(books, data)
    assert report.ok, report.error
    assert (report.lines, report.accepted, len(report.unidentified)) == (2, 1, 1)
    assert report.accepted_kopecks == 2000_00
    assert report.unidentified[0][:2] == (2, "999999")
    paid = Payment.objects.get(operation_id="1001")
    assert paid.state == PaymentState.POSTED and paid.period == date(2025, 2, 1)
    assert allocated_total(paid) == 2000_00
    # the named month (February) is paid first
    assert set(
        LedgerEntry.objects.filter(payment_id=paid.pk).values_list("debt_period", flat=True)
    ) == {date(2025, 2, 1)}
    queued = Payment.objects.get(operation_id="1002")
    assert queued.state == PaymentState.UNIDENTIFIED and queued.account_id is None
    record = RegistryImport.objects.get(pk=report.import_id)
    assert (record.accepted, record.unidentified, record.duplicates) == (1, 1, 0)


def test_the_same_registry_twice_adds_nothing(books):
    data = sber_file([("1001", "100001", 2000_00), ("1002", "100001", 100_00)])
    run(books, data)
    balance = account_balance(account=books.account)
    again = run(books, data, name="reestr-copy.txt")
    assert again.ok
    assert again.accepted == 0
    assert [d[0] for d in again.duplicates] == [1, 2]
    assert Payment.objects.count() == 2
    assert account_balance(account=books.account) == balance


def test_overlapping_registries_add_each_payment_once(books):
    run(books, sber_file([("1", "100001", 100_00), ("2", "100001", 200_00)]))
    report = run(books, sber_file([("2", "100001", 200_00), ("3", "100001", 300_00)]))
    assert (report.accepted, len(report.duplicates)) == (1, 1)
    assert sorted(Payment.objects.values_list("operation_id", flat=True)) == ["1", "2", "3"]
    paid = -sum(
        LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).values_list("amount_kopecks", flat=True)
    )
    assert paid == 600_00


def test_a_duplicate_inside_one_file_is_reported_once(books):
    report = run(books, sber_file([("7", "100001", 100_00), ("7", "100001", 100_00)]))
    assert report.accepted == 1
    assert [d[0] for d in report.duplicates] == [2]
    assert "строки 1" in report.duplicates[0][2]


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [({"count": 3}, "3"), ({"total": 1}, "0,01")],
)
def test_a_wrong_trailer_rejects_the_whole_file(books, kwargs, reason):
    data = sber_file([("1", "100001", 100_00), ("2", "100001", 200_00)], **kwargs)
    report = run(books, data)
    assert not report.ok
    assert "reestr.txt" in report.error and reason in report.error
    assert Payment.objects.count() == 0
    assert not LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).exists()
    assert RegistryImport.objects.get(pk=report.import_id).state == ImportState.REJECTED


def test_bad_lines_are_rejected_with_line_and_reason_and_the_rest_goes_on(books):
    good = sber_file([("1", "100001", 100_00)]).decode("cp1251").splitlines()
    bad = good[0].replace("05-03-2025", "31-02-2025").replace(";1;", ";2;")
    future = good[0].replace("05-03-2025", "05-04-2025").replace(";1;", ";3;")
    lines = [good[0], bad, future, "=3;300.00;300.00;0.00;457;06-03-2025"]
    report = run(books, ("\r\n".join(lines) + "\r\n").encode("cp1251"))
    assert report.ok, report.error
    assert report.accepted == 1
    assert [r[0] for r in report.rejected] == [2, 3]
    assert all(r[3] for r in report.rejected)


def test_an_unidentified_payment_is_posted_when_assigned(books):
    run(books, sber_file([("9", "000000", 500_00)]))
    queued = Payment.objects.get(operation_id="9")
    before = account_balance(account=books.account)
    payment_assign(payment=queued, account=books.account)
    queued.refresh_from_db()
    assert queued.state == PaymentState.POSTED
    assert account_balance(account=books.account) == before - 500_00


def test_text_with_backslashes_and_tabs_is_stored_as_given(books):
    line = sber_file([("5", "100001", 100_00)]).decode("cp1251").splitlines()
    odd = line[0].replace("ИВАНОВ ИВАН ИВАНОВИЧ", "ИВАНОВ\\N\tИ.И.")
    report = run(books, ("\r\n".join([odd, line[1]]) + "\r\n").encode("cp1251"))
    assert report.ok, report.error
    assert Payment.objects.get(operation_id="5").payer_name == "ИВАНОВ\\N\tИ.И."


def test_a_source_with_a_target_service_pays_only_that_service(books):
    """The registry of a special capital-repair account's bank: what was paid into the
    account is the contribution, never water or heating (ЖК ст.175)."""
    from raschet.payments.models import PaymentTarget

    books.bank.target_service = books.heat
    books.bank.save()
    data = sber_file([("2001", "100001", 2500_00), ("2002", "999999", 100_00)])
    report = run(books, data)
    assert report.ok and report.accepted == 1
    paid = Payment.objects.get(operation_id="2001")
    entries = LedgerEntry.objects.filter(payment_id=paid.pk, kind=EntryKind.PAYMENT)
    assert {e.service_id for e in entries} == {books.heat.pk}
    assert -sum(e.amount_kopecks for e in entries) == 2500_00
    # the unidentified one keeps its target for when it is assigned to an account
    waiting = Payment.objects.get(operation_id="2002")
    assert list(
        PaymentTarget.objects.filter(payment=waiting).values_list("service", "amount_kopecks")
    ) == [(books.heat.pk, 100_00)]
    payment_assign(payment=waiting, account=books.account)
    assert set(
        LedgerEntry.objects.filter(payment_id=waiting.pk).values_list("service_id", flat=True)
    ) == {books.heat.pk}
