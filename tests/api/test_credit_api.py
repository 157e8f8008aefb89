"""Credit-control API: instalment plans (create, list) and debtor notices (list)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from raschet.debt.models import DebtorNotice, InstalmentPlan, NoticeChannel, NoticeState
from tests.api.conftest import Stock, bearer

pytestmark = pytest.mark.django_db


def create(client: Client, body: dict):
    return client.post("/api/v1/debt/plans", data=json.dumps(body), content_type="application/json")


def test_plans_are_created_listed_and_refused_with_a_reason(token_client, stock: Stock):
    account = stock.accounts[0]
    body = {
        "account": account.pk,
        "agreed_on": "2025-05-01",
        "instalments": [
            {"due_on": "2025-06-10", "amount": "1500.00"},
            {"due_on": "2025-07-10", "amount": "1500.50"},
        ],
    }
    created = create(token_client, body)
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["debt_kopecks"] == 3000_50 and data["state"] == "active"
    assert [i["amount_kopecks"] for i in data["instalments"]] == [1500_00, 1500_50]
    again = create(token_client, body)
    assert again.status_code == 422 and "уже действует" in again.json()["detail"]
    early = create(
        token_client, {**body, "account": stock.accounts[3].pk, "agreed_on": "2025-08-01"}
    )
    assert early.status_code == 422
    listing = token_client.get(f"/api/v1/debt/plans?account={account.pk}").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == data["id"]
    other = Client(**bearer(stock.other_token))
    assert other.get("/api/v1/debt/plans").json()["count"] == 0
    assert create(other, body).status_code == 404
    assert InstalmentPlan.objects.count() == 1


def test_notices_are_listed_for_their_organization_only(token_client, stock: Stock):
    DebtorNotice.objects.create(
        organization=stock.organization, account=stock.accounts[0], channel=NoticeChannel.LETTER,
        state=NoticeState.PRINTED, reason="Задолженность", debt_kopecks=5000_00, months_overdue=3,
    )  # fmt: skip
    body = token_client.get("/api/v1/debt/notices").json()
    assert body["count"] == 1 and body["items"][0]["debt"] == "5000.00"
    assert Client(**bearer(stock.other_token)).get("/api/v1/debt/notices").json()["count"] == 0


def test_penalty_calculator_gives_the_worked_example(token_client):
    body = {
        "amount": "5000.00",
        "due": "2025-02-10",
        "until": "2025-05-20",
        "payments": [{"day": "2025-05-20", "amount": "5000.00"}],
    }
    response = token_client.post(
        "/api/v1/penalty/calc", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["total"] == "127.88"  # rules.md §3.6 P1, the payment day counted
    assert [s["days"] for s in data["segments"]] == [60, 9]
    excluded = token_client.post(
        "/api/v1/penalty/calc",
        data=json.dumps({**body, "payment_day_counted": False}),
        content_type="application/json",
    )
    assert excluded.json()["total"] == "124.23"
    too_much = token_client.post(
        "/api/v1/penalty/calc",
        data=json.dumps({**body, "payments": [{"day": "2025-05-20", "amount": "6000.00"}]}),
        content_type="application/json",
    )
    assert too_much.status_code == 422 and too_much.json()["detail"]


def test_account_penalty_statement(token_client, stock: Stock):
    from django.utils import timezone

    from raschet.ledger.models import EntryKind, LedgerEntry
    from tests.factories import ServiceFactory

    account = stock.accounts[0]
    LedgerEntry.objects.create(
        organization=stock.organization, account=account,
        service=ServiceFactory(organization=stock.organization), period="2025-01-01",
        corrects_period="2025-01-01", kind=EntryKind.CHARGE, amount_kopecks=5000_00,
        posted_at=timezone.now(),
    )  # fmt: skip
    response = token_client.get(f"/api/v1/accounts/{account.pk}/penalty?until=2025-05-20")
    assert response.status_code == 200, response.content
    data = response.json()
    # unpaid: days 31…99 at the rate on the calculation day (9.5 % fixed in 2025)
    assert data["total"] == "127.88" and data["tranches"][0]["due"] == "2025-02-10"
    assert (
        token_client.get(
            f"/api/v1/accounts/{stock.foreign_account.pk}/penalty?until=2025-05-20"
        ).status_code
        == 404
    )
