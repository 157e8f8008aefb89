"""A premises converted to its own heating installation (rules.md §1.5, last row;
`Premises.individual_heating_from`) in runs: a conversion entered after the months were
closed recalculates only the months from the first whole month on, and only that premises."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from raschet.billing.models import ChargeLine
from raschet.billing.services import billing_month_close, billing_run
from raschet.core.billing import Method
from raschet.housing.models import Account, Premises
from raschet.scenarios.load import scenario_load
from raschet.scenarios.schema import parse_file

pytestmark = pytest.mark.django_db

SCENARIO = Path(__file__).parent.parent / "scenarios" / "heating_individual_source.yaml"


def test_a_conversion_entered_late_recalculates_from_its_first_whole_month():
    loaded = scenario_load(parse_file(SCENARIO))
    org = loaded.organization
    converted = Premises.objects.get(organization=org, individual_heating_from=date(2025, 1, 15))
    converted.individual_heating_from = None  # not known yet when January and February close
    converted.save()
    for period in (date(2025, 1, 1), date(2025, 2, 1)):
        billing_run(organization=org, period=period)
        billing_month_close(organization=org, period=period)

    converted.individual_heating_from = date(2025, 2, 1)
    converted.save()
    run = billing_run(organization=org, period=date(2025, 3, 1))
    recalculated = ChargeLine.objects.filter(run_id=run.pk, corrects_period__lt=date(2025, 3, 1))
    number = dict(Account.objects.filter(organization=org).values_list("pk", "number"))
    # February only, premises 1 only: building meter 6.0 Gcal (17 100.00) → the common share
    # 1.0 Gcal (2 850.00); January, before the date, and the neighbour are unchanged
    assert [
        (number[ln.account_id], ln.corrects_period, ln.amount, ln.method) for ln in recalculated
    ] == [("100001", date(2025, 2, 1), -1425000, Method.HEATING_OWN_SOURCE_METER)]
    march = ChargeLine.objects.get(
        run_id=run.pk,
        corrects_period=date(2025, 3, 1),
        account_id=Account.objects.get(organization=org, number="100001").pk,
    )
    # March has no building-meter volume: by the norm, 0.02 × 200 × 50 / 1 000 = 0.2 Gcal
    assert (march.method, march.amount) == (Method.HEATING_OWN_SOURCE_NORM, 57000)


def test_the_yearly_correction_leaves_out_a_premises_heated_individually():
    """формула 3(2) in January 2025: premises 2 heated individually from June 2024 is not
    corrected; premises 1's correction is the same as without the conversion (S_ob whole)."""
    scenario = parse_file(
        Path(__file__).parent.parent / "scenarios" / "heating_year_correction.yaml"
    )
    loaded = scenario_load(scenario)
    org = loaded.organization
    Premises.objects.filter(organization=org, number="2").update(
        individual_heating_from=date(2024, 6, 1)
    )
    for period in scenario.periods[:-1]:  # 2024 billed and closed
        billing_run(organization=org, period=period)
        billing_month_close(organization=org, period=period)
    run = billing_run(organization=org, period=date(2025, 1, 1))
    number = dict(Account.objects.filter(organization=org).values_list("pk", "number"))
    corrections = ChargeLine.objects.filter(run_id=run.pk, method=Method.HEATING_CORRECTION)
    assert [(number[c.account_id], c.amount) for c in corrections] == [("100001", 143370)]
