"""A small stock for the exchange tests: one building, two accounts, a veteran beneficiary
(50 % of his share of cold water), a disabled child's family benefit, January 2025 billed
and partly paid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from raschet.billing.services import billing_run
from raschet.housing.models import Account
from raschet.organizations.models import Organization, OrganizationKind
from raschet.payments.services import payment_create, payment_source_default
from raschet.registry.models import BenefitCategory, Person, PersonBenefit
from raschet.tariffs.models import ServiceContract
from tests.factories import (
    AccountFactory,
    AccountServiceFactory,
    BuildingFactory,
    NormFactory,
    OrganizationFactory,
    PersonFactory,
    PremisesFactory,
    RegistrationFactory,
    ServiceFactory,
    TariffFactory,
)

JAN = date(2025, 1, 1)
FEB = date(2025, 2, 1)
DATA = __import__("pathlib").Path(__file__).parent / "data"


@dataclass
class Stock:
    organization: Organization
    supplier: Organization
    account: Account
    family_account: Account
    veteran: Person
    wife: Person
    child: Person
    mother: Person
    veteran_benefit: PersonBenefit
    veteran_category: BenefitCategory
    disabled_category: BenefitCategory


def build_stock() -> Stock:
    org = OrganizationFactory(code="uk-exchange", name="ООО «УК Обмен»")
    supplier = OrganizationFactory(
        code="vodokanal",
        kind=OrganizationKind.SUPPLIER,
        name="МУП «Водоканал»",
        inn="7802895380",
    )
    building = BuildingFactory(organization=org, address="г. Тверь, ул. Советская, д. 5")
    flat = PremisesFactory(building=building, number="12", area_total_m2=Decimal("54.00"))
    flat2 = PremisesFactory(building=building, number="14", area_total_m2=Decimal("40.00"))
    account = AccountFactory(premises=flat, number="500012", payer_name="Петров Пётр Петрович")
    family = AccountFactory(premises=flat2, number="500014", payer_name="Сидорова Анна")
    water = ServiceFactory(organization=org)
    TariffFactory(service=water, rate=Decimal("50.93"))
    NormFactory(service=water, value=Decimal("4.9"))
    ServiceContract.objects.create(
        organization=org, building=building, service=water, payee=supplier, valid_from=JAN
    )
    for acc in (account, family):
        AccountServiceFactory(account=acc, service=water, method="norm", meter_possible=False)
    veteran = PersonFactory(
        organization=org,
        last_name="Петров",
        first_name="Пётр",
        middle_name="Петрович",
        birth_date=date(1950, 3, 9),
        snils="112-233-445 95",
    )
    wife = PersonFactory(
        organization=org,
        last_name="Петрова",
        first_name="Ольга",
        middle_name="Ивановна",
        birth_date=date(1952, 7, 1),
        snils="",
    )
    mother = PersonFactory(
        organization=org,
        last_name="Сидорова",
        first_name="Анна",
        middle_name="Сергеевна",
        birth_date=date(1985, 2, 2),
        snils="123-456-789 64",
    )
    child = PersonFactory(
        organization=org,
        last_name="Сидоров",
        first_name="Егор",
        middle_name="Андреевич",
        birth_date=date(2015, 6, 15),
        snils="987-654-321 83",
    )
    for person, acc in ((veteran, account), (wife, account), (mother, family), (child, family)):
        RegistrationFactory(account=acc, person=person, valid_from=date(2020, 1, 1))
    veteran_category = BenefitCategory.objects.create(
        organization=org,
        code="veteran",
        name="Ветеран труда",
        percent=Decimal("50"),
        covers="beneficiary",
        service_bases={"cold_water": "per_person_share"},
    )
    disabled_category = BenefitCategory.objects.create(
        organization=org,
        code="disabled_child",
        name="Семьи с детьми-инвалидами",
        percent=Decimal("50"),
        covers="family",
        service_bases={"cold_water": "per_person_share"},
    )
    veteran_benefit = PersonBenefit.objects.create(
        organization=org, person=veteran, category=veteran_category, valid_from=date(2020, 1, 1)
    )
    PersonBenefit.objects.create(
        organization=org, person=child, category=disabled_category, valid_from=date(2020, 1, 1)
    )
    return Stock(
        organization=org,
        supplier=supplier,
        account=account,
        family_account=family,
        veteran=veteran,
        wife=wife,
        child=child,
        mother=mother,
        veteran_benefit=veteran_benefit,
        veteran_category=veteran_category,
        disabled_category=disabled_category,
    )


def bill_and_pay(stock: Stock) -> None:
    billing_run(organization=stock.organization, period=JAN)
    payment_create(
        organization=stock.organization,
        source=payment_source_default(organization=stock.organization, channel="api"),
        account=stock.account,
        amount_kopecks=100_00,
        paid_on=date(2025, 1, 20),
        operation_id="pay-1",
        today=date(2025, 1, 20),
    )


@pytest.fixture
def stock(db) -> Stock:
    return build_stock()


@pytest.fixture
def billed(stock) -> Stock:
    bill_and_pay(stock)
    return stock
