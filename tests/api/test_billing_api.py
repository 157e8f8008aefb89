"""Billing endpoints: runs (list, detail with the report) and an account's charge lines,
with authentication, tenant scoping and refusals of bad parameters."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from raschet.billing.models import BillingRun, ChargeLine, LineKind, RunState
from raschet.billing.services import billing_month_close, billing_run
from raschet.tariffs.models import Tariff
from tests.api.conftest import Stock, bearer
from tests.factories import (
    AccountServiceFactory,
    NormFactory,
    RegistrationFactory,
    ServiceFactory,
    TariffFactory,
)

pytestmark = pytest.mark.django_db

JAN = date(2025, 1, 1)
FEB = date(2025, 2, 1)


@pytest.fixture
def charged(stock: Stock):
    """Cold water by norm with the coefficient for account 1001 (rules.md C2: 1 123,01 ₽),
    and the same for the other organization's account."""
    for account in (stock.accounts[0], stock.foreign_account):
        org = account.organization
        water = ServiceFactory(organization=org)
        TariffFactory(service=water, rate=Decimal("50.93"))
        NormFactory(service=water, value=Decimal("4.9"))
        AccountServiceFactory(account=account, service=water, method="norm", meter_possible=True)
        for _ in range(3):
            RegistrationFactory(account=account)
    return stock


def test_run_list_and_detail(token_client, charged) -> None:
    trial = billing_run(organization=charged.organization, period=JAN, trial=True)
    foreign = billing_run(organization=charged.other, period=JAN, trial=True)

    response = token_client.get("/api/v1/billing/runs")
    assert response.status_code == 200
    body = response.json()
    assert [r["id"] for r in body["items"]] == [trial.pk]
    row = body["items"][0]
    assert row["period"] == "2025-01"
    assert row["state"] == "computed" and row["trial"] is True
    assert row["accounts_total"] == row["accounts_done"] >= 1
    assert row["lines_count"] == 1
    assert "report" not in row

    detail = token_client.get(f"/api/v1/billing/runs/{trial.pk}").json()
    report = detail["report"]
    assert report["previous_period"] == "2024-12"
    assert report["services"] == [
        {
            "service_id": report["services"][0]["service_id"],
            "service": "Холодное водоснабжение",
            "previous": "0.00",
            "previous_kopecks": 0,
            "current": "1123.01",
            "current_kopecks": 112301,
        }
    ]
    assert report["recalculation_total"] == "0.00"
    assert detail["months_recomputed"] == []

    assert token_client.get(f"/api/v1/billing/runs/{foreign.pk}").status_code == 404
    assert token_client.get("/api/v1/billing/runs/999999").status_code == 404


def test_run_list_filters(token_client, charged) -> None:
    jan = billing_run(organization=charged.organization, period=JAN)
    feb = billing_run(organization=charged.organization, period=FEB, trial=True)
    ids = lambda **q: [r["id"] for r in token_client.get("/api/v1/billing/runs", q).json()["items"]]  # noqa: E731
    assert ids() == [feb.pk, jan.pk]
    assert ids(period="2025-02") == [feb.pk]
    assert ids(period="2024-02") == []
    assert ids(organization=charged.other.pk) == []


def test_run_detail_while_computing_has_no_report(token_client, stock) -> None:
    run = BillingRun.objects.create(organization=stock.organization, period=JAN)
    body = token_client.get(f"/api/v1/billing/runs/{run.pk}").json()
    assert body["state"] == RunState.COMPUTING
    assert body["report"] is None


def test_billing_centre_sees_served_organizations_runs(charged) -> None:
    run = billing_run(organization=charged.organization, period=JAN, trial=True)
    client = Client(**bearer(charged.centre_token))
    assert client.get(f"/api/v1/billing/runs/{run.pk}").status_code == 200
    other = Client(**bearer(charged.other_token))
    assert other.get(f"/api/v1/billing/runs/{run.pk}").status_code == 404
    assert other.get("/api/v1/billing/runs").json()["items"] == []


