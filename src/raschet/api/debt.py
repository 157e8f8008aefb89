"""Debt endpoints of API v1: the ageing summary, the debtor list, the collection rate.

Delivery only: reads through `raschet.debt.ageing`, where the buckets, a debtor and the
collection rate are defined (due dates by rules.md §3.2; credits shown as advance, not
subtracted). Money is a decimal string of rubles with two places and the same amount in
kopecks (``overdue`` and ``overdue_kopecks``); never a JSON float. A building, service or
payee of another organization is not an error: it narrows the answer to nothing.

A staff session needs ``ledger.view_ledgerentry``; a token reaches its organizations.

No ``from __future__ import annotations`` here: ninja reads the parameter annotations at
import time.
"""

from datetime import date
from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from raschet.api.auth import caller, session_auth, token_auth
from raschet.api.billing_schemas import PeriodIn
from raschet.api.endpoints import ERRORS, MAX_OFFSET, MAX_PAGE_SIZE, Id
from raschet.api.metering_schemas import IsoDateString, Period
from raschet.api.payments import Money, MoneyIn
from raschet.api.schemas import ErrorOut
from raschet.core.money import parse_rubles
from raschet.core.periods import Month
from raschet.debt.ageing import (
    BUCKETS,
    FIGURES,
    MAX_COLLECTION_MONTHS,
    Collected,
    DebtFilter,
    DebtorQuery,
    ageing,
    collection_rate,
    debtors,
)

router = Router(auth=[token_auth, session_auth], tags=["debt"])

VIEW_LEDGER = "ledger.view_ledgerentry"
MAX_MONTHS_OVERDUE = 1200
#: The first month the API's month strings can name (`PERIOD_PATTERN`: years 1900–2999).
FIRST_MONTH = date(1900, 1, 1)

Rate = Annotated[
    str,
    Field(
        pattern=r"^-?[0-9]{1,17}\.[0-9]{2}$",
        description="Percent, decimal string with two places",
        examples=["97.53"],
    ),
]
ERRORS_403 = {**ERRORS, 403: ErrorOut}


def _rubles(kopecks: int) -> str:
    sign = "-" if kopecks < 0 else ""
    rubles, kop = divmod(abs(kopecks), 100)
    return f"{sign}{rubles}.{kop:02d}"


# ----------------------------------------------------------------------------- schemas


class FiguresOut(Schema):
    """Debt by ageing bucket (principal), the overdue and principal totals, the penalty
    debt and the advance (credit, a positive amount), each in rubles and kopecks."""

    not_due: Money = Field(description="Not yet due (current)")
    not_due_kopecks: int
    up_to_3: Money = Field(description="1–3 months overdue")
    up_to_3_kopecks: int
    from_3_to_6: Money = Field(description="4–6 months overdue")
    from_3_to_6_kopecks: int
    from_6_to_12: Money = Field(description="7–12 months overdue")
    from_6_to_12_kopecks: int
    over_12: Money = Field(description="More than 12 months overdue")
    over_12_kopecks: int
    overdue: Money = Field(description="All overdue principal")
    overdue_kopecks: int
    principal: Money = Field(description="All unpaid principal, due or not")
    principal_kopecks: int
    penalty: Money = Field(description="Unpaid penalties (not bucketed)")
    penalty_kopecks: int
    advance: Money = Field(description="Credits: paid ahead or overpaid, not subtracted")
    advance_kopecks: int


def _figures(values: dict[str, int]) -> dict[str, object]:
    out: dict[str, object] = {}
    for name in FIGURES:
        out[name] = _rubles(values[name])
        out[f"{name}_kopecks"] = values[name]
    return out


class AgeingRowOut(Schema):
    key: int | None = Field(description="Building, service or payee id (none: no service)")
    label: str
    figures: FiguresOut


class AgeingOut(Schema):
    on: date
    by: str
    buckets: list[str]
    rows: list[AgeingRowOut]
    totals: FiguresOut


class DebtorOut(Schema):
    account_id: int
    account: str = Field(description="Account number")
    payer: str
    building_id: int
    address: str
    oldest_month: Period | None = Field(description="The oldest debt month with overdue debt")
    months_overdue: int = Field(description="Started months of delay of `oldest_month`")
    figures: FiguresOut


class DebtorsOut(Schema):
    on: date
    count: int = Field(description="Debtors matching the filters (all pages)")
    limit: int
    offset: int
    totals: FiguresOut = Field(description="Totals of all matching debtors")
    items: list[DebtorOut]


class CollectedOut(Schema):
    charged: Money = Field(description="Principal charged for the month(s), net of benefits")
    charged_kopecks: int
    paid: Money = Field(description="Principal paid for the month(s), whenever paid")
    paid_kopecks: int
    rate: Rate | None = Field(description="paid ÷ charged in percent; none if nothing charged")


class CollectionRowOut(Schema):
    building_id: int
    address: str
    months: list[CollectedOut]
    total: CollectedOut


class CollectionOut(Schema):
    months: list[Period]
    rows: list[CollectionRowOut]
    totals: list[CollectedOut] = Field(description="All buildings, per month")
    total: CollectedOut


