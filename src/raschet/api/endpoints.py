"""Read endpoints of API v1: organizations, buildings, premises, accounts.

Delivery only: parse parameters, ask a selector, return rows. An object outside the caller's
organizations answers 404, exactly like one that does not exist, so ids do not leak.

No ``from __future__ import annotations`` here: ninja reads the parameter annotations at
import time.
"""

import re
from datetime import date
from typing import Annotated

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import BeforeValidator

from raschet.api import selectors
from raschet.api.auth import caller, session_auth, token_auth
from raschet.api.schemas import (
    AccountDetailOut,
    AccountOut,
    BuildingOut,
    ErrorOut,
    OrganizationOut,
    PremisesOut,
    ValidationErrorOut,
)
from raschet.registry.selectors import resident_counts

MAX_PAGE_SIZE = 500
MAX_OFFSET = 1_000_000_000
# Database keys are 64-bit; a larger id cannot exist and must not reach the SQL driver.
MAX_ID = 2**63 - 1
# PostgreSQL text cannot hold NUL; refusing it here keeps the answer a 422, not a 500.
NO_NUL = r"^[^\x00]*$"

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _iso_date_only(value: object) -> object:
    """Refuse what pydantic would otherwise read as a date: a Unix time ("0"), "2024-1-1"."""
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]


class Pagination(LimitOffsetPagination):
    """limit/offset pages of at most 500 rows."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_PAGE_SIZE)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def __init__(self, **kwargs):
        super().__init__(max_limit=MAX_PAGE_SIZE, **kwargs)


ERRORS = {401: ErrorOut, 422: ValidationErrorOut}
ERRORS_404 = {**ERRORS, 404: ErrorOut}

router = Router(auth=[token_auth, session_auth])


def _found(obj):
    if obj is None:
        raise Http404
    return obj


@router.get("/organizations", response={200: list[OrganizationOut], **ERRORS}, tags=["reference"])
@paginate(Pagination)
def organization_list(request: HttpRequest):
    """Organizations whose data the caller may read."""
    return selectors.organization_list(organizations=caller(request).organizations)


@router.get("/buildings", response={200: list[BuildingOut], **ERRORS}, tags=["housing"])
@paginate(Pagination)
def building_list(request: HttpRequest):
    return selectors.building_list(organizations=caller(request).organizations)


@router.get("/buildings/{building_id}", response={200: BuildingOut, **ERRORS_404}, tags=["housing"])
def building_detail(request: HttpRequest, building_id: Id):
    return _found(
        selectors.building_detail(
            organizations=caller(request).organizations, building_id=building_id
        )
    )


class PremisesFilter(Schema):
    building: Id | None = Field(None, description="Building id")


@router.get("/premises", response={200: list[PremisesOut], **ERRORS}, tags=["housing"])
@paginate(Pagination)
def premises_list(request: HttpRequest, filters: Query[PremisesFilter]):
    return selectors.premises_list(
        organizations=caller(request).organizations, building_id=filters.building
    )


@router.get("/premises/{premises_id}", response={200: PremisesOut, **ERRORS_404}, tags=["housing"])
def premises_detail(request: HttpRequest, premises_id: Id):
    return _found(
        selectors.premises_detail(
            organizations=caller(request).organizations, premises_id=premises_id
        )
    )


class AccountFilter(Schema):
    building: Id | None = Field(None, description="Building id")
    number: str | None = Field(
        None, min_length=1, max_length=30, pattern=NO_NUL, description="Exact account number"
    )
    open_on: IsoDate | None = Field(None, description="Accounts open on this date")
    q: str | None = Field(
        None, min_length=1, max_length=100, pattern=NO_NUL, description="Part of payer's name"
    )


@router.get("/accounts", response={200: list[AccountOut], **ERRORS}, tags=["housing"])
@paginate(Pagination)
def account_list(request: HttpRequest, filters: Query[AccountFilter]):
    return selectors.account_list(
        organizations=caller(request).organizations,
        building_id=filters.building,
        number=filters.number,
        open_on=filters.open_on,
        payer_query=filters.q,
    )


class AccountDetailQuery(Schema):
    on: IsoDate | None = Field(None, description="Date of the resident count; today by default")


@router.get(
    "/accounts/{account_id}", response={200: AccountDetailOut, **ERRORS_404}, tags=["housing"]
)
def account_detail(request: HttpRequest, query: Query[AccountDetailQuery], account_id: Id):
    """One account with its premises, the building's address and the residents on ``on``."""
    account = selectors.account_detail(
        organizations=caller(request).organizations, account_id=account_id
    )
    if account is None:
        raise Http404
    # Business dates are in the organization's zone, which is the installation's TIME_ZONE.
    on = query.on or timezone.localdate()
    counts = resident_counts(
        organization_id=account.organization_id, on=on, account_ids=[account.pk]
    )
    account.residents = counts.get(account.pk, 0)  # type: ignore[attr-defined]
    account.residents_on = on  # type: ignore[attr-defined]
    return account