def test_authentication_is_required(client, charged) -> None:
    run = billing_run(organization=charged.organization, period=JAN, trial=True)
    account = charged.accounts[0]
    for url in (
        "/api/v1/billing/runs",
        f"/api/v1/billing/runs/{run.pk}",
        f"/api/v1/accounts/{account.pk}/charges?period=2025-01",
    ):
        response = client.get(url)
        assert response.status_code == 401, url
        assert client.get(url, **bearer("wrong")).status_code == 401


def test_staff_session_reads_its_organizations(staff_client, charged) -> None:
    run = billing_run(organization=charged.organization, period=JAN)
    foreign = billing_run(organization=charged.other, period=JAN)
    assert [r["id"] for r in staff_client.get("/api/v1/billing/runs").json()["items"]] == [run.pk]
    assert staff_client.get(f"/api/v1/billing/runs/{foreign.pk}").status_code == 404
    account = charged.accounts[0]
    response = staff_client.get(f"/api/v1/accounts/{account.pk}/charges", {"period": "2025-01"})
    assert response.status_code == 200
    assert response.json()["total_kopecks"] == 112301


def test_charges_with_provenance(token_client, charged) -> None:
    billing_run(organization=charged.organization, period=JAN)
    account = charged.accounts[0]
    response = token_client.get(f"/api/v1/accounts/{account.pk}/charges", {"period": "2025-01"})
    assert response.status_code == 200
    body = response.json()
    assert body["account"] == "1001" and body["period"] == "2025-01" and body["run_id"] is None
    [line] = body["lines"]
    assert line["kind"] == "charge"
    assert line["period"] == line["corrects_period"] == "2025-01"
    assert line["service_code"] == "cold_water"
    assert line["service_name"] == "Холодное водоснабжение"
    assert line["unit"] == "m3"
    assert line["method"] == "norm_coefficient"
    assert line["volume"] == "14.700000"
    assert line["coefficient_volume"] == "7.350000"
    assert line["tariff"] == "50.9300"
    assert line["norm"] == "4.900000"
    assert line["persons"] == 3
    # rules.md C2: 748,67 + 374,34 = 1 123,01
    assert (line["amount"], line["amount_kopecks"]) == ("1123.01", 112301)
    assert (line["coefficient_amount"], line["coefficient_amount_kopecks"]) == ("374.34", 37434)
    assert line["reduction"] == "0.00" and line["benefit_kopecks"] == 0
    assert (line["benefit_cash"], line["benefit_cash_kopecks"]) == ("0.00", 0)
    assert (line["total"], line["total_kopecks"]) == ("1123.01", 112301)
    assert line["reason"] == ""
    assert "норматив" in line["explanation"] and "итого 1\u00a0123,01" in line["explanation"]
    assert (body["charges_total"], body["recalculations_total"], body["total"]) == (
        "1123.01",
        "0.00",
        "1123.01",
    )
    # a month with nothing posted
    empty = token_client.get(f"/api/v1/accounts/{account.pk}/charges", {"period": "2025-03"})
    assert empty.status_code == 200 and empty.json()["lines"] == []


def test_charges_with_a_recalculation(token_client, charged) -> None:
    org = charged.organization
    billing_run(organization=org, period=JAN)
    billing_month_close(organization=org, period=JAN)
    tariff = Tariff.objects.get(organization=org)
    tariff.rate = Decimal("60.00")
    tariff.save()
    billing_run(organization=org, period=FEB)
    account = charged.accounts[0]
    body = token_client.get(f"/api/v1/accounts/{account.pk}/charges", {"period": "2025-02"}).json()
    by_kind = {line["kind"]: line for line in body["lines"]}
    recalc = by_kind[LineKind.RECALCULATION]
    assert recalc["corrects_period"] == "2025-01" and recalc["period"] == "2025-02"
    assert "тариф" in recalc["reason"]
    assert recalc["amount_kopecks"] == 132300 - 112301
    assert body["charges_total_kopecks"] == 132300
    assert body["recalculations_total_kopecks"] == 132300 - 112301
    assert body["total_kopecks"] == 2 * 132300 - 112301


