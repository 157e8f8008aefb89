"""Payments API: taking a payment idempotently, lists, balances, the turnover sheet."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.test import Client
from django.utils import timezone

from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.payments.models import Payment
from tests.api.conftest import Stock, bearer
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

JAN = date(2025, 1, 1)


@pytest.fixture
def debts(stock: Stock):
    """Account 1001 owes 1 000,00 ₽ for water and 3 000,00 ₽ for heating of January."""
    account = stock.accounts[0]
    org = stock.organization
    water = ServiceFactory(organization=org)
    heat = ServiceFactory(organization=org, code="heating", name="Отопление")
    for service, kopecks in ((water, 1000_00), (heat, 3000_00)):
        LedgerEntry.objects.create(
            organization=org,
            account=account,
            service=service,
            period=JAN,
            corrects_period=JAN,
            kind=EntryKind.CHARGE,
            amount_kopecks=kopecks,
            posted_at=timezone.now(),
        )
    return water, heat


def post(client: Client, body: dict, key: str | None = "key-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        "/api/v1/payments", data=json.dumps(body), content_type="application/json", **headers
    )


def test_take_a_payment_then_replay_it(token_client, stock, debts):
    account = stock.accounts[0]
    body = {"account": account.pk, "amount": "2000.00", "paid_on": "2025-02-03"}
    first = post(token_client, body)
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["amount_kopecks"] == 2000_00 and data["state"] == "posted"
    assert data["source"] == "api" and data["operation_id"] == "key-1"
    assert sorted(a["amount_kopecks"] for a in data["allocations"]) == [500_00, 1500_00]
    assert {a["debt_period"] for a in data["allocations"]} == {"2025-01"}
    replay = post(token_client, body)
    assert replay.status_code == 200 and replay.json()["id"] == data["id"]
    assert Payment.objects.count() == 1
    clash = post(token_client, {**body, "amount": "1.00"})
    assert clash.status_code == 409


def test_targeted_payment_over_the_api(token_client, stock, debts):
    water, _heat = debts
    body = {
        "account": stock.accounts[0].pk,
        "amount": "100.00",
        "targets": [{"service": water.pk, "amount": "100.00"}],
    }
    response = post(token_client, body)
    assert response.status_code == 201, response.content
    assert [a["service_id"] for a in response.json()["allocations"]] == [water.pk]


@pytest.mark.parametrize(
    ("body", "key", "status"),
    [
        ({"amount": "0.00"}, "k", 422),
        ({"amount": "-5"}, "k", 422),
        ({"amount": "1.234"}, "k", 422),
        ({"amount": 12.5}, "k", 422),
        ({"amount": "10.00", "paid_on": "2999-01-01"}, "k", 422),
        ({"amount": "10.00", "targets": [{"service": 999999, "amount": "10.00"}]}, "k", 404),
        ({"amount": "10.00"}, None, 422),
    ],
)
def test_bad_payments_are_refused(token_client, stock, debts, body, key, status):
    response = post(token_client, {"account": stock.accounts[0].pk, **body}, key=key)
    assert response.status_code == status, response.content
    assert response.json()["detail"]
    assert Payment.objects.count() == 0


def test_another_organizations_account_is_not_found(token_client, stock, debts):
    response = post(token_client, {"account": stock.foreign_account.pk, "amount": "10.00"})
    assert response.status_code == 404


def test_lists_balances_and_turnover(token_client, stock, debts):
    post(
        token_client,
        {"account": stock.accounts[0].pk, "amount": "1000.00", "paid_on": "2025-02-03"},
    )
    other = Client(**bearer(stock.other_token))
    assert other.get("/api/v1/payments").json()["count"] == 0
    listing = token_client.get("/api/v1/payments?state=posted").json()
    assert listing["count"] == 1 and listing["items"][0]["amount"] == "1000.00"
    detail = token_client.get(f"/api/v1/payments/{listing['items'][0]['id']}").json()
    assert sum(a["amount_kopecks"] for a in detail["allocations"]) == 1000_00
    balances = token_client.get(f"/api/v1/accounts/{stock.accounts[0].pk}/balances").json()
    assert balances["total_kopecks"] == 3000_00
    assert sum(s["balance_kopecks"] for s in balances["services"]) == 3000_00
    sheet = token_client.get("/api/v1/reports/turnover?period=2025-01&to=2025-02&by=service")
    assert sheet.status_code == 200, sheet.content
    totals = sheet.json()["totals_kopecks"]
    assert totals["opening"] == 0 and totals["charged"] == 4000_00
    assert totals["paid"] == -1000_00 and totals["closing"] == 3000_00
    bad = token_client.get("/api/v1/reports/turnover?period=2025-01&by=street")
    assert bad.status_code == 422
