"""Payment documents (ЕПД) in the resident portal.

One page per linked account (`resident_account`: 404 unless the account is linked to the
resident): the closed months of the account's organization in which the account was open,
each with its archived document — the latest version, its amount due and the day it was
printed — and a download link.

Downloading a closed month that has no archived document yet prints it first for this one
account (`raschet.documents.services.documents_print`), so a resident gets the document
before, or without, the organization's mass print; the document is archived like any other
(version 1, printed by nobody). A refusal of the printing service — a payee's bank details
incomplete, the archived file gone — is shown on the page in Russian, nothing is served.

Not included: earlier versions of a re-issued document (the resident sees the last one), the
choice of paper-free delivery.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from raschet.core.periods import Month
from raschet.documents.models import PaymentDocument
from raschet.documents.selectors import account_open_in
from raschet.documents.services import PrintError, document_pdf, documents_print, latest_document
from raschet.housing.models import Account
from raschet.organizations.models import ClosedMonth
from raschet.portal.selectors import account_document_months, resident_account
from raschet.portal.views import LOGIN, branding


def portal_out_dir() -> Path:
    """Where documents printed on demand are linked to (the archive keeps the originals)."""
    return Path(settings.DATA_DIR) / "documents" / "portal-out"


def _period(text: str) -> date | None:
    try:
        return Month.parse(text).start
    except ValueError:
        return None


def document_filename(account: Account, period: date) -> str:
    return f"epd-{period:%Y-%m}-{account.number}.pdf"


@login_required(login_url=LOGIN)
def documents_view(request: HttpRequest, pk: int) -> HttpResponse:
    account = resident_account(request.user, pk)
    return render(
        request,
        "portal/documents/documents.html",
        {
            "account": account,
            "brand": branding(account.organization),
            "months": account_document_months(account),
        },
    )


def _print_on_demand(account: Account, period: date) -> PaymentDocument:
    """Print the month's document of this one account and return what was archived."""
    try:
        job = documents_print(
            organization=account.organization,
            period=period,
            out_dir=portal_out_dir(),
            account_numbers=[account.number],
            user=None,
        )
        error = job.error
    except IntegrityError:  # the same document printed by a second click at the same time
        error = ""
    document = latest_document(account, period)
    if document is None:
        raise PrintError(error or _("The printing service did not archive the document."))
    return document


@login_required(login_url=LOGIN)
def document_download(request: HttpRequest, pk: int, period: str) -> HttpResponse:
    """The month's ЕПД as a PDF; printed first when the month has none archived yet."""
    account = resident_account(request.user, pk)
    month = _period(period)
    if (
        month is None
        or not account_open_in(account, month)
        or not ClosedMonth.objects.filter(
            organization_id=account.organization_id, month=month
        ).exists()
    ):
        raise Http404(_("No payment document for this month"))
    try:
        document = latest_document(account, month) or _print_on_demand(account, month)
        pdf = document_pdf(document)
    except PrintError as exc:
        messages.error(
            request,
            _("The payment document for %(month)s cannot be prepared now: %(reason)s")
            % {"month": f"{month:%m.%Y}", "reason": exc},
        )
        return redirect("portal:documents", pk=account.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, document_filename(account, month)
    )
    return response
