"""Billing endpoints of API v1: runs with their trial report, and an account's charge lines
with their provenance.

Delivery only: runs and lines are read through `raschet.billing.selectors`; an object of an
organization the caller cannot see answers 404 like a missing one.

No ``from __future__ import annotations`` here: ninja reads the parameter annotations at
import time.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from raschet.api import metering_selectors
from raschet.api.auth import caller, session_auth, token_auth
from raschet.api.billing_schemas import (
    AccountChargesOut,
    PeriodIn,
    RunDetailOut,
    RunOut,
)
from raschet.api.endpoints import ERRORS, ERRORS_404, Id, Pagination
from raschet.api.selectors import scoped
from raschet.billing.models import BillingRun, ChargeLine, LineKind
from raschet.billing.selectors import account_lines
from raschet.core.billing import METHOD_CODES, Method
from raschet.core.fixedpoint import AREA_SCALE, NORM_SCALE, RATE_SCALE, VOLUME_SCALE
from raschet.core.periods import Month
from raschet.organizations.models import Organization

router = Router(auth=[token_auth, session_auth], tags=["billing"])


# ----------------------------------------------------------------------------- selectors


def runs_visible(organizations: QuerySet[Organization]) -> QuerySet[BillingRun]:
    """Runs of ``organizations``, newest first (one query per page, a subquery for scope)."""
    return scoped(BillingRun.objects.all(), organizations).order_by("-pk")


# ----------------------------------------------------------------------------- formatting


def _fixed(value: int, scale: int, places: int) -> str:
    """``value / scale`` with exactly ``places`` decimals (exact: scales are powers of 10)."""
    return f"{Decimal(value) / scale:.{places}f}"


def _money(kopecks: int) -> str:
    return _fixed(kopecks, 100, 2)


def _method_code(value: int) -> str:
    try:
        return METHOD_CODES.get(Method(value), str(value))
    except ValueError:
        return str(value)


def _month(value: Any) -> date | None:
    """A report's ISO date (``"2024-12-01"``) as a date; ``None`` when missing or broken."""
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _report(run: BillingRun) -> dict | None:
    """`BillingRun.report` with money in rubles and kopecks, for `RunReportOut`."""
    report = run.report or {}
    if not report:
        return None

    def money(name: str, row: dict) -> dict:
        kopecks = int(row.get(name) or 0)
        return {name: _money(kopecks), f"{name}_kopecks": kopecks}

    return {
        "previous_period": _month(report.get("previous_period")),
        "services": [
            {
                "service_id": int(s["service_id"]),
                "service": str(s.get("service", "")),
                **money("previous", s),
                **money("current", s),
            }
            for s in report.get("services", [])
        ],
        **money("recalculation_total", report),
        "threshold_percent": int(report.get("threshold_percent", 0)),
        "changed_accounts": [
            {
                "account_id": int(a["account_id"]),
                "account": str(a.get("account", a["account_id"])),
                **money("previous", a),
                **money("current", a),
            }
            for a in report.get("changed_accounts", [])
        ],
        "changed_accounts_count": int(report.get("changed_accounts_count", 0)),
    }


def _line(line: ChargeLine) -> dict:
    service = getattr(line, "service", None)
    amounts = {
        "amount": line.amount,
        "coefficient_amount": line.coefficient_amount,
        "reduction": line.reduction,
        "fine": line.fine,
        "benefit": line.benefit,
        "benefit_cash": line.benefit_cash,
        "total": line.total,
    }
    return {
        "id": line.pk,
        "run_id": line.run_id,
        "kind": line.kind,
        "period": line.period,
        "corrects_period": line.corrects_period,
        "reason": line.reason,
        "service_id": line.service_id,
        "service_code": service.code if service is not None else "",
        "service_name": service.name if service is not None else "",
        "unit": service.unit if service is not None else "",
        "method": _method_code(line.method),
        "volume": _fixed(line.volume, VOLUME_SCALE, 6),
        "coefficient_volume": _fixed(line.coefficient_volume, VOLUME_SCALE, 6),
        # With sub-periods the line's rate is only one of the month's tariffs.
        "tariff": (
            _fixed(line.rate, RATE_SCALE, 4)
            if line.rate is not None and line.segments == 1
            else None
        ),
        "norm": _fixed(line.norm, NORM_SCALE, 6) if line.norm is not None else None,
        "persons": line.persons,
        "area_m2": _fixed(line.area, AREA_SCALE, 2),
        "average_months": line.average_months,
        "segments": line.segments,
        **{name: _money(value) for name, value in amounts.items()},
        **{f"{name}_kopecks": value for name, value in amounts.items()},
        "explanation": getattr(line, "explanation", ""),
    }


