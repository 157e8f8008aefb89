"""A building whose capital-repair contributions are charged, paid, penalised, reversed and
written off over four months, and paid out for a capital work; a second building and a
foreign organization whose entries must stay out of its fund.

Months: December 2025 (before the statement range), January–February 2026 (the range),
March 2026 (after it). The expected figures of the range are worked out by hand in
`EXPECTED` (kopecks) and checked against the ledger too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.utils import timezone

from raschet.capitalrepair.models import FundModel
from raschet.capitalrepair.services import fund_set, spending_record
from raschet.core.bankkey import account_key
from raschet.housing.models import Account, Building, BuildingWork, WorkKind, WorkState
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.organizations.models import Organization, OrganizationKind
from raschet.tariffs.models import Service
from tests.factories import (
    AccountFactory,
    BuildingFactory,
    OrganizationFactory,
    PremisesFactory,
    ServiceFactory,
)

DEC = date(2025, 12, 1)
JAN = date(2026, 1, 1)
FEB = date(2026, 2, 1)
MAR = date(2026, 3, 1)

#: The fund statement of the building for January–February 2026, by hand (kopecks).
EXPECTED = {
    "opening": 500_00 - 100_00,  # paid in December − spent in December
    "charged": 3 * 600_00 - 20_00 + 3 * 600_00,  # January, its recalculation, February
    "penalties": 15_50,
    "paid": 1200_00 + 100_00 + 700_00 - 100_00,  # the last one is a reversal
    "penalties_paid": 15_50,
    "other": -10_00,
    "spent": 300_00,
    "closing": 400_00 + 1900_00 + 15_50 - 300_00,
    "owners_opening": 3 * 600_00 - 500_00,
    "owners_closing": 2970_00,
}


def valid_account(bic: str, body: str, *, correspondent: bool = False) -> str:
    """``body`` (20 digits) with the control key of rules.md §8.3 in its 9th digit."""
    key = account_key(bic, body, correspondent=correspondent)
    return body[:8] + str(key) + body[9:]


BIC = "044525225"
SPECIAL_ACCOUNT = valid_account(BIC, "40604810000000000017")
CORRESPONDENT = "30101810400000000225"


@dataclass
class Fund:
    org: Organization
    operator: Organization
    building: Building
    other_building: Building
    repair: Service
    water: Service
    accounts: list[Account]  # a1, a2, a3 of the building
    elsewhere: Account  # of the other building
    foreign: Account  # of another organization
    work: BuildingWork


def entry(account, service, period, kopecks, kind=EntryKind.CHARGE, *, payee=None, **extra):
    return LedgerEntry.objects.create(
        organization=account.organization, account=account, service=service,
        payee=payee or account.organization, period=period, corrects_period=period, kind=kind,
        amount_kopecks=kopecks, posted_at=timezone.now(), **extra,
    )  # fmt: skip


def operator_make(code: str = "fkr") -> Organization:
    return OrganizationFactory(
        code=code,
        kind=OrganizationKind.CAPITAL_REPAIR_OPERATOR,
        name="НО «Фонд капитального ремонта»",
        short_name="Фонд капремонта",
        inn="7802895380",
        kpp="780201001",
    )


def build_fund() -> Fund:
    a1 = AccountFactory(number="5001", premises=PremisesFactory(number="1"))  # 2, 3 follow
    org = a1.organization
    building = a1.premises.building
    a2 = AccountFactory(
        organization=org, number="5002",
        premises=PremisesFactory(organization=org, building=building, number="2"),
    )  # fmt: skip
    a3 = AccountFactory(
        organization=org, number="5003",
        premises=PremisesFactory(organization=org, building=building, number="3"),
    )  # fmt: skip
    elsewhere = AccountFactory(
        organization=org, number="6001",
        premises=PremisesFactory(building=BuildingFactory(organization=org), number="1"),
    )  # fmt: skip
    foreign = AccountFactory(number="9001")
    operator = operator_make()
    repair = ServiceFactory(
        organization=org, code="capital_repair", name="Взнос на капремонт",
        kind="housing", unit="m2", basis="area", metered=False,
    )  # fmt: skip
    water = ServiceFactory(organization=org)
    foreign_repair = ServiceFactory(
        organization=foreign.organization, code="capital_repair", name="Взнос на капремонт",
        kind="housing", unit="m2", basis="area", metered=False,
    )  # fmt: skip
    for b in (building, elsewhere.premises.building):
        fund_set(
            building=b, fund_model=FundModel.REGIONAL_POOL, service=repair, payee=operator,
            valid_from=date(2014, 1, 1),
        )  # fmt: skip
    pay = {"payee": operator}
    # December 2025: charged to all three, a1 pays
    for a in (a1, a2, a3):
        entry(a, repair, DEC, 600_00, **pay)
    entry(a1, repair, DEC, -500_00, EntryKind.PAYMENT, debt_period=DEC, **pay)
    # January 2026: charges, a1's recalculation, payments, a3's penalty
    for a in (a1, a2, a3):
        entry(a, repair, JAN, 600_00, **pay)
    entry(a1, repair, JAN, -20_00, EntryKind.RECALCULATION, **pay)
    entry(a2, repair, JAN, -1200_00, EntryKind.PAYMENT, debt_period=DEC, **pay)
    entry(a1, repair, JAN, -100_00, EntryKind.PAYMENT, debt_period=DEC, **pay)
    entry(a3, repair, JAN, 15_50, EntryKind.PENALTY, penalty=True, **pay)
    # February 2026: charges, a3 pays its principal and penalty, a1's January payment is
    # reversed, a2's write-off
    for a in (a1, a2, a3):
        entry(a, repair, FEB, 600_00, **pay)
    entry(a3, repair, FEB, -700_00, EntryKind.PAYMENT, debt_period=DEC, **pay)
    entry(a3, repair, FEB, -15_50, EntryKind.PAYMENT, penalty=True, debt_period=JAN, **pay)
    entry(a1, repair, FEB, 100_00, EntryKind.REVERSAL, debt_period=DEC, **pay)
    entry(a2, repair, FEB, -10_00, EntryKind.WRITE_OFF, debt_period=DEC, **pay)
    # March 2026: after the range
    entry(a1, repair, MAR, 600_00, **pay)
    entry(a1, repair, MAR, -300_00, EntryKind.PAYMENT, debt_period=JAN, **pay)
    # not the building's fund: water of a1, the other building, the foreign organization
    entry(a1, water, JAN, 900_00)
    entry(a1, water, JAN, -900_00, EntryKind.PAYMENT, debt_period=JAN)
    entry(elsewhere, repair, JAN, 999_00, **pay)
    entry(elsewhere, repair, JAN, -999_00, EntryKind.PAYMENT, debt_period=JAN, **pay)
    entry(foreign, foreign_repair, JAN, 777_00)
    entry(foreign, foreign_repair, JAN, -777_00, EntryKind.PAYMENT, debt_period=JAN)
    work = BuildingWork.objects.create(
        organization=org, building=building, title="Ремонт крыши", kind=WorkKind.CAPITAL,
        planned_year=2025, state=WorkState.DONE, done_on=date(2026, 2, 5),
    )  # fmt: skip
    other_work = BuildingWork.objects.create(
        organization=org, building=elsewhere.premises.building, title="Ремонт фасада",
        kind=WorkKind.CAPITAL, planned_year=2026,
    )  # fmt: skip
    spending_record(work=work, paid_on=date(2025, 12, 15), amount_kopecks=100_00, document="п/п 1")
    spending_record(work=work, paid_on=date(2026, 2, 10), amount_kopecks=300_00, document="п/п 2")
    spending_record(work=work, paid_on=date(2026, 3, 5), amount_kopecks=50_00, document="п/п 3")
    spending_record(work=other_work, paid_on=date(2026, 1, 20), amount_kopecks=77_00)
    return Fund(
        org=org, operator=operator, building=building,
        other_building=elsewhere.premises.building, repair=repair, water=water,
        accounts=[a1, a2, a3], elsewhere=elsewhere, foreign=foreign, work=work,
    )  # fmt: skip


@pytest.fixture
def fund(db) -> Fund:
    return build_fund()
