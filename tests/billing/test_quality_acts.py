"""Quality acts under their conditions (rules.md §1.8): what `QualityAct.clean` refuses at
entry, and what `load_acts` gives the billing run — the building's electricity supply, the
heating room temperature, the dead-end main accident, solid-waste removal deviations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from raschet.billing.models import QualityAct
from raschet.billing.snapshot import FactsError, load_acts
from raschet.core.periods import Month
from raschet.tariffs.models import Service
from tests.backoffice.conftest import make_organization, make_stock

JAN = date(2025, 1, 1)


@pytest.fixture
def stock(db):
    return make_stock(make_organization("uk-q", "7707083893"), "г. Тверь, ул. Мира, д. 1", "Q-1")


def act(stock, code: str, **fields) -> QualityAct:
    service = Service.objects.get(organization=stock.organization, code=code)
    return QualityAct(
        organization=stock.organization,
        building=stock.building,
        service=service,
        period=JAN,
        kind=fields.pop("kind", "interruption"),
        **fields,
    )


def units_of(stock, code: str) -> int:
    service = Service.objects.get(organization=stock.organization, code=code)
    facts = load_acts([stock.building.pk], Month.of(JAN))
    return facts.for_line(stock.building.pk, stock.account.pk, service.pk).quality_units


@pytest.mark.parametrize(
    ("code", "fields", "field", "message"),
    [
        ("maintenance", {"events_hours": [30]}, "service", "не предусматривает"),
        ("solid_waste", {"events_hours": [30]}, "temperature_c", "температуру наружного"),
        ("gas", {"events_hours": [30], "dead_end_accident": True}, "dead_end_accident", "воды"),
        ("cold_water", {"events_hours": [30], "temperature_c": Decimal(5)}, "temperature_c", ""),
        ("gas", {"kind": "temperature", "hours": 5, "degrees": 3}, "service", "отопления"),
        ("heating", {"kind": "temperature", "dead_end_accident": True}, "dead_end_accident", ""),
    ],
)
def test_an_act_the_engine_cannot_use_is_refused_at_entry(stock, code, fields, field, message):
    with translation.override("ru"), pytest.raises(ValidationError) as caught:
        act(stock, code, **fields).full_clean()
    errors = caught.value.message_dict
    assert field in errors and message in " ".join(errors[field])


@pytest.mark.parametrize(
    ("code", "fields"),
    [
        ("solid_waste", {"events_hours": [30], "temperature_c": Decimal("-3")}),
        ("cold_water", {"events_hours": [30], "dead_end_accident": True}),
        ("heating", {"events_hours": [10], "temperature_c": Decimal("9.5")}),
        ("electricity", {"events_hours": [5]}),
    ],
)
def test_an_act_with_its_conditions_is_accepted(stock, code, fields):
    act(stock, code, **fields).full_clean()


def test_electricity_limit_follows_the_buildings_supply_sources(stock):
    act(stock, "electricity", events_hours=[5], hours=5).save()
    assert units_of(stock, "electricity") == 0  # one source: 24 h permitted
    stock.building.electricity_two_sources = True
    stock.building.save()
    assert units_of(stock, "electricity") == 15 * 3  # two sources: 2 h; 5 − 2 = 3 h × 0.15 %


def test_heating_room_temperature_and_accident_and_waste_reach_the_run(stock):
    act(stock, "heating", events_hours=[10], temperature_c=Decimal("9")).save()
    act(stock, "cold_water", events_hours=[30], dead_end_accident=True).save()
    act(stock, "solid_waste", events_hours=[30], temperature_c=Decimal("5")).save()
    assert units_of(stock, "heating") == 15 * 6  # +8…+10 °C: 4 h at once; 10 − 4 = 6 h
    assert units_of(stock, "cold_water") == 15 * 6  # accident: 24 h in a row; 30 − 24
    assert units_of(stock, "solid_waste") == 330  # 6 h beyond 24 h → one started 24 h


def test_a_stored_act_the_engine_cannot_use_fails_with_its_name(stock):
    # entered before `clean` refused it (e.g. an import): the run names the act
    act(stock, "solid_waste", events_hours=[30], act_number="7-ТКО").save()
    with pytest.raises(FactsError, match=r"7-ТКО.*наружного воздуха"):
        load_acts([stock.building.pk], Month.of(JAN))
