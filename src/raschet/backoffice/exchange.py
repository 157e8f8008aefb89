"""Operator pages of the exchange with social protection offices: the month's export (a file
download), the upload of an office's answer with its error list, and the exchange log.

Views parse the forms, check the permission and the organization and call
`raschet.exchange.services`; what a beneficiary is, how a file is laid out and how an answer
is checked live there. Runs of organizations the user does not serve answer 404.

Permissions: the page and the export ``registry.view_personbenefit`` (whoever sees the
benefits may send them to the office); importing an answer ``registry.change_personbenefit``
(it ends and creates benefits).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from raschet.backoffice.payments import MonthField
from raschet.backoffice.views import admin_context
from raschet.exchange import layouts
from raschet.exchange.models import ExchangeRun
from raschet.exchange.selectors import layout_choices, runs_for
from raschet.exchange.services import ExchangeError, exchange_export, exchange_import
from raschet.organizations.selectors import organizations_for_user

VIEW = "registry.view_personbenefit"
IMPORT = "registry.change_personbenefit"
PAGE_SIZE = 50


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _org_ids(request: HttpRequest) -> list[int]:
    return list(organizations_for_user(request.user).values_list("pk", flat=True))


def _layouts(user: Any, direction: str) -> list[tuple[str, str]]:
    names: dict[str, str] = {}
    for org_id in organizations_for_user(user).values_list("pk", flat=True):
        for name, title in layout_choices(organization_id=org_id, direction=direction):
            names.setdefault(name, title)
    return sorted(names.items())


class _ExchangeForm(forms.Form):
    def __init__(self, *args: Any, user: Any, direction: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organizations = organizations_for_user(user).order_by("name")
        self.fields["organization"] = forms.ModelChoiceField(
            queryset=organizations,
            label=gettext_lazy("Organization"),
            initial=organizations.first() if organizations.count() == 1 else None,
        )
        self.fields["layout"] = forms.ChoiceField(
            label=gettext_lazy("File layout"),
            choices=_layouts(user, direction),
            initial=layouts.DEFAULT_EXPORT
            if direction == layouts.EXPORT
            else layouts.DEFAULT_RESPONSE,
        )
        self.order_fields(["organization", "period", "office", "layout", "file"])


class ExportForm(_ExchangeForm):
    """Which organization, month, office and layout."""

    period = MonthField(label=gettext_lazy("Month"))
    office = forms.RegexField(
        label=gettext_lazy("Social protection office code"),
        regex=r"^[0-9A-Za-zА-Яа-яЁё_\-]*$",
        max_length=40,
        required=False,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, direction=layouts.EXPORT, **kwargs)


class AnswerForm(_ExchangeForm):
    """Which organization, layout and answer file."""

    file = forms.FileField(label=gettext_lazy("Answer file"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, direction=layouts.RESPONSE, **kwargs)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.RASCHET_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("%(name)s: the file is larger than %(limit)s MB"),
                params={"name": upload.name, "limit": limit // (1024 * 1024)},
            )
        return upload


def _page(request: HttpRequest, export_form: ExportForm, answer_form: AnswerForm) -> HttpResponse:
    runs = runs_for(_org_ids(request))
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = admin_context(request, _("Exchange with social protection"))
    context.update(
        {
            "export_form": export_form,
            "answer_form": answer_form,
            "page": page,
            "can_import": request.user.has_perm(IMPORT),
        }
    )
    return render(request, "backoffice/exchange/index.html", context)


@staff_member_required
def exchange_view(request: HttpRequest) -> HttpResponse:
    """The export form, the answer upload (POST) and the exchange log."""
    _need(request, VIEW)
    export_form = ExportForm(user=request.user)
    if request.method == "POST":
        _need(request, IMPORT)
        answer_form = AnswerForm(request.POST, request.FILES, user=request.user)
        if answer_form.is_valid():
            upload = answer_form.cleaned_data["file"]
            try:
                result = exchange_import(
                    organization=answer_form.cleaned_data["organization"],
                    data=upload.read(),
                    file_name=upload.name,
                    layout_name=answer_form.cleaned_data["layout"],
                    user=request.user,
                    today=timezone.localdate(),
                )
            except ExchangeError as exc:
                answer_form.add_error("layout", exc.message)
            else:
                if result.ok:
                    messages.success(request, result.summary())
                else:
                    messages.error(request, result.summary())
                return redirect("backoffice:exchange_run", pk=result.run.pk)
    else:
        answer_form = AnswerForm(user=request.user)
    return _page(request, export_form, answer_form)


@staff_member_required
def exchange_export_view(request: HttpRequest) -> HttpResponse:
    """The month's file as a download; a wrong form shows the page with its errors."""
    _need(request, VIEW)
    form = ExportForm(request.GET, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = exchange_export(
                organization=data["organization"],
                period=data["period"].start,
                layout_name=data["layout"],
                office=data["office"] or "",
                user=request.user,
                today=timezone.localdate(),
            )
        except ExchangeError as exc:
            form.add_error(None, exc.message)
        else:
            response = HttpResponse(result.data, content_type=result.content_type)
            response["Content-Disposition"] = f'attachment; filename="{result.file_name}"'
            return response
    return _page(request, form, AnswerForm(user=request.user))


@staff_member_required
def exchange_run_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One exchange: what was sent or read, and the errors of a refused answer."""
    _need(request, VIEW)
    run = get_object_or_404(
        ExchangeRun.objects.select_related("organization", "created_by"),
        pk=pk,
        organization_id__in=_org_ids(request),
    )
    context = admin_context(request, _("Exchange %(file)s") % {"file": run.file_name})
    context.update({"run": run, "errors": run.error_list or []})
    return render(request, "backoffice/exchange/run.html", context)
