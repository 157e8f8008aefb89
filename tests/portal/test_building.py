"""The building page of the resident portal: the managing organization and its contacts,
the building's data, the capital-repair contributions charged and paid by all the
building's accounts per year, the planned works; nobody sees a building through another
resident's account."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from raschet.housing.models import Account, BuildingWork, WorkKind, WorkState
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.organizations.models import ClosedMonth
from tests.factories import AccountFactory, PremisesFactory, ServiceFactory

pytestmark = pytest.mark.django_db

DEC_2025 = date(2025, 12, 1)
JAN = date(2026, 1, 1)
FEB = date(2026, 2, 1)


def entry(account: Account, service, period: date, kopecks: int, kind: str) -> None:
    LedgerEntry.objects.create(
        organization=account.organization, account=account, service=service,
        payee=account.organization, period=period, corrects_period=period, kind=kind,
        amount_kopecks=kopecks, posted_at=timezone.now(),
    )  # fmt: skip


@pytest.fixture
def home(make_resident):
    """Two flats of one building and a flat elsewhere, capital repair charged in December
    2025 and January–February 2026 (February not closed), paid in part; water as well."""
    first = AccountFactory(number="11000001")
    org = first.organization
    org.phone, org.email, org.office_hours = "+7 (4822) 11-22-33", "uk@example.ru", "пн–пт 9–18"
    org.save()
    building = first.premises.building
    second = AccountFactory(
        organization=org, number="11000002",
        premises=PremisesFactory(organization=org, building=building, number="2"),
    )  # fmt: skip
    elsewhere = AccountFactory(organization=org, number="11000003")
    repair = ServiceFactory(
        organization=org, code="capital_repair", name="Взнос на капремонт",
        kind="housing", unit="m2", basis="area", metered=False,
    )  # fmt: skip
    water = ServiceFactory(organization=org)
    for account in (first, second, elsewhere):
        for period in (DEC_2025, JAN, FEB):
            entry(account, repair, period, 500_00, EntryKind.CHARGE)
            entry(account, water, period, 900_00, EntryKind.CHARGE)
    entry(first, repair, JAN, -300_00, EntryKind.PAYMENT)
    entry(second, repair, JAN, -500_00, EntryKind.PAYMENT)
    entry(elsewhere, repair, JAN, -500_00, EntryKind.PAYMENT)
    for month in (DEC_2025, JAN):
        ClosedMonth.objects.create(organization=org, month=month)
    BuildingWork.objects.create(
        organization=org, building=building, title="Замена лифтов", kind=WorkKind.CAPITAL,
        planned_year=2027, state=WorkState.PLANNED, cost=Decimal("4500000.00"),
    )  # fmt: skip
    return first, make_resident("ivanova@example.ru", first)


def test_account_page_links_to_the_building_page(home):
    account, client = home
    page = client.get(f"/portal/accounts/{account.pk}/").content.decode()
    assert f'href="/portal/accounts/{account.pk}/building/"' in page
    assert "Мой дом" in page


def test_building_page_shows_the_manager_the_building_and_the_works(home):
    account, client = home
    response = client.get(f"/portal/accounts/{account.pk}/building/")
    assert response.status_code == 200
    page = response.content.decode()
    assert account.premises.building.address in page
    assert "+7 (4822) 11-22-33" in page and "uk@example.ru" in page and "пн–пт 9–18" in page
    assert "Управляющая организация" in page
    assert "Замена лифтов" in page and "Запланировано" in page and "2027" in page


def test_capital_repair_contributions_are_the_buildings_by_closed_year(home):
    account, client = home
    response = client.get(f"/portal/accounts/{account.pk}/building/")
    years = {y.year: y for y in response.context["contributions"]}
    # two flats of this building, February 2026 not closed, the third flat elsewhere
    assert years[2026].charged == 2 * 500_00 and years[2026].paid == 800_00
    assert years[2026].until == JAN
    assert years[2025].charged == 2 * 500_00 and years[2025].paid == 0
    assert years[2025].debt == 2 * 500_00
    assert years[2026].debt == 2 * 500_00 * 2 - 800_00
    assert 2024 not in years  # nothing charged: the list stops
    page = response.content.decode()
    assert "Взносы на капитальный ремонт дома" in page
    assert 'data-kopecks="80000"' in page


def test_without_a_capital_repair_service_the_page_says_so(make_resident):
    account = AccountFactory(number="12000001")
    ClosedMonth.objects.create(organization=account.organization, month=JAN)
    client = make_resident("petrov@example.ru", account)
    page = client.get(f"/portal/accounts/{account.pk}/building/").content.decode()
    assert "Взносы на капремонт ещё не начислялись." in page
    assert "Работы пока не запланированы." in page


def test_nobody_opens_a_building_through_another_residents_account(home, make_resident):
    account, _client = home
    stranger_account = AccountFactory(number="13000001")
    stranger = make_resident("stranger@example.ru", stranger_account)
    assert stranger.get(f"/portal/accounts/{account.pk}/building/").status_code == 404
    assert stranger.get("/portal/accounts/999999/building/").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(home, client):
    account, _ = home
    response = client.get(f"/portal/accounts/{account.pk}/building/")
    assert response.status_code == 302 and "/portal/login/" in response["Location"]