def test_charges_of_an_unposted_run(token_client, charged) -> None:
    run = billing_run(organization=charged.organization, period=JAN, trial=True)
    foreign = billing_run(organization=charged.other, period=JAN, trial=True)
    account = charged.accounts[0]
    url = f"/api/v1/accounts/{account.pk}/charges"
    assert token_client.get(url, {"period": "2025-01"}).json()["lines"] == []
    body = token_client.get(url, {"period": "2025-01", "run": run.pk}).json()
    assert body["run_id"] == run.pk and len(body["lines"]) == 1
    assert token_client.get(url, {"period": "2025-01", "run": foreign.pk}).status_code == 404


def test_charges_are_scoped(token_client, charged) -> None:
    billing_run(organization=charged.other, period=JAN)
    url = f"/api/v1/accounts/{charged.foreign_account.pk}/charges"
    response = token_client.get(url, {"period": "2025-01"})
    assert response.status_code == 404
    assert ChargeLine.objects.filter(account_id=charged.foreign_account.pk).exists()


@pytest.mark.parametrize("period", ["2025-13", "2025-1", "январь", "2025-01-01", "0", ""])
def test_bad_period_is_422_with_a_clear_message(token_client, stock, period) -> None:
    account = stock.accounts[0]
    response = token_client.get(f"/api/v1/accounts/{account.pk}/charges", {"period": period})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["loc"][-1] == "period"
    assert "YYYY-MM" in body["errors"][0]["msg"]
    listing = token_client.get("/api/v1/billing/runs", {"period": period})
    if period:  # an empty filter is no filter
        assert listing.status_code == 422
        assert "YYYY-MM" in listing.json()["errors"][0]["msg"]


def test_period_is_required(token_client, stock) -> None:
    response = token_client.get(f"/api/v1/accounts/{stock.accounts[0].pk}/charges")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][-1] == "period"


def test_run_list_queries_do_not_grow_with_runs(token_client, charged) -> None:
    billing_run(organization=charged.organization, period=JAN, trial=True)
    token_client.get("/api/v1/billing/runs")  # the token's last use is written once
    with CaptureQueriesContext(connection) as one:
        assert token_client.get("/api/v1/billing/runs").status_code == 200
    for _ in range(4):
        billing_run(organization=charged.organization, period=JAN, trial=True)
    with CaptureQueriesContext(connection) as five:
        assert len(token_client.get("/api/v1/billing/runs").json()["items"]) == 5
    assert len(five) == len(one)


def test_charges_queries_do_not_grow_with_lines(token_client, charged) -> None:
    billing_run(organization=charged.organization, period=JAN)
    account = charged.accounts[0]
    url = f"/api/v1/accounts/{account.pk}/charges"
    token_client.get(url, {"period": "2025-01"})  # the token's last use is written once
    with CaptureQueriesContext(connection) as one:
        token_client.get(url, {"period": "2025-01"})
    power = ServiceFactory(organization=charged.organization, code="electricity", unit="kwh")
    TariffFactory(service=power, rate=Decimal("6.00"))
    NormFactory(service=power, value=Decimal("100"))
    AccountServiceFactory(account=account, service=power, method="norm")
    billing_run(organization=charged.organization, period=JAN)
    with CaptureQueriesContext(connection) as two:
        body = token_client.get(url, {"period": "2025-01"}).json()
    assert len(body["lines"]) == 2
    assert len(two) == len(one)


def test_session_user_without_staff_is_refused(stock) -> None:
    user = get_user_model().objects.create_user("resident", password="x")
    client = Client()
    client.force_login(user)
    assert client.get("/api/v1/billing/runs").status_code == 401
