"""Russian number format, and the tariff/norm selectors' choice of rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.template import Context, Template

from raschet.backoffice.numbers import NBSP, ru_number
from raschet.tariffs.models import Norm, Service, Tariff
from raschet.tariffs.selectors import contracts_for, norm_for, norms_for, tariffs_for

D = date


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (Decimal("1234.56"), None, f"1{NBSP}234,56"),
        (Decimal("54.30"), None, "54,30"),
        (Decimal("4.850000"), None, "4,85"),
        (Decimal("0.023400"), None, "0,0234"),
        (Decimal("1234567.005"), 2, f"1{NBSP}234{NBSP}567,01"),  # half-up, not banker's
        (Decimal("-1500"), 2, f"-1{NBSP}500,00"),
        (1234567, None, f"1{NBSP}234{NBSP}567"),
        (0, None, "0"),
        (None, None, "—"),
        ("abc", None, "abc"),
    ],
)
def test_ru_number(value, places, expected) -> None:
    assert ru_number(value, places) == expected


def test_ru_number_filter_in_a_template() -> None:
    template = Template("{% load raschet_format %}{{ v|ru_number }}|{{ v|ru_number:1 }}")
    assert template.render(Context({"v": Decimal("9876.54")})) == (f"9{NBSP}876,54|9{NBSP}876,5")


def _norm(rooms, residents, value, basis="per_person") -> Norm:
    return Norm(rooms=rooms, residents=residents, value=Decimal(value), basis=basis)


@pytest.mark.parametrize(
    ("rooms", "residents", "expected"),
    [
        (1, 1, "101"),
        (2, 3, "203"),
        (2, 7, "203"),  # the largest residents row covers bigger households
        (5, 2, "202"),  # the largest rooms row covers bigger flats
        (None, 0, "101"),  # unknown rooms and nobody: the smallest rows
    ],
)
def test_norm_for_picks_the_table_row(rooms, residents, expected) -> None:
    table = [_norm(r, p, 100 * r + p) for r in (1, 2) for p in (1, 2, 3)]
    table.append(_norm(None, None, "0.5", basis="per_m2_common"))
    chosen = norm_for(table, basis="per_person", rooms=rooms, residents=residents)
    assert chosen is not None
    assert chosen.value == Decimal(expected)
    common = norm_for(table, basis="per_m2_common", rooms=rooms, residents=residents)
    assert common is not None and common.value == Decimal("0.5")
    assert norm_for(table, basis="per_m2", rooms=rooms, residents=residents) is None


def test_exact_row_beats_any_row() -> None:
    table = [_norm(None, None, "3"), _norm(None, 2, "2.5")]
    assert norm_for(table, basis="per_person", rooms=1, residents=2).value == Decimal("2.5")
    assert norm_for(table, basis="per_person", rooms=1, residents=1).value == Decimal("2.5")


def test_building_rows_override_organization_rows(stock_a, stock_b) -> None:
    org, water = stock_a.organization, stock_a.service
    other_building = stock_a.building.__class__.objects.create(
        organization=org, address="г. Тверь, ул. Мира, д. 1", area_total_m2=Decimal(100)
    )
    Tariff.objects.create(
        organization=org,
        service=water,
        building=stock_a.building,
        rate=Decimal("40"),
        valid_from=D(2022, 1, 1),
    )
    Norm.objects.create(
        organization=org,
        service=water,
        building=stock_a.building,
        value=Decimal("3.5"),
        valid_from=D(2022, 1, 1),
    )
    scope = {"organization_id": org.pk, "services": [water], "on": D(2024, 1, 1)}
    here = tariffs_for(building_id=stock_a.building.pk, **scope)
    there = tariffs_for(building_id=other_building.pk, **scope)
    assert [t.rate for t in here[water.pk]] == [Decimal("40")]
    assert [t.rate for t in there[water.pk]] == [Decimal("45.12")]
    assert [n.value for n in norms_for(building_id=stock_a.building.pk, **scope)[water.pk]] == [
        Decimal("3.5")
    ]
    assert [n.value for n in norms_for(building_id=other_building.pk, **scope)[water.pk]] == [
        Decimal("4.85")
    ]
    # Before the building row starts, the organization row applies there too.
    early = {**scope, "on": D(2021, 6, 1)}
    assert [t.rate for t in tariffs_for(building_id=stock_a.building.pk, **early)[water.pk]] == [
        Decimal("45.12")
    ]
    # Another organization's rows never leak in.
    b_water = Service.objects.get(organization=stock_b.organization, code="cold_water")
    assert tariffs_for(building_id=stock_a.building.pk, **{**scope, "services": [b_water]}) == {}
    payees = contracts_for(building_id=stock_a.building.pk, **scope)
    assert payees[water.pk].payee == org


def test_card_shows_the_tariffs_of_the_account_zones():
    from types import SimpleNamespace

    from raschet.backoffice.card import _tariffs_of_zones

    rows = [SimpleNamespace(zone=z) for z in ("single", "day", "night", "peak", "semi_peak")]
    assert [t.zone for t in _tariffs_of_zones(rows, 1)] == ["single"]
    assert [t.zone for t in _tariffs_of_zones(rows, 2)] == ["day", "night"]
    assert [t.zone for t in _tariffs_of_zones(rows, 3)] == ["night", "peak", "semi_peak"]
    only_single = [SimpleNamespace(zone="single")]
    assert _tariffs_of_zones(only_single, 2) == only_single  # a gap stays visible
