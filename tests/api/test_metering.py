"""Metering endpoints: an account's meters and readings, submitting readings."""

from __future__ import annotations

import json
import re
import typing
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from raschet.api.metering_schemas import ZoneCode
from raschet.metering.models import Meter, MeterState, MeterStateChange, Reading
from raschet.metering.selectors import meter_state_on
from raschet.metering.services import reading_submit
from raschet.organizations.models import ClosedMonth, Role
from raschet.organizations.services import membership_grant, roles_sync
from raschet.tariffs.models import Zone
from tests.api.conftest import Stock, bearer
from tests.factories import PremisesFactory, ServiceFactory

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 20)
CYRILLIC = re.compile("[А-Яа-яЁё]")


@pytest.fixture(autouse=True)
def today():
    # noon in Moscow: timezone.localdate() is TODAY
    with time_machine.travel("2025-06-20 09:00:00+00:00", tick=False):
        yield


@dataclass
class Meters:
    water: Meter  # account 1001's premises, 1 zone
    power: Meter  # account 1001's premises, 2 zones
    shared: Meter  # premises of 1002 (closed 2024-07-01) and 1003 (opened 2024-07-01)
    old: Meter  # premises of 1002/1003, removed 2024-03-01: only 1002's
    foreign: Meter  # another organization


def _meter(premises, service, serial, **kw) -> Meter:
    return Meter.objects.create(
        organization=premises.organization,
        premises=premises,
        service=service,
        serial_number=serial,
        installed_on=kw.pop("installed_on", date(2024, 1, 10)),
        **kw,
    )


@pytest.fixture
def meters(stock: Stock) -> Meters:
    org = stock.organization
    water = ServiceFactory(organization=org, code="cold_water", sort_order=10)
    power = ServiceFactory(
        organization=org,
        code="electricity",
        name="Электроснабжение",
        unit="kwh",
        max_zones=3,
        sort_order=20,
    )
    p1, p2, _ = stock.premises
    m_water = _meter(p1, water, "CW-1", verification_due=date(2030, 1, 1), model_name="ВСХ-15")
    m_power = _meter(p1, power, "EL-1", zones=2, integer_digits=6)
    shared = _meter(p2, water, "CW-2", installed_on=date(2020, 1, 1))
    old = _meter(p2, power, "EL-OLD", installed_on=date(2020, 1, 1), removed_on=date(2024, 3, 1))
    foreign_service = ServiceFactory(organization=stock.other, code="cold_water")
    foreign = _meter(stock.foreign_premises, foreign_service, "F-1")
    # broken since 1 June, working again from 1 July: broken today
    MeterStateChange.objects.create(
        organization=org, meter=m_water, state=MeterState.BROKEN, since=date(2025, 6, 1)
    )
    MeterStateChange.objects.create(
        organization=org, meter=m_water, state=MeterState.WORKING, since=date(2025, 7, 1)
    )
    MeterStateChange.objects.create(
        organization=org,
        meter=m_power,
        state=MeterState.VERIFICATION_EXPIRED,
        since=date(2025, 1, 1),
    )
    MeterStateChange.objects.create(
        organization=org, meter=m_power, state=MeterState.WORKING, since=date(2025, 3, 1)
    )
    return Meters(m_water, m_power, shared, old, foreign)


def seed(meter: Meter, value: str | dict, taken_on: date) -> Reading:
    values = value if isinstance(value, dict) else {"single": value}
    outcome, *_ = reading_submit(
        meter=meter,
        values={zone: Decimal(v) for zone, v in values.items()},
        taken_on=taken_on,
        source="operator",
        today=taken_on,
        received_on=taken_on,
    )
    return outcome.reading


