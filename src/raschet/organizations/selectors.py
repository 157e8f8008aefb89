"""Reads about organizations and staff scope."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from raschet.core.periods import Month
from raschet.organizations.models import ClosedMonth, Membership, Organization


def organizations_for_user(user: Any) -> QuerySet[Organization]:
    """Organizations whose data ``user`` may see.

    Superusers see all. Others see each organization they are a member of, and every
    organization served by a billing centre they are a member of.
    """
    if not user.is_authenticated:
        return Organization.objects.none()
    if user.is_superuser:
        return Organization.objects.all()
    member_of = Membership.objects.filter(user=user).values("organization_id")
    return Organization.objects.filter(Q(pk__in=member_of) | Q(served_by__in=member_of))


def organization_ids_for_user(user: Any) -> list[int] | None:
    """Like `organizations_for_user`, as a list of ids; ``None`` means "all" (superuser)."""
    if user.is_superuser:
        return None
    return list(organizations_for_user(user).values_list("pk", flat=True))


def closed_months_between(
    organization_id: int | None, first: date, last: date | None = None
) -> list[date]:
    """Closed months of the organization from the month of ``first`` to that of ``last``
    (every later one when ``last`` is None), in order."""
    if organization_id is None:
        return []
    qs = ClosedMonth.objects.filter(
        organization_id=organization_id, month__gte=Month.of(first).start
    )
    if last is not None:
        qs = qs.filter(month__lte=Month.of(last).start)
    return list(qs.order_by("month").values_list("month", flat=True))