# ----------------------------------------------------------------------------- endpoints


class RunFilter(Schema):
    period: PeriodIn | None = Field(None, description="Only runs of this month, YYYY-MM")
    organization: Id | None = Field(None, description="Only runs of this organization")


@router.get("/billing/runs", response={200: list[RunOut], **ERRORS})
@paginate(Pagination)
def billing_run_list(request: HttpRequest, filters: Query[RunFilter]):
    """Billing runs of the caller's organizations, newest first (without their reports)."""
    runs = runs_visible(caller(request).organizations).defer("report")
    if filters.period is not None:
        runs = runs.filter(period=Month.parse(filters.period).start)
    if filters.organization is not None:
        runs = runs.filter(organization_id=filters.organization)
    return runs


@router.get("/billing/runs/{run_id}", response={200: RunDetailOut, **ERRORS_404})
def billing_run_detail(request: HttpRequest, run_id: Id):
    """One run: state, progress, months recomputed, and its trial report."""
    run = runs_visible(caller(request).organizations).filter(pk=run_id).first()
    if run is None:
        raise Http404
    # The stored report (kopecks, ISO dates) laid out for the schema; never saved.
    run.report = _report(run)
    return run


class ChargesQuery(Schema):
    period: PeriodIn = Field(description="Billing month the lines are posted in, YYYY-MM")
    run: Id | None = Field(
        None, description="Show the lines of this (unposted) run instead of the posted ones"
    )


CHARGES_DESCRIPTION = """\
The lines posted for the account in `period`: the month's own charge per service, and the
recalculations of earlier months posted in it (`kind` = `recalculation`, with
`corrects_period` and `reason`). With `run`, the lines of that run instead (e.g. a trial run
before it is posted). Each line carries its provenance (method, volume, tariff, norm,
persons, area) and `explanation`, the derivation in Russian.
"""


@router.get(
    "/accounts/{account_id}/charges",
    response={200: AccountChargesOut, **ERRORS_404},
    description=CHARGES_DESCRIPTION,
    summary="Charge lines of an account for a month",
)
def account_charges(request: HttpRequest, query: Query[ChargesQuery], account_id: Id):
    account = metering_selectors.account_visible(
        organizations=caller(request).organizations, account_id=account_id
    )
    if account is None:
        raise Http404
    run = None
    if query.run is not None:
        run = BillingRun.objects.filter(
            pk=query.run, organization_id=account.organization_id
        ).first()
        if run is None:
            raise Http404
    month = Month.parse(query.period)
    lines = account_lines(account, month.start, run=run)
    charges = sum(
        ln.total for ln in lines if ln.kind == LineKind.CHARGE and ln.corrects_period == month.start
    )
    everything = sum(ln.total for ln in lines)
    return {
        "account_id": account.pk,
        "account": account.number,
        "period": month.start,
        "run_id": run.pk if run is not None else None,
        "lines": [_line(ln) for ln in lines],
        "charges_total": _money(charges),
        "charges_total_kopecks": charges,
        "recalculations_total": _money(everything - charges),
        "recalculations_total_kopecks": everything - charges,
        "total": _money(everything),
        "total_kopecks": everything,
    }