def _items(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["items"]


def _post(client: Client, account, body: dict, key: str | None = None, **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(
        f"/api/v1/accounts/{account.pk}/readings",
        data=json.dumps(body),
        content_type="application/json",
        **headers,
        **extra,
    )


def _body(meter: Meter, values: dict | None = None, taken_on: str = "2025-06-18") -> dict:
    return {"meter": meter.pk, "taken_on": taken_on, "values": values or {"single": "130.5"}}


# --- meters -------------------------------------------------------------------------------


def test_meters_of_an_account_with_state_today(stock, meters, token_client):
    rows = _items(token_client.get(f"/api/v1/accounts/{stock.accounts[0].pk}/meters"))
    assert [r["serial_number"] for r in rows] == ["CW-1", "EL-1"]  # by service order
    water, power = rows
    assert water["service_code"] == "cold_water" and water["model_name"] == "ВСХ-15"
    assert water["zones"] == ["single"] and power["zones"] == ["day", "night"]
    assert water["integer_digits"] == 5 and power["integer_digits"] == 6
    assert water["installed_on"] == "2024-01-10" and water["removed_on"] is None
    assert water["verification_due"] == "2030-01-01" and power["verification_due"] is None
    assert water["state"] == "broken"
    assert power["state"] == "working"


def test_meter_states_agree_with_the_metering_selector(stock, meters, token_client):
    MeterStateChange.objects.create(
        organization=stock.organization,
        meter=meters.shared,
        state=MeterState.VERIFICATION_EXPIRED,
        since=TODAY,
    )
    states = {}
    for account in stock.accounts:
        for row in _items(token_client.get(f"/api/v1/accounts/{account.pk}/meters")):
            states[row["id"]] = row["state"]
    assert set(states) == {meters.water.pk, meters.power.pk, meters.shared.pk, meters.old.pk}
    for meter in Meter.objects.filter(pk__in=states):
        assert states[meter.pk] == meter_state_on(meter, TODAY), meter.serial_number
    assert states[meters.old.pk] == "removed"
    assert states[meters.shared.pk] == "verification_expired"


def test_meters_in_use_while_the_account_was_open(stock, meters, token_client):
    _, closed, successor, _ = stock.accounts
    serials = [
        r["serial_number"] for r in _items(token_client.get(f"/api/v1/accounts/{closed.pk}/meters"))
    ]
    assert sorted(serials) == ["CW-2", "EL-OLD"]
    rows = _items(token_client.get(f"/api/v1/accounts/{successor.pk}/meters"))
    assert [r["serial_number"] for r in rows] == ["CW-2"]  # EL-OLD was removed before


def test_meters_pages(stock, meters, token_client):
    url = f"/api/v1/accounts/{stock.accounts[0].pk}/meters"
    first = token_client.get(url, {"limit": 1}).json()
    second = token_client.get(url, {"limit": 1, "offset": 1}).json()
    assert first["count"] == second["count"] == 2
    assert [first["items"][0]["id"], second["items"][0]["id"]] == [
        meters.water.pk,
        meters.power.pk,
    ]


@pytest.mark.parametrize("who", ["token", "session"])
def test_meters_of_another_organizations_account_answer_404(
    stock, meters, token_client, staff_client, who
):
    client = token_client if who == "token" else staff_client
    for url in (
        f"/api/v1/accounts/{stock.foreign_account.pk}/meters",
        f"/api/v1/accounts/{stock.foreign_account.pk}/readings",
        "/api/v1/accounts/999999999/meters",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert CYRILLIC.search(response.json()["detail"])
    other = Client(**bearer(stock.other_token))
    rows = _items(other.get(f"/api/v1/accounts/{stock.foreign_account.pk}/meters"))
    assert [r["id"] for r in rows] == [meters.foreign.pk]


# --- readings -----------------------------------------------------------------------------


@pytest.fixture
def history(meters) -> list[Reading]:
    """Water readings January-May 2025 and a correction of May's."""
    rows = [
        seed(meters.water, value, date(2025, month, 20))
        for month, value in [(1, "100"), (2, "105.5"), (3, "110"), (4, "115"), (5, "120")]
    ]
    rows.append(seed(meters.water, "121.25", date(2025, 5, 21)))  # supersedes May's
    seed(meters.power, {"day": "1000", "night": "500"}, date(2025, 5, 20))
    return rows


def _readings(client, account, **params) -> list[dict]:
    return _items(client.get(f"/api/v1/accounts/{account.pk}/readings", params))


def test_current_readings_newest_first_with_strings(stock, meters, history, token_client):
    rows = _readings(token_client, stock.accounts[0], meter=meters.water.pk)
    assert [r["period"] for r in rows] == ["2025-05", "2025-04", "2025-03", "2025-02", "2025-01"]
    may = rows[0]
    assert may["value"] == "121.250" and may["volume"] == "6.250"
    assert may["id"] == history[-1].pk and may["supersedes_id"] == history[4].pk
    assert may["serial_number"] == "CW-1" and may["zone"] == "single"
    assert may["kind"] == "regular" and may["state"] == "ok" and may["source"] == "operator"
    assert may["taken_on"] == "2025-05-21" and may["is_current"] is True
    assert rows[-1]["volume"] is None  # the first reading has no previous one
    raw = token_client.get(f"/api/v1/accounts/{stock.accounts[0].pk}/readings").content
    assert not re.search(rb'"(value|volume)": [0-9]', raw), raw


def test_all_readings_include_superseded_ones(stock, meters, history, token_client):
    rows = _readings(token_client, stock.accounts[0], meter=meters.water.pk, all="true")
    assert len(rows) == 6
    superseded = [r for r in rows if not r["is_current"]]
    assert [r["id"] for r in superseded] == [history[4].pk]
    assert superseded[0]["value"] == "120.000"


def test_reading_filters(stock, meters, history, token_client):
    account = stock.accounts[0]
    assert len(_readings(token_client, account)) == 7  # five water, two zones of power
    power = _readings(token_client, account, meter=meters.power.pk)
    assert sorted((r["zone"], r["value"]) for r in power) == [
        ("day", "1000.000"),
        ("night", "500.000"),
    ]
    spring = _readings(token_client, account, period_from="2025-03", period_to="2025-04")
    assert [r["period"] for r in spring] == ["2025-04", "2025-03"]
    may = _readings(token_client, account, period_from="2025-05")
    assert [r["period"] for r in may] == ["2025-05"] * 3
    assert _readings(token_client, account, period_from="2025-05", period_to="2025-04") == []
    # a meter of another account is not the account's: no readings, not the other's
    seed(meters.shared, "50", date(2025, 5, 20))
    assert _readings(token_client, account, meter=meters.shared.pk) == []
    assert _readings(token_client, account, meter=meters.foreign.pk) == []


def test_readings_for_the_months_the_account_was_open(stock, meters, token_client):
    _, closed, successor, _ = stock.accounts
    before = seed(meters.shared, "10", date(2024, 6, 20))
    after = seed(meters.shared, "20", date(2024, 7, 20))
    assert [r["id"] for r in _readings(token_client, closed)] == [before.pk]
    assert [r["id"] for r in _readings(token_client, successor)] == [after.pk]


def test_readings_pages(stock, meters, history, token_client):
    url = f"/api/v1/accounts/{stock.accounts[0].pk}/readings"
    seen = []
    for offset in (0, 4):
        body = token_client.get(url, {"limit": 4, "offset": offset}).json()
        assert body["count"] == 7
        seen += [r["id"] for r in body["items"]]
    assert len(seen) == len(set(seen)) == 7


@pytest.mark.parametrize(
    "params",
    [
        {"period_from": "2025-13"},
        {"period_from": "2025-6"},
        {"period_to": "1899-12"},
        {"period_to": "2025-06-01"},
        {"meter": "0"},
        {"meter": str(2**64)},
        {"all": "maybe"},
        {"limit": "501"},
    ],
)
def test_bad_reading_filters_answer_422(stock, token_client, params):
    response = token_client.get(f"/api/v1/accounts/{stock.accounts[0].pk}/readings", params)
    assert response.status_code == 422
    assert [e["loc"][-1] for e in response.json()["errors"]] == list(params)


@pytest.mark.parametrize("path", ["meters", "readings"])
def test_a_repeated_query_parameter_answers_422(stock, meters, token_client, path):
    url = f"/api/v1/accounts/{stock.accounts[0].pk}/{path}?limit=1&limit=2"
    response = token_client.get(url)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["query", "limit"]]


# --- submitting ---------------------------------------------------------------------------


def test_submit_is_accepted_with_the_volume(stock, meters, history, token_client):
    response = _post(token_client, stock.accounts[0], _body(meters.water))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["meter_id"] == meters.water.pk
    [outcome] = body["outcomes"]
    assert outcome["zone"] == "single" and outcome["status"] == "accepted"
    assert outcome["period"] == "2025-06" and outcome["volume"] == "9.250"
    assert CYRILLIC.search(outcome["message"]), outcome["message"]
    reading = Reading.objects.get(pk=outcome["reading_id"])
    assert reading.value == Decimal("130.5") and reading.source == "api"
    assert reading.origin == "api:bank" and reading.entered_by is None
    assert reading.idempotency_key is None


def test_a_late_reading_counts_for_the_next_month(stock, meters, token_client):
    with time_machine.travel("2025-06-26 09:00:00+00:00", tick=False):
        response = _post(token_client, stock.accounts[0], _body(meters.water))
    assert response.json()["outcomes"][0]["period"] == "2025-07"


def test_submit_all_zones_of_a_two_zone_meter(stock, meters, token_client):
    values = {"day": "1500.2", "night": "700"}
    response = _post(token_client, stock.accounts[0], _body(meters.power, values), key="k-2z")
    assert response.status_code == 201, response.content
    outcomes = response.json()["outcomes"]
    assert sorted((o["zone"], o["status"]) for o in outcomes) == [
        ("day", "accepted"),
        ("night", "accepted"),
    ]
    # the replay of a two-zone submission returns both readings
    again = _post(token_client, stock.accounts[0], _body(meters.power, values), key="k-2z")
    assert again.status_code == 200
    assert sorted(o["reading_id"] for o in again.json()["outcomes"]) == sorted(
        o["reading_id"] for o in outcomes
    )


def test_a_zone_missing_is_refused(stock, meters, token_client):
    response = _post(token_client, stock.accounts[0], _body(meters.power, {"day": "1"}))
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "EL-1" in detail and "day, night" in detail
    assert not Reading.objects.filter(meter=meters.power).exists()


def test_a_volume_far_above_the_average_is_flagged(stock, meters, history, token_client):
    response = _post(token_client, stock.accounts[0], _body(meters.water, {"single": "200"}))
    assert response.status_code == 201
    [outcome] = response.json()["outcomes"]
    assert outcome["status"] == "flagged" and outcome["volume"] == "78.750"
    assert Reading.objects.get(pk=outcome["reading_id"]).state == "flagged"


def test_a_lower_reading_is_refused_in_russian(stock, meters, history, token_client):
    count = Reading.objects.count()
    response = _post(token_client, stock.accounts[0], _body(meters.water, {"single": "99.5"}))
    assert response.status_code == 422
    body = response.json()
    assert "меньше предыдущего" in body["detail"], body["detail"]
    assert "99,500" in body["detail"] and "121,250" in body["detail"]
    assert "21.05.2025" in body["detail"]
    assert body["errors"][0]["loc"] == ["body", "values", "single"]
    assert Reading.objects.count() == count


def test_a_reading_from_the_future_is_refused(stock, meters, token_client):
    response = _post(token_client, stock.accounts[0], _body(meters.water, taken_on="2025-06-21"))
    assert response.status_code == 422
    assert "21.06.2025" in response.json()["detail"]
    assert CYRILLIC.search(response.json()["detail"])
    assert not Reading.objects.exists()


def test_a_closed_month_or_removed_meter_or_closed_account_is_refused(stock, meters, token_client):
    ClosedMonth.objects.create(organization=stock.organization, month=date(2025, 6, 1))
    closed_month = _post(token_client, stock.accounts[0], _body(meters.water))
    assert closed_month.status_code == 422 and "06.2025" in closed_month.json()["detail"]
    closed = stock.accounts[1]  # closed on 2024-07-01
    removed = _post(token_client, closed, _body(meters.old, {"day": "1"}, "2024-05-01"))
    assert removed.status_code == 422 and "EL-OLD" in removed.json()["detail"]
    late = _post(token_client, closed, _body(meters.shared, taken_on="2024-07-01"))
    assert late.status_code == 422 and "1002" in late.json()["detail"]
    assert not Reading.objects.exists()


def test_replay_with_the_same_key_writes_nothing(stock, meters, history, token_client):
    first = _post(token_client, stock.accounts[0], _body(meters.water), key="abc-1")
    assert first.status_code == 201
    reading_id = first.json()["outcomes"][0]["reading_id"]
    assert Reading.objects.get(pk=reading_id).idempotency_key == "abc-1"
    count = Reading.objects.count()
    for body in (_body(meters.water), _body(meters.water, {"single": "140"})):
        replay = _post(token_client, stock.accounts[0], body, key="abc-1")
        assert replay.status_code == 200
        [outcome] = replay.json()["outcomes"]
        assert outcome["reading_id"] == reading_id and outcome["status"] == "duplicate"
    assert Reading.objects.count() == count


def test_the_same_value_without_a_key_is_stored_once(stock, meters, token_client):
    first = _post(token_client, stock.accounts[0], _body(meters.water))
    second = _post(token_client, stock.accounts[0], _body(meters.water))
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["outcomes"][0]["status"] == "duplicate"
    assert second.json()["outcomes"][0]["reading_id"] == first.json()["outcomes"][0]["reading_id"]
    assert Reading.objects.count() == 1


def test_a_new_value_for_the_month_is_a_correction(stock, meters, history, token_client):
    first = _post(token_client, stock.accounts[0], _body(meters.water))
    fixed = _post(token_client, stock.accounts[0], _body(meters.water, {"single": "131"}))
    assert fixed.status_code == 201
    [outcome] = fixed.json()["outcomes"]
    assert outcome["status"] == "corrected" and outcome["volume"] == "9.750"
    old_id = first.json()["outcomes"][0]["reading_id"]
    assert Reading.objects.get(pk=old_id).is_current is False
    rows = _readings(token_client, stock.accounts[0], period_from="2025-06", all="true")
    assert [(r["id"], r["supersedes_id"]) for r in rows] == [
        (outcome["reading_id"], old_id),
        (old_id, None),
    ]


def test_a_key_used_for_another_meter_is_a_conflict(stock, meters, token_client):
    assert _post(token_client, stock.accounts[0], _body(meters.water), key="k1").status_code == 201
    values = {"day": "1", "night": "2"}
    response = _post(token_client, stock.accounts[0], _body(meters.power, values), key="k1")
    assert response.status_code == 409
    assert CYRILLIC.search(response.json()["detail"])
    assert not Reading.objects.filter(meter=meters.power).exists()


def test_a_concurrent_write_is_a_conflict_not_an_error(stock, meters, token_client, monkeypatch):
    def collide(**kwargs):
        raise IntegrityError("reading_idempotency_key")

    monkeypatch.setattr("raschet.api.metering.reading_submit", collide)
    response = _post(token_client, stock.accounts[0], _body(meters.water), key="race")
    assert response.status_code == 409
    assert CYRILLIC.search(response.json()["detail"])


def test_a_billing_centre_submits_for_the_organizations_it_serves(stock, meters):
    centre = Client(**bearer(stock.centre_token))
    response = _post(centre, stock.accounts[0], _body(meters.water))
    assert response.status_code == 201
    assert Reading.objects.get().origin == "api:exchange"
    assert _post(centre, stock.foreign_account, _body(meters.foreign)).status_code == 404


def test_a_meter_of_another_account_or_organization_answers_404(stock, meters, token_client):
    for account, meter in [
        (stock.accounts[0], meters.shared),  # same organization, another account's premises
        (stock.accounts[0], meters.foreign),  # another organization
        (stock.foreign_account, meters.foreign),  # the account itself is not visible
        (stock.accounts[2], meters.old),  # removed before the account was opened
    ]:
        response = _post(token_client, account, _body(meter))
        assert response.status_code == 404, (account.number, meter.serial_number)
    assert not Reading.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"values": {"single": 130.5}}, "single"),  # a JSON number
        ({"values": {"single": "130.5001"}}, "single"),
        ({"values": {"single": "-1"}}, "single"),
        ({"values": {"single": "1e3"}}, "single"),
        ({"values": {"single": "1,5"}}, "single"),
        ({"values": {"single": "1" * 13}}, "single"),
        ({"values": {"total": "1"}}, "total"),
        ({"values": {}}, "values"),
        ({"taken_on": "2025-6-18"}, "taken_on"),
        ({"taken_on": 20250618}, "taken_on"),
        ({"taken_on": "2025-02-30"}, "taken_on"),
        ({"meter": "x"}, "meter"),
        ({"meter": 2**64}, "meter"),
    ],
)
def test_bad_bodies_answer_422(stock, meters, token_client, change, field):
    body = {**_body(meters.water), **change}
    response = _post(token_client, stock.accounts[0], body)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"][0]["loc"]
    assert not Reading.objects.exists()


