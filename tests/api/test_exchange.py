"""API v1 exchange with social protection: export file, answer import, the log."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from raschet.api.services import api_token_create
from raschet.exchange.dbf import read_dbf
from raschet.exchange.models import ExchangeRun
from raschet.registry.models import PersonBenefit
from tests.exchange.conftest import bill_and_pay, build_stock
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parents[1] / "exchange" / "data"


@pytest.fixture
def api():
    stock = build_stock()
    _, token = api_token_create(organization=stock.organization, name="szn")
    other = OrganizationFactory()
    _, other_token = api_token_create(organization=other, name="szn")
    return stock, Client(HTTP_AUTHORIZATION=f"Bearer {token}"), other, other_token


def test_export_returns_the_file_and_404_for_another_organization(api):
    stock, client, _other, other_token = api
    bill_and_pay(stock)
    response = client.get(
        "/api/v1/exchange/export", {"organization": stock.organization.pk, "period": "2025-01"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-dbf"
    rows = [r for _, r in read_dbf(response.content).rows()]
    assert rows[0]["FAM"] == "Петров"
    assert ExchangeRun.objects.get(pk=int(response["X-Exchange-Run"])).rows == 2
    foreign = Client(HTTP_AUTHORIZATION=f"Bearer {other_token}")
    assert (
        foreign.get(
            "/api/v1/exchange/export", {"organization": stock.organization.pk, "period": "2025-01"}
        ).status_code
        == 404
    )
    bad = client.get(
        "/api/v1/exchange/export",
        {"organization": stock.organization.pk, "period": "2025-01", "layout": "answer"},
    )
    assert bad.status_code == 422 and "не макет выгрузки" in bad.json()["detail"]


def _post(client, stock, name):
    with (DATA / name).open("rb") as fh:
        return client.post(
            "/api/v1/exchange/import",
            {"organization": stock.organization.pk, "layout": "answer-csv", "file": fh},
        )


def test_import_422_names_file_line_and_field_then_applies_a_good_file(api):
    stock, client, _other, _other_token = api
    bad = _post(client, stock, "answer_bad.csv")
    assert bad.status_code == 422
    errors = bad.json()["errors"]
    assert errors[0]["loc"] == ["answer_bad.csv", 2, "СНИЛС"]
    assert "не сходится контрольное число" in errors[0]["msg"]
    good = _post(client, stock, "answer.csv")
    assert good.status_code == 200
    body = good.json()
    assert (body["direction"], body["state"], body["counts"]["ended"]) == ("import", "done", 1)
    assert PersonBenefit.objects.get(person=stock.veteran).valid_to is not None
    again = _post(client, stock, "answer.csv")
    assert again.status_code == 422 and "уже принят" in again.json()["errors"][0]["msg"]


def test_runs_list_and_detail_are_scoped(api):
    stock, client, other, other_token = api
    _post(client, stock, "answer_bad.csv")
    foreign = ExchangeRun.objects.create(
        organization=other,
        direction="export",
        state="done",
        layout="default",
        file_name="x.dbf",
        sha256="0",
    )
    listed = client.get("/api/v1/exchange/runs").json()
    assert [r["file_name"] for r in listed["items"]] == ["answer_bad.csv"]
    run_id = listed["items"][0]["id"]
    detail = client.get(f"/api/v1/exchange/runs/{run_id}").json()
    assert detail["error_list"][0]["line"] == 2
    assert client.get(f"/api/v1/exchange/runs/{foreign.pk}").status_code == 404
    with (DATA / "answer.csv").open("rb") as fh:
        refused = Client(HTTP_AUTHORIZATION=f"Bearer {other_token}").post(
            "/api/v1/exchange/import", {"organization": stock.organization.pk, "file": fh}
        )
    assert refused.status_code == 404, refused.content
    assert PersonBenefit.objects.get(person=stock.veteran).valid_to is None
