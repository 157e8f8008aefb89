"""The account card: content on a chosen date, history, scoping, query count."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from raschet.registry.models import Ownership, Person, Registration
from raschet.tariffs.models import AccountService, Norm, Service, Tariff

from .admin_forms import form_data, form_errors

D = date


def card(client, account, on: str | None = None):
    url = reverse("backoffice:account_card", args=[account.pk])
    return client.get(url, {"on": on} if on is not None else {})


def _text(response) -> str:
    return response.content.decode()


def test_card_on_two_dates(client, operator_a, stock_a) -> None:
    """A registration ending and a tariff changing between two dates change the card."""
    org, account = stock_a.organization, stock_a.account
    spouse = Person.objects.create(organization=org, last_name="Иванова", first_name="Мария")
    Registration.objects.create(
        organization=org,
        account=account,
        person=spouse,
        relation="spouse",
        valid_from=D(2021, 1, 1),
        valid_to=D(2024, 5, 10),
    )
    stock_a.tariff.valid_to = D(2024, 7, 1)
    stock_a.tariff.save()
    Tariff.objects.create(
        organization=org, service=stock_a.service, rate=Decimal("51.3000"), valid_from=D(2024, 7, 1)
    )
    client.force_login(operator_a)

    before = card(client, account, "2024-05-09")
    assert before.status_code == 200
    first = before.context["card"]
    assert first.resident_count == 2
    assert {r.person.last_name for r in first.registrations} == {"Иванов", "Иванова"}
    assert [t.rate for t in first.services[0].tariffs] == [Decimal("45.1200")]
    assert "45,12" in _text(before)
    assert "Иванова" in _text(before)

    after = card(client, account, "2024-07-01")
    second = after.context["card"]
    assert second.resident_count == 1  # the spouse's registration ended on 10 May
    assert [t.rate for t in second.services[0].tariffs] == [Decimal("51.3000")]
    assert "51,30" in _text(after)
    assert "45,12" not in _text(after)
    assert "Иванова" not in _text(after).split('id="card-history"')[0]


def test_card_header_premises_and_owners(client, operator_a, stock_a) -> None:
    client.force_login(operator_a)
    response = card(client, stock_a.account, "2024-01-15")
    text = _text(response)
    assert "A-1" in text
    assert "Иванов Иван Иванович" in text
    assert stock_a.building.address in text
    assert "54,30" in text  # area the Russian way
    assert [o.share for o in response.context["card"].ownerships] == ["1/1"]
    assert reverse("admin:housing_account_change", args=[stock_a.account.pk]) in text
    # Before the account opened: the status says so, nobody is registered.
    early = card(client, stock_a.account, "2019-02-01")
    assert "01.01.2020" in early.context["card"].status  # "not open yet (opens 01.01.2020)"
    assert "01.01.2020" not in response.context["card"].status
    assert early.context["card"].resident_count == 1  # the temporary residents act
    assert early.context["card"].owner_count == 0


def test_owner_count_used_when_nobody_lives_there(client, operator_a, stock_a) -> None:
    org = stock_a.organization
    stock_a.registration.valid_to = D(2023, 1, 1)
    stock_a.registration.save()
    second = Person.objects.create(organization=org, last_name="Сидоров", first_name="Олег")
    stock_a.ownership.share_denominator = 2
    stock_a.ownership.save()
    Ownership.objects.create(
        organization=org,
        premises=stock_a.premises,
        person=second,
        share_denominator=2,
        valid_from=D(2021, 1, 1),
    )
    client.force_login(operator_a)
    response = card(client, stock_a.account, "2024-01-01")
    data = response.context["card"]
    assert data.resident_count == 0
    assert data.owner_count == 2
    assert data.persons_for_norms == 2
    assert 'id="card-persons-note"' in _text(response)


def test_building_tariff_overrides_and_norm_row_by_rooms_and_residents(
    client, operator_a, stock_a
) -> None:
    org = stock_a.organization
    Tariff.objects.create(
        organization=org,
        service=stock_a.service,
        building=stock_a.building,
        rate=Decimal("40.0000"),
        valid_from=D(2022, 1, 1),
    )
    electricity = Service.objects.get(organization=org, code="electricity")
    AccountService.objects.create(
        organization=org,
        account=stock_a.account,
        service=electricity,
        method="meter",
        zones=2,
        valid_from=D(2020, 1, 1),
    )
    for zone, rate in (("day", "6.5000"), ("night", "3.1000")):
        Tariff.objects.create(
            organization=org,
            service=electricity,
            zone=zone,
            rate=Decimal(rate),
            valid_from=D(2020, 1, 1),
        )
    # Electricity norm table: rooms 1..2 x residents 1..3 (3 = "3 and more").
    for rooms in (1, 2):
        for residents in (1, 2, 3):
            Norm.objects.create(
                organization=org,
                service=electricity,
                rooms=rooms,
                residents=residents,
                value=Decimal(100 * rooms + residents),
                valid_from=D(2020, 1, 1),
            )
    client.force_login(operator_a)
    response = card(client, stock_a.account, "2024-01-01")
    lines = {line.connection.service.code: line for line in response.context["card"].services}
    assert [t.rate for t in lines["cold_water"].tariffs] == [Decimal("40.0000")]
    assert [(t.zone, t.rate) for t in lines["electricity"].tariffs] == [
        ("day", Decimal("6.5000")),
        ("night", Decimal("3.1000")),
    ]
    # 2 rooms, 1 resident.
    assert [n.value for n in lines["electricity"].norms] == [Decimal(201)]
    assert "Ночь" in _text(response) or "Night" in _text(response)


def test_history_shows_an_admin_edit(client, operator_a, stock_a) -> None:
    client.force_login(operator_a)
    account = stock_a.account
    page = client.get(reverse("admin:housing_account_change", args=[account.pk]))
    data = form_data(page)
    data["payer_name"] = "Петров Пётр Петрович"
    response = client.post(reverse("admin:housing_account_change", args=[account.pk]), data)
    assert response.status_code == 302, form_errors(response)

    text = _text(card(client, account))
    history = text.split('id="card-history"')[1]
    assert "operator-a" in history
    assert "Иванов Иван Иванович → Петров Пётр Петрович" in history
    entries = card(client, account).context["card"].history
    assert entries[0].user == operator_a
    assert entries[0].action == "~"
    assert entries == sorted(entries, key=lambda e: e.when, reverse=True)


def test_bad_date_gives_a_message(client, operator_a, stock_a) -> None:
    client.force_login(operator_a)
    response = card(client, stock_a.account, "2024-13-45")
    assert response.status_code == 200
    assert 'id="date-error"' in _text(response)
    assert "2024-13-45" in response.context["date_error"]


def test_card_is_scoped_and_needs_staff(client, operator_a, stock_a, stock_b) -> None:
    assert card(client, stock_a.account).status_code == 302  # anonymous: to the login page
    client.force_login(operator_a)
    assert card(client, stock_b.account).status_code == 404
    assert card(client, stock_a.account).status_code == 200


def test_account_change_page_links_to_the_card(client, operator_a, stock_a) -> None:
    client.force_login(operator_a)
    page = client.get(reverse("admin:housing_account_change", args=[stock_a.account.pk]))
    assert reverse("backoffice:account_card", args=[stock_a.account.pk]) in _text(page)


def _grow(stock, n: int) -> None:
    """Add ``n`` registrations, owners and connected services with tariffs and norms."""
    org = stock.organization
    unused = Service.objects.filter(organization=org).exclude(
        account_services__account=stock.account
    )
    services = list(unused.order_by("sort_order"))[:n]
    for i in range(n):
        person = Person.objects.create(organization=org, last_name=f"Жилец{i}", first_name="А")
        Registration.objects.create(
            organization=org, account=stock.account, person=person, valid_from=D(2021, 1, 1)
        )
        Ownership.objects.create(
            organization=org,
            premises=stock.premises,
            person=person,
            share_denominator=10,
            valid_from=D(2021, 1, 1),
        )
        service = services[i]
        AccountService.objects.create(
            organization=org, account=stock.account, service=service, valid_from=D(2021, 1, 1)
        )
        Tariff.objects.create(
            organization=org, service=service, rate=Decimal(i + 1), valid_from=D(2021, 1, 1)
        )
        Norm.objects.create(
            organization=org, service=service, value=Decimal(i + 1), valid_from=D(2021, 1, 1)
        )
        stock.account.payer_name = f"Плательщик {i}"
        stock.account.save()  # one more history record each time


def _queries(client, account) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = card(client, account, "2024-01-01")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_card_query_count_does_not_grow(client, operator_a, stock_a) -> None:
    client.force_login(operator_a)
    _grow(stock_a, 1)
    small = _queries(client, stock_a.account)
    _grow(stock_a, 6)
    large = _queries(client, stock_a.account)
    assert len(card(client, stock_a.account, "2024-01-01").context["card"].services) == 8
    assert large == small


@pytest.mark.parametrize("on", ["2024-02-29", "2030-12-31"])
def test_card_on_valid_dates_renders(client, operator_a, stock_a, on) -> None:
    client.force_login(operator_a)
    response = card(client, stock_a.account, on)
    assert response.status_code == 200
    assert response.context["on"] == date.fromisoformat(on)
