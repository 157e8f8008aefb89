"""Reads of the API: each list fixes its query shape so the page costs the same number of
queries whatever its length. Every selector takes the caller's visible organizations."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from raschet.housing.models import Account, Building, Premises
from raschet.organizations.models import Organization


def scoped(queryset: QuerySet, organizations: QuerySet[Organization]) -> QuerySet:
    """``queryset`` cut to the rows of ``organizations`` (one SQL subquery, no extra query)."""
    return queryset.filter(organization_id__in=organizations.values("pk"))


def organization_list(*, organizations: QuerySet[Organization]) -> QuerySet[Organization]:
    return organizations.order_by("name", "pk")


def building_list(*, organizations: QuerySet[Organization]) -> QuerySet[Building]:
    return scoped(Building.objects.all(), organizations).order_by("address", "pk")


def building_detail(*, organizations: QuerySet[Organization], building_id: int) -> Building | None:
    return scoped(Building.objects.all(), organizations).filter(pk=building_id).first()


def premises_list(
    *, organizations: QuerySet[Organization], building_id: int | None = None
) -> QuerySet[Premises]:
    queryset = scoped(Premises.objects.all(), organizations)
    if building_id is not None:
        queryset = queryset.filter(building_id=building_id)
    return queryset.order_by("building_id", "number", "pk")


def premises_detail(*, organizations: QuerySet[Organization], premises_id: int) -> Premises | None:
    return scoped(Premises.objects.all(), organizations).filter(pk=premises_id).first()


def account_list(
    *,
    organizations: QuerySet[Organization],
    building_id: int | None = None,
    number: str | None = None,
    open_on: date | None = None,
    payer_query: str | None = None,
) -> QuerySet[Account]:
    """Accounts, optionally of one building, by exact number, open on a date (the range
    ``[opened_on, closed_on)``) or with ``payer_query`` in the payer's name.

    The payer search is case-insensitive on PostgreSQL; SQLite folds the case of Latin
    letters only.
    """
    queryset = scoped(Account.objects.select_related("premises"), organizations)
    if building_id is not None:
        queryset = queryset.filter(premises__building_id=building_id)
    if number is not None:
        queryset = queryset.filter(number=number)
    if open_on is not None:
        queryset = queryset.filter(
            Q(opened_on__lte=open_on) & (Q(closed_on__isnull=True) | Q(closed_on__gt=open_on))
        )
    if payer_query:
        queryset = queryset.filter(payer_name__icontains=payer_query)
    return queryset.order_by("number", "pk")


def account_detail(*, organizations: QuerySet[Organization], account_id: int) -> Account | None:
    return (
        scoped(Account.objects.select_related("premises__building"), organizations)
        .filter(pk=account_id)
        .first()
    )
