"""The regional minimum capital repair contribution (rules.md §2.2, ЖК ст.156 ч.8.1): a
capital-repair tariff below the minimum in force is refused by the form and stops a billing
run; the minimums themselves are effective-dated without overlaps (ADR 0002)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from raschet.billing.models import BillingRun
from raschet.billing.services import BillingError, billing_run
from raschet.tariffs.models import CapitalRepairMinimum, Tariff
from raschet.tariffs.selectors import capital_repair_below_minimum
from tests.factories import BuildingFactory, OrganizationFactory, ServiceFactory

pytestmark = pytest.mark.django_db

ACT_2025 = "постановление Правительства края от 10.10.2024 № 700-п"
ACT_2026 = "постановление Правительства края от 09.10.2025 № 800-п"


@pytest.fixture
def region():
    org = OrganizationFactory()
    fund = ServiceFactory(
        organization=org, code="capital_repair", name="Взнос на капитальный ремонт",
        kind="housing", unit="m2", basis="area", metered=False,
    )  # fmt: skip
    CapitalRepairMinimum.objects.create(
        organization=org, rate=Decimal("9.10"), valid_from=date(2025, 1, 1),
        valid_to=date(2026, 1, 1), act=ACT_2025,
    )  # fmt: skip
    CapitalRepairMinimum.objects.create(
        organization=org, rate=Decimal("10.25"), valid_from=date(2026, 1, 1), act=ACT_2026
    )
    return org, fund


def tariff(org, service, rate, start, end=None, **extra):
    extra.setdefault("basis", "per_m2")
    return Tariff(
        organization=org, service=service, rate=Decimal(rate), valid_from=start, valid_to=end,
        **extra,
    )  # fmt: skip


def test_a_tariff_below_the_minimum_is_refused_naming_the_minimum(region):
    org, fund = region
    with pytest.raises(ValidationError) as caught:
        tariff(org, fund, "9.00", date(2025, 1, 1), date(2026, 1, 1)).full_clean()
    message = " ".join(caught.value.message_dict["rate"])
    assert "9,10" in message and "01.01.2025" in message and ACT_2025 in message
    tariff(org, fund, "9.10", date(2025, 1, 1), date(2026, 1, 1)).full_clean()  # equal: fine
    tariff(org, fund, "12.00", date(2025, 1, 1)).full_clean()  # owners may set more


def test_an_open_ended_tariff_is_compared_with_every_later_minimum(region):
    """9,50 ₽ was lawful in 2025 but runs into 2026, when the minimum is 10,25 ₽."""
    org, fund = region
    with pytest.raises(ValidationError) as caught:
        tariff(org, fund, "9.50", date(2025, 1, 1)).full_clean()
    message = " ".join(caught.value.message_dict["rate"])
    assert "10,25" in message and "01.01.2026" in message


def test_only_capital_repair_per_m2_is_compared(region):
    org, fund = region
    water = ServiceFactory(organization=org, code="cold_water")
    Tariff(
        organization=org, service=water, rate=Decimal("1"), valid_from=date(2025, 1, 1)
    ).full_clean()
    tariff(org, fund, "1", date(2025, 1, 1), basis="per_premises").full_clean()


def test_another_organizations_minimum_does_not_count(region):
    _org, _fund = region
    other = OrganizationFactory()
    fund = ServiceFactory(organization=other, code="capital_repair", basis="area", unit="m2")
    tariff(other, fund, "1", date(2025, 1, 1)).full_clean()


def test_minimums_must_not_overlap(region):
    org, _fund = region
    clash = CapitalRepairMinimum(
        organization=org, rate=Decimal("11"), valid_from=date(2026, 7, 1), act="другой акт"
    )
    with pytest.raises(ValidationError, match=r"Overlaps|Пересекается"):
        clash.full_clean()


def test_minimum_overlap_on_postgres_is_a_database_error(region, on_postgres):
    if not on_postgres:
        pytest.skip("exclusion constraints exist on PostgreSQL only; SQLite relies on clean()")
    org, _fund = region
    with pytest.raises(IntegrityError), transaction.atomic():
        CapitalRepairMinimum.objects.create(
            organization=org, rate=Decimal("11"), valid_from=date(2026, 7, 1), act="другой акт"
        )


def test_a_negative_minimum_is_refused_by_the_database(region):
    org, _fund = region
    with pytest.raises(IntegrityError), transaction.atomic():
        CapitalRepairMinimum.objects.create(
            organization=org, rate=Decimal("-1"), valid_from=date(2030, 1, 1), act="акт"
        )


def test_the_selector_finds_the_tariffs_below_the_minimum_of_the_month(region):
    org, fund = region
    house = BuildingFactory(organization=org)
    # saved without clean(): an import, or a tariff entered before the minimum was
    everywhere = tariff(org, fund, "9.50", date(2025, 1, 1))
    everywhere.save()
    own = tariff(org, fund, "12.00", date(2025, 1, 1), building=house)
    own.save()
    assert capital_repair_below_minimum(org.pk, date(2025, 12, 1), date(2026, 1, 1)) == []
    found = capital_repair_below_minimum(org.pk, date(2026, 1, 1), date(2026, 2, 1))
    assert [(t.pk, m.rate) for t, m in found] == [(everywhere.pk, Decimal("10.25"))]


def test_a_billing_run_with_a_tariff_below_the_minimum_fails_clearly(region):
    org, fund = region
    tariff(org, fund, "9.50", date(2025, 1, 1)).save()
    with pytest.raises(BillingError) as caught:
        billing_run(organization=org, period=date(2026, 1, 1))
    message = str(caught.value)
    assert "01.2026" in message and "ЖК ст.156 ч.8.1" in message
    assert "9,50 ₽/м²" in message and "10,25 ₽/м²" in message and ACT_2026 in message
    assert "все дома" in message
    assert not BillingRun.objects.filter(organization=org).exists()
