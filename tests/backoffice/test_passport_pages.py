"""Back-office passport desk: household page, register / deregister / act forms,
certificates (issue, download, log), permissions and other organizations."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from raschet.organizations.models import ClosedMonth, Role
from raschet.registry.models import Certificate, Registration, TemporaryResidentAct
from tests.backoffice.conftest import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def officer(stock_a):
    return make_staff("passport-a", stock_a.organization, Role.PASSPORT_OFFICER)


def test_household_page_shows_registrations_history_and_links(operator_a, stock_a):
    client = client_for(operator_a)
    card = client.get(reverse("backoffice:account_card", args=[stock_a.account.pk]))
    assert reverse("backoffice:passport_household", args=[stock_a.account.pk]) in card.text
    page = client.get(reverse("backoffice:passport_household", args=[stock_a.account.pk]))
    assert page.status_code == 200
    assert "Иванов Иван Иванович" in page.text
    assert 'id="register-link"' in page.text and 'class="deregister"' in page.text
    assert page.text.count('class="event event-') == 3  # registration, act from, act until


def test_register_a_new_person_and_deregister(operator_a, stock_a):
    client = client_for(operator_a)
    account = stock_a.account
    url = reverse("backoffice:passport_register", args=[account.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "last_name": "Петрова",
            "first_name": "Мария",
            "birth_date": "2015-09-01",
            "kind": "temporary",
            "valid_from": "2025-02-01",
            "valid_to": "2025-08-01",
            "relation": "grandchild",
            "arrived_from": "г. Клин",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    reg = Registration.objects.get(person__last_name="Петрова")
    assert (reg.kind, reg.valid_to, reg.arrived_from) == ("temporary", date(2025, 8, 1), "г. Клин")
    gone = client.post(
        reverse("backoffice:passport_deregister", args=[account.pk, reg.pk]),
        {"on": "2025-05-01", "departed_to": "г. Тула", "reason": "выбыла"},
    )
    assert gone.status_code == 302
    reg.refresh_from_db()
    assert reg.valid_to == date(2025, 5, 1) and reg.departed_to == "г. Тула"


def test_refusals_are_shown_on_the_form(operator_a, stock_a):
    client = client_for(operator_a)
    account = stock_a.account
    url = reverse("backoffice:passport_register", args=[account.pk])
    nobody = client.post(
        url, {"kind": "permanent", "valid_from": "2025-01-01", "relation": "owner"}
    )
    assert nobody.status_code == 200 and "errornote" in nobody.text
    no_end = client.post(
        url,
        {
            "last_name": "Сидоров",
            "first_name": "Сидор",
            "kind": "temporary",
            "valid_from": "2025-01-01",
            "relation": "other",
        },
    )
    assert "укажите дату окончания" in no_end.text
    # the person already registered permanently here, again from a later date
    twice = client.post(
        url,
        {
            "person": stock_a.person.pk,
            "kind": "permanent",
            "valid_from": "2025-01-01",
            "relation": "owner",
        },
    )
    assert "по месту жительства" in twice.text
    early = client.post(
        reverse("backoffice:passport_deregister", args=[account.pk, stock_a.registration.pk]),
        {"on": "2019-01-01"},
    )
    assert "позже даты регистрации" in early.text
    assert Registration.objects.filter(account=account).count() == 1


def test_a_date_in_a_closed_month_is_accepted_with_a_warning(operator_a, stock_a):
    ClosedMonth.objects.create(organization=stock_a.organization, month=date(2025, 1, 1))
    client = client_for(operator_a)
    response = client.post(
        reverse("backoffice:passport_act", args=[stock_a.account.pk]),
        {"persons": 2, "valid_from": "2025-01-10", "valid_to": "2025-03-01", "act_number": "5"},
        follow=True,
    )
    assert response.status_code == 200
    assert "закрытый месяц (01.2025)" in response.text
    assert TemporaryResidentAct.objects.filter(act_number="5", persons=2).exists()


def test_issue_download_and_log_a_certificate(officer, stock_a):
    client = client_for(officer)
    account = stock_a.account
    issued = client.post(
        reverse("backoffice:passport_issue", args=[account.pk]),
        {"kind": "household", "on": "2025-06-01", "person": stock_a.person.pk},
    )
    assert issued.status_code == 302
    cert = Certificate.objects.get()
    assert cert.issued_by == officer and cert.person == stock_a.person
    pdf = client.get(issued["Location"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert cert.number in text and "Иванов Иван Иванович" in text
    log = client.get(reverse("backoffice:passport_certificates"))
    assert log.status_code == 200 and cert.number in log.text
    refused = client.post(
        reverse("backoffice:passport_issue", args=[account.pk]),
        {"kind": "account_statement", "on": "2025-06-01", "period_start": "2025-13"},
    )
    assert refused.status_code == 422 and "2025-13" in refused.text
    assert "ГГГГ-ММ" in refused.text or "YYYY-MM" in refused.text  # Russian first, else English
    assert Certificate.objects.count() == 1


def test_permissions_and_other_organizations(cashier_a, operator_a, stock_a, stock_b):
    cashier = client_for(cashier_a)
    account = stock_a.account
    assert (
        cashier.get(reverse("backoffice:passport_household", args=[account.pk])).status_code == 200
    )
    assert (
        cashier.get(reverse("backoffice:passport_register", args=[account.pk])).status_code == 403
    )
    assert (
        cashier.post(
            reverse("backoffice:passport_issue", args=[account.pk]),
            {"kind": "registration_extract", "on": "2025-06-01"},
        ).status_code
        == 403
    )
    operator = client_for(operator_a)
    foreign = stock_b.account
    for name, args in (
        ("passport_household", [foreign.pk]),
        ("passport_register", [foreign.pk]),
        ("passport_deregister", [foreign.pk, stock_b.registration.pk]),
        ("passport_deregister", [account.pk, stock_b.registration.pk]),
        ("passport_act", [foreign.pk]),
    ):
        assert operator.get(reverse(f"backoffice:{name}", args=args)).status_code == 404, name
    theirs = make_staff("operator-b", stock_b.organization, Role.OPERATOR)
    client_for(theirs).post(
        reverse("backoffice:passport_issue", args=[foreign.pk]),
        {"kind": "registration_extract", "on": "2025-06-01"},
    )
    cert = Certificate.objects.get()
    assert (
        operator.get(reverse("backoffice:passport_certificate", args=[cert.pk])).status_code == 404
    )
    assert cert.number not in operator.get(reverse("backoffice:passport_certificates")).text
