"""Metering endpoints of API v1: an account's meters and readings, and submitting a reading.

Delivery only: the rules (lower than the previous reading, roll-over, far above the average,
closed month, removed meter, future date, the same reading twice) live in
`raschet.metering.services.reading_submit`; here the request is parsed, the meter is looked
up among the account's meters (404 otherwise, as for any object the caller cannot see) and
the service's outcome or refusal is turned into an answer.

No ``from __future__ import annotations`` here: ninja reads the parameter annotations at
import time.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated

from django.db import IntegrityError
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate

from raschet.api import metering_selectors as selectors
from raschet.api.auth import Caller, caller, session_auth, token_auth
from raschet.api.endpoints import ERRORS_404, Id, Pagination
from raschet.api.metering_schemas import (
    PERIOD_PATTERN,
    MeterOut,
    ReadingOut,
    ReadingSubmitIn,
    ReadingSubmitOut,
)
from raschet.api.schemas import ErrorOut, ValidationErrorOut
from raschet.core.periods import Month
from raschet.housing.models import Account
from raschet.metering.models import ReadingSource
from raschet.metering.services import ReadingOutcome, ReadingRejected, reading_submit

# reading_submit stores a multi-zone submission under "<key>:<zone>" in a 100-character
# column; the longest zone code ("semi_peak") leaves 90 characters for the key.
IDEMPOTENCY_KEY_MAX = 90
# Visible ASCII without ":", the separator of the per-zone keys.
IDEMPOTENCY_KEY_PATTERN = r"^[!-9;-~]+$"
ORIGIN_MAX = 200

router = Router(auth=[token_auth, session_auth], tags=["metering"])


def _account(request: HttpRequest, account_id: int) -> Account:
    account = selectors.account_visible(
        organizations=caller(request).organizations, account_id=account_id
    )
    if account is None:
        raise Http404
    return account


@router.get("/accounts/{account_id}/meters", response={200: list[MeterOut], **ERRORS_404})
@paginate(Pagination)
def account_meter_list(request: HttpRequest, account_id: Id):
    """Meters of the account's premises in use while the account was open, with their state
    today (working, broken, verification expired, removed)."""
    account = _account(request, account_id)
    return selectors.account_meters(account=account, today=timezone.localdate())


class ReadingFilter(Schema):
    meter: Id | None = Field(None, description="Meter id")
    period_from: str | None = Field(
        None, pattern=PERIOD_PATTERN, description="First billing month, YYYY-MM"
    )
    period_to: str | None = Field(
        None, pattern=PERIOD_PATTERN, description="Last billing month (included), YYYY-MM"
    )
    all: bool = Field(False, description="Also readings superseded by a correction")


def _month_start(text: str | None) -> date | None:
    """The first day of a ``YYYY-MM`` the filter's pattern has already checked."""
    return None if text is None else Month.parse(text).start


@router.get("/accounts/{account_id}/readings", response={200: list[ReadingOut], **ERRORS_404})
@paginate(Pagination)
def account_reading_list(request: HttpRequest, filters: Query[ReadingFilter], account_id: Id):
    """Readings of the account's meters for the months it was open, newest first.

    Only current readings unless ``all=true``; a correction lists the reading it superseded
    in ``supersedes_id``. A meter of another account simply has no readings here.
    """
    account = _account(request, account_id)
    return selectors.account_readings(
        account=account,
        meter_id=filters.meter,
        period_from=_month_start(filters.period_from),
        period_to=_month_start(filters.period_to),
        include_superseded=filters.all,
    )


def _origin(who: Caller) -> str:
    name = who.token.name if who.token is not None else who.user.get_username()
    return f"api:{name}"[:ORIGIN_MAX]


def _rejected(exc: ReadingRejected) -> dict:
    loc = ["body", "values", exc.zone] if exc.zone else ["body"]
    return {
        "detail": str(exc),
        "errors": [{"loc": loc, "msg": str(exc), "type": "reading_rejected"}],
    }


