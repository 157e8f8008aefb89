"""factory-boy factories for the foundation models, with valid legal details."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from raschet.housing.models import Account, Building, Premises
from raschet.organizations.models import Organization, OrganizationKind
from raschet.registry.models import Ownership, Person, Registration, TemporaryResidentAct
from raschet.tariffs.models import AccountService, Norm, Service, Tariff

VALID_INNS = ["7707083893", "7802895380"]


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    code = factory.Sequence(lambda n: f"org{n}")
    kind = OrganizationKind.MANAGEMENT_COMPANY
    name = factory.Sequence(lambda n: f"ООО «Управляющая компания №{n}»")
    inn = "7707083893"
    kpp = "770701001"
    ogrn = "1027700132195"
    bic = "044525225"
    settlement_account = "40702810938000000001"
    correspondent_account = "30101810400000000225"


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    organization = factory.SubFactory(OrganizationFactory)
    address = factory.Sequence(lambda n: f"г. Тверь, ул. Советская, д. {n + 1}")
    area_total_m2 = Decimal("4500.00")
    area_residential_m2 = Decimal("4000.00")
    area_common_m2 = Decimal("900.00")


class PremisesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Premises

    building = factory.SubFactory(BuildingFactory)
    organization = factory.SelfAttribute("building.organization")
    number = factory.Sequence(lambda n: str(n + 1))
    area_total_m2 = Decimal("54.00")
    rooms = 2


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    premises = factory.SubFactory(PremisesFactory)
    organization = factory.SelfAttribute("premises.organization")
    number = factory.Sequence(lambda n: f"{100001 + n}")
    opened_on = date(2020, 1, 1)
    payer_name = "Иванов Иван Иванович"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    organization = factory.SubFactory(OrganizationFactory)
    last_name = "Иванов"
    first_name = factory.Sequence(lambda n: f"Иван{n}")
    middle_name = "Иванович"
    birth_date = date(1980, 5, 17)


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    account = factory.SubFactory(AccountFactory)
    organization = factory.SelfAttribute("account.organization")
    person = factory.SubFactory(PersonFactory, organization=factory.SelfAttribute("..organization"))
    valid_from = date(2020, 1, 1)


class OwnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ownership

    premises = factory.SubFactory(PremisesFactory)
    organization = factory.SelfAttribute("premises.organization")
    person = factory.SubFactory(PersonFactory, organization=factory.SelfAttribute("..organization"))
    valid_from = date(2020, 1, 1)


class TemporaryResidentActFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TemporaryResidentAct

    account = factory.SubFactory(AccountFactory)
    organization = factory.SelfAttribute("account.organization")
    persons = 1
    valid_from = date(2025, 1, 1)


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("organization", "code")

    organization = factory.SubFactory(OrganizationFactory)
    code = "cold_water"
    name = "Холодное водоснабжение"
    kind = "communal"
    unit = "m3"
    basis = "volume"
    metered = True


class TariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tariff

    service = factory.SubFactory(ServiceFactory)
    organization = factory.SelfAttribute("service.organization")
    rate = Decimal("50.9300")
    valid_from = date(2025, 1, 1)


class NormFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Norm

    service = factory.SubFactory(ServiceFactory)
    organization = factory.SelfAttribute("service.organization")
    value = Decimal("4.900000")
    valid_from = date(2025, 1, 1)


class AccountServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountService

    account = factory.SubFactory(AccountFactory)
    organization = factory.SelfAttribute("account.organization")
    service = factory.SubFactory(
        ServiceFactory, organization=factory.SelfAttribute("..organization")
    )
    method = "meter"
    valid_from = date(2020, 1, 1)
