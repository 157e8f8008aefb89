"""The yearly heating correction in runs (ПП 354 формулы 3(2), 3(6)): once, idempotent,
explained."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from raschet.billing.models import BillingRun, ChargeLine
from raschet.billing.selectors import account_lines
from raschet.billing.services import billing_month_close, billing_run
from raschet.core.billing import Method
from raschet.housing.models import Account
from raschet.metering.models import Reading
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


METERED = Path(__file__).parent.parent / "scenarios" / "heating_evenly_individual_meters.yaml"


@pytest.fixture
def metered_year_billed():
    scenario = parse_file(METERED)
    loaded = scenario_load(scenario)
    _bill(scenario.periods[:-1], loaded.organization)  # 2024 billed and closed
    return loaded


def test_metered_correction_is_posted_once_and_explained(metered_year_billed):
    """Формула 3(6) (ПП 354 п.42(1)): every premises metered all of 2024."""
    org = metered_year_billed.organization
    first = billing_run(organization=org, period=date(2025, 1, 1))
    number = dict(Account.objects.filter(organization=org).values_list("pk", "number"))
    corrections = ChargeLine.objects.filter(
        run_id=first.pk, method=Method.HEATING_CORRECTION_METERED
    )
    assert sorted((number[c.account_id], c.corrects_period, c.amount) for c in corrections) == [
        ("100001", date(2024, 12, 1), 84900),
        ("100002", date(2024, 12, 1), 180600),
        ("200001", date(2024, 12, 1), 102450),
        ("200002", date(2024, 12, 1), 163050),
    ]
    assert not ChargeLine.objects.filter(run_id=first.pk, method=Method.HEATING_CORRECTION)
    again = billing_run(organization=org, period=date(2025, 1, 1))
    assert not ChargeLine.objects.filter(run_id=again.pk).exists()  # nothing changed
    account = Account.objects.get(organization=org, number="100001")
    lines = account_lines(account, date(2025, 1, 1))
    text = next(ln.explanation for ln in lines if ln.method == Method.HEATING_CORRECTION_METERED)
    assert text.startswith("Отопление: корректировка за 2024 год (ПП 354 формула 3(6))")
    assert "по прибору учёта тепла помещения 16\u00a0860,00 ₽" in text
    assert "доля общедомового потребления 7\u00a0857,00 ₽" in text
    assert "начислено за год 23\u00a0868,00 ₽" in text
    assert text.endswith("итого корректировка +849,00 ₽")
    month = next(ln for ln in lines if ln.method == Method.HEATING_INDIVIDUAL_EVENLY)
    assert "формула 3(4)" in month.explanation


def test_a_year_with_a_missing_heat_meter_month_is_corrected_by_area(metered_year_billed):
    """One premises of b1 without its June 2024 reading: 2024 is not metered whole, so b1 is
    settled by формула 3(2) (the building meter by area); b2 keeps формула 3(6)."""
    org = metered_year_billed.organization
    premises = Account.objects.get(organization=org, number="100002").premises
    Reading.objects.filter(meter__premises=premises, period=date(2024, 6, 1)).update(
        state="rejected"
    )
    run = billing_run(organization=org, period=date(2025, 1, 1))
    number = dict(Account.objects.filter(organization=org).values_list("pk", "number"))
    by_area = ChargeLine.objects.filter(run_id=run.pk, method=Method.HEATING_CORRECTION)
    # 54 / 100 of (9.8 × 2 850.00 + 6.2 × 3 000.00 = 46 530.00) = 25 126.20 − 23 868.00;
    # 46 / 100: 21 403.80 − 20 007.00 = 1 396.80
    assert {number[c.account_id]: c.amount for c in by_area} == {"100001": 125820, "100002": 139680}
    metered = ChargeLine.objects.filter(run_id=run.pk, method=Method.HEATING_CORRECTION_METERED)
    assert sorted(number[c.account_id] for c in metered) == ["200001", "200002"]
