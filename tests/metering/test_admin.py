"""Metering admin: readings are append-only, building meter readings go through the service."""

from datetime import date

import pytest
from django.urls import reverse

from raschet.metering.models import BuildingMeter, BuildingMeterReading, Meter
from raschet.organizations.models import ClosedMonth
from tests.factories import BuildingFactory, PremisesFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def building_meter():
    building = BuildingFactory()
    service = ServiceFactory(organization=building.organization, code="heating", unit="gcal")
    return BuildingMeter.objects.create(
        organization=building.organization,
        building=building,
        service=service,
        serial_number="ODPU-7",
        installed_on=date(2020, 1, 1),
    )


def test_building_meter_reading_added_twice_supersedes(admin_client, building_meter):
    url = reverse("admin:metering_buildingmeterreading_add")
    data = {"building_meter": building_meter.pk, "period": "2025-01-15", "volume": "180.5"}
    assert admin_client.post(url, data).status_code == 302
    assert admin_client.post(url, {**data, "volume": "181"}).status_code == 302
    rows = BuildingMeterReading.objects.order_by("pk")
    assert [str(r.volume) for r in rows] == ["180.500", "181.000"]
    assert [r.is_current for r in rows] == [False, True]
    assert rows[1].supersedes == rows[0] and rows[1].period == date(2025, 1, 1)


def test_building_meter_reading_needs_a_value_and_an_open_month(admin_client, building_meter):
    url = reverse("admin:metering_buildingmeterreading_add")
    empty = admin_client.post(url, {"building_meter": building_meter.pk, "period": "2025-01-01"})
    assert empty.status_code == 200 and "errornote" in empty.content.decode()
    ClosedMonth.objects.create(organization=building_meter.organization, month=date(2025, 1, 1))
    closed = admin_client.post(
        url, {"building_meter": building_meter.pk, "period": "2025-01-01", "volume": "1"}
    )
    assert closed.status_code == 200 and "01.2025" in closed.content.decode()
    assert BuildingMeterReading.objects.count() == 0


def test_readings_cannot_be_changed_in_the_admin(admin_client):
    premises = PremisesFactory()
    service = ServiceFactory(organization=premises.organization)
    meter = Meter.objects.create(
        organization=premises.organization,
        premises=premises,
        service=service,
        serial_number="A",
        installed_on=date(2024, 1, 1),
    )
    assert admin_client.get(reverse("admin:metering_reading_add")).status_code == 403
    assert (
        admin_client.get(reverse("admin:metering_meter_change", args=[meter.pk])).status_code == 200
    )
    assert admin_client.get(reverse("admin:metering_reading_changelist")).status_code == 200
