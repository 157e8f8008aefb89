from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from raschet.tariffs.catalogue import CATALOGUE_CODES
from raschet.tariffs.models import Service, Tariff
from raschet.tariffs.services import services_install_catalogue
from tests.factories import (
    AccountServiceFactory,
    BuildingFactory,
    OrganizationFactory,
    ServiceFactory,
    TariffFactory,
)

pytestmark = pytest.mark.django_db


def test_catalogue_is_installed_once_with_glossary_codes():
    org = OrganizationFactory()
    services = services_install_catalogue(organization=org)
    codes = {s.code for s in services}
    assert codes == CATALOGUE_CODES
    assert {"cold_water", "electricity", "common_electricity", "solid_waste"} <= codes
    services_install_catalogue(organization=org)
    assert Service.objects.filter(organization=org).count() == len(CATALOGUE_CODES)
    assert Service.objects.get(organization=org, code="electricity").max_zones == 3


def test_overlapping_tariff_is_refused_but_building_override_is_not():
    first = TariffFactory(valid_from=date(2025, 1, 1), valid_to=date(2025, 7, 1))
    clash = Tariff(
        organization=first.organization,
        service=first.service,
        rate=Decimal("52.00"),
        valid_from=date(2025, 6, 1),
    )
    with pytest.raises(ValidationError):
        clash.full_clean()
    Tariff(
        organization=first.organization,
        service=first.service,
        rate=Decimal("52.00"),
        valid_from=date(2025, 7, 1),
    ).full_clean()
    building = BuildingFactory(organization=first.organization)
    Tariff(
        organization=first.organization,
        service=first.service,
        building=building,
        rate=Decimal("48.00"),
        valid_from=date(2025, 6, 1),
    ).full_clean()


def test_tariff_overlap_on_postgres_is_a_database_error(on_postgres):
    if not on_postgres:
        pytest.skip("exclusion constraints exist on PostgreSQL only; SQLite relies on clean()")
    first = TariffFactory(valid_from=date(2025, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Tariff.objects.create(
            organization=first.organization,
            service=first.service,
            rate=Decimal("1"),
            valid_from=date(2026, 1, 1),
        )


def test_negative_rate_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        TariffFactory(rate=Decimal("-1"))


def test_unmetered_service_cannot_be_by_meter():
    link = AccountServiceFactory.build(account=AccountServiceFactory().account, method="meter")
    link.organization = link.account.organization
    link.service = ServiceFactory(
        organization=link.organization, code="maintenance", unit="m2", basis="area", metered=False
    )
    with pytest.raises(ValidationError) as exc:
        link.full_clean()
    assert "method" in exc.value.message_dict


def test_zones_above_service_maximum_are_refused():
    link = AccountServiceFactory()
    link.zones = 2
    with pytest.raises(ValidationError) as exc:
        link.full_clean()
    assert "zones" in exc.value.message_dict
