"""Debt API: the ageing summary, the debtor list and the collection rate — figures, filters,
pages, tenancy, permissions, bad input and query counts."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.organizations.models import Role
from raschet.organizations.services import membership_grant, roles_sync
from tests.api.conftest import Stock, bearer
from tests.factories import AccountFactory, ServiceFactory

pytestmark = pytest.mark.django_db

JAN = date(2025, 1, 1)
FEB = date(2025, 2, 1)
ON = "2025-03-05"  # January's debt is 1 month overdue, February's not yet due


def post_entry(account, service, period, kopecks, kind=EntryKind.CHARGE, **extra):
    return LedgerEntry.objects.create(
        organization=account.organization,
        account=account,
        service=service,
        payee=account.organization,
        period=period,
        corrects_period=period,
        kind=kind,
        amount_kopecks=kopecks,
        posted_at=timezone.now(),
        **extra,
    )


@pytest.fixture
def debts(stock: Stock):
    """1001 (building 1): water 1 000,00 of January, heating 3 000,00 of February, a penalty
    12,34; 2001 (building 2): heating 500,55 of January, half paid; a foreign account's
    January debt."""
    org = stock.organization
    water = ServiceFactory(organization=org)
    heat = ServiceFactory(organization=org, code="heating", name="Отопление")
    a1, a4 = stock.accounts[0], stock.accounts[3]
    post_entry(a1, water, JAN, 1000_00)
    post_entry(a1, heat, FEB, 3000_00)
    post_entry(a1, water, FEB, 12_34, EntryKind.PENALTY, penalty=True)
    post_entry(a4, heat, JAN, 500_55)
    post_entry(a4, heat, FEB, -250_00, EntryKind.PAYMENT, debt_period=JAN)
    foreign = stock.foreign_account
    post_entry(foreign, ServiceFactory(organization=foreign.organization), JAN, 7777_00)
    return water, heat


def get(client: Client, path: str, **params):
    return client.get(f"/api/v1/debt/{path}", params)


def test_ageing_totals_and_rows(token_client, stock, debts):
    water, heat = debts
    response = get(token_client, "ageing", on=ON)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["on"] == ON and data["by"] == "total" and data["rows"] == []
    assert data["buckets"] == ["not_due", "up_to_3", "from_3_to_6", "from_6_to_12", "over_12"]
    totals = data["totals"]
    assert totals["up_to_3_kopecks"] == 1250_55 and totals["up_to_3"] == "1250.55"
    assert totals["not_due_kopecks"] == 3000_00
    assert totals["penalty"] == "12.34" and totals["overdue"] == "1250.55"
    assert totals["principal_kopecks"] == 4250_55 and totals["advance"] == "0.00"
    by_service = get(token_client, "ageing", on=ON, by="service").json()
    assert {r["key"]: r["figures"]["principal_kopecks"] for r in by_service["rows"]} == {
        water.pk: 1000_00,
        heat.pk: 3250_55,
    }
    by_building = get(token_client, "ageing", on=ON, by="building").json()
    assert {r["label"] for r in by_building["rows"]} == {"ул. Ленина, д. 1", "ул. Ленина, д. 2"}
    only = get(token_client, "ageing", on=ON, building=stock.buildings[1].pk).json()
    assert only["totals"]["up_to_3_kopecks"] == 250_55
    narrowed = get(token_client, "ageing", on=ON, service=water.pk).json()
    assert narrowed["totals"]["principal_kopecks"] == 1000_00
    # 01.03.2026: January 2025 (due 10.02.2025) is 13 months late, February (10.03) 12
    later = get(token_client, "ageing", on="2026-03-01").json()["totals"]
    assert later["over_12_kopecks"] == 1250_55
    assert later["from_6_to_12_kopecks"] == 3000_00


def test_ageing_is_limited_to_the_callers_organizations(stock, debts):
    other = get(Client(**bearer(stock.other_token)), "ageing", on=ON).json()
    assert other["totals"]["principal_kopecks"] == 7777_00
    centre = get(Client(**bearer(stock.centre_token)), "ageing", on=ON).json()
    assert centre["totals"]["principal_kopecks"] == 4250_55  # the organization it serves
    chosen = get(Client(**bearer(stock.token)), "ageing", on=ON, organization=stock.other.pk)
    assert chosen.json()["totals"]["principal_kopecks"] == 0
    foreign = stock.foreign_building.pk
    assert (
        get(Client(**bearer(stock.token)), "ageing", on=ON, building=foreign).json()["totals"][
            "principal_kopecks"
        ]
        == 0
    )


def test_debtors_paginated_with_filters(token_client, stock, debts):
    data = get(token_client, "debtors", on=ON).json()
    assert data["count"] == 2 and data["limit"] == 100 and data["offset"] == 0
    assert [d["account"] for d in data["items"]] == ["1001", "2001"]
    first = data["items"][0]
    assert first["oldest_month"] == "2025-01" and first["months_overdue"] == 1
    assert first["figures"]["overdue"] == "1000.00"
    assert first["figures"]["not_due_kopecks"] == 3000_00
    assert first["figures"]["penalty_kopecks"] == 12_34
    assert first["address"] == "ул. Ленина, д. 1, кв. 1"
    assert data["totals"]["overdue_kopecks"] == 1250_55
    second_page = get(token_client, "debtors", on=ON, limit=1, offset=1).json()
    assert [d["account"] for d in second_page["items"]] == ["2001"]
    assert second_page["count"] == 2 and second_page["totals"] == data["totals"]
    beyond = get(token_client, "debtors", on=ON, offset=50).json()
    assert beyond["items"] == [] and beyond["count"] == 2
    large = get(token_client, "debtors", on=ON, min_amount="250,56").json()
    assert [d["account"] for d in large["items"]] == ["1001"]
    assert get(token_client, "debtors", on=ON, min_months=2).json()["count"] == 0
    assert get(token_client, "debtors", on="2025-05-11", min_months=4).json()["count"] == 2
    building = stock.buildings[1].pk
    assert [
        d["account"] for d in get(token_client, "debtors", on=ON, building=building).json()["items"]
    ] == ["2001"]


def test_collection_per_building_and_month(token_client, stock, debts):
    data = get(token_client, "collection", to="2025-02", months=2).json()
    assert data["months"] == ["2025-01", "2025-02"]
    rows = {r["address"]: r for r in data["rows"]}
    second = rows["ул. Ленина, д. 2"]
    assert second["months"][0] == {
        "charged": "500.55",
        "charged_kopecks": 500_55,
        "paid": "250.00",
        "paid_kopecks": 250_00,
        "rate": "49.95",
    }
    assert second["months"][1]["rate"] is None  # nothing charged for February
    first = rows["ул. Ленина, д. 1"]
    assert [m["charged_kopecks"] for m in first["months"]] == [1000_00, 3000_00]  # no penalty
    assert data["total"]["charged_kopecks"] == 4500_55 and data["total"]["rate"] == "5.55"
    with time_machine.travel("2025-02-20 12:00 +03:00", tick=False):
        default = get(token_client, "collection").json()
    assert len(default["months"]) == 12 and default["months"][-1] == "2025-02"
    early = get(token_client, "collection", to="1900-02", months=36).json()
    assert early["months"] == ["1900-01", "1900-02"]  # no month before 1900


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("ageing", {"on": "2025-13-01"}),
        ("ageing", {"on": "05.03.2025"}),
        ("ageing", {"by": "account"}),
        ("ageing", {"building": 0}),
        ("debtors", {"min_months": -1}),
        ("debtors", {"min_amount": "-5"}),
        ("debtors", {"min_amount": "1.234"}),
        ("debtors", {"limit": 0}),
        ("debtors", {"limit": 501}),
        ("collection", {"months": 37}),
        ("collection", {"months": 0}),
        ("collection", {"to": "2025-1"}),
    ],
)
def test_bad_parameters_are_422(token_client, stock, path, params):
    response = get(token_client, path, **params)
    assert response.status_code == 422, response.content
    assert response.json()["errors"]


def test_extreme_days_answer(token_client, stock, debts):
    for on in ("0001-01-01", "9999-12-31"):
        for path in ("ageing", "debtors"):
            assert get(token_client, path, on=on).status_code == 200, (path, on)
    far = get(token_client, "ageing", on="9999-12-31").json()["totals"]
    assert far["over_12_kopecks"] == 4250_55


def test_sessions_need_the_ledger_permission(stock, debts):
    assert get(Client(), "ageing").status_code == 401
    roles_sync()
    user_model = get_user_model()
    passports = user_model.objects.create_user("passports", password="x", is_staff=True)
    membership_grant(user=passports, organization=stock.organization, role=Role.PASSPORT_OFFICER)
    accountant = user_model.objects.create_user("accountant", password="x", is_staff=True)
    membership_grant(user=accountant, organization=stock.organization, role=Role.ACCOUNTANT)
    refused, allowed = Client(), Client()
    refused.force_login(passports)
    allowed.force_login(accountant)
    for path in ("ageing", "debtors", "collection"):
        response = get(refused, path)
        assert response.status_code == 403 and response.json()["detail"], path
        assert get(allowed, path).status_code == 200, path
    assert get(allowed, "ageing", on=ON).json()["totals"]["principal_kopecks"] == 4250_55


@pytest.mark.parametrize("path", ["ageing?by=building", "debtors?limit=500", "collection"])
def test_queries_do_not_grow_with_rows(token_client, stock, debts, path):
    water, _heat = debts

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert token_client.get(f"/api/v1/debt/{path}&on={ON}").status_code == 200
        return len(ctx.captured_queries)

    path = path if "?" in path else path + "?to=2025-02"
    count()  # the first call of a token also notes when it was used
    few = count()
    for i in range(10):
        account = AccountFactory(premises=stock.premises[i % 3], number=f"5{i:03d}")
        post_entry(account, water, JAN, 100_00 + i)
    assert count() == few
    assert few <= 6