SUBMIT_DESCRIPTION = """\
Store the readings of every zone of one meter of the account, taken on `taken_on`.

Values are decimal **strings** with at most three places (`"123.456"`); JSON numbers are
refused, so nothing is rounded on the way. The billing month follows the organization's
reading window (a reading received after the cut-off day counts for the next month).

Answers **201** with the outcome of each zone, or **200** when every zone was already stored
(a replay: nothing written). **422** with the reason when a rule refuses the reading (lower
than the previous one, a closed month, a removed meter, a date in the future…): nothing is
stored then. A meter that is not the account's answers 404.

`Idempotency-Key` (optional, recommended): a key unique within the organization, e.g. a
UUID. Sending the same key again returns the outcome stored the first time and writes
nothing, whatever the body; a key already used for another meter answers 409. Without a key,
the same value for the same month is still stored once.

Staff sessions need the permission to add readings and the session's CSRF token.
"""


@router.post(
    "/accounts/{account_id}/readings",
    response={
        200: ReadingSubmitOut,
        201: ReadingSubmitOut,
        **ERRORS_404,
        400: ErrorOut,  # a body that is not JSON
        403: ErrorOut,
        409: ErrorOut,
        422: ValidationErrorOut,
    },
    description=SUBMIT_DESCRIPTION,
    summary="Submit a reading",
)
def account_reading_submit(
    request: HttpRequest,
    account_id: Id,
    payload: ReadingSubmitIn,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=IDEMPOTENCY_KEY_MAX,
            pattern=IDEMPOTENCY_KEY_PATTERN,
            description="Unique key of this submission within the organization (a UUID)",
        ),
    ] = None,
):
    who = caller(request)
    if who.user is not None and not who.user.has_perm("metering.add_reading"):
        return Status(403, {"detail": _("You have no permission to enter meter readings.")})
    account = _account(request, account_id)
    today = timezone.localdate()
    meter = selectors.account_meter(account=account, meter_id=payload.meter, today=today)
    if meter is None:
        raise Http404
    if idempotency_key is not None:
        earlier = selectors.idempotency_key_readings(
            organization_id=meter.organization_id, key=idempotency_key
        )
        if any(reading.meter_id != meter.pk for reading in earlier):
            return Status(
                409, {"detail": _("This Idempotency-Key was already used for another meter.")}
            )
        if earlier:
            replayed = [
                ReadingOutcome(r.zone, "duplicate", _("Already received"), r) for r in earlier
            ]
            return Status(200, _submit_body(meter.pk, replayed))
    if account.closed_on is not None and payload.taken_on >= account.closed_on:
        return Status(
            422,
            _rejected(
                ReadingRejected(
                    _("Account %(number)s is closed since %(date)s")
                    % {"number": account.number, "date": f"{account.closed_on:%d.%m.%Y}"}
                )
            ),
        )
    try:
        outcomes = reading_submit(
            meter=meter,
            values={zone: Decimal(value) for zone, value in payload.values.items()},
            taken_on=payload.taken_on,
            source=ReadingSource.API,
            today=today,
            idempotency_key=idempotency_key,
            origin=_origin(who),
            user=who.user,
        )
    except ReadingRejected as exc:
        return Status(422, _rejected(exc))
    except IntegrityError:
        # A concurrent request stored the same key or the month's reading first.
        return Status(
            409,
            {
                "detail": _(
                    "Another request stored a reading of this meter at the same time; "
                    "send this one again."
                )
            },
        )
    replay = all(o.status == "duplicate" for o in outcomes)
    return Status(200 if replay else 201, _submit_body(meter.pk, outcomes))


def _submit_body(meter_id: int, outcomes: list[ReadingOutcome]) -> dict:
    return {
        "meter_id": meter_id,
        "outcomes": [
            {
                "zone": o.zone,
                "status": o.status,
                "message": o.message,
                "reading_id": o.reading.pk,
                "period": o.reading.period,
                "volume": o.reading.volume,
            }
            for o in outcomes
        ],
    }
