"""The operator pages of metering: readings sheet, missing, flagged, verification due."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from raschet.metering.models import Meter, Reading, ReadingState
from raschet.metering.services import reading_submit
from raschet.organizations.models import Role
from raschet.organizations.services import membership_grant
from tests.factories import OrganizationFactory, PremisesFactory, ServiceFactory

pytestmark = pytest.mark.django_db
TODAY = date(2025, 6, 20)


@pytest.fixture(autouse=True)
def _frozen_today():
    with time_machine.travel("2025-06-20 12:00 +03:00", tick=False):
        yield


@pytest.fixture
def meters():
    first = PremisesFactory(number="1")
    org = first.organization
    second = PremisesFactory(number="2", building=first.building)
    service = ServiceFactory(organization=org)
    result = []
    for premises, serial in ((first, "A-1"), (second, "B-2")):
        meter = Meter.objects.create(
            organization=org,
            premises=premises,
            service=service,
            serial_number=serial,
            installed_on=date(2024, 1, 1),
            verification_due=date(2025, 7, 1),
        )
        reading_submit(
            meter=meter,
            values={"single": Decimal("100")},
            taken_on=date(2025, 5, 20),
            received_on=date(2025, 5, 20),
            source="operator",
            today=TODAY,
        )
        result.append(meter)
    return result


@pytest.fixture
def operator(meters, django_user_model, client):
    user = django_user_model.objects.create_user("op", password="x-secret-123")
    membership_grant(user=user, organization=meters[0].organization, role=Role.OPERATOR)
    client.force_login(user)
    return user


def test_sheet_lists_meters_with_previous_readings(meters, operator, client):
    building = meters[0].premises.building
    response = client.get(reverse("backoffice:readings_sheet", args=[building.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "A-1" in html and "B-2" in html
    assert "06.2025" in html  # received today, before the 25th: June
    assert html.index("A-1") < html.index("B-2")


def test_sheet_entry_saves_and_reports_inline(meters, operator, client):
    url = reverse("backoffice:reading_submit", args=[meters[0].pk])
    ok = client.post(
        url, {"value_single": "107,5", "taken_on": "2025-06-20", "received_on": "2025-06-20"}
    )
    assert ok.status_code == 200 and ok.json()["ok"] is True
    assert ok.json()["volumes"]["single"] == "7,500"
    low = client.post(
        url, {"value_single": "50", "taken_on": "2025-06-20", "received_on": "2025-06-20"}
    )
    assert low.status_code == 422
    assert "50,000" in low.json()["message"]
    bad = client.post(url, {"value_single": "abc"})
    assert bad.status_code == 400
    assert Reading.objects.filter(meter=meters[0], period=date(2025, 6, 1)).count() == 1


def test_sheet_entry_of_another_organization_is_404(meters, client, django_user_model):
    stranger = django_user_model.objects.create_user("x", password="x-secret-123")
    membership_grant(user=stranger, organization=OrganizationFactory(), role=Role.OPERATOR)
    client.force_login(stranger)
    url = reverse("backoffice:reading_submit", args=[meters[0].pk])
    assert client.post(url, {"value_single": "107"}).status_code == 404
    sheet = reverse("backoffice:readings_sheet", args=[meters[0].premises.building_id])
    assert client.get(sheet).status_code == 404


def test_cashier_cannot_enter_readings(meters, client, django_user_model):
    cashier = django_user_model.objects.create_user("c", password="x-secret-123")
    membership_grant(user=cashier, organization=meters[0].organization, role=Role.CASHIER)
    client.force_login(cashier)
    url = reverse("backoffice:reading_submit", args=[meters[0].pk])
    assert client.post(url, {"value_single": "107"}).status_code == 403


def test_missing_readings_shrink_as_readings_arrive(meters, operator, client):
    url = reverse("backoffice:readings_missing") + "?period=2025-06"
    html = client.get(url).content.decode()
    assert "A-1" in html and "B-2" in html
    reading_submit(
        meter=meters[0],
        values={"single": Decimal("101")},
        taken_on=TODAY,
        source="operator",
        today=TODAY,
    )
    html = client.get(url).content.decode()
    assert "A-1" not in html and "B-2" in html
    assert (
        "errornote"
        in client.get(reverse("backoffice:readings_missing") + "?period=2025-13").content.decode()
    )


def test_flagged_reading_is_confirmed_from_the_queue(meters, operator, client):
    meter = meters[0]
    for month, value in ((2, "40"), (3, "50"), (4, "60")):
        reading_submit(
            meter=meter,
            values={"single": Decimal(value)},
            taken_on=date(2025, month, 10),
            received_on=date(2025, month, 10),
            source="operator",
            today=TODAY,
        )
    [out] = reading_submit(
        meter=meter,
        values={"single": Decimal("200")},
        taken_on=TODAY,
        source="operator",
        today=TODAY,
    )
    assert out.status == "flagged"
    queue = client.get(reverse("backoffice:readings_flagged")).content.decode()
    assert "A-1" in queue[queue.index('<table id="flagged"') :]
    client.post(reverse("backoffice:reading_confirm", args=[out.reading.pk]))
    out.reading.refresh_from_db()
    assert out.reading.state == ReadingState.CONFIRMED and out.reading.confirmed_by == operator
    after = client.get(reverse("backoffice:readings_flagged")).content.decode()
    table = after[after.index('<table id="flagged"') : after.index("</table>")]
    assert "A-1" not in table


def test_verification_due_window(meters, operator, client):
    html = client.get(reverse("backoffice:verification_due") + "?days=5").content.decode()
    assert "A-1" not in html
    html = client.get(reverse("backoffice:verification_due") + "?days=30").content.decode()
    assert "A-1" in html and "B-2" in html