@pytest.mark.parametrize("key", ["", "a:b", "ключ", "k" * 91])
def test_bad_idempotency_keys_answer_422(stock, meters, token_client, key):
    response = _post(token_client, stock.accounts[0], _body(meters.water), key=key)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][-1] == "Idempotency-Key"


def test_the_longest_key_fits_every_zone(stock, meters, token_client):
    key = "k" * 90
    values = {"day": "1", "night": "2"}
    response = _post(token_client, stock.accounts[0], _body(meters.power, values), key=key)
    assert response.status_code == 201
    assert Reading.objects.filter(idempotency_key=f"{key}:night").exists()


def test_not_json_answers_400_or_422(stock, meters, token_client):
    response = token_client.post(
        f"/api/v1/accounts/{stock.accounts[0].pk}/readings",
        data="{not json",
        content_type="application/json",
    )
    assert response.status_code in (400, 422)
    assert not Reading.objects.exists()


def test_submit_needs_authentication(stock, meters):
    response = _post(Client(), stock.accounts[0], _body(meters.water))
    assert response.status_code in (401, 403)
    assert not Reading.objects.exists()


# --- sessions -----------------------------------------------------------------------------

CSRF = "k" * 32


def _with_csrf(client: Client) -> dict:
    client.cookies["csrftoken"] = CSRF
    return {"HTTP_X_CSRFTOKEN": CSRF}


