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
