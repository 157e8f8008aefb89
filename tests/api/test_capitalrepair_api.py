"""Capital repair API: the fund of a building, its statement, the contributions per account —
figures against the selectors, tenancy (404 for other organizations), permissions, bad
input."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from raschet.api.services import api_token_create
from raschet.organizations.models import Role
from raschet.organizations.services import membership_grant
from tests.api.conftest import bearer
from tests.capitalrepair.conftest import EXPECTED, Fund, build_fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund(db) -> Fund:
    return build_fund()


@pytest.fixture
def client(fund: Fund) -> Client:
    _, token = api_token_create(organization=fund.org, name="bank")
    return Client(**bearer(token))


def path(fund: Fund, what: str, query: str = "") -> str:
    return f"/api/v1/capital-repair/buildings/{fund.building.pk}/{what}{query}"


def test_the_fund_of_a_building(fund, client):
    response = client.get(path(fund, "fund", "?on=2026-02-01"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["current"]["fund_model"] == "regional_pool"
    assert body["current"]["payee_id"] == fund.operator.pk
    assert body["current"]["valid_to"] is None
    assert len(body["history"]) == 1
    assert body["warnings"]  # no payee contract for the contributions


def test_the_statement_for_a_range(fund, client):
    response = client.get(path(fund, "statement", "?start=2026-01&end=2026-02"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["start"] == "2026-01" and body["end"] == "2026-02"
    assert body["opening_kopecks"] == EXPECTED["opening"]
    assert body["paid_kopecks"] == EXPECTED["paid"]
    assert body["penalties_paid_kopecks"] == EXPECTED["penalties_paid"]
    assert body["spent_kopecks"] == EXPECTED["spent"]
    assert body["closing_kopecks"] == EXPECTED["closing"] == 2015_50
    assert body["closing"] == "2015.50"
    assert body["contributions"]["closing_kopecks"] == EXPECTED["owners_closing"]
    assert body["contributions"]["other"] == "-10.00"
    assert [s["document"] for s in body["spendings"]] == ["п/п 2"]


def test_contributions_per_account_sum_to_the_statement(fund, client):
    query = "?start=2026-01&end=2026-02"
    body = client.get(path(fund, "contributions", query)).json()
    assert [i["account"] for i in body["items"]] == ["5001", "5002", "5003"]
    statement = client.get(path(fund, "statement", query)).json()
    assert body["totals"] == statement["contributions"]
    for name in ("charged_kopecks", "paid_kopecks", "closing_kopecks"):
        assert sum(i["figures"][name] for i in body["items"]) == body["totals"][name]
    one = client.get(path(fund, "contributions", f"{query}&account={fund.accounts[2].pk}")).json()
    assert [i["account"] for i in one["items"]] == ["5003"]
    assert one["items"][0]["figures"]["penalties_paid_kopecks"] == 15_50


def test_other_organizations_get_404(fund):
    _, token = api_token_create(organization=fund.foreign.organization, name="stranger")
    stranger = Client(**bearer(token))
    for what in (
        "fund",
        "statement?start=2026-01&end=2026-02",
        "contributions?start=2026-01&end=2026-02",
    ):
        assert stranger.get(path(fund, what)).status_code == 404
    assert stranger.get("/api/v1/capital-repair/buildings/999999/fund").status_code == 404


def test_a_building_without_fund_settings(fund, client):
    from tests.factories import BuildingFactory

    bare = BuildingFactory(organization=fund.org)
    response = client.get(
        f"/api/v1/capital-repair/buildings/{bare.pk}/statement?start=2026-01&end=2026-02"
    )
    assert response.status_code == 200
    assert response.json()["fund"] is None and response.json()["closing_kopecks"] == 0
    fund_body = client.get(f"/api/v1/capital-repair/buildings/{bare.pk}/fund").json()
    assert fund_body["current"] is None and fund_body["history"] == []


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?start=2026-01",
        "?start=2026-13&end=2026-02",
        "?start=2026-1&end=2026-02",
        "?start=2026-02&end=2026-01",
        "?start=2026-01&end=2026-02&start=2025-01",
    ],
)
def test_bad_months_are_422(fund, client, query):
    response = client.get(path(fund, "statement", query))
    assert response.status_code == 422, response.content
    assert response.json()["detail"]


def test_unauthenticated_and_staff_without_permission(fund):
    assert Client().get(path(fund, "fund")).status_code == 401
    user = get_user_model().objects.create_user("clerk", password="x", is_staff=True)
    membership_grant(user=user, organization=fund.org, role=Role.PASSPORT_OFFICER)
    staff = Client()
    staff.force_login(user)
    assert staff.get(path(fund, "fund")).status_code == 403
    assert staff.get(path(fund, "statement", "?start=2026-01&end=2026-02")).status_code == 403
    accountant = get_user_model().objects.create_user("acc", password="x", is_staff=True)
    membership_grant(user=accountant, organization=fund.org, role=Role.ACCOUNTANT)
    staff.force_login(accountant)
    assert staff.get(path(fund, "statement", "?start=2026-01&end=2026-02")).status_code == 200
