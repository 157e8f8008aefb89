"""Exempt periods of a building from the capital-repair contribution (rules.md §2.2; ЖК
ст.169 ч.2, ч.3, ст.170 ч.5.1): the model's checks, the days left out of the charge on both
snapshot paths, the derivation, a whole exempt month, and recompute-and-diff when an
exemption is entered or removed after a month was closed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from raschet.billing.explain import explain_line
from raschet.billing.models import ChargeLine, LineKind
from raschet.billing.services import billing_month_close, billing_run
from raschet.billing.snapshot import load_batch
from raschet.capitalrepair.models import (
    CapitalRepairExemption,
    ExemptionReason,
    FundModel,
)
from raschet.capitalrepair.services import FundError, exemption_record, fund_set
from raschet.core import billing as core
from raschet.core.periods import Month
from raschet.ledger.models import LedgerEntry
from raschet.organizations.models import OrganizationKind
from tests.factories import (
    AccountFactory,
    AccountServiceFactory,
    BuildingFactory,
    OrganizationFactory,
    PremisesFactory,
    ServiceFactory,
    TariffFactory,
)

pytestmark = pytest.mark.django_db

JAN = date(2026, 1, 1)
FEB = date(2026, 2, 1)
MAR = date(2026, 3, 1)


@pytest.fixture
def house():
    """Two buildings of one organization, one flat of 50 m² each, charged maintenance
    (30 ₽/m²) and the capital-repair contribution (12 ₽/m²)."""
    org = OrganizationFactory()
    repair = ServiceFactory(
        organization=org,
        code="capital_repair",
        name="Взнос на капитальный ремонт",
        kind="housing",
        unit="m2",
        basis="area",
        metered=False,
    )
    upkeep = ServiceFactory(
        organization=org,
        code="maintenance",
        name="Содержание жилого помещения",
        kind="housing",
        unit="m2",
        basis="area",
        metered=False,
    )
    TariffFactory(service=repair, rate=Decimal("12.00"), valid_from=date(2025, 1, 1))
    TariffFactory(service=upkeep, rate=Decimal("30.00"), valid_from=date(2025, 1, 1))
    accounts = []
    for _ in range(2):
        building = BuildingFactory(organization=org)
        premises = PremisesFactory(building=building, area_total_m2=Decimal("50.00"))
        account = AccountFactory(premises=premises)
        for service in (repair, upkeep):
            AccountServiceFactory(account=account, service=service, method="norm")
        accounts.append(account)
    return org, repair, upkeep, accounts


def _exempt(building, start, end=None, reason=ExemptionReason.EMERGENCY, **extra):
    return exemption_record(
        building=building, reason=reason, valid_from=start, valid_to=end, **extra
    )


def _line(run, account, service, corrects=None):
    return ChargeLine.objects.get(
        run_id=run.pk,
        account_id=account.pk,
        service_id=service.pk,
        corrects_period=corrects or run.period,
    )


# -- the model ---------------------------------------------------------------------------


def test_a_waiting_time_needs_an_end_and_stays_within_the_law(house):
    building = house[3][0].premises.building
    with pytest.raises(FundError, match="valid_to"):
        _exempt(building, JAN, None, reason=ExemptionReason.NEW_BUILDING)
    # ЖК ст.169 ч.3: at most 8 months; ст.170 ч.5.1: a new building at most 5 years
    with pytest.raises(FundError, match="8"):
        _exempt(building, JAN, date(2026, 9, 2), reason=ExemptionReason.PROGRAMME_WAIT)
    _exempt(building, JAN, date(2026, 9, 1), reason=ExemptionReason.PROGRAMME_WAIT)
    other = BuildingFactory(organization=building.organization)
    with pytest.raises(FundError, match="60"):
        _exempt(other, JAN, date(2031, 1, 2), reason=ExemptionReason.NEW_BUILDING)
    _exempt(other, JAN, date(2031, 1, 1), reason=ExemptionReason.NEW_BUILDING)


def test_an_end_before_the_start_is_refused(house):
    building = house[3][0].premises.building
    with pytest.raises(FundError):
        _exempt(building, FEB, JAN)


def test_overlapping_periods_of_one_building_are_refused(house):
    first, second = (a.premises.building for a in house[3])
    _exempt(first, JAN)
    with pytest.raises(FundError, match=r"01\.01\.2026"):
        _exempt(first, MAR, date(2026, 4, 1), reason=ExemptionReason.LAND_WITHDRAWAL)
    _exempt(second, MAR)  # another building is another key


@pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraint")
def test_the_database_refuses_an_overlap(house):
    building = house[3][0].premises.building
    _exempt(building, JAN, MAR)
    with pytest.raises(IntegrityError), transaction.atomic():
        CapitalRepairExemption.objects.create(
            organization=building.organization,
            building=building,
            reason=ExemptionReason.EMERGENCY,
            valid_from=FEB,
        )


def test_a_building_of_another_organization_is_refused(house):
    org = house[0]
    foreign = BuildingFactory()
    exemption = CapitalRepairExemption(
        organization=org, building=foreign, reason=ExemptionReason.EMERGENCY, valid_from=JAN
    )
    with pytest.raises(ValidationError):
        exemption.full_clean()


# -- billing -----------------------------------------------------------------------------


def test_days_inside_the_month_are_left_out_and_both_paths_agree(house):
    org, repair, upkeep, (a1, a2) = house
    # exempt 10–19 January: 21 of 31 days charged, in two sub-periods
    _exempt(a1.premises.building, date(2026, 1, 10), date(2026, 1, 20), document="акт № 5")
    buildings = [a1.premises.building_id, a2.premises.building_id]
    month = Month.of(JAN)
    results = []
    for fast in (True, False):
        batch = load_batch(organization=org, month=month, building_ids=buildings, fast=fast)
        result = core.compute(
            batch.lines, batch.parts, batch.segments, batch.benefits, batch.settings
        )
        by_key = {
            (int(batch.meta["account_id"][k]), int(batch.meta["service_id"][k])): (
                int(result.amount[k]),
                int(batch.meta["segments"][k]),
                batch.notes.get(k, ""),
            )
            for k in range(len(batch))
        }
        results.append(by_key)
    assert results[0] == results[1]
    amount, segments, note = results[0][(a1.pk, repair.pk)]
    # 50 × 21 / 31 = 33.870968 m²; × 12.00 = 406.451616 → 406.45
    assert (amount, segments) == (406_45, 2)
    assert "с 10.01.2026 по 19.01.2026" in note and "не начислено дней: 10" in note
    assert results[0][(a1.pk, upkeep.pk)] == (1500_00, 1, "")  # maintenance is never exempt
    assert results[0][(a2.pk, repair.pk)] == (600_00, 1, "")  # the other building


def test_the_line_says_why_days_are_not_charged(house):
    org, repair, _, (a1, _) = house
    _exempt(
        a1.premises.building,
        date(2026, 1, 16),
        document="постановление администрации № 12",
        document_date=date(2026, 1, 10),
    )
    run = billing_run(organization=org, period=JAN)
    line = _line(run, a1, repair)
    assert line.kind == LineKind.CHARGE
    assert line.amount == 290_32  # 50 × 15 / 31 × 12.00 = 290.322576
    text = explain_line(line, unit="м²", service="Взнос на капитальный ремонт")
    assert (
        "освобождён от взноса на капремонт с 16.01.2026: дом признан аварийным, "
        "постановление администрации № 12 от 10.01.2026 (ЖК ст.169 ч.2); "
        "не начислено дней: 16"
    ) in text


def test_a_month_exempt_whole_has_no_contribution_line(house):
    org, repair, upkeep, (a1, _) = house
    _exempt(a1.premises.building, date(2025, 12, 1), reason=ExemptionReason.LAND_WITHDRAWAL)
    run = billing_run(organization=org, period=JAN)
    assert not ChargeLine.objects.filter(run_id=run.pk, account_id=a1.pk, service_id=repair.pk)
    assert not LedgerEntry.objects.filter(account=a1, service=repair).exists()
    assert _line(run, a1, upkeep).amount == 1500_00


def test_the_fund_service_is_exempt_too(house):
    """A building whose fund collects on a service of its own (not the catalogue code)."""
    org, repair, _, (a1, _) = house
    own = ServiceFactory(
        organization=org, code="capital_repair_extra", name="Взнос сверх минимума",
        kind="housing", unit="m2", basis="area", metered=False,
    )  # fmt: skip
    TariffFactory(service=own, rate=Decimal("2.00"), valid_from=date(2025, 1, 1))
    AccountServiceFactory(account=a1, service=own, method="norm")
    operator = OrganizationFactory(kind=OrganizationKind.CAPITAL_REPAIR_OPERATOR)
    fund_set(
        building=a1.premises.building,
        fund_model=FundModel.REGIONAL_POOL,
        service=own,
        payee=operator,
        valid_from=date(2025, 1, 1),
    )
    _exempt(a1.premises.building, date(2025, 12, 1))
    run = billing_run(organization=org, period=JAN)
    exempt = ChargeLine.objects.filter(run_id=run.pk, account_id=a1.pk)
    assert not exempt.filter(service_id__in=[repair.pk, own.pk]).exists()


def test_an_exemption_entered_for_a_closed_month_posts_the_difference(house):
    org, repair, upkeep, (a1, a2) = house
    billing_run(organization=org, period=JAN)
    billing_month_close(organization=org, period=JAN)
    # learnt in February: the building was recognised as emergency from 20 January
    _exempt(a1.premises.building, date(2026, 1, 20), document="акт № 3")
    run = billing_run(organization=org, period=FEB)
    recalc = _line(run, a1, repair, corrects=JAN)
    assert recalc.kind == LineKind.RECALCULATION
    # January now 19 days: 50 × 19 / 31 × 12 = 367.741932 → 367.74; posted 600.00
    assert recalc.amount == 367_74 - 600_00
    assert recalc.reason.startswith("освобождён от взноса на капремонт с 20.01.2026")
    assert "акт № 3" in recalc.reason and "не начислено дней: 12" in recalc.reason
    assert "изменён тариф" not in recalc.reason
    # February is exempt whole: no line of its own; nothing else moved
    assert not ChargeLine.objects.filter(
        run_id=run.pk, account_id=a1.pk, service_id=repair.pk, corrects_period=FEB
    ).exists()
    assert not ChargeLine.objects.filter(
        run_id=run.pk, kind=LineKind.RECALCULATION, service_id=upkeep.pk
    ).exists()
    assert not ChargeLine.objects.filter(
        run_id=run.pk, kind=LineKind.RECALCULATION, account_id=a2.pk
    ).exists()
    entries = LedgerEntry.objects.filter(run_id=run.pk, account=a1, service=repair)
    assert sum(e.amount_kopecks for e in entries) == 367_74 - 600_00
    # running February again adds nothing
    again = billing_run(organization=org, period=FEB)
    assert not ChargeLine.objects.filter(run_id=again.pk).exists()


def test_a_whole_closed_month_exempted_later_is_reversed_with_its_reason(house):
    org, repair, _, (a1, _) = house
    billing_run(organization=org, period=JAN)
    billing_month_close(organization=org, period=JAN)
    _exempt(a1.premises.building, date(2025, 6, 1), reason=ExemptionReason.LAND_WITHDRAWAL)
    run = billing_run(organization=org, period=FEB)
    recalc = _line(run, a1, repair, corrects=JAN)
    assert recalc.amount == -600_00
    assert "изымается" in recalc.reason and "не начислено дней: 31" in recalc.reason
    assert "проживающих" not in recalc.reason and "тариф" not in recalc.reason


def test_removing_an_exemption_charges_the_days_back(house):
    org, repair, _, (a1, _) = house
    exemption = _exempt(a1.premises.building, date(2026, 1, 20))
    billing_run(organization=org, period=JAN)
    billing_month_close(organization=org, period=JAN)
    exemption.delete()  # entered by mistake
    run = billing_run(organization=org, period=FEB)
    recalc = _line(run, a1, repair, corrects=JAN)
    assert recalc.amount == 600_00 - 367_74
    assert recalc.reason == "изменилось число дней начисления"
    assert _line(run, a1, repair).amount == 600_00


# -- back office -------------------------------------------------------------------------


def test_the_fund_page_lists_the_exempt_periods_and_records_one(fund):
    from django.urls import reverse

    from tests.capitalrepair.test_backoffice import PERMS, staff

    url = reverse("backoffice:capitalrepair_fund", args=[fund.building.pk])
    reader = staff(fund.org, *PERMS, name="reader")
    page = reader.get(url).content.decode()
    assert 'id="fund-exemptions"' in page and 'id="exemption-form"' not in page
    writer = staff(fund.org, *PERMS, "add_capitalrepairexemption", name="writer")
    form = {
        "action": "exemption",
        "exemption-reason": "emergency",
        "exemption-valid_from": "2026-04-01",
        "exemption-document": "заключение МВК № 4",
        "exemption-document_date": "2026-03-20",
    }
    assert writer.post(url, form).status_code == 302
    row = CapitalRepairExemption.objects.get(building=fund.building)
    assert (row.valid_from, row.valid_to, row.document) == (
        date(2026, 4, 1),
        None,
        "заключение МВК № 4",
    )
    page = writer.get(url).content.decode()
    assert 'data-reason="emergency"' in page and "заключение МВК № 4" in page
    # an overlapping one is refused with the model's message, nothing written
    response = writer.post(url, {**form, "exemption-valid_from": "2026-05-01"}, follow=True)
    assert "01.04.2026" in response.content.decode()
    assert CapitalRepairExemption.objects.filter(building=fund.building).count() == 1
    # without the permission the form is refused
    assert reader.post(url, form).status_code == 403
