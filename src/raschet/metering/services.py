"""Writes of meters and readings. Every rule of the metering issue, point 4, is enforced here
for a single submission (operator page, API, portal); file imports run the same checks in
bulk with the vectorised core.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from raschet.core.readings import (
    ReadingStatus,
    billing_month_for,
    from_fixed,
    reading_volume,
)
from raschet.metering.models import (
    BuildingMeter,
    BuildingMeterReading,
    Meter,
    MeterState,
    MeterStateChange,
    Reading,
    ReadingKind,
    ReadingState,
)
from raschet.metering.selectors import (
    average_volume,
    is_month_closed,
    meter_state_on,
    previous_reading,
)


class ReadingRejected(ValueError):
    """A submission that breaks a rule; the message is for the person who sent it."""

    def __init__(self, message: str, *, zone: str = "") -> None:
        super().__init__(message)
        self.zone = zone


@dataclass(frozen=True)
class ReadingOutcome:
    zone: str
    status: str  # "accepted", "rollover", "flagged", "duplicate", "corrected"
    message: str
    reading: Reading


def _fmt(value: Decimal) -> str:
    return f"{value:.3f}".replace(".", ",")


@transaction.atomic
def reading_submit(
    *,
    meter: Meter,
    values: Mapping[str, Decimal],
    taken_on: date,
    source: str,
    today: date,
    received_on: date | None = None,
    user: Any = None,
    idempotency_key: str | None = None,
    kind: str = ReadingKind.REGULAR,
    origin: str = "",
    threshold_percent: int | None = None,
) -> list[ReadingOutcome]:
    """Store the readings of all zones of ``meter`` taken on ``taken_on``.

    All zones are accepted or none (`ReadingRejected` names the zone). The billing month is
    the one of ``received_on`` (default: ``today``) after the organization's reading window.
    The same value sent twice is stored once; a different value for the same month is a
    correction that supersedes the earlier reading.
    """
    if idempotency_key:
        keys = _zone_keys(idempotency_key, values)
        done = list(
            Reading.objects.filter(
                organization_id=meter.organization_id,
                meter=meter,
                idempotency_key__in=list(keys.values()),
            )
        )
        if done:
            return [ReadingOutcome(r.zone, "duplicate", _("Already received"), r) for r in done]
    meter = (
        Meter.objects.select_for_update().select_related("organization", "service").get(pk=meter.pk)
    )
    _check_zones(meter, values)
    if taken_on > today:
        raise ReadingRejected(
            _("The reading is dated %(date)s, which is in the future")
            % {"date": f"{taken_on:%d.%m.%Y}"}
        )
    if taken_on < meter.installed_on:
        raise ReadingRejected(
            _("The meter was installed on %(date)s, after the reading date")
            % {"date": f"{meter.installed_on:%d.%m.%Y}"}
        )
    state = meter_state_on(meter, taken_on)
    if state == MeterState.REMOVED and kind != ReadingKind.FINAL:
        raise ReadingRejected(
            _("Meter %(serial)s was removed on %(date)s")
            % {"serial": meter.serial_number, "date": f"{meter.removed_on:%d.%m.%Y}"}
        )
    period = billing_month_for(received_on or today, meter.organization.reading_cutoff_day).start
    if period < taken_on.replace(day=1):
        period = taken_on.replace(day=1)
    if is_month_closed(meter.organization_id, period):
        raise ReadingRejected(
            _("The billing month %(month)s is closed") % {"month": f"{period:%m.%Y}"}
        )
    outcomes = []
    keys = _zone_keys(idempotency_key, values) if idempotency_key else {}
    for zone, value in values.items():
        outcomes.append(
            _store_zone(
                meter=meter,
                zone=zone,
                value=value,
                period=period,
                taken_on=taken_on,
                kind=kind,
                source=source,
                user=user,
                origin=origin,
                idempotency_key=keys.get(zone) if keys else None,
                threshold_percent=(
                    threshold_percent
                    if threshold_percent is not None
                    else meter.organization.reading_threshold_percent
                ),
            )
        )
    return outcomes


def _zone_keys(key: str, values: Mapping[str, Decimal]) -> dict[str, str]:
    if len(values) == 1:
        return {next(iter(values)): key}
    return {zone: f"{key}:{zone}" for zone in values}


def _check_zones(meter: Meter, values: Mapping[str, Decimal]) -> None:
    expected = set(meter.zone_codes)
    got = set(values)
    if got != expected:
        raise ReadingRejected(
            _("Meter %(serial)s needs readings of zones %(zones)s")
            % {"serial": meter.serial_number, "zones": ", ".join(sorted(expected))}
        )
    for zone, value in values.items():
        if not value.is_finite():
            raise ReadingRejected(_("A reading must be a number"), zone=zone)
        if value < 0:
            raise ReadingRejected(_("A reading cannot be negative"), zone=zone)
        try:
            exact = value == value.quantize(Decimal("0.001"))
        except InvalidOperation:  # beyond any meter (e.g. 1E+999999): no quantizing it
            raise ReadingRejected(_("The reading is too large"), zone=zone) from None
        if not exact:
            raise ReadingRejected(_("At most three decimal places"), zone=zone)


def _store_zone(
    *,
    meter: Meter,
    zone: str,
    value: Decimal,
    period: date,
    taken_on: date,
    kind: str,
    source: str,
    user: Any,
    origin: str,
    idempotency_key: str | None,
    threshold_percent: int,
) -> ReadingOutcome:
    existing = Reading.objects.filter(
        meter=meter, zone=zone, period=period, kind=kind, is_current=True
    ).first()
    if existing is not None and existing.value == value:
        return ReadingOutcome(zone, "duplicate", _("This reading is already stored"), existing)
    volume: Decimal | None = None
    state = ReadingState.OK
    status = "accepted"
    message = _("Accepted")
    if value >= Decimal(10) ** meter.integer_digits:
        raise ReadingRejected(
            _("The reading %(value)s has more digits than the meter (%(digits)s)")
            % {"value": _fmt(value), "digits": meter.integer_digits},
            zone=zone,
        )
    if kind != ReadingKind.INITIAL:
        previous = previous_reading(meter, zone, period)
        if previous is not None:
            check = reading_volume(
                previous=previous.value,
                current=value,
                integer_digits=meter.integer_digits,
                average=average_volume(meter, zone, period),
                threshold_percent=threshold_percent,
            )
            if check.status == ReadingStatus.LOWER:
                raise ReadingRejected(
                    _(
                        "The reading %(value)s is lower than the previous one %(previous)s "
                        "of %(date)s"
                    )
                    % {
                        "value": _fmt(value),
                        "previous": _fmt(previous.value),
                        "date": f"{previous.taken_on:%d.%m.%Y}",
                    },
                    zone=zone,
                )
            volume = from_fixed(check.volume)
            if check.status == ReadingStatus.ROLLOVER:
                state, status = ReadingState.ROLLOVER, "rollover"
                message = _("Accepted: the counter rolled over its capacity")
            elif check.status == ReadingStatus.HIGH:
                state, status = ReadingState.FLAGGED, "flagged"
                message = _("Accepted, but the volume is far above the average: to be checked")
    reading = Reading(
        organization_id=meter.organization_id,
        meter=meter,
        zone=zone,
        period=period,
        kind=kind,
        value=value,
        volume=volume,
        taken_on=taken_on,
        source=source,
        state=state,
        entered_by=user if getattr(user, "is_authenticated", False) else None,
        idempotency_key=idempotency_key,
        origin=origin,
        supersedes=existing,
    )
    if existing is not None:
        existing.is_current = False
        existing.save(update_fields=["is_current"])
        if status == "accepted":
            status, message = "corrected", _("Accepted as a correction of the earlier reading")
    reading.save()
    return ReadingOutcome(zone, status, message, reading)


@transaction.atomic
def reading_confirm(*, reading: Reading, user: Any) -> Reading:
    """An operator confirms a flagged reading after checking it."""
    if reading.state != ReadingState.FLAGGED:
        raise ReadingRejected(_("Only a flagged reading can be confirmed"))
    reading.state = ReadingState.CONFIRMED
    reading.confirmed_at = timezone.now()
    reading.confirmed_by = user
    reading.save(update_fields=["state", "confirmed_at", "confirmed_by"])
    return reading


@transaction.atomic
def meter_state_set(*, meter: Meter, state: str, since: date, reason: str = "") -> MeterStateChange:
    """Record a dated state change (broken, verification expired, working again)."""
    if state == MeterState.REMOVED:
        raise ValueError(_("Use the meter removal or replacement to remove a meter"))
    change, _created = MeterStateChange.objects.update_or_create(
        meter=meter,
        since=since,
        defaults={"organization_id": meter.organization_id, "state": state, "reason": reason},
    )
    return change


@transaction.atomic
def meter_replace(
    *,
    old: Meter,
    on: date,
    final_values: Mapping[str, Decimal],
    serial_number: str,
    initial_values: Mapping[str, Decimal],
    today: date,
    integer_digits: int | None = None,
    verification_due: date | None = None,
    user: Any = None,
) -> Meter:
    """Replace ``old`` by a new meter on ``on``: the old one keeps its final reading, the new
    one starts from its initial reading, and the two are linked."""
    reading_submit(
        meter=old,
        values=final_values,
        taken_on=on,
        source="operator",
        today=today,
        received_on=on,
        user=user,
        kind=ReadingKind.FINAL,
    )
    old.removed_on = on
    old.save(update_fields=["removed_on"])
    new = Meter(
        organization_id=old.organization_id,
        premises=old.premises,
        service=old.service,
        serial_number=serial_number,
        zones=old.zones,
        integer_digits=integer_digits or old.integer_digits,
        installed_on=on,
        verification_due=verification_due,
        replaces=old,
    )
    new.full_clean()
    new.save()
    reading_submit(
        meter=new,
        values=initial_values,
        taken_on=on,
        source="operator",
        today=today,
        received_on=on,
        user=user,
        kind=ReadingKind.INITIAL,
    )
    return new


@transaction.atomic
def building_reading_submit(
    *,
    building_meter: BuildingMeter,
    period: date,
    source: str,
    value: Decimal | None = None,
    volume: Decimal | None = None,
    user: Any = None,
) -> BuildingMeterReading:
    """Store a building meter's reading or month volume; a new value supersedes the old."""
    if value is None and volume is None:
        raise ReadingRejected(_("Give the reading or the volume of the month"))
    if (value is not None and value < 0) or (volume is not None and volume < 0):
        raise ReadingRejected(_("A reading cannot be negative"))
    period = period.replace(day=1)
    if is_month_closed(building_meter.organization_id, period):
        raise ReadingRejected(
            _("The billing month %(month)s is closed") % {"month": f"{period:%m.%Y}"}
        )
    existing = BuildingMeterReading.objects.filter(
        building_meter=building_meter, period=period, is_current=True
    ).first()
    if existing is not None and (existing.value, existing.volume) == (value, volume):
        return existing
    if existing is not None:
        existing.is_current = False
        existing.save(update_fields=["is_current"])
    return BuildingMeterReading.objects.create(
        organization_id=building_meter.organization_id,
        building_meter=building_meter,
        period=period,
        value=value,
        volume=volume,
        source=source,
        supersedes=existing,
        entered_by=user if getattr(user, "is_authenticated", False) else None,
    )
