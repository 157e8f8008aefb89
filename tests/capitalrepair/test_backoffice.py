"""Back-office pages of the fund: settings and their history, payments for works, the
statement with its downloads; other organizations' buildings, permissions, bad input."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from raschet.capitalrepair.models import CapitalRepairFund, FundModel, FundSpending
from raschet.organizations.models import Role
from raschet.organizations.services import membership_grant
from tests.capitalrepair.conftest import BIC, CORRESPONDENT, EXPECTED, SPECIAL_ACCOUNT, Fund

pytestmark = pytest.mark.django_db

PERMS = (
    "view_capitalrepairfund",
    "add_capitalrepairfund",
    "add_fundspending",
    "view_ledgerentry",
)


def staff(
    organization, *codenames: str, name: str = "operator", role: str = Role.OPERATOR
) -> Client:
    user = get_user_model().objects.create_user(name, password="x", is_staff=True)
    membership_grant(user=user, organization=organization, role=role)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def operator(fund: Fund) -> Client:
    return staff(fund.org, *PERMS)


def url(name: str, fund: Fund) -> str:
    return reverse(f"backoffice:{name}", args=[fund.building.pk])


def test_the_fund_page_shows_the_fund_its_history_and_the_works(fund, operator):
    response = operator.get(url("capitalrepair_fund", fund))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-model="regional_pool"' in page
    assert fund.operator.display_name in page
    assert "Ремонт крыши" in page and 'data-kopecks="45000"' in page
    assert 'id="fund-form"' in page and 'id="spending-form"' in page
    assert response.context["warnings"]  # no payee contract for the contributions


def test_new_settings_from_a_date(fund, operator):
    response = operator.post(
        url("capitalrepair_fund", fund),
        {
            "action": "fund", "fund-valid_from": "2026-07-01",
            "fund-fund_model": FundModel.SPECIAL_ACCOUNT, "fund-service": fund.repair.pk,
            "fund-payee": fund.org.pk, "fund-account_owner": fund.org.pk,
            "fund-bank_name": "ПАО Сбербанк", "fund-bic": BIC,
            "fund-special_account": SPECIAL_ACCOUNT,
            "fund-correspondent_account": CORRESPONDENT, "fund-decision": "протокол № 3",
        },
    )  # fmt: skip
    assert response.status_code == 302
    new = CapitalRepairFund.objects.get(building=fund.building, valid_from=date(2026, 7, 1))
    assert new.special_account == SPECIAL_ACCOUNT and new.account_owner == fund.org
    assert CapitalRepairFund.objects.get(
        building=fund.building, valid_from=date(2014, 1, 1)
    ).valid_to == date(2026, 7, 1)


def test_bad_settings_are_refused_with_the_field_named(fund, operator):
    response = operator.post(
        url("capitalrepair_fund", fund),
        {
            "action": "fund", "fund-valid_from": "2026-07-01",
            "fund-fund_model": FundModel.SPECIAL_ACCOUNT, "fund-service": fund.repair.pk,
            "fund-payee": fund.org.pk, "fund-account_owner": fund.org.pk,
            "fund-bic": BIC, "fund-special_account": "40604810000000000010",
        },
    )  # fmt: skip
    assert response.status_code == 200
    shown = " ".join(str(m) for m in response.context["messages"])
    assert "special_account" in shown
    assert CapitalRepairFund.objects.filter(building=fund.building).count() == 1


def test_a_payment_from_the_fund(fund, operator):
    response = operator.post(
        url("capitalrepair_fund", fund),
        {
            "action": "spending", "spending-work": fund.work.pk,
            "spending-paid_on": "2026-04-02", "spending-amount": "1 234,56",
            "spending-document": "п/п 4",
        },
    )  # fmt: skip
    assert response.status_code == 302
    spending = FundSpending.objects.get(document="п/п 4")
    assert spending.amount_kopecks == 1234_56 and spending.paid_on == date(2026, 4, 2)


@pytest.mark.parametrize("amount", ["abc", "-5", "0", "1,234", "12.345"])
def test_a_bad_amount_is_refused(fund, operator, amount):
    response = operator.post(
        url("capitalrepair_fund", fund),
        {
            "action": "spending", "spending-work": fund.work.pk,
            "spending-paid_on": "2026-04-02", "spending-amount": amount,
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["spending_form"].errors
    assert FundSpending.objects.filter(work=fund.work).count() == 3


def test_the_statement_page_and_its_files(fund, operator):
    query = "?start=2026-01&end=2026-02"
    response = operator.get(url("capitalrepair_statement", fund) + query)
    assert response.status_code == 200
    statement = response.context["statement"]
    assert statement.closing == EXPECTED["closing"]
    page = response.content.decode()
    assert f'data-kopecks="{EXPECTED["closing"]}"' in page
    assert page.count('class="account-row"') == 3

    raw = operator.get(url("capitalrepair_statement_csv", fund) + query)
    assert raw["Content-Type"].startswith("text/csv")
    text = raw.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    summary = {r[0]: r[1] for r in rows if len(r) == 2}
    assert summary["Остаток фонда на конец"] == "2015,50"
    assert summary["Остаток фонда на начало"] == "400,00"
    assert any(r[:2] == ["5003", "3"] for r in rows)
    assert rows[-1][0] == "Итого"

    book = operator.get(url("capitalrepair_statement_xlsx", fund) + query)
    sheet = load_workbook(io.BytesIO(book.content))
    values = {r[0]: r[1] for r in sheet["Фонд"].iter_rows(min_row=4, values_only=True) if r[0]}
    assert str(values["Остаток фонда на конец"]) == "2015.5"
    accounts = list(sheet["Лицевые счета"].iter_rows(min_row=2, values_only=True))
    assert [a[0] for a in accounts] == ["5001", "5002", "5003", "Итого"]


def test_bad_months_are_answered_not_crashed(fund, operator):
    response = operator.get(url("capitalrepair_statement", fund) + "?start=2026-13&end=x")
    assert response.status_code == 200 and response.context["statement"] is None
    assert response.context["form"].errors
    back = operator.get(url("capitalrepair_statement", fund) + "?start=2026-03&end=2026-01")
    assert back.context["form"].errors
    download = operator.get(url("capitalrepair_statement_csv", fund) + "?start=bad")
    assert download.status_code == 302


def test_a_building_without_a_fund_says_so(fund, operator):
    from tests.factories import BuildingFactory

    bare = BuildingFactory(organization=fund.org)
    response = operator.get(
        reverse("backoffice:capitalrepair_statement", args=[bare.pk]) + "?start=2026-01&end=2026-02"
    )
    assert response.status_code == 200 and response.context["statement"].fund is None
    assert 'id="statement-no-fund"' in response.content.decode()
    raw = operator.get(
        reverse("backoffice:capitalrepair_statement_csv", args=[bare.pk])
        + "?start=2026-01&end=2026-02"
    )
    assert "не указан" in raw.content.decode("utf-8-sig")


def test_another_organizations_building_is_not_found(fund):
    stranger = staff(fund.foreign.organization, *PERMS, name="stranger")
    for name in ("capitalrepair_fund", "capitalrepair_statement", "capitalrepair_statement_csv"):
        assert stranger.get(url(name, fund)).status_code == 404


def test_permissions(fund):
    nobody = staff(fund.org, name="nobody", role=Role.PASSPORT_OFFICER)  # no ledger either
    assert nobody.get(url("capitalrepair_fund", fund)).status_code == 403
    assert nobody.get(url("capitalrepair_statement", fund)).status_code == 403
    viewer = staff(fund.org, "view_capitalrepairfund", name="viewer", role=Role.PASSPORT_OFFICER)
    page = viewer.get(url("capitalrepair_fund", fund))
    assert page.status_code == 200 and 'id="fund-form"' not in page.content.decode()
    assert viewer.post(url("capitalrepair_fund", fund), {"action": "fund"}).status_code == 403
    assert viewer.post(url("capitalrepair_fund", fund), {"action": "spending"}).status_code == 403


def test_the_building_list_links_to_the_fund(fund, admin_client):
    page = admin_client.get(reverse("admin:housing_building_changelist"))
    assert url("capitalrepair_fund", fund) in page.content.decode()
