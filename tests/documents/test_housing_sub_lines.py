"""The ЕПД of the golden scenario `housing_sub_lines_social_rent.yaml` (rules.md §2.1): the
housing sub-lines are grouped at the top of the table in the catalogue's order — наём,
содержание, управление, текущий ремонт, then the capital repair — and the social rent, paid
to the municipality by its payee contract, has a payee block of its own."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from raschet.billing.services import billing_month_close, billing_run
from raschet.documents.assemble import documents_data
from raschet.housing.models import Account
from raschet.organizations.models import Organization, OrganizationKind
from raschet.scenarios.load import scenario_load
from raschet.scenarios.schema import parse_text
from raschet.tariffs.models import Service, ServiceContract
from tests.documents.conftest import bank_details

pytestmark = pytest.mark.django_db

MAR = date(2025, 3, 1)
SCENARIO = Path(__file__).parents[1] / "scenarios" / "housing_sub_lines_social_rent.yaml"


def test_the_housing_sub_lines_are_grouped_and_the_rent_goes_to_the_municipality():
    scenario = parse_text(SCENARIO.read_text(encoding="utf-8"), file=SCENARIO.name)
    org = scenario_load(scenario).organization
    Organization.objects.filter(pk=org.pk).update(
        **bank_details("042809701", "АО «Банк Верхневолжье»", "11")
    )
    town = Organization.objects.create(
        code=f"town-{org.pk}",
        kind=OrganizationKind.SUPPLIER,
        name="Администрация города Твери",
        short_name="Администрация г. Твери",
        inn="6901043057",
        kpp="695001001",
        ogrn="1026900590920",
        **bank_details("044525974", "Отделение Тверь", "33"),
    )
    rent = Service.objects.get(organization=org, code="social_rent")
    accounts = {a.number: a for a in Account.objects.filter(organization=org)}
    ServiceContract.objects.create(
        organization=org,
        building_id=accounts["200001"].premises.building_id,
        service=rent,
        payee=town,
        valid_from=date(2020, 1, 1),
    )
    billing_run(organization=org, period=MAR)
    billing_month_close(organization=org, period=MAR)
    tenant, owner = documents_data(
        organization=org, period=MAR, account_ids=[accounts["200001"].pk, accounts["200002"].pk]
    )
    assert [row["service"] for row in tenant.content["lines"]] == [
        "Плата за наём",
        "Содержание жилого помещения",
        "Управление многоквартирным домом",
        "Текущий ремонт общего имущества",
    ]
    assert [row["service"] for row in owner.content["lines"]] == [
        "Содержание жилого помещения",
        "Управление многоквартирным домом",
        "Текущий ремонт общего имущества",
        "Взнос на капитальный ремонт",
    ]
    assert [row["total"] for row in tenant.content["lines"]] == [
        "554,40", "871,27", "196,30", "318,33",
    ]  # fmt: skip
    names = [block["name"] for block in tenant.content["payees"]]
    assert names[1:] == ["Администрация г. Твери"] and len(names) == 2
    assert [block["due"] for block in tenant.content["payees"]] == ["1\u00a0385,90", "554,40"]
    assert [block["name"] for block in owner.content["payees"]] == names[:1]
