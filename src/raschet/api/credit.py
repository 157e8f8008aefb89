"""Credit-control endpoints of API v1: debtor notices and instalment plans.

Delivery only: plans are created through `raschet.debt.services`; an object of an
organization the caller cannot see answers 404 like a missing one.

No ``from __future__ import annotations`` here: ninja reads the parameter annotations at
import time.
"""

from datetime import date, datetime
from typing import Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StrictBool

from raschet.api import metering_selectors
from raschet.api.auth import caller, session_auth, token_auth
from raschet.api.endpoints import ERRORS, ERRORS_404, Id, Pagination
from raschet.api.metering_schemas import IsoDateString
from raschet.api.payments import MoneyIn, _rubles
from raschet.api.schemas import ErrorOut
from raschet.api.selectors import scoped
from raschet.core.money import parse_rubles
from raschet.core.penalties import PenaltySettings, RateStrategy, Regime
from raschet.core.penalties_reference import Calculation, Payment, Tranche, calculate
from raschet.debt.claim import account_penalty
from raschet.debt.models import DebtorNotice, InstalmentPlan
from raschet.debt.penalties import penalty_tables
from raschet.debt.services import DebtError, instalment_plan_create
from raschet.organizations.models import Organization

router = Router(auth=[token_auth, session_auth], tags=["credit control"])


class NoticeOut(Schema):
    id: int
    account_id: int
    created_at: datetime
    channel: str
    state: str
    reason: str
    debt: str
    debt_kopecks: int
    months_overdue: int


class InstalmentOut(Schema):
    due_on: date
    amount: str
    amount_kopecks: int


class PlanOut(Schema):
    id: int
    account_id: int
    agreed_on: date
    state: str
    debt: str
    debt_kopecks: int
    note: str
    instalments: list[InstalmentOut]


class InstalmentIn(Schema):
    due_on: IsoDateString
    amount: MoneyIn


class PlanIn(Schema):
    account: Id
    agreed_on: IsoDateString
    instalments: list[InstalmentIn] = Field(min_length=1, max_length=120)
    note: str = Field("", max_length=300)


class AccountFilter(Schema):
    account: Id | None = Field(None, description="Only this account")


def _visible(queryset: QuerySet, organizations: QuerySet[Organization]) -> QuerySet:
    return scoped(queryset, organizations).order_by("-pk")


def _notice(n: DebtorNotice) -> dict[str, object]:
    return {
        "id": n.pk,
        "account_id": n.account_id,
        "created_at": n.created_at,
        "channel": n.channel,
        "state": n.state,
        "reason": n.reason,
        "debt": _rubles(n.debt_kopecks),
        "debt_kopecks": n.debt_kopecks,
        "months_overdue": n.months_overdue,
    }


def _plan(p: InstalmentPlan) -> dict[str, object]:
    return {
        "id": p.pk,
        "account_id": p.account_id,
        "agreed_on": p.agreed_on,
        "state": p.state,
        "debt": _rubles(p.debt_kopecks),
        "debt_kopecks": p.debt_kopecks,
        "note": p.note,
        "instalments": [
            {
                "due_on": i.due_on,
                "amount": _rubles(i.amount_kopecks),
                "amount_kopecks": i.amount_kopecks,
            }
            for i in p.instalments.all()
        ],
    }


@router.get("/debt/notices", response={200: list[NoticeOut], **ERRORS})
@paginate(Pagination)
def notice_list(request: HttpRequest, filters: Query[AccountFilter]):
    """Debtor notices sent or prepared, newest first."""
    notices = _visible(DebtorNotice.objects.all(), caller(request).organizations).defer("pdf")
    if filters.account is not None:
        notices = notices.filter(account_id=filters.account)
    return [_notice(n) for n in notices]


@router.get("/debt/plans", response={200: list[PlanOut], **ERRORS})
@paginate(Pagination)
def plan_list(request: HttpRequest, filters: Query[AccountFilter]):
    """Instalment plans with their schedules, newest first."""
    plans = _visible(InstalmentPlan.objects.all(), caller(request).organizations).prefetch_related(
        "instalments"
    )
    if filters.account is not None:
        plans = plans.filter(account_id=filters.account)
    return [_plan(p) for p in plans]


@router.post(
    "/debt/plans",
    response={201: PlanOut, **ERRORS_404, 400: ErrorOut, 403: ErrorOut},
    summary="Agree an instalment plan",
)
def plan_create(request: HttpRequest, payload: PlanIn):
    """Agree a plan for an account: instalments (date, amount) summing to the debt covered.
    A second plan while one is kept, a date before the agreement, two instalments on one
    day or a zero amount answer 422 with the reason."""
    who = caller(request)
    if who.user is not None and not who.user.has_perm("debt.add_instalmentplan"):
        return Status(403, {"detail": _("You have no permission to agree instalment plans.")})
    account = metering_selectors.account_visible(
        organizations=who.organizations, account_id=payload.account
    )
    if account is None:
        raise Http404
    try:
        plan = instalment_plan_create(
            account=account,
            agreed_on=payload.agreed_on,
            schedule=[(i.due_on, parse_rubles(i.amount)) for i in payload.instalments],
            note=payload.note,
            user=who.user,
        )
    except DebtError as exc:
        message = str(exc)
        return Status(
            422,
            {
                "detail": message,
                "errors": [{"loc": ["body"], "msg": message, "type": "plan_refused"}],
            },
        )
    return Status(201, _plan(plan))


