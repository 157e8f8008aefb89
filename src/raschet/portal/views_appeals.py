"""Appeals in the resident portal (issue 8, item 5): the list of an account's appeals with
their state and deadline, a new appeal (with attachments; a report of a poor or missing
service with what, when and how long), one appeal with its history, the answer, the acts
written from it and the reduction billing applied.

Every page reads the account through `resident_account` (404 unless linked) and the appeal
through the account (`account_appeal`): an appeal of another account is never found, and
neither is its attachment.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from raschet.appeals.models import AppealCategory
from raschet.appeals.selectors import (
    account_appeal,
    account_appeals,
    act_outcomes,
    attachment_response,
)
from raschet.appeals.services import (
    AppealError,
    QualityReport,
    Upload,
    appeal_file,
    attachment_limits,
)
from raschet.portal.forms_appeals import AppealForm
from raschet.portal.selectors import resident_account
from raschet.portal.views import LOGIN, branding


@login_required(login_url=LOGIN)
def appeals_view(request: HttpRequest, pk: int) -> HttpResponse:
    account = resident_account(request.user, pk)
    return render(
        request,
        "portal/appeals/list.html",
        {
            "account": account,
            "appeals": account_appeals(account),
            "brand": branding(account.organization),
        },
    )


@login_required(login_url=LOGIN)
def appeal_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The form; with HTMX, changing the category swaps in the fields of a quality report
    (``?category=quality`` renders them without JavaScript too)."""
    account = resident_account(request.user, pk)
    initial = {"category": request.GET.get("category", AppealCategory.QUESTION)}
    form = AppealForm(request.POST or None, request.FILES or None, account=account, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        report = None
        if data["category"] == AppealCategory.QUALITY:
            report = QualityReport(
                service=data["service"],
                kind=data["quality_kind"],
                started_at=data["started_at"],
                ended_at=data.get("ended_at"),
                degrees=data.get("degrees") or 0,
            )
        limit = attachment_limits().file_bytes
        uploads = []
        for f in request.FILES.getlist("attachments"):
            # never read more than the limit and a byte: the service refuses what is larger
            uploads.append(Upload(f.name or "", f.read(limit + 1)))
        try:
            appeal = appeal_file(
                account=account,
                author=request.user,
                category=data["category"],
                subject=data["subject"],
                text=data["text"],
                files=uploads,
                report=report,
            )
        except AppealError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Appeal № %(number)s is registered. The answer is due by %(due)s.")
                % {"number": appeal.number, "due": f"{appeal.due_on:%d.%m.%Y}"},
            )
            return redirect("portal:appeal", pk=account.pk, appeal=appeal.pk)
    context = {"account": account, "form": form, "brand": branding(account.organization)}
    if request.headers.get("HX-Request") and request.method == "GET":
        return render(request, "portal/appeals/_quality.html", context)
    return render(request, "portal/appeals/new.html", context)


@login_required(login_url=LOGIN)
def appeal_view(request: HttpRequest, pk: int, appeal: int) -> HttpResponse:
    account = resident_account(request.user, pk)
    item = account_appeal(account, appeal)
    return render(
        request,
        "portal/appeals/detail.html",
        {
            "account": account,
            "appeal": item,
            "events": item.events.all(),
            "attachments": item.attachments.all(),
            "acts": act_outcomes(item),
            "brand": branding(account.organization),
        },
    )


@login_required(login_url=LOGIN)
def attachment_download(request: HttpRequest, pk: int, appeal: int, file: int) -> FileResponse:
    account = resident_account(request.user, pk)
    return attachment_response(account_appeal(account, appeal), file)
