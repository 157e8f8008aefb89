"""rules.md §14 for heat meters (`raschet.billing.heat_meters.heat_catch_ups`): only the
months the premises was charged at its п.59 average by формула 3(3) are taken off the late
reading's volume — a month billed by the norm of формула 2 (no building-meter volume) charged
no average of the meter and is not."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from raschet.billing.models import ChargeLine
from raschet.billing.services import billing_month_close, billing_run
from raschet.billing.snapshot import load_heat_meters
from raschet.core.billing import Method
from raschet.core.fixedpoint import VOLUME_SCALE
from raschet.core.periods import Month
from raschet.housing.models import Account, Building, Premises
from raschet.metering.models import BuildingMeterReading
from raschet.scenarios.load import scenario_load
from raschet.scenarios.schema import parse_file

pytestmark = pytest.mark.django_db

SCENARIO = Path(__file__).parent.parent / "scenarios" / "heating_meter_catch_up.yaml"


def _bill(org, *periods: date) -> None:
    for period in periods:
        billing_run(organization=org, period=period)
        billing_month_close(organization=org, period=period)


def test_only_the_months_charged_at_the_average_by_formula_3_3_are_taken_off():
    loaded = scenario_load(parse_file(SCENARIO))
    org = loaded.organization
    buildings = list(Building.objects.filter(organization=org).order_by("pk"))
    b1 = buildings[0]
    # no building-meter volume in February for b1: формула 2 (the norm), no average charged
    BuildingMeterReading.objects.filter(
        building_meter__building=b1, period=date(2025, 2, 1)
    ).delete()
    _bill(org, date(2025, 1, 1), date(2025, 2, 1))
    late = Premises.objects.get(building=b1, number="2")
    account = Account.objects.get(premises=late)
    methods = dict(
        ChargeLine.objects.filter(account_id=account.pk).values_list("corrects_period", "method")
    )
    assert methods == {
        date(2025, 1, 1): Method.HEATING_INDIVIDUAL,
        date(2025, 2, 1): Method.HEATING_NORM,
    }
    heat = load_heat_meters([b.pk for b in buildings], Month(2025, 3))
    # b1: January's 3.0 Gcal only; b2: January and February, 6.0 Gcal
    assert heat.catch_up[late.pk] == 3 * VOLUME_SCALE
    other = Premises.objects.get(building=buildings[1], number="2")
    assert heat.catch_up[other.pk] == 6 * VOLUME_SCALE
    assert heat.buildings_catch_up == {b1.pk: 3 * VOLUME_SCALE, buildings[1].pk: 6 * VOLUME_SCALE}
    # the premises read every month has no catch-up
    assert Premises.objects.get(building=b1, number="1").pk not in heat.catch_up
    run = billing_run(organization=org, period=date(2025, 3, 1))
    march = ChargeLine.objects.get(run_id=run.pk, account_id=account.pk)
    # (17 − 9) − 3 = 5.0 Gcal; Σ V_ИПУ 1.5 + 5.0 = 6.5, common 3.5 × 0.46 = 1.61 → 6.61 Gcal
    assert (march.method, march.volume, march.amount) == (
        Method.HEATING_INDIVIDUAL,
        6_610_000,
        1883850,
    )
