"""Reading appeals: a resident's, an operator's queue, and what a confirmed act changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet, Sum
from django.http import FileResponse, Http404
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from raschet.appeals.models import Appeal, AppealAttachment, AppealState
from raschet.billing.models import ActState, BillingRun, ChargeLine, QualityAct, RunState
from raschet.housing.models import Account


def account_appeals(account: Account) -> QuerySet[Appeal]:
    return Appeal.objects.filter(
        organization_id=account.organization_id, account_id=account.pk
    ).order_by("-created_at", "-pk")


def account_appeal(account: Account, pk: int) -> Appeal:
    """An appeal of this account, or 404 — whoever filed it: a family linked to one account
    shares its appeals; an appeal of another account is never found."""
    appeal = account_appeals(account).filter(pk=pk).select_related("service").first()
    if appeal is None:
        raise Http404
    return appeal


def queue(
    organization_ids: list[int],
    *,
    state: str = "",
    category: str = "",
    overdue_on: date | None = None,
    query: str = "",
) -> QuerySet[Appeal]:
    """The operators' queue: open appeals first by deadline, then the answered ones."""
    qs = Appeal.objects.filter(organization_id__in=organization_ids).select_related(
        "account", "account__premises__building", "taken_by"
    )
    if state == "open":
        qs = qs.exclude(state=AppealState.ANSWERED)
    elif state:
        qs = qs.filter(state=state)
    if category:
        qs = qs.filter(category=category)
    if overdue_on is not None:
        qs = qs.exclude(state=AppealState.ANSWERED).filter(due_on__lt=overdue_on)
    query = query.strip()
    if query:
        qs = qs.filter(Q(number=query) | Q(account__number=query) | Q(subject__icontains=query))
    return qs.order_by("due_on", "pk")


@dataclass(frozen=True)
class ActOutcome:
    """A quality act of an appeal and the reduction billing has posted for its month."""

    act: QualityAct
    reduction: int | None
    """Kopecks (≥ 0) taken off the month's charge by posted runs; None until a run posts it."""


def act_outcomes(appeal: Appeal) -> list[ActOutcome]:
    acts = list(appeal.acts.select_related("service").order_by("period", "pk"))
    posted = BillingRun.objects.filter(
        organization_id=appeal.organization_id, state=RunState.POSTED
    ).values_list("pk", flat=True)
    out = []
    for act in acts:
        reduction = None
        if act.state == ActState.CONFIRMED and act.confirmed_at is not None:
            lines = ChargeLine.objects.filter(
                organization_id=appeal.organization_id,
                run_id__in=posted,
                account_id=appeal.account_id,
                service_id=act.service_id,
                corrects_period=act.period,
            )
            # only runs posted after the confirmation can hold the act's effect
            after = BillingRun.objects.filter(
                pk__in=posted, posted_at__gt=act.confirmed_at
            ).exists()
            if after:
                total = lines.aggregate(r=Sum("reduction"))["r"] or 0
                reduction = -total
        out.append(ActOutcome(act, reduction))
    return out


def attachment_response(appeal: Appeal, pk: int) -> FileResponse:
    """An attachment of ``appeal`` as a download, or 404 (another appeal's file, or a file
    gone from the disk). Callers have checked who may see the appeal."""
    try:
        attachment = appeal.attachments.get(pk=pk)
    except AppealAttachment.DoesNotExist as exc:
        raise Http404 from exc
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file is no longer kept")) from exc
    response = FileResponse(handle, content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(False, attachment.name) or "inline"
    response["X-Content-Type-Options"] = "nosniff"  # never let a browser guess another type
    return response
