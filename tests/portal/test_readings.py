"""Meter readings in the resident portal (issue 8, point 3): the account's meters with their
last readings, history and chart; a reading sent by the resident is stored by the metering
service with source "portal", and every refusal of that service is shown in Russian with
nothing stored; foreign meters and accounts answer 404."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import cast
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from raschet.housing.models import Account
from raschet.metering.models import Meter, Reading, ReadingSource, ReadingState
from raschet.metering.services import reading_submit
from raschet.organizations.models import ClosedMonth
from raschet.portal.views_readings import consumption_chart
from tests.factories import AccountFactory, PremisesFactory, ServiceFactory

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2025, 6, 20)  # before the default cut-off day (25th): the reading counts for June
NOW = datetime(2025, 6, 20, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _meter(premises, service, serial, zones=1, **kw) -> Meter:
    return Meter.objects.create(
        organization=premises.organization,
        premises=premises,
        service=service,
        serial_number=serial,
        zones=zones,
        installed_on=kw.pop("installed_on", date(2019, 1, 10)),
        **kw,
    )


def _read(meter, values, taken_on):
    return reading_submit(
        meter=meter,
        values={z: D(v) for z, v in values.items()},
        taken_on=taken_on,
        source=ReadingSource.OPERATOR,
        today=taken_on,
        received_on=taken_on,
    )


class Flat:
    """An account opened on 01.03.2025 with a cold-water and a two-zone electricity meter;
    the previous payer's reading of February is on the water meter."""

    def __init__(self) -> None:
        self.premises = PremisesFactory()
        org = self.premises.organization
        self.account = cast(
            Account, AccountFactory(premises=self.premises, opened_on=date(2025, 3, 1))
        )
        self.water_service = ServiceFactory(organization=org)
        self.power_service = ServiceFactory(
            organization=org, code="electricity", name="Электроснабжение", unit="kwh"
        )
        self.water = _meter(self.premises, self.water_service, "W-1")
        self.power = _meter(self.premises, self.power_service, "E-1", zones=2)
        _read(self.water, {"single": "90.000"}, date(2025, 2, 20))  # the previous payer
        for month, value in [(3, "100.500"), (4, "104.000"), (5, "108.250")]:
            _read(self.water, {"single": value}, date(2025, month, 20))
        _read(self.power, {"day": "1000", "night": "500"}, date(2025, 4, 20))
        _read(self.power, {"day": "1100", "night": "540"}, date(2025, 5, 20))

    @property
    def url(self) -> str:
        return f"/portal/accounts/{self.account.pk}/readings/"


@pytest.fixture
def flat() -> Flat:
    return Flat()


def test_list_shows_meters_last_readings_history_and_chart(flat, make_resident):
    client = make_resident("r@example.ru", flat.account)
    response = client.get(flat.url)
    assert response.status_code == 200
    html = response.content.decode()
    cards = response.context["cards"]
    assert [c.meter for c in cards] == [flat.water, flat.power]
    water, power = cards
    # last readings, the Russian way
    assert water.zones[0].last.value == D("108.250")
    assert "108,250" in html and "20.05.2025" in html
    assert [z.last.value for z in power.zones] == [D("1100"), D("540")]
    # history: newest first, with volumes; nothing of the previous payer (February)
    assert [r.period for r in water.history] == [date(2025, m, 1) for m in (5, 4, 3)]
    assert [r.volume for r in water.history] == [D("4.250"), D("3.500"), D("10.500")]
    assert "90,000" not in html and "20.02.2025" not in html
    # the chart: one slot per month since the account opened, bars where a volume exists
    assert 'class="chart"' in html and "<rect" in html
    assert [b.volume for b in water.chart.bars] == [D("10.500"), D("3.500"), D("4.250"), None]
    assert [b.volume for b in power.chart.bars] == [None, None, D("140.000"), None]
    # the forms, and the window
    assert f'id="form-{flat.water.pk}"' in html and f'id="form-{flat.power.pk}"' in html
    assert 'name="value-day"' in html and 'name="value-night"' in html
    assert "Показания учитываются в расчётном месяце 06.2025" in html


