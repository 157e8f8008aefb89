"""The yearly heating correction in runs (ПП 354 формула 3(2)): once, idempotent, explained."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from raschet.billing.models import BillingRun, ChargeLine
from raschet.billing.selectors import account_lines
from raschet.billing.services import billing_month_close, billing_run
from raschet.core.billing import Method
from raschet.housing.models import Account
from raschet.scenarios.load import scenario_load
from raschet.scenarios.schema import parse_file

pytestmark = pytest.mark.django_db

SCENARIO = Path(__file__).parent.parent / "scenarios" / "heating_year_correction.yaml"


def _bill(periods, org):
    for period in periods:
        billing_run(organization=org, period=period)
        billing_month_close(organization=org, period=period)


@pytest.fixture
def year_billed():
    scenario = parse_file(SCENARIO)
    loaded = scenario_load(scenario)
    _bill(scenario.periods[:-1], loaded.organization)  # 2024 billed and closed
    return loaded


def test_correction_is_posted_once_and_explained(year_billed):
    org = year_billed.organization
    first = billing_run(organization=org, period=date(2025, 1, 1))
    corrections = ChargeLine.objects.filter(
        run_id=first.pk, method=Method.HEATING_CORRECTION
    ).order_by("account_id")
    assert [(c.corrects_period, c.amount) for c in corrections] == [
        (date(2024, 12, 1), 143370),
        (date(2024, 12, 1), 122130),
    ]
    again = billing_run(organization=org, period=date(2025, 1, 1))
    assert not ChargeLine.objects.filter(run_id=again.pk).exists()  # nothing changed
    account = Account.objects.get(organization=org, number="100001")
    text = next(
        ln.explanation
        for ln in account_lines(account, date(2025, 1, 1))
        if ln.method == Method.HEATING_CORRECTION
    )
    assert text.startswith("Отопление: корректировка за 2024 год (ПП 354 формула 3(2))")
    assert "начислено за год 23\u00a0692,50 ₽" in text
    assert text.endswith("итого корректировка +1\u00a0433,70 ₽")


def test_no_correction_outside_the_correction_month(year_billed):
    org = year_billed.organization
    org.billing_settings = {**(org.billing_settings or {}), "heating_correction_month": 2}
    org.save()
    jan = billing_run(organization=org, period=date(2025, 1, 1))
    assert not ChargeLine.objects.filter(run_id=jan.pk, method=Method.HEATING_CORRECTION)
    billing_month_close(organization=org, period=date(2025, 1, 1))
    feb = billing_run(organization=org, period=date(2025, 2, 1))
    assert ChargeLine.objects.filter(run_id=feb.pk, method=Method.HEATING_CORRECTION).count() == 2


def test_a_year_not_billed_whole_is_not_corrected():
    scenario = parse_file(SCENARIO)
    loaded = scenario_load(scenario)
    org = loaded.organization
    _bill(scenario.periods[6:-1], org)  # only July–December 2024
    run = billing_run(organization=org, period=date(2025, 1, 1))
    assert run.state == "posted"
    assert not ChargeLine.objects.filter(run_id=run.pk, method=Method.HEATING_CORRECTION)
    assert BillingRun.objects.filter(organization=org).count() == 7
