"""rules.md §14: a negative catch-up after averaged months is posted as a reduction."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from raschet.billing.explain import explain_line
from raschet.billing.models import ChargeLine, LineKind
from raschet.billing.services import CATCH_UP_NOTE
from raschet.core.billing import ReductionReason
from raschet.housing.models import Account
from raschet.ledger.models import LedgerEntry
from raschet.scenarios.runner import scenario_run

SCENARIO = Path(__file__).parent.parent / "scenarios" / "catch_up_after_average.yaml"
MARCH = date(2025, 3, 1)


@pytest.mark.django_db
def test_a_negative_catch_up_is_a_reduction_entry_and_the_positive_one_a_charge():
    scenario_run(SCENARIO)
    entries = {}
    for number in ("100001", "100002"):
        account = Account.objects.get(number=number)
        entries[number] = sorted(
            (e.kind, e.amount_kopecks, e.note)
            for e in LedgerEntry.objects.filter(account_id=account.pk, period=MARCH)
        )
    # (160 − 136) − 12 = 12 m³ × 50.93: a charge, no reduction
    assert entries["100001"] == [("charge", 61116, "")]
    # (140 − 136) − 12 = −8 m³ × 50.93 = −407.44: no negative charge, one noted reduction
    assert entries["100002"] == [("reduction", -40744, CATCH_UP_NOTE)]
    line = ChargeLine.objects.get(
        account_id=Account.objects.get(number="100002").pk, period=MARCH, kind=LineKind.CHARGE
    )
    assert (line.amount, line.reduction, line.total) == (0, -40744, -40744)
    assert line.reduction_reasons == ReductionReason.CATCH_UP
    assert "меньше начисленного по среднему" in explain_line(line, unit="м³", service="ХВС")