def _collected(value: Collected) -> dict[str, object]:
    rate = value.rate
    return {
        "charged": _rubles(value.charged),
        "charged_kopecks": value.charged,
        "paid": _rubles(value.paid),
        "paid_kopecks": value.paid,
        "rate": None if rate is None else f"{rate:.2f}",
    }


# ----------------------------------------------------------------------------- helpers


def _organization_ids(request: HttpRequest, organization: int | None) -> list[int] | Status:
    who = caller(request)
    if who.user is not None and not who.user.has_perm(VIEW_LEDGER):
        return Status(403, {"detail": _("You have no permission to see the ledger.")})
    organizations = who.organizations
    if organization is not None:
        organizations = organizations.filter(pk=organization)
    return list(organizations.values_list("pk", flat=True))


class DebtQuery(Schema):
    on: IsoDateString | None = Field(None, description="Ageing on this day; today when omitted")
    organization: Id | None = Field(None, description="Only this organization")
    building: Id | None = Field(None, description="Only this building")
    service: Id | None = Field(None, description="Only this service")
    payee: Id | None = Field(None, description="Only this payee")


# ----------------------------------------------------------------------------- endpoints


class AgeingQuery(DebtQuery):
    by: Literal["total", "building", "service", "payee"] = Field(
        "total", description="Rows by building, service or payee; `total`: the totals only"
    )


@router.get("/debt/ageing", response={200: AgeingOut, **ERRORS_403})
def debt_ageing(request: HttpRequest, query: Query[AgeingQuery]):
    """Unpaid debt by how long past due it is: not yet due, 1–3, 4–6, 7–12 and more than
    12 months overdue (a month's debt is due on the 10th of the next month up to February
    2026, the 15th from March 2026); penalties and advances apart."""
    ids = _organization_ids(request, query.organization)
    if isinstance(ids, Status):
        return ids
    sheet = ageing(
        organization_ids=ids,
        on=query.on or timezone.localdate(),
        by=query.by,
        building_id=query.building,
        service_id=query.service,
        payee_id=query.payee,
    )
    return {
        "on": sheet.on,
        "by": sheet.by,
        "buckets": list(BUCKETS),
        "rows": [
            {"key": r.key, "label": r.label, "figures": _figures(r.figures)} for r in sheet.rows
        ],
        "totals": _figures(sheet.totals),
    }


class DebtorsQuery(DebtQuery):
    min_amount: MoneyIn | None = Field(None, description="Overdue at least this many rubles")
    min_months: int = Field(
        0, ge=0, le=MAX_MONTHS_OVERDUE, description="Oldest overdue month at least this late"
    )
    limit: int = Field(100, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get("/debt/debtors", response={200: DebtorsOut, **ERRORS_403})
def debt_debtors(request: HttpRequest, query: Query[DebtorsQuery]):
    """Accounts with overdue debt, largest overdue principal first, a page at a time, with
    the count and totals of all that match."""
    ids = _organization_ids(request, query.organization)
    if isinstance(ids, Status):
        return ids
    question = DebtorQuery(
        debt=DebtFilter.of(ids, query.building, query.service, query.payee),
        on=query.on or timezone.localdate(),
        min_kopecks=parse_rubles(query.min_amount) if query.min_amount else 0,
        min_months=query.min_months,
    )
    page = debtors(question, limit=query.limit, offset=query.offset)
    return {
        "on": page.on,
        "count": page.count,
        "limit": query.limit,
        "offset": query.offset,
        "totals": _figures(page.totals),
        "items": [
            {
                "account_id": d.account_id,
                "account": d.number,
                "payer": d.payer,
                "building_id": d.building_id,
                "address": d.address,
                "oldest_month": d.oldest_month,
                "months_overdue": d.months_overdue,
                "figures": _figures(d.figures),
            }
            for d in page.rows
        ],
    }


class CollectionQuery(Schema):
    to: PeriodIn | None = Field(None, description="Last month, YYYY-MM (default: this month)")
    months: int = Field(
        12, ge=1, le=MAX_COLLECTION_MONTHS, description="How many months up to `to`"
    )
    organization: Id | None = Field(None, description="Only this organization")
    building: Id | None = Field(None, description="Only this building")


@router.get("/debt/collection", response={200: CollectionOut, **ERRORS_403})
def debt_collection(request: HttpRequest, query: Query[CollectionQuery]):
    """The collection rate per building × month: the principal paid for a month's payment
    document (whenever paid) ÷ what it charged (charges, recalculations, reductions and
    benefits of that month), penalties left out. Months before January 1900 are not
    counted."""
    ids = _organization_ids(request, query.organization)
    if isinstance(ids, Status):
        return ids
    last = Month.parse(query.to).start if query.to else timezone.localdate().replace(day=1)
    back = last.year * 12 + last.month - 1 - (query.months - 1)
    first = max(date(back // 12, back % 12 + 1, 1), FIRST_MONTH)
    report = collection_rate(
        organization_ids=ids, start=first, end=last, building_id=query.building
    )
    return {
        "months": report.months,
        "rows": [
            {
                "building_id": r.building_id,
                "address": r.label,
                "months": [_collected(c) for c in r.cells],
                "total": _collected(r.total),
            }
            for r in report.rows
        ],
        "totals": [_collected(c) for c in report.totals],
        "total": _collected(report.total),
    }
