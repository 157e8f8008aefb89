"""Back-office pages of credit control: the penalty calculator and an account's «расчёт пени»."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from raschet.organizations.models import Role
from raschet.organizations.services import membership_grant, roles_sync
from tests.payments.conftest import books as books  # the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def accountant(books):
    roles_sync()
    user = get_user_model().objects.create_user("acc", password="x", is_staff=True)
    membership_grant(user=user, organization=books.org, role=Role.ACCOUNTANT)
    client = Client()
    client.force_login(user)
    return client


def test_calculator_gives_the_worked_example(accountant):
    page = accountant.get(
        "/office/penalty/calc/",
        {"amount": "5000,00", "due": "2025-02-10", "until": "2025-05-20",
         "payments": "2025-05-20 5000,00"},
    )  # fmt: skip
    assert page.status_code == 200
    assert "127,88" in page.content.decode()


def test_calculator_reports_bad_input(accountant):
    page = accountant.get(
        "/office/penalty/calc/",
        {"amount": "пять", "due": "2025-02-10", "until": "2025-05-20", "payments": "вчера 10"},
    )
    html = page.content.decode()
    assert page.status_code == 200 and "errorlist" in html and "127,88" not in html


def test_account_penalty_page_and_pdf(accountant, books):
    url = f"/office/accounts/{books.account.pk}/penalty/"
    page = accountant.get(url, {"until": "2025-05-31"})
    assert page.status_code == 200
    assert "200,34" in page.content.decode().replace("\xa0", " ")
    pdf = accountant.get(url, {"until": "2025-05-31", "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"


def test_pages_need_the_permission_and_the_organization(books):
    user = get_user_model().objects.create_user("nobody", password="x", is_staff=True)
    client = Client()
    client.force_login(user)
    assert client.get("/office/penalty/calc/").status_code == 403
    assert client.get(f"/office/accounts/{books.account.pk}/penalty/").status_code == 403