def test_a_session_needs_the_csrf_token(stock, meters, staff_client):
    refused = _post(staff_client, stock.accounts[0], _body(meters.water))
    assert refused.status_code == 403
    assert not Reading.objects.exists()
    accepted = _post(
        staff_client, stock.accounts[0], _body(meters.water), **_with_csrf(staff_client)
    )
    assert accepted.status_code == 201, accepted.content
    reading = Reading.objects.get()
    assert reading.entered_by.username == "operator" and reading.origin == "api:operator"


def test_a_session_needs_the_permission_to_add_readings(stock, meters):
    roles_sync()
    user = get_user_model().objects.create_user("accountant", password="x", is_staff=True)
    membership_grant(user=user, organization=stock.organization, role=Role.ACCOUNTANT)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    csrf = _with_csrf(client)
    assert client.get(f"/api/v1/accounts/{stock.accounts[0].pk}/readings").status_code == 200
    response = _post(client, stock.accounts[0], _body(meters.water), **csrf)
    assert response.status_code == 403
    assert "CSRF" not in response.json()["detail"]
    assert not Reading.objects.exists()
    # an operator of the same organization may
    operator = get_user_model().objects.create_user("op2", password="x", is_staff=True)
    membership_grant(user=operator, organization=stock.organization, role=Role.OPERATOR)
    client.force_login(operator)
    csrf = _with_csrf(client)
    assert _post(client, stock.accounts[0], _body(meters.water), **csrf).status_code == 201