def test_meters_of_other_premises_and_removed_before_the_account_are_not_listed(
    flat, make_resident
):
    other = _meter(PremisesFactory(building=flat.premises.building), flat.water_service, "O-1")
    old = _meter(
        flat.premises,
        flat.water_service,
        "OLD",
        installed_on=date(2015, 1, 1),
        removed_on=date(2019, 1, 10),
    )
    response = make_resident("r@example.ru", flat.account).get(flat.url)
    shown = [c.meter for c in response.context["cards"]]
    assert other not in shown and old not in shown and shown == [flat.water, flat.power]


def test_good_reading_is_stored_with_source_portal(flat, make_resident):
    client = make_resident("r@example.ru", flat.account)
    response = client.post(flat.url, {"meter": flat.water.pk, "value-single": "112,75"})
    assert response.status_code == 302 and response["Location"] == flat.url
    reading = Reading.objects.get(meter=flat.water, period=date(2025, 6, 1))
    assert reading.source == ReadingSource.PORTAL == "portal"
    assert reading.value == D("112.750") and reading.volume == D("4.500")
    assert reading.taken_on == TODAY and reading.entered_by == client.user
    assert reading.state == ReadingState.OK
    html = client.get(flat.url).content.decode()
    assert "Холодное водоснабжение № W-1: Принято" in html
    assert "112,750" in html


def test_two_zone_reading_stores_both_zones(flat, make_resident):
    client = make_resident("r@example.ru", flat.account)
    response = client.post(
        flat.url, {"meter": flat.power.pk, "value-day": "1180", "value-night": "575.5"}
    )
    assert response.status_code == 302
    stored = dict(
        Reading.objects.filter(meter=flat.power, period=date(2025, 6, 1)).values_list(
            "zone", "volume"
        )
    )
    assert stored == {"day": D("80.000"), "night": D("35.500")}


def test_far_above_the_average_is_stored_flagged_and_the_resident_told(flat, make_resident):
    client = make_resident("r@example.ru", flat.account)
    response = client.post(flat.url, {"meter": flat.water.pk, "value-single": "200"}, follow=True)
    reading = Reading.objects.get(meter=flat.water, period=date(2025, 6, 1))
    assert reading.state == ReadingState.FLAGGED
    assert "объём намного выше среднего" in response.content.decode()


def test_lower_reading_is_refused_with_the_reason_and_nothing_stored(flat, make_resident):
    before = Reading.objects.count()
    client = make_resident("r@example.ru", flat.account)
    response = client.post(flat.url, {"meter": flat.water.pk, "value-single": "100"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Показание 100,000 меньше предыдущего 108,250 от 20.05.2025" in html
    assert 'value="100"' in html  # what the resident typed is kept
    assert Reading.objects.count() == before


def test_closed_month_is_refused_and_the_form_hidden(flat, make_resident):
    ClosedMonth.objects.create(organization=flat.premises.organization, month=date(2025, 6, 1))
    before = Reading.objects.count()
    client = make_resident("r@example.ru", flat.account)
    page = client.get(flat.url).content.decode()
    assert "Расчётный месяц 06.2025 закрыт" in page and "reading-form" not in page
    response = client.post(flat.url, {"meter": flat.water.pk, "value-single": "110"})
    assert "Расчётный месяц 06.2025 закрыт" in response.content.decode()
    assert Reading.objects.count() == before


def test_closed_account_is_refused(flat, make_resident):
    flat.account.closed_on = date(2025, 6, 1)
    flat.account.save(update_fields=["closed_on"])
    before = Reading.objects.count()
    client = make_resident("r@example.ru", flat.account)
    response = client.post(flat.url, {"meter": flat.water.pk, "value-single": "110"})
    assert f"Лицевой счёт {flat.account.number} закрыт с 01.06.2025" in response.content.decode()
    assert Reading.objects.count() == before


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Укажите показание каждой зоны прибора"),
        ("сто", "укажите показание числом"),
        ("1e999999", "укажите показание числом"),
        ("NaN", "укажите показание числом"),
        ("12" * 11, "укажите показание числом"),  # longer than any meter
        ("-5", "Показание не может быть отрицательным"),
        ("110,1234", "Допускается не более трёх знаков после запятой"),
        ("123456", "Показание 123456,000 превышает разрядность прибора учёта (5)"),
    ],
)
def test_bad_input_is_answered_and_nothing_stored(flat, make_resident, typed, message):
    before = Reading.objects.count()
    client = make_resident("r@example.ru", flat.account)
    response = client.post(flat.url, {"meter": flat.water.pk, "value-single": typed})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Reading.objects.count() == before


