"""Fixtures of the API tests: two unrelated organizations, a billing centre serving one of
them, a token per organization and a staff user with a membership."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from raschet.api.services import api_token_create
from raschet.organizations.models import Organization, OrganizationKind, Role
from raschet.organizations.services import membership_grant
from tests.factories import AccountFactory, BuildingFactory, OrganizationFactory, PremisesFactory


@dataclass
class Stock:
    organization: Organization
    other: Organization
    centre: Organization
    token: str
    other_token: str
    centre_token: str
    buildings: list
    premises: list
    accounts: list
    foreign_building: object
    foreign_premises: object
    foreign_account: object


def build_stock() -> Stock:
    centre = OrganizationFactory(code="eirc", kind=OrganizationKind.BILLING_CENTRE, name="ЕИРЦ")
    organization = OrganizationFactory(code="uk1", name="УК Первая", served_by=centre)
    other = OrganizationFactory(code="uk2", name="УК Вторая")
    b1 = BuildingFactory(organization=organization, address="ул. Ленина, д. 1")
    b2 = BuildingFactory(
        organization=organization,
        address="ул. Ленина, д. 2",
        area_total_m2=Decimal("1234.56"),
    )
    p1 = PremisesFactory(building=b1, number="1", area_total_m2=Decimal("54.30"))
    p2 = PremisesFactory(building=b1, number="2", area_total_m2=Decimal("40.00"))
    p3 = PremisesFactory(building=b2, number="1", area_total_m2=Decimal("70.10"))
    a1 = AccountFactory(premises=p1, number="1001", payer_name="Петров Пётр")
    a2 = AccountFactory(
        premises=p2,
        number="1002",
        payer_name="Сидорова Анна",
        opened_on=date(2020, 1, 1),
        closed_on=date(2024, 7, 1),
    )
    a3 = AccountFactory(
        premises=p2,
        number="1003",
        payer_name="Smith John",
        opened_on=date(2024, 7, 1),
        area_m2=Decimal("20.25"),
    )
    a4 = AccountFactory(premises=p3, number="2001", payer_name="Петрова Мария")
    fb = BuildingFactory(organization=other, address="ул. Чужая, д. 9")
    fp = PremisesFactory(building=fb, number="9")
    fa = AccountFactory(premises=fp, number="9001", payer_name="Чужой Плательщик")
    _, token = api_token_create(organization=organization, name="bank")
    _, other_token = api_token_create(organization=other, name="bank")
    _, centre_token = api_token_create(organization=centre, name="exchange")
    return Stock(
        organization=organization,
        other=other,
        centre=centre,
        token=token,
        other_token=other_token,
        centre_token=centre_token,
        buildings=[b1, b2],
        premises=[p1, p2, p3],
        accounts=[a1, a2, a3, a4],
        foreign_building=fb,
        foreign_premises=fp,
        foreign_account=fa,
    )


@pytest.fixture
def stock(db) -> Stock:
    return build_stock()


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def token_client(stock: Stock) -> Client:
    return Client(**bearer(stock.token))


@pytest.fixture
def staff_client(stock: Stock) -> Client:
    """A staff user who is a member of ``stock.organization`` only."""
    user = get_user_model().objects.create_user("operator", password="x", is_staff=True)
    membership_grant(user=user, organization=stock.organization, role=Role.OPERATOR)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client
