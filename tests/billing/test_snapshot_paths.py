"""The vectorised snapshot and the general builder give the same charges.

Every golden scenario is loaded and billed month by month; before each month is billed, the
month is computed from a batch built the fast way (plain accounts vectorised, the rest by
the general builder) and from one built entirely by the general builder, and every line must
agree on every figure. A scenario whose accounts all take the general path would prove
nothing, so the test also checks that the fast path carried lines.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from raschet.billing.services import billing_month_close, billing_run
from raschet.billing.snapshot import load_batch
from raschet.billing.snapshot_fast import FastLoader
from raschet.core import billing as core
from raschet.core.periods import Month
from raschet.housing.models import Building
from raschet.scenarios.load import scenario_load
from raschet.scenarios.schema import parse_file

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))
FIELDS = (
    "method",
    "volume",
    "coefficient_volume",
    "amount",
    "coefficient_amount",
    "reduction",
    "benefit",
    "benefit_cash",
    "fine",
    "reduction_reasons",
)
META = ("payee_id", "rate", "norm", "persons", "area", "average_months", "segments", "zones")


def _by_key(batch, result):
    out = {}
    for k in range(len(batch)):
        key = (int(batch.meta["account_id"][k]), int(batch.meta["service_id"][k]))
        out[key] = (
            tuple(int(getattr(result, f)[k]) for f in FIELDS)
            + tuple(int(batch.meta[m][k]) for m in META)
            + (batch.notes.get(k, ""),)  # a capital-repair exemption's note
        )
    return out


def _compare(org, period: date) -> int:
    month = Month.of(period)
    buildings = list(Building.objects.filter(organization=org).values_list("pk", flat=True))
    fast = load_batch(organization=org, month=month, building_ids=buildings)
    slow = load_batch(organization=org, month=month, building_ids=buildings, fast=False)
    got = _by_key(
        fast, core.compute(fast.lines, fast.parts, fast.segments, fast.benefits, fast.settings)
    )
    want = _by_key(
        slow, core.compute(slow.lines, slow.parts, slow.segments, slow.benefits, slow.settings)
    )
    assert got == want
    quick = FastLoader(org, month, buildings).build()
    return len(quick.lines.rule)


@pytest.mark.django_db
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_fast_and_general_paths_agree(path):
    scenario = parse_file(path)
    loaded = scenario_load(scenario)
    org = loaded.organization
    changes = defaultdict(list)
    for change in scenario.changes:
        changes[change.after_period].append(change)
    fast_lines = 0
    for period in scenario.periods:
        fast_lines += _compare(org, period)
        billing_run(organization=org, period=period)
        billing_month_close(organization=org, period=period)
        for change in changes.get(period, ()):
            loaded.apply_change(change)
    assert fast_lines >= 0  # counted for the next test; any path may carry a given file


@pytest.mark.django_db
def test_the_fast_path_carries_the_plain_scenarios():
    total = 0
    for path in SCENARIOS:
        scenario = parse_file(path)
        loaded = scenario_load(scenario)
        org = loaded.organization
        buildings = list(Building.objects.filter(organization=org).values_list("pk", flat=True))
        total += len(FastLoader(org, Month.of(scenario.periods[0]), buildings).build().lines.rule)
    assert total > 30


@pytest.mark.django_db
def test_fast_and_general_paths_agree_on_the_demo():
    """The demo has meters with and without readings, broken ones, benefits, absences of
    nobody, building overrides: hundreds of accounts through both paths, two months."""
    from raschet.demo.services import billing_months, demo_build
    from raschet.organizations.models import Organization

    demo_build(accounts=150, seed=3, today=date(2026, 11, 15))
    carried = 0
    owners = set(Building.objects.values_list("organization_id", flat=True))
    for org in Organization.objects.filter(pk__in=owners):
        for period in billing_months(date(2026, 11, 15)):
            carried += _compare(org, period)
    assert carried > 1000


@pytest.mark.django_db
def test_the_demo_has_a_building_exempt_from_capital_repair_by_days():
    """The demo's emergency building: its contributions of the last billed month are charged
    for the days before the 15th and say why (ЖК ст.169 ч.2)."""
    from raschet.billing.models import ChargeLine
    from raschet.capitalrepair.models import CapitalRepairExemption
    from raschet.demo.services import billing_months, demo_build

    today = date(2026, 11, 15)
    demo_build(accounts=150, seed=3, today=today)
    exemption = CapitalRepairExemption.objects.get()
    last = billing_months(today)[-1]
    assert exemption.valid_from == last.replace(day=15)
    lines = ChargeLine.objects.filter(
        corrects_period=last,
        account_id__in=exemption.building.premises.values("accounts"),
        reason__startswith="освобождён от взноса на капремонт с 15.10.2026",
    )
    assert lines.exists()
    assert all("не начислено дней: 17" in line.reason for line in lines)


@pytest.mark.django_db
def test_both_paths_pass_the_rounding_point():
    """The organization's `rounding_point` (rules.md §0, §14 "Rounding") reaches the engine
    by both loaders: the golden line rounded once is 715.94 (715.95 per component) either
    way, and the fast path does carry that line."""
    scenario = parse_file(Path(__file__).parent.parent / "scenarios" / "rounding_line_total.yaml")
    org = scenario_load(scenario).organization
    assert org.billing_settings["rounding_point"] == core.RoundingPoint.LINE
    month = Month.of(scenario.periods[0])
    buildings = list(Building.objects.filter(organization=org).values_list("pk", flat=True))
    assert len(FastLoader(org, month, buildings).build().lines.rule) == 1
    for fast in (True, False):
        batch = load_batch(organization=org, month=month, building_ids=buildings, fast=fast)
        assert batch.settings.rounding_point == core.RoundingPoint.LINE
        result = core.compute(
            batch.lines, batch.parts, batch.segments, batch.benefits, batch.settings
        )
        assert result.total.tolist() == [71594]
