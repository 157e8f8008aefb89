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


def test_notices_page_sends_and_the_card_shows_the_letter(accountant, books):
    page = accountant.post(
        "/office/debt/notices/send/",
        {"organization": books.org.pk, "threshold": "1000", "months": "1", "on": "2025-06-01"},
    )
    assert page.status_code == 200
    assert 'id="notices-report"' in page.content.decode()
    from raschet.debt.models import DebtorNotice

    notice = DebtorNotice.objects.get()
    card = accountant.get(f"/office/accounts/{books.account.pk}/", {"on": "2025-06-01"})
    html = card.content.decode()
    assert 'id="card-credit"' in html and f"/office/debt/notices/{notice.pk}/letter.pdf" in html
    letter = accountant.get(f"/office/debt/notices/{notice.pk}/letter.pdf")
    assert letter.content[:4] == b"%PDF"


def test_a_cashier_cannot_send_notices(books):
    from raschet.organizations.models import Role

    roles_sync()
    user = get_user_model().objects.create_user("cash", password="x", is_staff=True)
    membership_grant(user=user, organization=books.org, role=Role.CASHIER)
    client = Client()
    client.force_login(user)
    assert client.get("/office/debt/notices/send/").status_code == 403
