"""Passport-desk API: registrations and history of an account, register / deregister,
certificates issued and downloaded; another organization's objects answer 404."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from pypdf import PdfReader

from raschet.organizations.models import Role
from raschet.organizations.services import membership_grant
from raschet.registry.models import Certificate, Registration
from tests.api.conftest import Stock, bearer
from tests.factories import PersonFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

CSRF = "k" * 32


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def post(client: Client, url: str, body: dict, **extra):
    return client.post(url, data=json.dumps(body), content_type="application/json", **extra)


def test_register_list_history_and_deregister(token_client, stock: Stock):
    account = stock.accounts[0]
    url = f"/api/v1/accounts/{account.pk}/registrations"
    created = post(
        token_client,
        url,
        {
            "new_person": {
                "last_name": "Орлова",
                "first_name": "Анна",
                "middle_name": "Сергеевна",
                "birth_date": "1990-05-06",
            },
            "kind": "permanent",
            "valid_from": "2025-02-10",
            "relation": "spouse",
            "arrived_from": "г. Псков",
            "document": "заявление ф.6",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    reg = body["registration"]
    assert reg["person"]["full_name"] == "Орлова Анна Сергеевна"
    assert (reg["kind"], reg["relation"], reg["arrived_from"]) == (
        "permanent",
        "spouse",
        "г. Псков",
    )
    assert body["warnings"] == []

    listing = token_client.get(url)
    assert listing.status_code == 200
    assert [r["id"] for r in listing.json()] == [reg["id"]]

    gone = post(
        token_client,
        f"/api/v1/registrations/{reg['id']}/deregister",
        {"on": "2025-06-01", "departed_to": "г. Омск", "reason": "выбыла"},
    )
    assert gone.status_code == 200, gone.content
    assert gone.json()["registration"]["valid_to"] == "2025-06-01"
    history = token_client.get(f"/api/v1/accounts/{account.pk}/household-history").json()
    assert [(e["day"], e["kind"]) for e in history] == [
        ("2025-02-10", "registered"),
        ("2025-06-01", "deregistered"),
    ]
    assert "г. Омск" in history[1]["detail"]


def test_refusals_answer_422_with_the_reason(token_client, stock: Stock):
    account = stock.accounts[0]
    url = f"/api/v1/accounts/{account.pk}/registrations"
    person = PersonFactory(organization=stock.organization)
    no_end = post(
        token_client, url, {"person_id": person.pk, "kind": "temporary", "valid_from": "2025-01-01"}
    )
    assert no_end.status_code == 422
    assert "дату окончания" in no_end.json()["detail"]
    both = post(
        token_client,
        url,
        {
            "person_id": person.pk,
            "new_person": {"last_name": "А", "first_name": "Б"},
            "kind": "permanent",
            "valid_from": "2025-01-01",
        },
    )
    assert both.status_code == 422
    reg = RegistrationFactory(account=account, person=person, valid_from=date(2025, 3, 1))
    early = post(token_client, f"/api/v1/registrations/{reg.pk}/deregister", {"on": "2025-02-01"})
    assert early.status_code == 422 and "позже даты регистрации" in early.json()["detail"]
    bad_date = post(token_client, f"/api/v1/registrations/{reg.pk}/deregister", {"on": "2025-2-1"})
    assert bad_date.status_code == 422
    assert Registration.objects.get(pk=reg.pk).valid_to is None


def test_another_organizations_objects_answer_404(token_client, stock: Stock):
    foreign = stock.foreign_account
    foreign_reg = RegistrationFactory(account=foreign)
    foreign_person = PersonFactory(organization=stock.other)
    assert token_client.get(f"/api/v1/accounts/{foreign.pk}/registrations").status_code == 404
    assert token_client.get(f"/api/v1/accounts/{foreign.pk}/household-history").status_code == 404
    assert (
        post(
            token_client,
            f"/api/v1/accounts/{foreign.pk}/registrations",
            {"person_id": foreign_person.pk, "kind": "permanent", "valid_from": "2025-01-01"},
        ).status_code
        == 404
    )
    # our account, their person
    assert (
        post(
            token_client,
            f"/api/v1/accounts/{stock.accounts[0].pk}/registrations",
            {"person_id": foreign_person.pk, "kind": "permanent", "valid_from": "2025-01-01"},
        ).status_code
        == 404
    )
    assert (
        post(
            token_client, f"/api/v1/registrations/{foreign_reg.pk}/deregister", {"on": "2026-01-01"}
        ).status_code
        == 404
    )
    assert (
        post(
            token_client,
            f"/api/v1/accounts/{foreign.pk}/certificates",
            {"kind": "registration_extract", "on": "2025-06-01"},
        ).status_code
        == 404
    )
    theirs = post(
        Client(**bearer(stock.other_token)),
        f"/api/v1/accounts/{foreign.pk}/certificates",
        {"kind": "registration_extract", "on": "2025-06-01"},
    )
    assert theirs.status_code == 201
    assert token_client.get(theirs.json()["download_url"]).status_code == 404
    assert Registration.objects.get(pk=foreign_reg.pk).valid_to is None


def test_certificate_is_issued_numbered_and_downloaded(token_client, stock: Stock):
    account = stock.accounts[0]
    RegistrationFactory(
        account=account,
        person=PersonFactory(
            organization=stock.organization, last_name="Зуев", first_name="Захар", middle_name=""
        ),
        valid_from=date(2019, 4, 5),
    )
    url = f"/api/v1/accounts/{account.pk}/certificates"
    issued = post(token_client, url, {"kind": "registration_extract", "on": "2025-06-01"})
    assert issued.status_code == 201, issued.content
    body = issued.json()
    year = Certificate.objects.get(pk=body["id"]).year
    assert body["number"] == f"{year}/000001"
    pdf = token_client.get(body["download_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Зуев Захар" in text and "05.04.2019" in text and body["number"] in text

    statement = post(
        token_client,
        url,
        {
            "kind": "account_statement",
            "on": "2025-06-01",
            "period_start": "2025-01",
            "period_end": "2025-03",
        },
    )
    assert statement.status_code == 201 and statement.json()["number"] == f"{year}/000002"
    no_period = post(token_client, url, {"kind": "account_statement", "on": "2025-06-01"})
    assert no_period.status_code == 422 and "период" in no_period.json()["detail"]
    unknown = post(token_client, url, {"kind": "passport", "on": "2025-06-01"})
    assert unknown.status_code == 422


def test_a_staff_user_needs_the_registry_permissions(stock: Stock):
    user = get_user_model().objects.create_user("cashier", password="x", is_staff=True)
    membership_grant(user=user, organization=stock.organization, role=Role.CASHIER)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies["csrftoken"] = CSRF
    account = stock.accounts[0]
    # a cashier sees registrations but neither registers nor issues certificates
    assert client.get(f"/api/v1/accounts/{account.pk}/registrations").status_code == 200
    refused = post(
        client,
        f"/api/v1/accounts/{account.pk}/certificates",
        {"kind": "registration_extract", "on": "2025-06-01"},
        HTTP_X_CSRFTOKEN=CSRF,
    )
    assert refused.status_code == 403
    operator = get_user_model().objects.create_user("op", password="x", is_staff=True)
    membership_grant(user=operator, organization=stock.organization, role=Role.OPERATOR)
    client.force_login(operator)
    client.cookies["csrftoken"] = CSRF
    ok = post(
        client,
        f"/api/v1/accounts/{account.pk}/certificates",
        {"kind": "registration_extract", "on": "2025-06-01"},
        HTTP_X_CSRFTOKEN=CSRF,
    )
    assert ok.status_code == 201, ok.content
    assert Certificate.objects.get().issued_by == operator
