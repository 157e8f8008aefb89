"""Payments endpoints of API v1: take a payment (idempotent), list payments, an account's
balances per service, and the turnover sheet.

Delivery only: writes go through `raschet.payments.services`, reads through the ledger's
selectors. Money in requests and answers is a decimal string of rubles with two places and
the same amount in kopecks; never a JSON float.

No ``from __future__ import annotations`` here: ninja reads the parameter annotations at
import time.
"""

from datetime import date, datetime
from typing import Annotated, Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import field_validator

from raschet.api import metering_selectors
from raschet.api.auth import caller, session_auth, token_auth
from raschet.api.billing_schemas import MONEY_PATTERN, PeriodIn
from raschet.api.endpoints import ERRORS, ERRORS_404, Id, Pagination
from raschet.api.metering import IDEMPOTENCY_KEY_PATTERN
from raschet.api.metering_schemas import IsoDateString, Period
from raschet.api.schemas import ErrorOut
from raschet.api.selectors import scoped
from raschet.core.money import MoneyError, parse_rubles
from raschet.core.periods import Month
from raschet.ledger.models import LedgerEntry
from raschet.ledger.selectors import FIGURES, account_balances, turnover
from raschet.organizations.models import Organization
from raschet.payments.models import Channel, Payment, PaymentSource, PaymentState
from raschet.payments.services import (
    PaymentError,
    Target,
    payment_create,
    payment_source_default,
)
from raschet.tariffs.models import Service

router = Router(auth=[token_auth, session_auth], tags=["payments"])

Money = Annotated[
    str,
    Field(pattern=MONEY_PATTERN, description="Rubles, decimal string", examples=["1500.00"]),
]
MoneyIn = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{1,10}([.,][0-9]{1,2})?$",
        description="Rubles, a decimal string with at most two places",
        examples=["1500.00"],
    ),
]


def _money(kopecks: int) -> dict[str, object]:
    sign = "-" if kopecks < 0 else ""
    rubles, kop = divmod(abs(kopecks), 100)
    return {"rubles": f"{sign}{rubles}.{kop:02d}", "kopecks": kopecks}


def _rubles(kopecks: int) -> str:
    return str(_money(kopecks)["rubles"])


# ----------------------------------------------------------------------------- schemas


class TargetIn(Schema):
    service: Id = Field(description="Service id")
    amount: MoneyIn


class PaymentIn(Schema):
    account: Id = Field(description="Account id")
    amount: MoneyIn
    paid_on: IsoDateString | None = Field(None, description="Payment date; today when omitted")
    period: PeriodIn | None = Field(
        None, description="The payment-document month being paid, YYYY-MM (optional)"
    )
    targets: list[TargetIn] = Field(
        default_factory=list,
        description="A targeted payment: amounts per service, summing to `amount`",
        max_length=50,
    )
    source: str | None = Field(
        None,
        max_length=40,
        description="Code of a payment source of the organization (default: its API source)",
    )
    payer_name: str = Field("", max_length=300)

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: str) -> str:
        if parse_rubles(value) <= 0:
            raise ValueError(_("the amount must be greater than zero"))
        return value


class AllocationOut(Schema):
    kind: str
    service_id: int | None
    payee_id: int | None
    debt_period: Period | None
    penalty: bool
    amount: Money
    amount_kopecks: int


class PaymentOut(Schema):
    id: int
    organization_id: int
    account_id: int | None
    account_number: str
    source: str
    operation_id: str
    paid_on: date
    period: Period | None
    amount: Money
    amount_kopecks: int
    state: str
    posted_period: Period | None
    created_at: datetime
    allocations: list[AllocationOut] = []


class BalanceOut(Schema):
    service_id: int | None
    service: str
    payee_id: int | None
    payee: str
    balance: Money
    balance_kopecks: int
    penalty_kopecks: int


class AccountBalancesOut(Schema):
    account_id: int
    account: str
    total: Money
    total_kopecks: int
    services: list[BalanceOut]


class TurnoverRowOut(Schema):
    key: int | None
    label: str
    figures_kopecks: dict[str, int]


class TurnoverOut(Schema):
    by: str
    start: date
    end: date
    figures: list[str]
    rows: list[TurnoverRowOut]
    totals_kopecks: dict[str, int]


# ----------------------------------------------------------------------------- helpers


