"""The building page of the resident portal: who manages the building and how to reach them,
the building's data, the capital-repair contributions charged and paid by the building's
accounts, how its capital repair fund is kept with the fund statement of the year, and the
works planned or done with what the fund paid for them.

Per linked account (`resident_account`: 404 unless the account is the resident's). The
contributions are the ledger's turnover of the capital-repair service over the building's
accounts, by calendar year up to the last closed month (`raschet.ledger.selectors.turnover`);
the fund statement is `raschet.capitalrepair.selectors.fund_statement` from January to the
last closed month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from raschet.capitalrepair.selectors import (
    FundError,
    FundStatement,
    fund_in_force,
    fund_statement,
    work_spent,
)
from raschet.housing.models import Account, Building, BuildingWork
from raschet.ledger.selectors import turnover
from raschet.organizations.models import ClosedMonth
from raschet.portal.selectors import resident_account
from raschet.portal.views import LOGIN, branding
from raschet.tariffs.models import Service

CAPITAL_REPAIR = "capital_repair"
YEARS_SHOWN = 3


@dataclass(frozen=True)
class ContributionYear:
    year: int
    until: date
    charged: int
    paid: int
    debt: int


def capital_repair_years(account: Account) -> list[ContributionYear]:
    """The building's capital-repair contributions per year (newest first), kopecks: charged
    (with recalculations, reductions and benefits), paid, and the debt at the year's end
    (or at the last closed month)."""
    service = Service.objects.filter(
        organization_id=account.organization_id, code=CAPITAL_REPAIR
    ).first()
    last = (
        ClosedMonth.objects.filter(organization_id=account.organization_id)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    if service is None or last is None:
        return []
    years = []
    for year in range(last.year, last.year - YEARS_SHOWN, -1):
        end = last if year == last.year else date(year, 12, 1)
        sheet = turnover(
            organization_ids=[account.organization_id],
            start=date(year, 1, 1),
            end=end,
            by="building",
            building_id=account.premises.building_id,
            service_id=service.pk,
        )
        t = sheet.totals
        charged = t["charged"] + t["recalculated"] + t["reductions"] + t["benefits"]
        if not charged and not t["paid"] and not t["closing"]:
            break
        years.append(ContributionYear(year, end, charged, -t["paid"], t["closing"]))
    return years


def last_closed_month(organization_id: int) -> date | None:
    return (
        ClosedMonth.objects.filter(organization_id=organization_id)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )


def fund_year(building: Building) -> FundStatement | None:
    """The building's fund statement from January to the last closed month (none before
    the first close, or without fund settings)."""
    last = last_closed_month(building.organization_id)
    if last is None:
        return None
    try:
        return fund_statement(
            building=building, start=date(last.year, 1, 1), end=last, with_accounts=False
        )
    except FundError:
        return None


@login_required(login_url=LOGIN)
def building_view(request: HttpRequest, pk: int) -> HttpResponse:
    account = resident_account(request.user, pk)
    building = account.premises.building
    works = list(BuildingWork.objects.filter(building=building).order_by("-planned_year", "title"))
    spent = work_spent(building=building)
    for work in works:
        work.fund_paid = spent.get(work.pk)  # type: ignore[attr-defined]
    return render(
        request,
        "portal/building.html",
        {
            "account": account,
            "building": building,
            "manager": account.organization,
            "brand": branding(account.organization),
            "contributions": capital_repair_years(account),
            "works": works,
            "fund": fund_in_force(building=building, on=timezone.localdate()),
            "fund_year": fund_year(building),
            "premises_count": building.premises.count(),
        },
    )
