"""Back-office pages beside the admin: the account card and the housing import.

Views only parse the request, call selectors/services and render; they look like the admin
(templates extend ``admin/base_site.html`` with the admin site's context).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from raschet.backoffice.card import account_card, account_for_user
from raschet.backoffice.forms import HousingImportForm

IMPORT_PERMISSION = "housing.add_account"
SHOWN_ERRORS_MAX = 1000  # a page with 100k error rows helps nobody; the count is shown

_TEMPLATE_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def parse_day(raw: str | None) -> tuple[date, str | None]:
    """The ``?on=`` date, or today in the configured zone with a message when it is bad."""
    today = timezone.localdate()
    if not raw:
        return today, None
    try:
        return date.fromisoformat(raw.strip()), None
    except ValueError:
        message = _(
            "Cannot read the date %(value)s: expected YYYY-MM-DD, e.g. %(example)s. Showing today."
        ) % {"value": raw, "example": today.isoformat()}
        return today, message


def admin_context(request: HttpRequest, title: str) -> dict[str, Any]:
    context: dict[str, Any] = dict(admin.site.each_context(request))
    context["title"] = title
    return context


@staff_member_required
def account_card_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The card of one account on ``?on=YYYY-MM-DD`` (default: today)."""
    if not request.user.has_perm("housing.view_account"):
        raise PermissionDenied
    account = account_for_user(request.user, pk)
    on, date_error = parse_day(request.GET.get("on"))
    card = account_card(account, on)
    context = admin_context(request, _("Account %(number)s") % {"number": account.number})
    context.update(
        {
            "card": card,
            "account": account,
            "premises": account.premises,
            "building": account.premises.building,
            "on": on,
            "date_error": date_error,
            "today": timezone.localdate(),
        }
    )
    from raschet.backoffice.billing import card_charges_context  # it imports this module

    context.update(card_charges_context(request, account, on))
    if request.user.has_perm("debt.view_debtornotice"):
        from raschet.backoffice.credit import card_credit_context

        context.update(card_credit_context(account))
    if request.user.has_perm("documents.view_paymentdocument"):
        from raschet.backoffice.documents import card_documents_context  # it imports this module

        context.update(card_documents_context(account))
    return render(request, "backoffice/account_card.html", context)


def _can_import(request: HttpRequest) -> None:
    if not request.user.has_perm(IMPORT_PERMISSION):
        raise PermissionDenied


@staff_member_required
def housing_import_view(request: HttpRequest) -> HttpResponse:
    """Upload a housing-stock file: validate it (dry run) or import it.

    The upload is copied to a temporary file under its original suffix (the importer picks
    XLSX or CSV by it) and removed afterwards whatever happens.
    """
    _can_import(request)
    report = None
    if request.method == "POST":
        form = HousingImportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            report = _run_import(request, form)
    else:
        form = HousingImportForm(user=request.user, initial={"dry_run": True})
    context = admin_context(request, _("Housing stock import"))
    context.update({"form": form, "report": report})
    if report is not None:
        context["shown_errors"] = report.errors[:SHOWN_ERRORS_MAX]
        context["more_errors"] = max(0, len(report.errors) - SHOWN_ERRORS_MAX)
        context["changed"] = any(
            n for inner in report.counts.values() for key, n in inner.items() if key != "unchanged"
        )
        if report.counts:
            context["count_columns"], context["count_rows"] = count_table(report.counts)
    return render(request, "backoffice/housing_import.html", context)


# Labels of the importer's count keys; an unknown key is shown as it is.
_COUNT_LABELS = {
    "buildings": gettext_lazy("buildings"),
    "premises": gettext_lazy("premises"),
    "accounts": gettext_lazy("accounts"),
    "persons": gettext_lazy("persons"),
    "ownerships": gettext_lazy("ownerships"),
    "registrations": gettext_lazy("registrations"),
    "account_services": gettext_lazy("connected services"),
    "created": gettext_lazy("created"),
    "updated": gettext_lazy("updated"),
    "unchanged": gettext_lazy("unchanged"),
    "deleted": gettext_lazy("deleted"),
}


def count_table(counts: dict[str, dict[str, int]]) -> tuple[list[str], list[tuple[str, list]]]:
    """The importer's ``{table: {action: n}}`` as a header and rows for the template."""
    keys: list[str] = []
    for inner in counts.values():
        keys.extend(k for k in inner if k not in keys)
    header = [str(_COUNT_LABELS.get(k, k)) for k in keys]
    rows = [
        (str(_COUNT_LABELS.get(table, table)), [inner.get(k, 0) for k in keys])
        for table, inner in counts.items()
    ]
    return header, rows


@contextmanager
def saved_upload(upload: Any) -> Iterator[Path]:
    """An uploaded file written to a temporary file (the importers read paths), removed after."""
    suffix = Path(upload.name).suffix.lower()
    handle, name = tempfile.mkstemp(prefix="raschet-import-", suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _run_import(request: HttpRequest, form: HousingImportForm) -> Any:
    from raschet.importers import housing as importer  # openpyxl loads on first use only

    upload = form.cleaned_data["file"]
    with saved_upload(upload) as path:
        return importer.housing_import(
            path=path,
            organization=form.cleaned_data["organization"],
            dry_run=form.cleaned_data["dry_run"],
            user=request.user,
            file_name=upload.name,
        )


@staff_member_required
def housing_import_template_view(request: HttpRequest, fmt: str) -> HttpResponse:
    """The import template file (XLSX or CSV) the documentation describes."""
    from raschet.importers import housing as importer  # openpyxl loads on first use only

    response = HttpResponse(importer.template_bytes(fmt), content_type=_TEMPLATE_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="raschet-housing.{fmt}"'
    return response
