"""Capital repair endpoints of API v1: a building's fund settings, its fund statement for a
range of months, and its contributions per account.

Delivery only: reads through `raschet.capitalrepair.selectors`, where the fund, the
statement and the contributions are defined. Money is a decimal string of rubles with two
places and the same amount in kopecks (``closing`` and ``closing_kopecks``); never a JSON
float. A building of another organization answers 404, like a missing one.

A staff session needs ``capitalrepair.view_capitalrepairfund`` for the fund and
``ledger.view_ledgerentry`` for the statement and the contributions; a token reaches its
organizations.

No ``from __future__ import annotations`` here: ninja reads the parameter annotations at
import time.
"""

from datetime import date

from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from raschet.api.auth import caller, session_auth, token_auth
from raschet.api.billing_schemas import PeriodIn
from raschet.api.endpoints import ERRORS_404, Id
from raschet.api.metering_schemas import IsoDateString, Period
from raschet.api.payments import Money
from raschet.api.schemas import ErrorOut
from raschet.capitalrepair.models import CapitalRepairFund
from raschet.capitalrepair.selectors import (
    Contributions,
    building_funds,
    contributions_by_account,
    fund_in_force,
    fund_statement,
    fund_warnings,
)
from raschet.core.money import format_rubles
from raschet.core.periods import Month
from raschet.housing.models import Building

router = Router(auth=[token_auth, session_auth], tags=["capital repair"])

VIEW_FUND = "capitalrepair.view_capitalrepairfund"
VIEW_LEDGER = "ledger.view_ledgerentry"
ERRORS = {**ERRORS_404, 403: ErrorOut}


def _rubles(kopecks: int) -> str:
    """The API's decimal string of rubles (``-1234.50``)."""
    return format_rubles(kopecks, thousands="", decimal=".")


# ----------------------------------------------------------------------------- schemas


class FundOut(Schema):
    id: int
    fund_model: str = Field(
        description="`regional_pool`: the regional operator's common account; "
        "`special_account`: a special account of the building"
    )
    valid_from: date
    valid_to: date | None = Field(description="Exclusive; none: open")
    service_id: int = Field(description="The service that charges the contributions")
    payee_id: int
    payee: str
    account_owner_id: int | None
    account_owner: str | None
    bank_name: str
    bic: str
    special_account: str
    correspondent_account: str
    decision: str


class BuildingFundOut(Schema):
    building_id: int
    address: str
    on: date
    current: FundOut | None = Field(description="The settings in force on `on`")
    warnings: list[str] = Field(
        description="What would make the payment documents disagree with the settings"
    )
    history: list[FundOut] = Field(description="Every settings row, newest first")


class ContributionsOut(Schema):
    """Contributions over the range: balances in the ledger's sign (positive is owed),
    payments as positive amounts received."""

    opening: Money = Field(description="Balance before the first month")
    opening_kopecks: int
    charged: Money = Field(description="Charges, recalculations, reductions and benefits")
    charged_kopecks: int
    penalties: Money = Field(description="Penalties charged")
    penalties_kopecks: int
    paid: Money = Field(description="Contributions paid (net of reversals)")
    paid_kopecks: int
    penalties_paid: Money
    penalties_paid_kopecks: int
    other: Money = Field(description="Write-offs and transfers")
    other_kopecks: int
    closing: Money = Field(description="Balance at the end: the owners' debt")
    closing_kopecks: int


def _contributions(value: Contributions) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, kopecks in value.as_dict().items():
        out[name] = _rubles(kopecks)
        out[f"{name}_kopecks"] = kopecks
    return out


class SpendingOut(Schema):
    work_id: int
    work: str
    paid_on: date
    document: str
    amount: Money
    amount_kopecks: int


class StatementOut(Schema):
    building_id: int
    address: str
    start: Period
    end: Period
    fund: FundOut | None = Field(
        description="The settings in force at the end of the range; none when not entered "
        "(the contributions are then those of the `capital_repair` service)"
    )
    opening: Money = Field(description="The fund at the start: paid before − spent before")
    opening_kopecks: int
    charged: Money
    charged_kopecks: int
    paid: Money = Field(description="Contributions received in the range")
    paid_kopecks: int
    penalties_paid: Money = Field(description="Penalties received (they go to the fund)")
    penalties_paid_kopecks: int
    spent: Money = Field(description="Paid from the fund for works in the range")
    spent_kopecks: int
    closing: Money = Field(description="opening + paid + penalties_paid − spent")
    closing_kopecks: int
    contributions: ContributionsOut = Field(description="The building's totals")
    spendings: list[SpendingOut]


class AccountContributionsOut(Schema):
    account_id: int
    account: str = Field(description="Account number")
    premises: str = Field(description="Premises number")
    payer: str
    figures: ContributionsOut


class ContributionsListOut(Schema):
    building_id: int
    start: Period
    end: Period
    items: list[AccountContributionsOut]
    totals: ContributionsOut = Field(description="Sum of the items")


class RangeQuery(Schema):
    start: PeriodIn = Field(description="First month, YYYY-MM")
    end: PeriodIn = Field(description="Last month, YYYY-MM (included)")


