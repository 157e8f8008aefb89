from datetime import date
from decimal import Decimal

import pytest

from raschet.metering.models import Meter, MeterState, Reading, ReadingKind, ReadingState
from raschet.metering.selectors import average_volume, meter_state_on
from raschet.metering.services import (
    ReadingRejected,
    meter_replace,
    meter_state_set,
    reading_confirm,
    reading_submit,
)
from raschet.organizations.models import ClosedMonth
from tests.factories import PremisesFactory, ServiceFactory

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2025, 6, 20)


@pytest.fixture
def meter():
    premises = PremisesFactory()
    service = ServiceFactory(organization=premises.organization)
    return Meter.objects.create(
        organization=premises.organization,
        premises=premises,
        service=service,
        serial_number="X-1",
        installed_on=date(2024, 1, 10),
        integer_digits=5,
    )


def submit(meter, value, taken_on, today=TODAY, **kw):
    return reading_submit(
        meter=meter,
        values={"single": D(value)},
        taken_on=taken_on,
        source="operator",
        today=today,
        received_on=taken_on,
        **kw,
    )


def test_first_reading_then_volume(meter):
    submit(meter, "100.000", date(2025, 1, 20))
    [outcome] = submit(meter, "107.000", date(2025, 2, 20))
    assert outcome.status == "accepted"
    assert outcome.reading.volume == D("7.000")
    assert outcome.reading.period == date(2025, 2, 1)


def test_lower_reading_is_rejected_with_both_values(meter):
    submit(meter, "100.000", date(2025, 1, 20))
    with pytest.raises(ReadingRejected, match=r"99,500.*100,000.*20\.01\.2025"):
        submit(meter, "99.500", date(2025, 2, 20))
    assert Reading.objects.count() == 1


def test_rollover_is_accepted(meter):
    submit(meter, "99999.000", date(2025, 1, 20))
    [outcome] = submit(meter, "2.000", date(2025, 2, 20))
    assert outcome.status == "rollover"
    assert outcome.reading.volume == D("3.000")
    assert outcome.reading.state == ReadingState.ROLLOVER


def test_high_volume_is_flagged_then_confirmed(meter, django_user_model):
    for month, value in [(1, "100"), (2, "105"), (3, "110"), (4, "115")]:
        submit(meter, value, date(2025, month, 20))
    assert average_volume(meter, "single", date(2025, 5, 1)) == D(5)
    [outcome] = submit(meter, "160", date(2025, 5, 20))
    assert outcome.status == "flagged"
    user = django_user_model.objects.create_user("op", password="x-secret-123")
    confirmed = reading_confirm(reading=outcome.reading, user=user)
    assert confirmed.state == ReadingState.CONFIRMED and confirmed.confirmed_by == user


def test_same_reading_twice_is_stored_once(meter):
    submit(meter, "100.000", date(2025, 1, 20))
    [again] = submit(meter, "100.000", date(2025, 1, 21))
    assert again.status == "duplicate"
    assert Reading.objects.count() == 1


def test_correction_supersedes_and_keeps_the_old_row(meter):
    submit(meter, "100.000", date(2025, 1, 10))
    [first] = submit(meter, "110.000", date(2025, 2, 10))
    [fixed] = submit(meter, "108.000", date(2025, 2, 12))
    assert fixed.status == "corrected"
    first.reading.refresh_from_db()
    assert not first.reading.is_current and first.reading.value == D("110.000")
    assert fixed.reading.supersedes == first.reading
    assert Reading.objects.filter(is_current=True).count() == 2


def test_future_reading_is_rejected(meter):
    with pytest.raises(ReadingRejected, match=r"будущем|future"):
        submit(meter, "1", date(2025, 6, 21))


def test_closed_month_is_rejected(meter):
    ClosedMonth.objects.create(organization=meter.organization, month=date(2025, 3, 1))
    with pytest.raises(ReadingRejected, match=r"закрыт|closed"):
        submit(meter, "1", date(2025, 3, 10))


def test_late_reading_counts_for_next_month(meter):
    [outcome] = submit(meter, "5", date(2025, 3, 26))
    assert outcome.reading.period == date(2025, 4, 1)


def test_removed_meter_is_rejected(meter):
    meter.removed_on = date(2025, 2, 1)
    meter.save()
    with pytest.raises(ReadingRejected, match="X-1"):
        submit(meter, "1", date(2025, 2, 10))


def test_wrong_zones_and_bad_values(meter):
    with pytest.raises(ReadingRejected, match="X-1"):
        reading_submit(
            meter=meter,
            values={"day": D(1), "night": D(1)},
            taken_on=TODAY,
            source="api",
            today=TODAY,
        )
    with pytest.raises(ReadingRejected):
        submit(meter, "-1", date(2025, 1, 10))
    with pytest.raises(ReadingRejected):
        submit(meter, "1.0001", date(2025, 1, 10))


