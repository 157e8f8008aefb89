"""Fixtures of the back-office tests: two management companies with a little housing stock.

Dates are fixed (no clock): the stock is built around 2025 and the card is asked for
explicit dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from raschet.housing.models import Account, Building, Premises
from raschet.organizations.models import Organization, OrganizationKind, Role
from raschet.organizations.services import membership_grant
from raschet.registry.models import (
    BenefitCategory,
    Ownership,
    Person,
    PersonBenefit,
    Registration,
    TemporaryResidentAct,
)
from raschet.tariffs.models import (
    AccountService,
    CapitalRepairMinimum,
    Norm,
    Service,
    ServiceContract,
    Tariff,
)
from raschet.tariffs.services import services_install_catalogue

D = date


@dataclass
class Stock:
    """One organization's objects, one of each reference-data model.

    Building, premises, account and people are new on each call; the benefit category and the
    organization-wide tariff and norm are shared by all stocks of one organization.
    """

    organization: Organization
    building: Building
    premises: Premises
    account: Account
    person: Person
    ownership: Ownership
    registration: Registration
    resident_act: TemporaryResidentAct
    benefit_category: BenefitCategory
    person_benefit: PersonBenefit
    service: Service
    contract: ServiceContract
    tariff: Tariff
    norm: Norm
    account_service: AccountService


def make_organization(code: str, inn: str, **extra: object) -> Organization:
    return Organization.objects.create(
        code=code,
        kind=OrganizationKind.MANAGEMENT_COMPANY,
        name=f"ООО «{code}»",
        short_name=code.upper(),
        inn=inn,
        kpp="773601001",
        **extra,
    )


def make_stock(organization: Organization, address: str, account_number: str) -> Stock:
    org = organization
    building = Building.objects.create(
        organization=org, address=address, area_total_m2=Decimal("5000.00")
    )
    premises = Premises.objects.create(
        organization=org,
        building=building,
        number="12",
        area_total_m2=Decimal("54.30"),
        area_living_m2=Decimal("32.10"),
        rooms=2,
    )
    account = Account.objects.create(
        organization=org,
        number=account_number,
        premises=premises,
        opened_on=D(2020, 1, 1),
        payer_name="Иванов Иван Иванович",
    )
    person = Person.objects.create(
        organization=org, last_name="Иванов", first_name="Иван", middle_name="Иванович"
    )
    ownership = Ownership.objects.create(
        organization=org, premises=premises, person=person, valid_from=D(2020, 1, 1)
    )
    registration = Registration.objects.create(
        organization=org, account=account, person=person, valid_from=D(2020, 1, 1)
    )
    act = TemporaryResidentAct.objects.create(
        organization=org,
        account=account,
        persons=1,
        act_number="7-А",
        valid_from=D(2019, 1, 1),
        valid_to=D(2019, 6, 1),
    )
    category, _ = BenefitCategory.objects.get_or_create(
        organization=org, code="veteran", defaults={"name": "Ветеран труда", "percent": 50}
    )
    benefit = PersonBenefit.objects.create(
        organization=org, person=person, category=category, valid_from=D(2020, 1, 1)
    )
    services = {s.code: s for s in services_install_catalogue(organization=org)}
    water = services["cold_water"]
    contract = ServiceContract.objects.create(
        organization=org, building=building, service=water, payee=org, valid_from=D(2020, 1, 1)
    )
    tariff, _ = Tariff.objects.get_or_create(
        organization=org,
        service=water,
        building=None,
        defaults={"rate": Decimal("45.1200"), "valid_from": D(2020, 1, 1)},
    )
    norm, _ = Norm.objects.get_or_create(
        organization=org,
        service=water,
        building=None,
        defaults={"value": Decimal("4.850000"), "valid_from": D(2020, 1, 1)},
    )
    connected = AccountService.objects.create(
        organization=org, account=account, service=water, valid_from=D(2020, 1, 1)
    )
    CapitalRepairMinimum.objects.get_or_create(  # the region's minimum (an admin page)
        organization=org,
        valid_from=D(2020, 1, 1),
        defaults={"rate": Decimal("9.5000"), "act": "постановление № 1"},
    )
    return Stock(
        organization=org,
        building=building,
        premises=premises,
        account=account,
        person=person,
        ownership=ownership,
        registration=registration,
        resident_act=act,
        benefit_category=category,
        person_benefit=benefit,
        service=water,
        contract=contract,
        tariff=tariff,
        norm=norm,
        account_service=connected,
    )


@pytest.fixture
def stock_a(db) -> Stock:
    return make_stock(make_organization("uk-a", "7707083893"), "г. Тверь, ул. Ленина, д. 5", "A-1")


@pytest.fixture
def stock_b(db) -> Stock:
    return make_stock(
        make_organization("uk-b", "7736207543"), "г. Тверь, ул. Гагарина, д. 9", "B-1"
    )


def make_staff(username: str, organization: Organization, role: str):
    user = get_user_model().objects.create_user(username=username, password="pw-for-tests")
    membership_grant(user=user, organization=organization, role=role)
    return user


@pytest.fixture
def operator_a(stock_a):
    return make_staff("operator-a", stock_a.organization, Role.OPERATOR)


@pytest.fixture
def cashier_a(stock_a):
    return make_staff("cashier-a", stock_a.organization, Role.CASHIER)


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(
        username="root", password="pw-for-tests", email="root@example.org"
    )
