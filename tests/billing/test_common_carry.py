"""Carry-over of a negative common-property volume (rules.md §1.6): stored at the close."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from raschet.billing.models import CommonCarry
from raschet.billing.services import billing_month_close, billing_run
from raschet.scenarios.load import scenario_load
from raschet.scenarios.schema import parse_file

pytestmark = pytest.mark.django_db

SCENARIO = Path(__file__).parent.parent / "scenarios" / "common_property_carry_over.yaml"


def _bill(org, periods):
    for period in periods:
        billing_run(organization=org, period=period)
        billing_month_close(organization=org, period=period)


def test_the_carry_is_settled_at_each_close_until_used():
    loaded = scenario_load(parse_file(SCENARIO))
    org = loaded.organization
    _bill(org, [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)])
    rows = list(CommonCarry.objects.filter(organization=org).values_list("period", "volume"))
    # −3 after January, −1 after February, used up in March (no row for April)
    assert sorted(rows) == [(date(2025, 2, 1), Decimal(3)), (date(2025, 3, 1), Decimal(1))]


def test_without_the_setting_nothing_is_carried():
    loaded = scenario_load(parse_file(SCENARIO))
    org = loaded.organization
    org.billing_settings = {}
    org.save()
    _bill(org, [date(2025, 1, 1), date(2025, 2, 1)])
    assert not CommonCarry.objects.filter(organization=org).exists()
