"""Operator pages of debts: the debtor list with its filters, the ageing summary by bucket,
the collection rate per building × month — each with CSV and XLSX downloads of the same
question.

Views parse the GET form, check the permission and call `raschet.debt.ageing`; what a
bucket, a debtor or the collection rate is, is defined there. Every figure is limited to
the user's organizations (or the one chosen); a building, service or payee of another
organization is not offered and, typed into the URL, is refused by the form.

Permission: ``ledger.view_ledgerentry`` (whoever sees the ledger sees its debts).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from raschet.backoffice.payments import MonthField
from raschet.backoffice.views import admin_context
from raschet.core.money import to_kopecks
from raschet.debt.ageing import (
    AGEING_DIMENSIONS,
    FIGURES,
    MAX_COLLECTION_MONTHS,
    DebtFilter,
    DebtorQuery,
    ageing,
    collection_rate,
    debtors,
    debtors_all,
)
from raschet.debt.exports import (
    ExportTooLarge,
    ageing_csv,
    ageing_xlsx,
    collection_csv,
    collection_xlsx,
    debtors_csv_lines,
    debtors_xlsx,
)
from raschet.housing.models import Building
from raschet.organizations.models import Organization
from raschet.organizations.selectors import organizations_for_user
from raschet.payments.models import PayeeCommission
from raschet.tariffs.models import Service, ServiceContract

VIEW_LEDGER = "ledger.view_ledgerentry"
PAGE_SIZE = 50
AGEING_PAGE_SIZE = 200
COLLECTION_PAGE_SIZE = 100
MAX_MONTHS_FILTER = 1200
_FILE_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}

FIGURE_LABELS = {
    "not_due": gettext_lazy("Not yet due"),
    "up_to_3": gettext_lazy("Overdue up to 3 months"),
    "from_3_to_6": gettext_lazy("3–6 months"),
    "from_6_to_12": gettext_lazy("6–12 months"),
    "over_12": gettext_lazy("Over 12 months"),
    "overdue": gettext_lazy("Overdue, total"),
    "principal": gettext_lazy("Principal, total"),
    "penalty": gettext_lazy("Penalties"),
    "advance": gettext_lazy("Advance"),
}
DIMENSION_LABELS = {
    "total": gettext_lazy("total only"),
    "building": gettext_lazy("building"),
    "service": gettext_lazy("service"),
    "payee": gettext_lazy("payee"),
}


def _need(request: HttpRequest) -> None:
    if not request.user.has_perm(VIEW_LEDGER):
        raise PermissionDenied


def _download(data: bytes, fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=_FILE_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def _form_errors(form: forms.Form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


# ----------------------------------------------------------------------------- forms


class _BuildingChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.address)


class _PayeeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


def payees_for(organizations: Any) -> Any:
    """The payees the organizations collect for: themselves, the payees of their service
    contracts and of their commission contracts (the ledger's payees come from these)."""
    contracted = ServiceContract.objects.filter(organization__in=organizations).values("payee_id")
    commissioned = PayeeCommission.objects.filter(organization__in=organizations).values("payee_id")
    return Organization.objects.filter(
        Q(pk__in=organizations.values("pk")) | Q(pk__in=contracted) | Q(pk__in=commissioned)
    ).order_by("name")


class DebtForm(forms.Form):
    """Whose debt: an organization of the user (or all), one building, service or payee."""

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organizations = organizations_for_user(user)
        self.fields["organization"] = forms.ModelChoiceField(
            queryset=organizations.order_by("name"),
            label=gettext_lazy("Organization"),
            required=False,
            empty_label=gettext_lazy("all my organizations"),
        )
        self.fields["building"] = _BuildingChoice(
            queryset=Building.objects.filter(organization__in=organizations)
            .only("pk", "address")
            .order_by("address", "pk"),
            label=gettext_lazy("Building"),
            required=False,
            empty_label=gettext_lazy("all"),
        )

    def chosen_ids(self, user: Any) -> list[int]:
        organization = self.cleaned_data.get("organization")
        if organization is not None:
            return [organization.pk]
        return list(organizations_for_user(user).values_list("pk", flat=True))

    def value_id(self, name: str) -> int | None:
        value = self.cleaned_data.get(name)
        return value.pk if value is not None else None


class _OnAndServices(DebtForm):
    on = forms.DateField(
        label=gettext_lazy("On date"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        organizations = organizations_for_user(user)
        self.fields["service"] = forms.ModelChoiceField(
            queryset=Service.objects.filter(organization__in=organizations).order_by("name"),
            label=gettext_lazy("Service"),
            required=False,
            empty_label=gettext_lazy("all"),
        )
        self.fields["payee"] = _PayeeChoice(
            queryset=payees_for(organizations),
            label=gettext_lazy("Payee"),
            required=False,
            empty_label=gettext_lazy("all"),
        )

    def debt_filter(self, user: Any) -> DebtFilter:
        return DebtFilter.of(
            self.chosen_ids(user),
            building_id=self.value_id("building"),
            service_id=self.value_id("service"),
            payee_id=self.value_id("payee"),
        )


class DebtorsForm(_OnAndServices):
    min_amount = forms.DecimalField(
        label=gettext_lazy("Overdue at least, ₽"),
        required=False,
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
        localize=True,  # "4000,00" as typed in Russian, "4000.00" as well
    )
    min_months = forms.IntegerField(
        label=gettext_lazy("Months overdue at least"),
        required=False,
        min_value=0,
        max_value=MAX_MONTHS_FILTER,
    )

    def query(self, user: Any) -> DebtorQuery:
        amount = self.cleaned_data.get("min_amount")
        return DebtorQuery(
            debt=self.debt_filter(user),
            on=self.cleaned_data["on"],
            min_kopecks=to_kopecks(amount) if amount is not None else 0,
            min_months=self.cleaned_data.get("min_months") or 0,
        )


class AgeingForm(_OnAndServices):
    by = forms.ChoiceField(
        label=gettext_lazy("By"),
        choices=[(d, DIMENSION_LABELS[d]) for d in AGEING_DIMENSIONS],
    )


class CollectionForm(DebtForm):
    start = MonthField(label=gettext_lazy("From month"))
    end = MonthField(label=gettext_lazy("To month"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end.start < start.start:
                raise forms.ValidationError(_("The end month is before the start month"))
            span = (end.year - start.year) * 12 + end.month - start.month + 1
            if span > MAX_COLLECTION_MONTHS:
                raise forms.ValidationError(
                    _("Choose at most %(months)s months") % {"months": MAX_COLLECTION_MONTHS}
                )
        return cleaned


def _today() -> date:
    return timezone.localdate()


def _bound(form_class: type[DebtForm], request: HttpRequest, **defaults: str) -> Any:
    data = {**defaults, **request.GET.dict()}
    data.pop("page", None)
    return form_class(data, user=request.user)


def _debtors_form(request: HttpRequest) -> DebtorsForm:
    form: DebtorsForm = _bound(DebtorsForm, request, on=_today().isoformat())
    return form


def _ageing_form(request: HttpRequest) -> AgeingForm:
    form: AgeingForm = _bound(AgeingForm, request, on=_today().isoformat(), by="building")
    return form


def _collection_form(request: HttpRequest) -> CollectionForm:
    this = _today()
    back = this.year * 12 + this.month - 1 - 11  # the last twelve months, this one included
    start = date(back // 12, back % 12 + 1, 1)
    form: CollectionForm = _bound(
        CollectionForm, request, start=f"{start:%Y-%m}", end=f"{this:%Y-%m}"
    )
    return form


def _figure_headers() -> list[Any]:
    return [FIGURE_LABELS[f] for f in FIGURES]


# ----------------------------------------------------------------------------- debtors


@staff_member_required
def debtors_view(request: HttpRequest) -> HttpResponse:
    """Accounts with overdue debt, largest first, filtered; a page of them with the count
    and totals of all."""
    _need(request)
    form = _debtors_form(request)
    page: Page[Any] | None = None
    result = None
    if form.is_valid():
        query = form.query(request.user)
        number = _page_number(request)
        result = debtors(query, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
        # the rows are counted by the query; the paginator only does the arithmetic
        paginator: Paginator[Any] = Paginator(range(result.count), PAGE_SIZE)
        if result.count and number > paginator.num_pages:
            number = paginator.num_pages
            result = debtors(query, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
        page = Page(result.rows, number, paginator)
    context = admin_context(request, _("Debtors"))
    context.update(
        {
            "form": form,
            "result": result,
            "page": page,
            "headers": _figure_headers(),
            "lines": [(d, [d.figures[f] for f in FIGURES]) for d in page or ()],
            "totals": [result.totals[f] for f in FIGURES] if result else [],
            "query": _query_without_page(request),
        }
    )
    return render(request, "backoffice/debt/debtors.html", context)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@staff_member_required
def debtors_download_view(request: HttpRequest, fmt: str) -> HttpResponseBase:
    _need(request)
    form = _debtors_form(request)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("backoffice:debt_debtors")
    query = form.query(request.user)
    name = f"debtors-{query.on:%Y-%m-%d}"
    if fmt == "csv":
        response = StreamingHttpResponse(
            debtors_csv_lines(debtors_all(query)), content_type=_FILE_TYPES["csv"]
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    try:
        data = debtors_xlsx(debtors_all(query), on=query.on)
    except ExportTooLarge as exc:
        messages.error(request, str(exc))
        return redirect("backoffice:debt_debtors")
    return _download(data, fmt, name)


# ----------------------------------------------------------------------------- ageing


def _ageing_sheet(request: HttpRequest, form: AgeingForm) -> Any:
    debt = form.debt_filter(request.user)
    return ageing(
        organization_ids=debt.organization_ids,
        on=form.cleaned_data["on"],
        by=form.cleaned_data["by"],
        building_id=debt.building_id,
        service_id=debt.service_id,
        payee_id=debt.payee_id,
    )


@staff_member_required
def ageing_view(request: HttpRequest) -> HttpResponse:
    """The debt on a day by ageing bucket, summed by building, service or payee, with the
    totals and downloads."""
    _need(request)
    form = _ageing_form(request)
    sheet = _ageing_sheet(request, form) if form.is_valid() else None
    page = (
        Paginator(sheet.rows, AGEING_PAGE_SIZE).get_page(request.GET.get("page")) if sheet else None
    )
    context = admin_context(request, _("Debt by ageing"))
    context.update(
        {
            "form": form,
            "sheet": sheet,
            "page": page,
            "headers": _figure_headers(),
            "lines": [(row, [row.figures[f] for f in FIGURES]) for row in page or ()],
            "totals": [sheet.totals[f] for f in FIGURES] if sheet else [],
            "dimension": DIMENSION_LABELS[sheet.by] if sheet else "",
            "query": _query_without_page(request),
        }
    )
    return render(request, "backoffice/debt/ageing.html", context)


@staff_member_required
def ageing_download_view(request: HttpRequest, fmt: str) -> HttpResponse:
    _need(request)
    form = _ageing_form(request)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("backoffice:debt_ageing")
    sheet = _ageing_sheet(request, form)
    data = ageing_csv(sheet) if fmt == "csv" else ageing_xlsx(sheet)
    return _download(data, fmt, f"debt-ageing-{sheet.on:%Y-%m-%d}-{sheet.by}")


# ----------------------------------------------------------------------------- collection


def _collection(request: HttpRequest, form: CollectionForm) -> Any:
    return collection_rate(
        organization_ids=form.chosen_ids(request.user),
        start=form.cleaned_data["start"].start,
        end=form.cleaned_data["end"].start,
        building_id=form.value_id("building"),
    )


@staff_member_required
def collection_view(request: HttpRequest) -> HttpResponse:
    """The collection rate per building × month (paid for the month ÷ charged for it)."""
    _need(request)
    form = _collection_form(request)
    report = _collection(request, form) if form.is_valid() else None
    page = (
        Paginator(report.rows, COLLECTION_PAGE_SIZE).get_page(request.GET.get("page"))
        if report
        else None
    )
    context = admin_context(request, _("Collection rate"))
    context.update(
        {
            "form": form,
            "report": report,
            "page": page,
            "query": _query_without_page(request),
        }
    )
    return render(request, "backoffice/debt/collection.html", context)


@staff_member_required
def collection_download_view(request: HttpRequest, fmt: str) -> HttpResponse:
    _need(request)
    form = _collection_form(request)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("backoffice:debt_collection")
    report = _collection(request, form)
    data = collection_csv(report) if fmt == "csv" else collection_xlsx(report)
    first, last = report.months[0], report.months[-1]
    return _download(data, fmt, f"collection-{first:%Y-%m}-{last:%Y-%m}")
