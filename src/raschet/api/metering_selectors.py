"""Reads of the metering API: an account's meters and readings.

An account's meters are the meters of its premises that were in use while the account was
open, and its readings are theirs for the billing months the account was open: a new payer
of a flat does not see the previous payer's readings. Each list is one query for its page,
whatever its length; a meter's state today is a subquery of that query, computed as
`raschet.metering.selectors.meter_state_on` does (a test proves they agree).
"""

from __future__ import annotations

from datetime import date

from django.db.models import Case, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from raschet.api.selectors import scoped
from raschet.housing.models import Account
from raschet.metering.models import Meter, MeterState, MeterStateChange, Reading
from raschet.organizations.models import Organization
from raschet.tariffs.models import Zone


def account_visible(*, organizations: QuerySet[Organization], account_id: int) -> Account | None:
    return scoped(Account.objects.all(), organizations).filter(pk=account_id).first()


def account_meters(*, account: Account, today: date) -> QuerySet[Meter]:
    """Meters of the account's premises in use at some time while the account was open,
    each with ``state``: its state on ``today``."""
    queryset = Meter.objects.filter(
        organization_id=account.organization_id, premises_id=account.premises_id
    ).filter(Q(removed_on__isnull=True) | Q(removed_on__gt=account.opened_on))
    if account.closed_on is not None:
        queryset = queryset.filter(installed_on__lt=account.closed_on)
    last_change = (
        MeterStateChange.objects.filter(meter=OuterRef("pk"), since__lte=today)
        .order_by("-since")
        .values("state")[:1]
    )
    state = Case(
        When(removed_on__lte=today, then=Value(MeterState.REMOVED.value)),
        default=Coalesce(Subquery(last_change), Value(MeterState.WORKING.value)),
    )
    return (
        queryset.select_related("service")
        .annotate(state=state)
        .order_by("service__sort_order", "service__code", "installed_on", "pk")
    )


def account_meter(*, account: Account, meter_id: int, today: date) -> Meter | None:
    """One of `account_meters`, or None for a meter of another account or organization."""
    return account_meters(account=account, today=today).filter(pk=meter_id).first()


def account_readings(
    *,
    account: Account,
    meter_id: int | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
    include_superseded: bool = False,
) -> QuerySet[Reading]:
    """Readings of the account's meters for the months it was open, newest first.

    ``period_from``/``period_to`` are first days of months, both included. Without
    ``include_superseded`` only current readings (not replaced by a correction) are listed.
    """
    meters = Meter.objects.filter(
        organization_id=account.organization_id, premises_id=account.premises_id
    )
    queryset = Reading.objects.filter(
        organization_id=account.organization_id,
        meter__in=meters.values("pk"),
        period__gte=account.opened_on.replace(day=1),
    )
    if account.closed_on is not None:
        queryset = queryset.filter(period__lt=account.closed_on)
    if meter_id is not None:
        queryset = queryset.filter(meter_id=meter_id)
    if period_from is not None:
        queryset = queryset.filter(period__gte=period_from)
    if period_to is not None:
        queryset = queryset.filter(period__lte=period_to)
    if not include_superseded:
        queryset = queryset.filter(is_current=True)
    return queryset.select_related("meter").order_by("-period", "-taken_on", "-entered_at", "-pk")


def idempotency_key_readings(*, organization_id: int, key: str) -> list[Reading]:
    """Readings stored under ``key``: for a one-zone meter the key itself, for several zones
    ``key:zone``, as `raschet.metering.services.reading_submit` stores them. Exact matches
    only (a LIKE would be case-insensitive on SQLite)."""
    keys = [key, *(f"{key}:{zone}" for zone in Zone.values)]
    return list(
        Reading.objects.filter(organization_id=organization_id, idempotency_key__in=keys).order_by(
            "pk"
        )
    )
