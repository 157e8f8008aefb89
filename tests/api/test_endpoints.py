"""Read endpoints: tenant isolation, filters, pages, shapes and query counts."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import bearer
from tests.factories import AccountFactory, PremisesFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["items"]]


# --- tenant isolation -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["token", "session"])
def test_objects_of_another_organization_answer_404(stock, token_client, staff_client, who):
    client = token_client if who == "token" else staff_client
    for url in (
        f"/api/v1/buildings/{stock.foreign_building.pk}",
        f"/api/v1/premises/{stock.foreign_premises.pk}",
        f"/api/v1/accounts/{stock.foreign_account.pk}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": response.json()["detail"]}
    # ... while the caller's own objects are there
    assert client.get(f"/api/v1/buildings/{stock.buildings[0].pk}").status_code == 200
    assert client.get(f"/api/v1/accounts/{stock.accounts[0].pk}").status_code == 200


@pytest.mark.parametrize("who", ["token", "session"])
def test_lists_show_only_the_callers_organizations(stock, token_client, staff_client, who):
    client = token_client if who == "token" else staff_client
    assert _ids(client.get("/api/v1/organizations")) == [stock.organization.pk]
    assert sorted(_ids(client.get("/api/v1/buildings"))) == sorted(b.pk for b in stock.buildings)
    assert sorted(_ids(client.get("/api/v1/premises"))) == sorted(p.pk for p in stock.premises)
    assert sorted(_ids(client.get("/api/v1/accounts"))) == sorted(a.pk for a in stock.accounts)
    # a filter cannot reach across: the foreign building's premises are simply not there
    url = f"/api/v1/premises?building={stock.foreign_building.pk}"
    assert _ids(client.get(url)) == []


def test_the_other_organizations_token_sees_only_its_own(stock):
    client = Client(**bearer(stock.other_token))
    assert _ids(client.get("/api/v1/buildings")) == [stock.foreign_building.pk]
    assert client.get(f"/api/v1/buildings/{stock.buildings[0].pk}").status_code == 404


def test_a_billing_centre_token_reaches_the_organizations_it_serves(stock):
    client = Client(**bearer(stock.centre_token))
    orgs = _ids(client.get("/api/v1/organizations"))
    assert sorted(orgs) == sorted([stock.centre.pk, stock.organization.pk])
    assert sorted(_ids(client.get("/api/v1/buildings"))) == sorted(b.pk for b in stock.buildings)
    assert client.get(f"/api/v1/accounts/{stock.foreign_account.pk}").status_code == 404


def test_a_superuser_session_sees_everything(stock, admin_client):
    assert len(_ids(admin_client.get("/api/v1/organizations"))) == 3
    assert len(_ids(admin_client.get("/api/v1/accounts"))) == 5


def test_a_missing_object_answers_404_like_a_foreign_one(stock, token_client):
    foreign = token_client.get(f"/api/v1/accounts/{stock.foreign_account.pk}")
    missing = token_client.get("/api/v1/accounts/999999999")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


# --- shapes -----------------------------------------------------------------------------


def test_areas_are_decimal_strings_never_numbers(stock, token_client):
    building = token_client.get(f"/api/v1/buildings/{stock.buildings[1].pk}").json()
    assert building["area_total_m2"] == "1234.56"
    premises = token_client.get(f"/api/v1/premises/{stock.premises[0].pk}").json()
    assert premises["area_total_m2"] == "54.30"
    assert premises["area_living_m2"] is None
    raw = token_client.get("/api/v1/accounts").content.decode()
    assert not re.search(r'"area[a-z_]*_m2": [0-9]', raw), raw


def test_account_charged_area_falls_back_to_the_premises(stock, token_client):
    rows = {r["number"]: r for r in token_client.get("/api/v1/accounts").json()["items"]}
    assert rows["1001"]["area_m2"] is None
    assert rows["1001"]["charged_area_m2"] == "54.30"
    assert rows["1003"]["area_m2"] == "20.25"
    assert rows["1003"]["charged_area_m2"] == "20.25"
    assert rows["1003"]["building_id"] == stock.buildings[0].pk


def test_account_detail_has_premises_address_and_residents_on_a_date(stock, token_client):
    account = stock.accounts[0]
    RegistrationFactory(account=account, valid_from=date(2020, 1, 1))
    RegistrationFactory(account=account, valid_from=date(2024, 1, 1), valid_to=date(2024, 6, 1))
    url = f"/api/v1/accounts/{account.pk}"
    body = token_client.get(url, {"on": "2024-03-01"}).json()
    assert body["residents"] == 2 and body["residents_on"] == "2024-03-01"
    assert body["building_address"] == "ул. Ленина, д. 1"
    assert body["premises"]["id"] == stock.premises[0].pk
    assert body["premises"]["area_total_m2"] == "54.30"
    assert token_client.get(url, {"on": "2024-06-01"}).json()["residents"] == 1
    assert token_client.get(url, {"on": "2019-12-31"}).json()["residents"] == 0


def test_account_detail_counts_residents_today_in_the_installations_zone(stock, token_client):
    account = stock.accounts[0]
    RegistrationFactory(account=account, valid_from=date(2025, 3, 1))
    # 22:30 UTC on 28 February is already 1 March in Moscow (settings.TIME_ZONE)
    with time_machine.travel("2025-02-28 22:30:00+00:00", tick=False):
        body = token_client.get(f"/api/v1/accounts/{account.pk}").json()
    assert body["residents_on"] == "2025-03-01"
    assert body["residents"] == 1


# --- filters ----------------------------------------------------------------------------


def test_premises_filter_by_building(stock, token_client):
    b1, b2 = stock.buildings
    assert sorted(_ids(token_client.get("/api/v1/premises", {"building": b2.pk}))) == [
        stock.premises[2].pk
    ]
    assert len(_ids(token_client.get("/api/v1/premises", {"building": b1.pk}))) == 2


def _numbers(client, **params) -> list[str]:
    response = client.get("/api/v1/accounts", params)
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["items"]]


def test_account_filters(stock, token_client):
    b1, b2 = stock.buildings
    assert _numbers(token_client, building=b1.pk) == ["1001", "1002", "1003"]
    assert _numbers(token_client, building=b2.pk) == ["2001"]
    assert _numbers(token_client, number="1002") == ["1002"]
    assert _numbers(token_client, number="100") == []  # exact, not a prefix
    # 1002 is open on [2020-01-01, 2024-07-01), 1003 from 2024-07-01
    assert _numbers(token_client, open_on="2024-06-30") == ["1001", "1002", "2001"]
    assert _numbers(token_client, open_on="2024-07-01") == ["1001", "1003", "2001"]
    assert _numbers(token_client, open_on="2019-12-31") == []
    assert _numbers(token_client, q="smith") == ["1003"]
    assert _numbers(token_client, q="Петр") == ["1001", "2001"]
    assert _numbers(token_client, q="Петр", building=b2.pk) == ["2001"]


@pytest.mark.parametrize(
    "params",
    [
        {"open_on": "2024-13-01"},
        {"building": "abc"},
        {"building": "0"},
        {"building": str(2**64)},
        {"number": "x" * 31},
        {"q": "a\x00b"},
        {"limit": "0"},
        {"limit": "501"},
        {"offset": "-1"},
    ],
)
def test_bad_parameters_answer_422_with_a_message_and_the_field(token_client, params):
    response = token_client.get("/api/v1/accounts", params)
    assert response.status_code == 422
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert [e["loc"][-1] for e in body["errors"]] == list(params)


def test_bad_path_id_answers_422(token_client):
    assert token_client.get(f"/api/v1/accounts/{2**64}").status_code == 422
    assert token_client.get("/api/v1/accounts/0").status_code == 422


# --- pagination -------------------------------------------------------------------------


def test_pages_cover_the_list_once(stock, token_client):
    seen: list[int] = []
    for offset in (0, 2, 4):
        body = token_client.get("/api/v1/accounts", {"limit": 2, "offset": offset}).json()
        assert body["count"] == 4
        seen += [row["id"] for row in body["items"]]
    assert sorted(seen) == sorted(a.pk for a in stock.accounts)
    assert len(seen) == 4


def test_the_largest_page_is_500(stock, token_client):
    premises = stock.premises[0]
    AccountFactory.create_batch(501, premises=premises)
    body = token_client.get("/api/v1/accounts", {"limit": 500}).json()
    assert len(body["items"]) == 500 and body["count"] == 505
    assert token_client.get("/api/v1/accounts").json()["items"].__len__() == 100


# --- query counts -----------------------------------------------------------------------

LISTS = ["/api/v1/organizations", "/api/v1/buildings", "/api/v1/premises", "/api/v1/accounts"]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["token", "session"])
def test_list_query_count_does_not_grow_with_rows(
    stock, token_client, staff_client, who, django_assert_max_num_queries
):
    client = token_client if who == "token" else staff_client
    client.get("/api/v1/organizations")  # the token's last-use write happens once a minute
    before = {url: _queries(client, url) for url in LISTS}
    for building in stock.buildings:
        for n in range(10):
            premises = PremisesFactory(building=building, number=f"{100 + n}")
            AccountFactory.create_batch(3, premises=premises)
    after = {url: _queries(client, url) for url in LISTS}
    assert after == before
    for url in LISTS:
        # auth (token, or session + user) + count + page
        with django_assert_max_num_queries(4):
            client.get(url, {"limit": 500})


def test_account_detail_query_count(stock, token_client, django_assert_max_num_queries):
    account = stock.accounts[0]
    RegistrationFactory.create_batch(3, account=account)
    token_client.get("/api/v1/organizations")
    # auth + account with premises and building + registrations + resident acts
    with django_assert_max_num_queries(4):
        assert token_client.get(f"/api/v1/accounts/{account.pk}").status_code == 200


# --- OpenAPI and docs ---------------------------------------------------------------------


def test_openapi_is_json_with_every_path():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/organizations",
        "/api/v1/buildings",
        "/api/v1/buildings/{building_id}",
        "/api/v1/premises",
        "/api/v1/premises/{premises_id}",
        "/api/v1/accounts",
        "/api/v1/accounts/{account_id}",
        "/api/v1/accounts/{account_id}/meters",
        "/api/v1/accounts/{account_id}/readings",
        "/api/v1/accounts/{account_id}/charges",
        "/api/v1/billing/runs",
        "/api/v1/billing/runs/{run_id}",
        "/api/v1/payments",
        "/api/v1/payments/{payment_id}",
        "/api/v1/accounts/{account_id}/balances",
        "/api/v1/reports/turnover",
        "/api/v1/debt/ageing",
        "/api/v1/debt/debtors",
        "/api/v1/debt/collection",
        "/api/v1/debt/notices",
        "/api/v1/debt/plans",
        "/api/v1/penalty/calc",
        "/api/v1/accounts/{account_id}/penalty",
        "/api/v1/accounts/{account_id}/registrations",
        "/api/v1/accounts/{account_id}/household-history",
        "/api/v1/accounts/{account_id}/certificates",
        "/api/v1/registrations/{registration_id}/deregister",
        "/api/v1/certificates/{certificate_id}/pdf",
        "/api/v1/exchange/export",
        "/api/v1/exchange/import",
        "/api/v1/exchange/runs",
        "/api/v1/exchange/runs/{run_id}",
        "/api/v1/capital-repair/buildings/{building_id}/fund",
        "/api/v1/capital-repair/buildings/{building_id}/statement",
        "/api/v1/capital-repair/buildings/{building_id}/contributions",
        "/api/v1/appeals",
        "/api/v1/appeals/{appeal_id}",
        "/api/v1/appeals/{appeal_id}/answer",
    }
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    area = schema["components"]["schemas"]["BuildingOut"]["properties"]["area_total_m2"]
    assert area["type"] == "string"


def test_docs_page_loads_nothing_from_other_hosts():
    client = Client()
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui-bundle.js" in html
    external = re.findall(r'(?:src|href)="((?:https?:)?//[^"]*)"', html)
    assert external == []
    assert '"validatorUrl": null' in html
    for asset in re.findall(r'(?:src|href)="(/api/v1/docs/assets/[^"]+)"', html):
        response = client.get(asset)
        assert response.status_code == 200, asset
        b"".join(response.streaming_content)


def test_docs_assets_are_a_fixed_list():
    client = Client()
    assert client.get("/api/v1/docs/assets/redoc.standalone.js").status_code == 404
    assert client.get("/api/v1/docs/assets/..%2F..%2F__init__.py").status_code == 404


# --- error messages -----------------------------------------------------------------------


def test_errors_speak_russian_by_default_and_english_on_request(stock, token_client):
    cyrillic = re.compile("[А-Яа-яЁё]")
    unauthenticated = Client().get("/api/v1/accounts").json()["detail"]
    missing = token_client.get("/api/v1/accounts/999999999").json()["detail"]
    invalid = token_client.get("/api/v1/accounts", {"limit": 0}).json()["detail"]
    for detail in (unauthenticated, missing, invalid):
        assert cyrillic.search(detail), detail
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/accounts").json()["detail"]
    assert english.startswith("Authentication required")


def test_repeated_query_parameter_is_refused(token_client):
    response = token_client.get("/api/v1/accounts?q=a&q=b")
    assert response.status_code == 422
    assert "q" in response.content.decode()
