"""Quality acts under their conditions (rules.md §1.8): what `QualityAct.clean` refuses at
entry, and what `load_acts` gives the billing run — the building's electricity supply, the
heating room temperature, the dead-end main accident, solid-waste removal deviations — and
how the month's interruption acts of a line are pooled (rules.md §14)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from raschet.billing.models import QualityAct
from raschet.billing.selectors import _limits_of, quality_limits
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


def test_interruption_acts_of_a_line_are_pooled_over_the_month(stock):
    """Three reports of 3 h confirmed as three acts — one of the whole building, two of the
    account: 9 h − 8 h a month = 1 h (rules.md §14), though each act alone is within 8 h."""
    act(stock, "cold_water", events_hours=[3]).save()  # the building's
    assert units_of(stock, "cold_water") == 0
    act(stock, "cold_water", events_hours=[3], account=stock.account).save()
    act(stock, "cold_water", events_hours=[3], account=stock.account).save()
    assert units_of(stock, "cold_water") == 15
    # a draft, a rejected act and an act of another month are not pooled
    act(stock, "cold_water", events_hours=[3], account=stock.account, state="draft").save()
    act(stock, "cold_water", events_hours=[3], account=stock.account, state="rejected").save()
    other = act(stock, "cold_water", events_hours=[3], account=stock.account)
    other.period = date(2025, 2, 1)
    other.save()
    assert units_of(stock, "cold_water") == 15


def test_heating_acts_at_different_room_temperatures_are_pooled(stock):
    # 24 h a month; at once 16 h at +13 °C, 8 h at +11, 4 h at +9 (each act's own):
    # total 26 − 24 = 2, at once 0 + 2 + 2 = 4 → 4 h
    for hours, temperature in ((10, "13"), (10, "11"), (6, "9")):
        act(stock, "heating", events_hours=[hours], temperature_c=Decimal(temperature)).save()
    assert units_of(stock, "heating") == 15 * 4


def test_temperature_acts_add_up_beside_pooled_interruptions(stock):
    act(stock, "heating", kind="temperature", hours=10, degrees=2).save()
    act(stock, "heating", kind="temperature", hours=5, degrees=1, account=stock.account).save()
    act(stock, "heating", events_hours=[14]).save()
    act(stock, "heating", events_hours=[14], account=stock.account).save()
    # 15 × (10 × 2 + 5 × 1) for the temperature; 28 − 24 = 4 h of interruption
    assert units_of(stock, "heating") == 15 * 25 + 15 * 4


def test_the_derivation_names_the_pooled_hours(stock):
    service = Service.objects.get(organization=stock.organization, code="cold_water")
    act(stock, "cold_water", events_hours=[3]).save()
    limits = quality_limits(stock.organization.pk, JAN)
    one = _limits_of(limits, stock.building.pk, stock.account.pk, service.pk)
    assert one == "допустимо 8 ч в месяц и 4 ч подряд"  # a single act: as before
    act(stock, "cold_water", events_hours=[3], account=stock.account).save()
    act(
        stock, "cold_water", events_hours=[20], account=stock.account, dead_end_accident=True
    ).save()
    limits = quality_limits(stock.organization.pk, JAN)
    text = _limits_of(limits, stock.building.pk, stock.account.pk, service.pk)
    assert text == (
        "допустимо 8 ч в месяц и 4 ч подряд; допустимо 24 ч в месяц и 24 ч подряд; "
        "перерывы за месяц сложены (актов: 2): 3 + 3 = 6 ч, сверх допустимого 0 ч"
    )