# ----------------------------------------------------------------------------- penalties


class CalcPaymentIn(Schema):
    day: IsoDateString
    amount: MoneyIn


class CalcIn(Schema):
    amount: MoneyIn = Field(description="The unpaid charge of one month, rubles")
    due: IsoDateString = Field(description="Its due date")
    until: IsoDateString = Field(description="Calculate up to this day (inclusive)")
    payments: list[CalcPaymentIn] = Field(default_factory=list, max_length=200)
    capital_repair: StrictBool = Field(False, description="ЖК ст.155 ч.14.1: 1/300 from day one")
    payment_day_counted: StrictBool = Field(True, description="The payment day is a day of delay")
    rate_strategy: Literal["payment_day", "daily"] = "payment_day"


class SegmentOut(Schema):
    start: date
    end: date
    days: int
    debt: str
    rate_percent: str
    fraction: str
    amount: str
    amount_exact: str
    act: str


class CalcOut(Schema):
    total: str
    total_kopecks: int
    segments: list[SegmentOut]


class TrancheOut(Schema):
    service: str
    month: date
    due: date
    amount: str
    penalty: str
    penalty_kopecks: int
    segments: list[SegmentOut]


class AccountPenaltyOut(Schema):
    account_id: int
    account: str
    until: date
    total: str
    total_kopecks: int
    tranches: list[TrancheOut]


def _segments(calc: Calculation) -> list[dict[str, object]]:
    return [
        {
            "start": s.start,
            "end": s.end,
            "days": s.days,
            "debt": _rubles(s.debt),
            "rate_percent": f"{s.rate_percent:.2f}",
            "fraction": s.fraction,
            "amount": _rubles(s.amount_kopecks),
            "amount_exact": str(s.amount_rubles()),
            "act": s.act,
        }
        for s in calc.segments
    ]


@router.post(
    "/penalty/calc",
    response={200: CalcOut, **ERRORS, 400: ErrorOut},  # 400: a body that is not JSON
    summary="Penalty calculator",
)
def penalty_calc(request: HttpRequest, payload: CalcIn):
    """The penalty (пени) of one month's debt by ЖК ст.155 ч.14 (or ч.14.1 for capital
    repair) with the key-rate table and special periods kept by the administrator: every
    segment (from, to, days, debt, rate, fraction, amount) and the total. Payments after the
    calculation day are ignored; payments beyond the debt are refused."""
    caller(request)
    amount = parse_rubles(payload.amount)
    payments = [Payment(p.day, parse_rubles(p.amount)) for p in payload.payments]
    regime = Regime.CAPITAL_REPAIR if payload.capital_repair else Regime.HOUSING
    try:
        calc = calculate(
            Tranche(amount, payload.due, regime),
            payments,
            until=payload.until,
            tables=penalty_tables(),
            settings=PenaltySettings(
                payment_day_counted=payload.payment_day_counted,
                rate_strategy=RateStrategy(payload.rate_strategy),
            ),
        )
    except ValueError as exc:
        message = str(exc)
        return Status(
            422,
            {"detail": message, "errors": [{"loc": ["body"], "msg": message, "type": "penalty"}]},
        )
    return {
        "total": _rubles(calc.penalty_kopecks),
        "total_kopecks": calc.penalty_kopecks,
        "segments": _segments(calc),
    }


class UntilQuery(Schema):
    until: IsoDateString = Field(description="Calculate up to this day (inclusive)")


@router.get("/accounts/{account_id}/penalty", response={200: AccountPenaltyOut, **ERRORS_404})
def account_penalty_detail(request: HttpRequest, account_id: Id, query: Query[UntilQuery]):
    """«Расчёт пени» of an account: every late month with its segments, as for a claim."""
    account = metering_selectors.account_visible(
        organizations=caller(request).organizations, account_id=account_id
    )
    if account is None:
        raise Http404
    try:
        result = account_penalty(account=account, until=query.until)
    except ValueError as exc:
        message = str(exc)
        return Status(
            422,
            {"detail": message, "errors": [{"loc": ["query"], "msg": message, "type": "penalty"}]},
        )
    return {
        "account_id": account.pk,
        "account": account.number,
        "until": query.until,
        "total": _rubles(result.total_kopecks),
        "total_kopecks": result.total_kopecks,
        "tranches": [
            {
                "service": t.service,
                "month": t.month,
                "due": t.due,
                "amount": _rubles(t.amount_kopecks),
                "penalty": _rubles(t.calculation.penalty_kopecks),
                "penalty_kopecks": t.calculation.penalty_kopecks,
                "segments": _segments(t.calculation),
            }
            for t in result.tranches
        ],
    }