def test_missing_zone_is_refused(flat, make_resident):
    client = make_resident("r@example.ru", flat.account)
    response = client.post(flat.url, {"meter": flat.power.pk, "value-day": "1180"})
    assert "Укажите показание каждой зоны прибора" in response.content.decode()
    assert not Reading.objects.filter(meter=flat.power, period=date(2025, 6, 1)).exists()


def test_meter_of_another_account_in_the_post_answers_404(flat, make_resident):
    neighbour = AccountFactory(premises=PremisesFactory(building=flat.premises.building))
    foreign = _meter(neighbour.premises, flat.water_service, "N-1")
    before = Reading.objects.count()
    client = make_resident("r@example.ru", flat.account)
    for meter_id in (foreign.pk, "abc", "", 10**30):
        response = client.post(flat.url, {"meter": meter_id, "value-single": "5"})
        assert response.status_code == 404, meter_id
    assert Reading.objects.count() == before


def test_removed_meter_takes_no_reading(flat, make_resident):
    flat.water.removed_on = date(2025, 6, 1)
    flat.water.save(update_fields=["removed_on"])
    client = make_resident("r@example.ru", flat.account)
    page = client.get(flat.url).content.decode()
    assert f'id="meter-{flat.water.pk}"' in page and f'id="form-{flat.water.pk}"' not in page
    response = client.post(flat.url, {"meter": flat.water.pk, "value-single": "110"})
    assert response.status_code == 404


def test_another_residents_account_answers_404(flat, make_resident):
    make_resident("owner@example.ru", flat.account)
    stranger = make_resident("stranger@example.ru", AccountFactory())
    assert stranger.get(flat.url).status_code == 404
    response = stranger.post(flat.url, {"meter": flat.water.pk, "value-single": "110"})
    assert response.status_code == 404
    assert not Reading.objects.filter(period=date(2025, 6, 1)).exists()


def test_anonymous_is_sent_to_sign_in(flat):
    response = Client().get(flat.url)
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/")
    response = Client().post(flat.url, {"meter": flat.water.pk, "value-single": "110"})
    assert response.status_code == 302
    assert not Reading.objects.filter(period=date(2025, 6, 1)).exists()


def test_account_page_links_to_readings(flat, make_resident):
    html = (
        make_resident("r@example.ru", flat.account)
        .get(f"/portal/accounts/{flat.account.pk}/")
        .content.decode()
    )
    assert f'href="{flat.url}"' in html


def test_query_count_does_not_grow_with_the_history(flat, make_resident):
    client = make_resident("r@example.ru", flat.account)
    with CaptureQueriesContext(connection) as short:
        client.get(flat.url)
    for month in range(6, 13):
        _read(flat.water, {"single": str(110 + month)}, date(2024, month, 20))
    flat.account.opened_on = date(2024, 1, 1)
    flat.account.save(update_fields=["opened_on"])
    with CaptureQueriesContext(connection) as long:
        response = client.get(flat.url)
    assert len(response.context["cards"][0].history) > 3
    assert len(long.captured_queries) == len(short.captured_queries)


def test_chart_bars_are_proportional_to_the_volume():
    months = [date(2025, m, 1) for m in (1, 2, 3)]
    readings = [
        Reading(period=months[0], volume=D("10"), kind="regular", zone="single"),
        Reading(period=months[2], volume=D("5"), kind="regular", zone="day"),
        Reading(period=months[2], volume=D("15"), kind="regular", zone="night"),
        Reading(period=months[1], volume=None, kind="initial", zone="single"),
    ]
    chart = consumption_chart(readings, months)
    assert chart is not None
    first, second, third = chart.bars
    assert third.volume == D("20") and third.height == chart.baseline - 14  # the tallest
    assert first.height == third.height // 2
    assert second.volume is None and second.height == 0
    assert first.y + first.height == chart.baseline
    assert consumption_chart([], months) is None
