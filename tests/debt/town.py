"""Hand-built ledgers for the debt tests: an entry of any kind, and a small town of debtors
around the `books` fixture (tests/payments/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from raschet.housing.models import Account, Building
from raschet.ledger.models import EntryKind, LedgerEntry
from tests.factories import AccountFactory, BuildingFactory, PremisesFactory
from tests.payments.conftest import FEB, JAN

ON = date(2025, 3, 5)  # January's debt (due 10.02) is 1 month overdue, February's not yet due


def entry(books, account, service, period, kopecks, kind, *, debt_period=None, **extra: Any):
    """One ledger entry; ``penalty`` and ``corrects`` (the corrected month) in ``extra``."""
    payee = None
    if service is not None:
        payee = books.vodokanal if service == books.water else books.teplo
    return LedgerEntry.objects.create(
        organization=account.organization,
        account=account,
        service=service,
        payee=payee,
        period=period,
        corrects_period=extra.get("corrects") or period,
        kind=kind,
        amount_kopecks=kopecks,
        debt_period=debt_period,
        penalty=extra.get("penalty", False),
        posted_at=timezone.now(),
    )


@dataclass
class Town:
    """On `ON`: A (the books' account: January 4 000 overdue, February 4 000 not due),
    B in another building (water of June 2023: 700 over 12 months; February 100), C with
    February heat 500 only (not a debtor), D with January heat 9 000, and a stranger in
    another organization with January water 5 555."""

    A: Account
    B: Account
    C: Account
    D: Account
    stranger: Account
    far: Building


def build_town(books) -> Town:
    far = BuildingFactory(organization=books.org, address="ул. Мира, д. 3")
    home = books.account.premises.building
    b = AccountFactory(premises=PremisesFactory(building=far), number="200002")
    c = AccountFactory(premises__building=home, number="300003")
    d = AccountFactory(premises__building=home, number="400004")
    entry(books, b, books.water, date(2023, 6, 1), 700_00, EntryKind.CHARGE)
    entry(books, b, books.water, FEB, 100_00, EntryKind.CHARGE)
    entry(books, c, books.heat, FEB, 500_00, EntryKind.CHARGE)
    entry(books, d, books.heat, JAN, 9000_00, EntryKind.CHARGE)
    stranger = AccountFactory(number="900009")
    entry(books, stranger, books.water, JAN, 5555_00, EntryKind.CHARGE)
    return Town(A=books.account, B=b, C=c, D=d, stranger=stranger, far=far)