def test_a_session_cannot_submit_to_another_organization(stock, meters):
    roles_sync()
    user = get_user_model().objects.create_user("op3", password="x", is_staff=True)
    membership_grant(user=user, organization=stock.organization, role=Role.OPERATOR)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = _post(client, stock.foreign_account, _body(meters.foreign), **_with_csrf(client))
    assert response.status_code == 404


# --- query counts -------------------------------------------------------------------------


def _queries(client, method, url, **kw) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(url, **kw)
        assert response.status_code in (200, 201), response.content
    return len(ctx.captured_queries)


def test_list_query_counts_do_not_grow_with_rows(stock, meters, history, token_client):
    account = stock.accounts[0]
    urls = [f"/api/v1/accounts/{account.pk}/meters", f"/api/v1/accounts/{account.pk}/readings"]
    token_client.get("/api/v1/organizations")  # the token's last-use write, once a minute
    before = [_queries(token_client, "get", url) for url in urls]
    service = meters.water.service
    for n in range(5):
        meter = _meter(account.premises, service, f"CW-X{n}")
        MeterStateChange.objects.create(
            organization=stock.organization, meter=meter, state="broken", since=date(2025, 1, 1)
        )
        seed(meter, "10", date(2025, 4, 20))
        seed(meter, "12", date(2025, 5, 20))
    after = [_queries(token_client, "get", url) for url in urls]
    assert after == before
    assert max(after) <= 4  # token + account + count + page