def _unprocessable(message: str, loc: str = "body") -> Status:
    return Status(
        422,
        {"detail": message, "errors": [{"loc": [loc], "msg": message, "type": "payment_rejected"}]},
    )


def _payment_out(payment: Payment, source: str, with_allocations: bool) -> dict[str, object]:
    out: dict[str, object] = {
        "id": payment.pk,
        "organization_id": payment.organization_id,
        "account_id": payment.account_id,
        "account_number": payment.account_number,
        "source": source,
        "operation_id": payment.operation_id,
        "paid_on": payment.paid_on,
        "period": payment.period,
        "amount": _rubles(payment.amount_kopecks),
        "amount_kopecks": payment.amount_kopecks,
        "state": payment.state,
        "posted_period": payment.posted_period,
        "created_at": payment.created_at,
    }
    if with_allocations:
        out["allocations"] = [
            {
                "kind": e.kind,
                "service_id": e.service_id,
                "payee_id": e.payee_id,
                "debt_period": e.debt_period,
                "penalty": e.penalty,
                "amount": _rubles(-e.amount_kopecks),
                "amount_kopecks": -e.amount_kopecks,
            }
            for e in LedgerEntry.objects.filter(payment_id=payment.pk).order_by("id")
        ]
    return out


def payments_visible(organizations: QuerySet[Organization]) -> QuerySet[Payment]:
    return scoped(Payment.objects.all(), organizations).order_by("-pk")


# ----------------------------------------------------------------------------- endpoints

CREATE_DESCRIPTION = """\
Take a payment for an account (an online acquiring callback, a partner's cash desk…) and
post it: it is allocated to the account's debts by the organization's rules — the
`targets` services when given, else the `period` month first, else the oldest month first,
proportionally to the unpaid services inside a month, principal before penalties, the rest
as an advance.

`Idempotency-Key` (required): the operation id of this payment within its source, e.g. the
acquirer's transaction id or a UUID. Sending the same key again answers **200** with the
payment stored the first time and writes nothing; the same key with another account or
amount answers **409**. A new payment answers **201** with its allocations.
"""


@router.post(
    "/payments",
    response={
        200: PaymentOut,
        201: PaymentOut,
        **ERRORS_404,
        400: ErrorOut,  # a body that is not JSON
        403: ErrorOut,
        409: ErrorOut,
    },
    description=CREATE_DESCRIPTION,
    summary="Take a payment",
)
def payment_take(
    request: HttpRequest,
    payload: PaymentIn,
    idempotency_key: Annotated[
        str,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=64,
            pattern=IDEMPOTENCY_KEY_PATTERN,
            description="Operation id of this payment within its source (a UUID)",
        ),
    ],
):
    who = caller(request)
    if who.user is not None and not who.user.has_perm("payments.add_payment"):
        return Status(403, {"detail": _("You have no permission to take payments.")})
    account = metering_selectors.account_visible(
        organizations=who.organizations, account_id=payload.account
    )
    if account is None:
        raise Http404
    organization = account.organization
    if payload.source:
        source = PaymentSource.objects.filter(
            organization=organization, code=payload.source, is_active=True
        ).first()
        if source is None:
            return _unprocessable(_("Unknown payment source: %(code)s") % {"code": payload.source})
    else:
        source = payment_source_default(organization=organization, channel=Channel.API)
    # the key identifies the operation whatever the date: a retry after midnight is a replay
    earlier = Payment.objects.filter(
        organization_id=organization.pk, source_id=source.pk, operation_id=idempotency_key
    ).first()
    amount = parse_rubles(payload.amount)
    if earlier is not None:
        if earlier.account_id != account.pk or earlier.amount_kopecks != amount:
            return Status(
                409, {"detail": _("This Idempotency-Key was already used for another payment.")}
            )
        return Status(200, _payment_out(earlier, source.code, True))
    services = {
        s.pk: s
        for s in Service.objects.filter(
            organization_id=organization.pk, pk__in=[t.service for t in payload.targets]
        )
    }
    targets = []
    for t in payload.targets:
        if t.service not in services:
            return Status(404, {"detail": _("Unknown service: %(id)s") % {"id": t.service}})
        targets.append(Target(services[t.service], parse_rubles(t.amount)))
    try:
        payment, created = payment_create(
            organization=organization,
            source=source,
            account=account,
            amount_kopecks=amount,
            paid_on=payload.paid_on or timezone.localdate(),
            operation_id=idempotency_key,
            period=Month.parse(payload.period).start if payload.period else None,
            targets=targets,
            payer_name=payload.payer_name,
            user=who.user,
        )
    except (PaymentError, MoneyError) as exc:
        return _unprocessable(str(exc))
    return Status(201 if created else 200, _payment_out(payment, source.code, True))


