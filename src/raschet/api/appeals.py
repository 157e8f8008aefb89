"""Appeals endpoints of API v1: the queue of residents' appeals, one appeal with its history
and acts, and the answer (issue 8, item 5) — for a help-desk or CRM system working the queue.

Delivery only: the rules are in `raschet.appeals` (deadlines, answering, refusals). An appeal
of an organization the caller does not reach answers 404. A staff session needs
``appeals.view_appeal`` to read and ``appeals.change_appeal`` to answer; a token reaches its
organizations.

No ``from __future__ import annotations`` here: ninja reads the parameter annotations at
import time.
"""

from datetime import date, datetime

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from raschet.api.auth import caller, session_auth, token_auth
from raschet.api.endpoints import ERRORS, ERRORS_404, Id, Pagination
from raschet.api.schemas import ErrorOut
from raschet.appeals.models import Appeal, AppealCategory, AppealState
from raschet.appeals.selectors import act_outcomes, queue
from raschet.appeals.services import AppealError, appeal_answer

router = Router(auth=[token_auth, session_auth], tags=["appeals"])

VIEW = "appeals.view_appeal"
CHANGE = "appeals.change_appeal"


def _allowed(request: HttpRequest, perm: str) -> bool:
    who = caller(request)
    return who.user is None or who.user.has_perm(perm)


ERRORS_403 = {**ERRORS, 403: ErrorOut}


def _appeal(request: HttpRequest, appeal_id: int) -> Appeal:
    appeal = (
        Appeal.objects.filter(organization__in=caller(request).organizations, pk=appeal_id)
        .select_related("account", "service")
        .first()
    )
    if appeal is None:
        raise Http404
    return appeal


class AppealOut(Schema):
    id: int
    number: str
    account: str = Field(description="Account number")
    category: str
    subject: str
    state: str
    received_at: datetime
    due_on: date
    answered_at: datetime | None

    @staticmethod
    def resolve_account(obj: Appeal) -> str:
        return obj.account.number

    @staticmethod
    def resolve_received_at(obj: Appeal) -> datetime:
        return obj.created_at


class AppealEventOut(Schema):
    at: datetime
    text: str


class ActOut(Schema):
    period: date
    service: str
    kind: str
    state: str
    act_number: str
    reduction_kopecks: int | None = Field(
        description="Taken off the month's charge by posted runs; null until a run posts it"
    )


class AppealDetailOut(AppealOut):
    text: str
    answer: str
    events: list[AppealEventOut]
    acts: list[ActOut]

    @staticmethod
    def resolve_events(obj: Appeal) -> list[dict]:
        return [{"at": e.at, "text": e.text} for e in obj.events.all()]

    @staticmethod
    def resolve_acts(obj: Appeal) -> list[dict]:
        return [
            {
                "period": o.act.period,
                "service": o.act.service.code,
                "kind": o.act.kind,
                "state": o.act.state,
                "act_number": o.act.act_number,
                "reduction_kopecks": o.reduction,
            }
            for o in act_outcomes(obj)
        ]


class QueueFilter(Schema):
    state: AppealState | None = None
    category: AppealCategory | None = None
    account: str | None = Field(None, max_length=30, description="Account number")


class AnswerIn(Schema):
    answer: str = Field(min_length=1, max_length=10_000)


@router.get("/appeals", response={200: list[AppealOut], **ERRORS})
@paginate(Pagination)
def appeal_list(request: HttpRequest, filters: Query[QueueFilter]):
    """Appeals by deadline, the earliest first (none without the permission to see them)."""
    if not _allowed(request, VIEW):
        return Appeal.objects.none()
    ids = list(caller(request).organizations.values_list("pk", flat=True))
    qs = queue(ids, state=filters.state or "", category=filters.category or "")
    if filters.account:
        qs = qs.filter(account__number=filters.account)
    return qs


@router.get("/appeals/{appeal_id}", response={200: AppealDetailOut, **ERRORS_404, 403: ErrorOut})
def appeal_detail(request: HttpRequest, appeal_id: Id):
    if not _allowed(request, VIEW):
        return Status(403, {"detail": _("You have no permission to work with appeals.")})
    return _appeal(request, appeal_id)


@router.post(
    "/appeals/{appeal_id}/answer",
    response={200: AppealDetailOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut, **ERRORS_404},
)
def appeal_answer_endpoint(request: HttpRequest, appeal_id: Id, body: AnswerIn):
    """Answer the appeal: the resident sees it in the portal and gets it by e-mail. 409 when
    it is answered already or a quality report still has draft acts."""
    if not _allowed(request, CHANGE):
        return Status(403, {"detail": _("You have no permission to work with appeals.")})
    appeal = _appeal(request, appeal_id)
    who = caller(request)
    try:
        appeal_answer(appeal, who.user, body.answer)
    except AppealError as exc:
        return Status(409, {"detail": str(exc)})
    return appeal
