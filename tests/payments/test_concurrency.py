"""Two processes importing overlapping registries at the same moment (PostgreSQL): each
payment is stored and posted once."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.conf import settings
from django.db import connection, connections

from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.payments.models import Payment
from raschet.payments.services import registry_import
from tests.payments.registry_files import sber_file

TODAY = date(2025, 3, 10)


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="needs PostgreSQL: SQLite has one writer at a time by design",
)
@pytest.mark.django_db(transaction=True)
def test_overlapping_registries_imported_at_once_add_each_payment_once(books):
    assert connection.vendor == "postgresql"
    shared = [(f"op{k}", "100001", 10_00 + k) for k in range(200)]
    files = [
        sber_file(shared + [(f"a{k}", "100001", 1_00) for k in range(50)]),
        sber_file(list(reversed(shared)) + [(f"b{k}", "100001", 2_00) for k in range(50)]),
    ]
    start = threading.Barrier(2)
    reports, errors = [], []

    def worker(data: bytes, name: str) -> None:
        try:
            start.wait()
            reports.append(
                registry_import(
                    organization=books.org,
                    source=books.bank,
                    data=data,
                    filename=name,
                    today=TODAY,
                )
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(data, f"r{k}.txt")) for k, data in enumerate(files)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sorted(r.accepted for r in reports) == [50, 250]
    assert sum(len(r.duplicates) for r in reports) == 200
    assert Payment.objects.count() == 300
    expected = sum(k for _, _, k in shared) + 50 * 1_00 + 50 * 2_00
    paid = LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).values_list(
        "amount_kopecks", flat=True
    )
    assert -sum(paid) == expected


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="the read-ahead of debts runs on PostgreSQL only",
)
@pytest.mark.django_db(transaction=True)
def test_debts_read_ahead_on_a_second_connection_allocate_like_in_line(books, monkeypatch):
    from raschet.payments import posting
    from tests.factories import AccountFactory, PremisesFactory

    others = [
        AccountFactory(
            premises=PremisesFactory(building=books.account.premises.building),
            number=f"10010{k}",
        )
        for k in range(3)
    ]
    for account in others:
        for month in (date(2025, 1, 1), date(2025, 2, 1)):
            books.charge(account, books.water, month, 1000_00)
            books.charge(account, books.heat, month, 3000_00)
    monkeypatch.setattr(posting, "CHUNK_ACCOUNTS_PG", 1)  # four chunks: three read ahead
    lines = [("r1", "100001", 5000_00)] + [
        (f"r{k + 2}", account.number, 5000_00) for k, account in enumerate(others)
    ]
    report = registry_import(
        organization=books.org, source=books.bank, data=sber_file(lines, period=""),
        filename="ahead.txt", today=TODAY,
    )  # fmt: skip
    assert report.ok and report.accepted == 4
    for account in [books.account, *others]:
        paid = {
            (e.service_id, e.debt_period): -e.amount_kopecks
            for e in LedgerEntry.objects.filter(account_id=account.pk, kind=EntryKind.PAYMENT)
        }
        assert paid == {
            (books.water.pk, date(2025, 1, 1)): 1000_00,
            (books.heat.pk, date(2025, 1, 1)): 3000_00,
            (books.water.pk, date(2025, 2, 1)): 250_00,
            (books.heat.pk, date(2025, 2, 1)): 750_00,
        }
