"""Operator pages of payment documents (ЕПД): the archive on the account card, a re-issue for
one account, and a building's bundle for the delivery round.

Views parse the request and call `raschet.documents.services`; the rules (which accounts, the
payees' bank details, versions, the archive) live there, and so do the refusals, which are
shown in Russian as the service words them.

Permissions: ``documents.view_paymentdocument`` to see and download archived documents and
print jobs, ``documents.add_printjob`` to print. Every object is read within the
organizations the user serves (`organizations_for_user`): another organization's document,
job or file answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from raschet.backoffice.card import account_for_user
from raschet.backoffice.views import admin_context, saved_upload
from raschet.core.money import format_rubles
from raschet.core.periods import Month
from raschet.documents.gis import IpdImportError, ipd_import
from raschet.documents.models import JobState, PaymentDocument, PrintFile, PrintJob
from raschet.documents.selectors import document_months
from raschet.documents.services import PrintError, document_pdf, documents_print, latest_document
from raschet.housing.models import Account, Building
from raschet.organizations.models import Organization
from raschet.organizations.selectors import organizations_for_user

VIEW = "documents.view_paymentdocument"
PRINT = "documents.add_printjob"
IMPORT_IPD = "documents.add_gisdocumentid"
CARD_MONTHS = 24
"""The card shows the last two years of closed months; older documents stay in the archive."""
JOBS_SHOWN = 20


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def out_dir() -> Path:
    """Where the back office's print jobs put their files (hard links into the archive)."""
    return Path(settings.DATA_DIR) / "documents" / "out"


# --- the account card -------------------------------------------------------------------------


@dataclass(frozen=True)
class CardMonth:
    """A closed month of the account on its card: every version issued, newest first."""

    period: date
    documents: list[PaymentDocument]


def card_documents_context(account: Account) -> dict[str, Any]:
    """The card's «ЕПД» block: the last closed months in which the account was open, each
    with its archived documents (two queries whatever the number of months and versions)."""
    periods = document_months(account, limit=CARD_MONTHS)
    by_period: dict[date, list[PaymentDocument]] = {p: [] for p in periods}
    for document in (
        PaymentDocument.objects.filter(
            organization_id=account.organization_id, account_id=account.pk, period__in=periods
        )
        .select_related("printed_by")
        .order_by("-period", "-version")
    ):
        document.amount_due_rubles = format_rubles(document.amount_due)  # type: ignore[attr-defined]
        by_period[document.period].append(document)
    return {"epd_months": [CardMonth(p, docs) for p, docs in by_period.items()]}


def _card_url(account_id: int) -> str:
    return reverse("backoffice:account_card", args=[account_id]) + "#card-documents"


@staff_member_required
def document_download_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One archived document as a PDF (its page cut from a bundle when it was bundled)."""
    _need(request, VIEW)
    document = get_object_or_404(
        PaymentDocument.objects.select_related("file"),
        pk=pk,
        organization__in=organizations_for_user(request.user),
    )
    number = Account.objects.filter(pk=document.account_id).values_list("number", flat=True)
    try:
        pdf = document_pdf(document)
    except PrintError as exc:
        messages.error(request, str(exc))
        return redirect(_card_url(document.account_id))
    name = f"epd-{document.period:%Y-%m}-{number.first() or document.account_id}"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, f"{name}-v{document.version}.pdf"
    )
    return response


@staff_member_required
@require_POST
def account_print_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Print (re-issue) the account's document of a closed month and go back to the card."""
    _need(request, PRINT)
    account = account_for_user(request.user, pk)
    try:
        month = Month.parse(request.POST.get("period", ""))
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect(_card_url(account.pk))
    try:
        job = documents_print(
            organization=account.organization,
            period=month.start,
            out_dir=out_dir(),
            account_numbers=[account.number],
            user=request.user,
        )
    except PrintError as exc:
        messages.error(request, str(exc))
        return redirect(_card_url(account.pk))
    document = latest_document(account, month.start)
    if job.state != JobState.DONE or document is None or document.file.job_id != job.pk:
        messages.error(request, job.error or _("The document was not printed."))
    else:
        messages.success(
            request,
            _(
                "The payment document for %(month)s is issued: version %(version)s, "
                "amount due %(amount)s ₽."
            )
            % {
                "month": f"{month.start:%m.%Y}",
                "version": document.version,
                "amount": format_rubles(document.amount_due),
            },
        )
    return redirect(_card_url(account.pk))