def test_submit_query_count_does_not_grow_with_history(stock, meters, token_client):
    token_client.get("/api/v1/organizations")
    account = stock.accounts[0]
    seed(meters.water, "100", date(2025, 1, 20))
    short = _queries(
        token_client,
        "post",
        f"/api/v1/accounts/{account.pk}/readings",
        data=json.dumps(_body(meters.water)),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="q1",
    )
    other = _meter(PremisesFactory(building=stock.buildings[0]), meters.water.service, "Q-2")
    for month in range(1, 13):
        seed(other, str(100 + month), date(2024, month, 20))
    for month in range(1, 6):
        seed(other, str(120 + month), date(2025, month, 20))
    other_account = other.premises.accounts.create(
        organization=stock.organization, number="7001", opened_on=date(2020, 1, 1)
    )
    long = _queries(
        token_client,
        "post",
        f"/api/v1/accounts/{other_account.pk}/readings",
        data=json.dumps(_body(other, {"single": "130"})),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="q2",
    )
    assert long == short
    # token, account, meter, key; the service's ~10 (checks, insert, history row)
    assert short <= 15, short


# --- schema -------------------------------------------------------------------------------


def test_zone_codes_of_the_schema_are_the_tariff_zones():
    assert set(typing.get_args(ZoneCode)) == set(Zone.values)


def test_openapi_documents_strings_and_the_idempotency_key():
    schema = json.loads(Client().get("/api/v1/openapi.json").content)
    post = schema["paths"]["/api/v1/accounts/{account_id}/readings"]["post"]
    assert {"200", "201", "403", "404", "409", "422"} <= set(post["responses"])
    [header] = [p for p in post["parameters"] if p["in"] == "header"]
    assert header["name"] == "Idempotency-Key" and header["required"] is False
    values = schema["components"]["schemas"]["ReadingSubmitIn"]["properties"]["values"]
    assert values["additionalProperties"]["type"] == "string"
    reading = schema["components"]["schemas"]["ReadingOut"]["properties"]
    assert reading["value"]["type"] == "string" and "pattern" in reading["value"]
