"""The portal's building page shows how the fund is kept, the fund statement of the year up
to the last closed month, and the works with what the fund paid for them."""

from __future__ import annotations

import pytest
import time_machine

from raschet.organizations.models import ClosedMonth
from tests.capitalrepair.conftest import DEC, FEB, JAN, Fund
from tests.portal.conftest import resident

pytestmark = pytest.mark.django_db


def page_of(fund: Fund, client):
    return client.get(f"/portal/accounts/{fund.accounts[0].pk}/building/")


@time_machine.travel("2026-03-20 12:00 +0300", tick=False)
def test_the_fund_and_its_year_up_to_the_last_closed_month(fund):
    for month in (DEC, JAN, FEB):
        ClosedMonth.objects.create(organization=fund.org, month=month)
    client = resident("owner@example.ru", fund.accounts[0])
    response = page_of(fund, client)
    assert response.status_code == 200
    year = response.context["fund_year"]
    # January–February 2026: the same figures as the back office's statement
    assert (year.start, year.end) == (JAN, FEB)
    assert year.closing == 2015_50 and year.opening == 400_00
    page = response.content.decode()
    assert 'data-model="regional_pool"' in page
    assert fund.operator.display_name in page
    assert 'id="fund-closing" data-kopecks="201550"' in page
    # the roof: done on 05.02.2026, 450,00 paid from the fund in all
    assert "Ремонт крыши" in page and "05.02.2026" in page
    assert 'data-kopecks="45000"' in page


def test_before_the_first_close_the_fund_is_shown_without_a_statement(fund):
    client = resident("owner@example.ru", fund.accounts[0])
    response = page_of(fund, client)
    assert response.context["fund"] is not None and response.context["fund_year"] is None
    assert 'id="fund-year"' not in response.content.decode()


def test_a_building_without_fund_settings_says_so():
    from tests.factories import AccountFactory

    account = AccountFactory(number="7001")
    client = resident("other@example.ru", account)
    page = client.get(f"/portal/accounts/{account.pk}/building/").content.decode()
    assert 'id="no-fund"' in page
