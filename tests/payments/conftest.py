"""A small ledger to pay into: two services with their payees, charges for two months."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.utils import timezone

from raschet.housing.models import Account
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.organizations.models import Organization, OrganizationKind
from raschet.payments.models import Channel, PaymentSource
from raschet.tariffs.models import Service
from tests.factories import AccountFactory, OrganizationFactory, ServiceFactory

JAN = date(2025, 1, 1)
FEB = date(2025, 2, 1)
MAR = date(2025, 3, 1)


@dataclass
class Books:
    org: Organization
    account: Account
    water: Service
    heat: Service
    vodokanal: Organization
    teplo: Organization
    bank: PaymentSource

    def charge(
        self,
        account: Account,
        service: Service,
        month: date,
        kopecks: int,
        kind: str = EntryKind.CHARGE,
        penalty: bool = False,
    ) -> LedgerEntry:
        payee = self.vodokanal if service == self.water else self.teplo
        return LedgerEntry.objects.create(
            organization=self.org,
            account=account,
            service=service,
            payee=payee,
            period=month,
            corrects_period=month,
            kind=kind,
            penalty=penalty,
            amount_kopecks=kopecks,
            posted_at=timezone.now(),
        )


@pytest.fixture
def books(db) -> Books:
    account = AccountFactory(number="100001")
    org = account.organization
    water = ServiceFactory(organization=org)
    heat = ServiceFactory(organization=org, code="heating", name="Отопление", unit="gcal")
    vodokanal = OrganizationFactory(kind=OrganizationKind.SUPPLIER, name="АО «Водоканал»")
    teplo = OrganizationFactory(kind=OrganizationKind.SUPPLIER, name="АО «Теплосеть»")
    bank = PaymentSource.objects.create(
        organization=org, code="sber", name="Сбербанк", channel=Channel.BANK, layout="sberbank"
    )
    b = Books(org, account, water, heat, vodokanal, teplo, bank)
    for month in (JAN, FEB):
        b.charge(account, water, month, 1000_00)
        b.charge(account, heat, month, 3000_00)
    return b