@pytest.mark.parametrize("value", ["1E+999999", "NaN", "Infinity", "-Infinity", "sNaN"])
def test_values_beyond_any_meter_are_refused_not_crashed(meter, value):
    with pytest.raises(ReadingRejected):
        submit(meter, value, date(2025, 1, 10))
    assert not meter.readings.exists()


def test_idempotency_key_returns_the_first_result(meter):
    [a] = submit(meter, "10", date(2025, 1, 10), idempotency_key="k-1")
    [b] = submit(meter, "10", date(2025, 1, 10), idempotency_key="k-1")
    assert b.status == "duplicate" and b.reading.pk == a.reading.pk
    assert Reading.objects.count() == 1


def test_two_zone_meter(meter):
    meter.zones = 2
    meter.service.max_zones = 3
    meter.service.save()
    meter.save()
    out = reading_submit(
        meter=meter,
        values={"day": D("10"), "night": D("4")},
        taken_on=date(2025, 1, 10),
        source="api",
        today=TODAY,
    )
    assert {o.zone for o in out} == {"day", "night"}


def test_replacement_keeps_final_and_initial(meter):
    submit(meter, "500", date(2025, 1, 10))
    new = meter_replace(
        old=meter,
        on=date(2025, 2, 15),
        final_values={"single": D("503")},
        serial_number="Y-2",
        initial_values={"single": D("0.5")},
        today=TODAY,
    )
    meter.refresh_from_db()
    assert meter.removed_on == date(2025, 2, 15) and new.replaces == meter
    assert Reading.objects.get(meter=meter, kind=ReadingKind.FINAL).value == D("503")
    assert Reading.objects.get(meter=new, kind=ReadingKind.INITIAL).value == D("0.5")
    # the new meter's first reading counts from its initial value, not the old meter's
    [outcome] = submit(new, "3.5", date(2025, 3, 10))
    assert outcome.reading.volume == D("3.000")


def test_state_changes_are_dated(meter):
    meter_state_set(meter=meter, state=MeterState.BROKEN, since=date(2025, 3, 5))
    assert meter_state_on(meter, date(2025, 3, 4)) == MeterState.WORKING
    assert meter_state_on(meter, date(2025, 3, 5)) == MeterState.BROKEN
    with pytest.raises(ValueError):
        meter_state_set(meter=meter, state=MeterState.REMOVED, since=date(2025, 4, 1))


def test_building_meter_volume_supersedes(meter):
    from raschet.metering.models import BuildingMeter, BuildingMeterReading
    from raschet.metering.services import building_reading_submit

    bm = BuildingMeter.objects.create(
        organization=meter.organization,
        building=meter.premises.building,
        service=meter.service,
        serial_number="ODPU-1",
        installed_on=date(2020, 1, 1),
    )
    first = building_reading_submit(
        building_meter=bm, period=date(2025, 1, 15), source="operator", volume=D("180")
    )
    same = building_reading_submit(
        building_meter=bm, period=date(2025, 1, 1), source="operator", volume=D("180")
    )
    assert same.pk == first.pk and first.period == date(2025, 1, 1)
    fixed = building_reading_submit(
        building_meter=bm, period=date(2025, 1, 1), source="operator", volume=D("181.5")
    )
    assert fixed.supersedes == first
    assert BuildingMeterReading.objects.filter(is_current=True).get() == fixed
    with pytest.raises(ReadingRejected):
        building_reading_submit(building_meter=bm, period=date(2025, 2, 1), source="operator")


def test_idempotency_key_replay_with_another_value_changes_nothing(meter):
    [a] = submit(meter, "10", date(2025, 1, 10), idempotency_key="k-2")
    [b] = submit(meter, "11", date(2025, 1, 10), idempotency_key="k-2")
    assert b.status == "duplicate" and b.reading.pk == a.reading.pk
    assert Reading.objects.get().value == D("10")


def test_first_reading_beyond_capacity_is_rejected(meter):
    with pytest.raises(ReadingRejected, match="100000,000"):
        submit(meter, "100000", date(2025, 1, 10))


def test_flagging_threshold_is_an_organization_setting(meter):
    for month, value in [(1, "100"), (2, "105"), (3, "110")]:
        submit(meter, value, date(2025, month, 20))
    meter.organization.reading_threshold_percent = 1000
    meter.organization.save()
    meter.refresh_from_db()
    [outcome] = submit(meter, "130", date(2025, 4, 20))  # 20 against an average of 5
    assert outcome.status == "accepted"
    meter.organization.reading_threshold_percent = 300
    meter.organization.save()
    [flagged] = submit(meter, "170", date(2025, 5, 20))  # 40 against an average of 10
    assert flagged.status == "flagged"