class AccountsQuery(RangeQuery):
    account: Id | None = Field(None, description="Only this account of the building")


class FundQuery(Schema):
    on: IsoDateString | None = Field(None, description="Settings in force on; today by default")


# ----------------------------------------------------------------------------- helpers


def _fund(fund: CapitalRepairFund) -> dict[str, object]:
    return {
        "id": fund.pk,
        "fund_model": fund.fund_model,
        "valid_from": fund.valid_from,
        "valid_to": fund.valid_to,
        "service_id": fund.service_id,
        "payee_id": fund.payee_id,
        "payee": fund.payee.display_name,
        "account_owner_id": fund.account_owner_id,
        "account_owner": fund.account_owner.display_name if fund.account_owner else None,
        "bank_name": fund.bank_name,
        "bic": fund.bic,
        "special_account": fund.special_account,
        "correspondent_account": fund.correspondent_account,
        "decision": fund.decision,
    }


def _building(request: HttpRequest, building_id: int, perm: str) -> Building | Status:
    who = caller(request)
    if who.user is not None and not who.user.has_perm(perm):
        return Status(403, {"detail": _("You have no permission to see the capital repair fund.")})
    building = (
        Building.objects.filter(organization_id__in=who.organizations.values("pk"))
        .filter(pk=building_id)
        .first()
    )
    if building is None:
        raise Http404
    return building


def _range(query: RangeQuery) -> tuple[date, date] | Status:
    start, end = Month.parse(query.start).start, Month.parse(query.end).start
    if end < start:
        message = _("The end month is before the start month")
        return Status(
            422,
            {
                "detail": message,
                "errors": [{"loc": ["query", "end"], "msg": message, "type": "value_error"}],
            },
        )
    return start, end


# ----------------------------------------------------------------------------- endpoints


@router.get(
    "/capital-repair/buildings/{building_id}/fund", response={200: BuildingFundOut, **ERRORS}
)
def capital_repair_fund(request: HttpRequest, building_id: Id, query: Query[FundQuery]):
    """How the building's capital repair fund is kept (ЖК ст.170): the settings in force on
    ``on`` and their history."""
    building = _building(request, building_id, VIEW_FUND)
    if isinstance(building, Status):
        return building
    on = query.on or timezone.localdate()
    current = fund_in_force(building=building, on=on)
    return {
        "building_id": building.pk,
        "address": building.address,
        "on": on,
        "current": _fund(current) if current else None,
        "warnings": fund_warnings(fund=current, on=on) if current else [],
        "history": [_fund(f) for f in building_funds(building=building)],
    }


@router.get(
    "/capital-repair/buildings/{building_id}/statement", response={200: StatementOut, **ERRORS}
)
def capital_repair_statement(request: HttpRequest, building_id: Id, query: Query[RangeQuery]):
    """The fund statement of the building for the months ``start``…``end``: the fund at the
    start, contributions charged and received, penalties received, paid for works, and the
    fund at the end."""
    building = _building(request, building_id, VIEW_LEDGER)
    if isinstance(building, Status):
        return building
    months = _range(query)
    if isinstance(months, Status):
        return months
    s = fund_statement(building=building, start=months[0], end=months[1], with_accounts=False)
    out: dict[str, object] = {
        "building_id": building.pk,
        "address": building.address,
        "start": s.start,
        "end": s.end,
        "fund": _fund(s.fund) if s.fund else None,
        "contributions": _contributions(s.contributions),
        "spendings": [
            {
                "work_id": sp.work_id,
                "work": sp.work.title,
                "paid_on": sp.paid_on,
                "document": sp.document,
                "amount": _rubles(sp.amount_kopecks),
                "amount_kopecks": sp.amount_kopecks,
            }
            for sp in s.spendings
        ],
    }
    for name in ("opening", "charged", "paid", "penalties_paid", "spent", "closing"):
        kopecks = getattr(s, name)
        out[name] = _rubles(kopecks)
        out[f"{name}_kopecks"] = kopecks
    return out


@router.get(
    "/capital-repair/buildings/{building_id}/contributions",
    response={200: ContributionsListOut, **ERRORS},
)
def capital_repair_contributions(
    request: HttpRequest, building_id: Id, query: Query[AccountsQuery]
):
    """The building's capital-repair contributions per account for the months
    ``start``…``end`` (accounts with no entry up to ``end`` are left out), with totals."""
    building = _building(request, building_id, VIEW_LEDGER)
    if isinstance(building, Status):
        return building
    months = _range(query)
    if isinstance(months, Status):
        return months
    rows = contributions_by_account(
        building=building, start=months[0], end=months[1], account_id=query.account
    )
    return {
        "building_id": building.pk,
        "start": months[0],
        "end": months[1],
        "items": [
            {
                "account_id": r.account_id,
                "account": r.number,
                "premises": r.premises,
                "payer": r.payer,
                "figures": _contributions(r.figures),
            }
            for r in rows
        ],
        "totals": _contributions(sum((r.figures for r in rows), Contributions())),
    }