class PaymentFilter(Schema):
    account: Id | None = Field(None, description="Only payments of this account")
    state: PaymentState | None = Field(None, description="posted, unidentified or reversed")
    paid_from: IsoDateString | None = Field(None, description="Paid on or after this date")
    paid_to: IsoDateString | None = Field(None, description="Paid on or before this date")


@router.get("/payments", response={200: list[PaymentOut], **ERRORS})
@paginate(Pagination)
def payment_list(request: HttpRequest, filters: Query[PaymentFilter]):
    """Payments of the caller's organizations, newest first (without allocations)."""
    payments = payments_visible(caller(request).organizations)
    if filters.account is not None:
        payments = payments.filter(account_id=filters.account)
    if filters.state is not None:
        payments = payments.filter(state=filters.state)
    if filters.paid_from is not None:
        payments = payments.filter(paid_on__gte=filters.paid_from)
    if filters.paid_to is not None:
        payments = payments.filter(paid_on__lte=filters.paid_to)
    sources = dict(PaymentSource.objects.values_list("pk", "code"))
    return [_payment_out(p, sources.get(p.source_id, ""), False) for p in payments]


@router.get("/payments/{payment_id}", response={200: PaymentOut, **ERRORS_404})
def payment_detail(request: HttpRequest, payment_id: Id):
    """One payment with its allocations (and reversal entries, if reversed)."""
    payment = payments_visible(caller(request).organizations).filter(pk=payment_id).first()
    if payment is None:
        raise Http404
    source = PaymentSource.objects.filter(pk=payment.source_id).values_list("code", flat=True)
    return _payment_out(payment, source.first() or "", True)


@router.get("/accounts/{account_id}/balances", response={200: AccountBalancesOut, **ERRORS_404})
def account_balance_list(request: HttpRequest, account_id: Id):
    """The account's balance per service × payee (positive: debt; negative: advance)."""
    account = metering_selectors.account_visible(
        organizations=caller(request).organizations, account_id=account_id
    )
    if account is None:
        raise Http404
    balances = account_balances(account=account)
    total = sum(b.balance for b in balances)
    return {
        "account_id": account.pk,
        "account": account.number,
        "total": _rubles(total),
        "total_kopecks": total,
        "services": [
            {
                "service_id": b.service_id,
                "service": b.service,
                "payee_id": b.payee_id,
                "payee": b.payee,
                "balance": _rubles(b.balance),
                "balance_kopecks": b.balance,
                "penalty_kopecks": b.penalty,
            }
            for b in balances
        ],
    }


class TurnoverQuery(Schema):
    period: PeriodIn = Field(description="First month, YYYY-MM")
    to: PeriodIn | None = Field(None, description="Last month, YYYY-MM (default: `period`)")
    by: Literal["account", "building", "service", "payee"] = Field(
        "service", description="Rows by account, building, service or payee"
    )
    organization: Id | None = Field(None, description="Only this organization")


@router.get("/reports/turnover", response={200: TurnoverOut, **ERRORS})
def turnover_report(request: HttpRequest, query: Query[TurnoverQuery]):
    """The turnover sheet (ОСВ): opening balance, charged, recalculated, reductions, benefits,
    paid, penalties, other, closing balance — in kopecks, by the chosen dimension."""
    organizations = caller(request).organizations
    if query.organization is not None:
        organizations = organizations.filter(pk=query.organization)
    start = Month.parse(query.period).start
    end = Month.parse(query.to).start if query.to else start
    if end < start:
        return _unprocessable(_("`to` is before `period`"), "to")
    sheet = turnover(
        organization_ids=list(organizations.values_list("pk", flat=True)),
        start=start,
        end=end,
        by=query.by,
    )
    return {
        "by": sheet.by,
        "start": sheet.start,
        "end": sheet.end,
        "figures": list(FIGURES),
        "rows": [
            {"key": r.key, "label": r.label, "figures_kopecks": r.figures} for r in sheet.rows
        ],
        "totals_kopecks": sheet.totals,
    }