# --- a building's bundle ----------------------------------------------------------------------


class BundleForm(forms.Form):
    period = forms.CharField(
        label=gettext_lazy("Billing month"),
        help_text=gettext_lazy("A closed month, YYYY-MM"),
        widget=forms.TextInput(attrs={"type": "month"}),
    )
    building: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=Building.objects.none(), label=gettext_lazy("Building")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = (  # type: ignore[attr-defined]
            Building.objects.filter(organization__in=organizations_for_user(user))
            .select_related("organization")
            .order_by("organization__name", "address")
        )

    def clean_period(self) -> date:
        try:
            return Month.parse(self.cleaned_data["period"]).start
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


@staff_member_required
def bundle_print_view(request: HttpRequest) -> HttpResponse:
    """Print a building's bundle of a closed month (one file, flats in order, for delivery)."""
    _need(request, VIEW)
    form = BundleForm(request.POST or None, user=request.user, initial=request.GET.dict())
    if request.method == "POST":
        _need(request, PRINT)
        if form.is_valid():
            building = form.cleaned_data["building"]
            try:
                job = documents_print(
                    organization=building.organization,
                    period=form.cleaned_data["period"],
                    out_dir=out_dir(),
                    building_id=building.pk,
                    bundle=True,
                    user=request.user,
                )
            except PrintError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("backoffice:print_job", pk=job.pk)
    jobs = list(
        PrintJob.objects.filter(organization__in=organizations_for_user(request.user))
        .select_related("organization", "created_by")
        .order_by("-pk")[:JOBS_SHOWN]
    )
    context = admin_context(request, _("Print payment documents of a building"))
    context.update({"form": form, "jobs": jobs})
    return render(request, "backoffice/documents/bundle.html", context)


@staff_member_required
def print_job_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A print job: its state, how many documents, the error, the files to download."""
    _need(request, VIEW)
    job = get_object_or_404(
        PrintJob.objects.select_related("organization", "created_by"),
        pk=pk,
        organization__in=organizations_for_user(request.user),
    )
    files = list(job.files.all())
    for printed in files:
        printed.name = Path(printed.path).name  # type: ignore[attr-defined]
    context = admin_context(request, _("Print job №%(job)s") % {"job": job.pk})
    context.update({"job": job, "files": files})
    return render(request, "backoffice/documents/job.html", context)


@staff_member_required
def print_file_download_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A file a print job wrote (an account's document or a building's bundle)."""
    _need(request, VIEW)
    printed = get_object_or_404(
        PrintFile, pk=pk, organization__in=organizations_for_user(request.user)
    )
    path = Path(printed.path)
    if not path.is_file():
        messages.error(request, _("The printed file is missing: %(path)s") % {"path": path})
        return redirect("backoffice:print_job", pk=printed.job_id)
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=path.name, content_type="application/pdf"
    )


# --- ГИС ЖКХ document identifiers (ИПД) ----------------------------------------------------------


class IpdForm(forms.Form):
    organization: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=Organization.objects.none(), label=gettext_lazy("Organization")
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV or XLSX with the columns ЛС, Период, ИПД"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations_for_user(user).order_by(  # type: ignore[attr-defined]
            "name"
        )


@staff_member_required
def ipd_import_view(request: HttpRequest) -> HttpResponse:
    """Upload the ГИС ЖКХ payment document identifiers: all rows or none (rules.md §8.1)."""
    _need(request, IMPORT_IPD)
    form = IpdForm(request.POST or None, request.FILES or None, user=request.user)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            with saved_upload(upload) as path:
                count = ipd_import(
                    organization=form.cleaned_data["organization"], path=path, file_name=upload.name
                )
        except IpdImportError as exc:
            errors = exc.errors
        else:
            messages.success(
                request,
                _("Payment document identifiers imported: %(count)s") % {"count": count},
            )
            return redirect("backoffice:documents_ipd")
    context = admin_context(request, _("ГИС ЖКХ payment document identifiers (ИПД)"))
    context.update({"form": form, "errors": errors})
    return render(request, "backoffice/documents/ipd.html", context)
