"""Operator pages of a building's capital repair fund: its settings (the fund model from a
date, the payee, the special account), the payments from the fund for capital works, and the
fund statement for a range of months with CSV and XLSX downloads.

Views parse the request, check the permission and the building's organization, and call
`raschet.capitalrepair.services` / `raschet.capitalrepair.selectors`; their `FundError`
messages are shown as they are. A building of an organization the user does not serve
answers 404, like a missing one.

Permissions: the settings page ``capitalrepair.view_capitalrepairfund``; new settings
``capitalrepair.add_capitalrepairfund``; a payment for a work ``capitalrepair.add_fundspending``;
an exempt period of the building ``capitalrepair.add_capitalrepairexemption``;
the statement and its files ``ledger.view_ledgerentry`` (whoever sees the ledger sees the
fund it forms).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from raschet.backoffice.debt import payees_for
from raschet.backoffice.payments import MonthField
from raschet.backoffice.views import admin_context
from raschet.capitalrepair.exports import statement_csv, statement_xlsx
from raschet.capitalrepair.models import ExemptionReason, FundModel
from raschet.capitalrepair.selectors import (
    FIGURES,
    FundError,
    FundStatement,
    building_exemptions,
    building_funds,
    fund_in_force,
    fund_statement,
    fund_warnings,
    work_spent,
)
from raschet.capitalrepair.services import exemption_record, fund_set, spending_record
from raschet.core.money import MoneyError, parse_rubles
from raschet.housing.models import Building, BuildingWork, WorkKind
from raschet.organizations.models import Organization, OrganizationKind
from raschet.organizations.selectors import organizations_for_user
from raschet.tariffs.models import Service

VIEW_FUND = "capitalrepair.view_capitalrepairfund"
SET_FUND = "capitalrepair.add_capitalrepairfund"
SPEND = "capitalrepair.add_fundspending"
EXEMPT = "capitalrepair.add_capitalrepairexemption"
VIEW_LEDGER = "ledger.view_ledgerentry"
_FILE_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
FIGURE_LABELS = {
    "opening": gettext_lazy("Opening balance"),
    "charged": gettext_lazy("Contributions charged"),
    "penalties": gettext_lazy("Penalties charged"),
    "paid": gettext_lazy("Contributions paid"),
    "penalties_paid": gettext_lazy("Penalties paid"),
    "other": gettext_lazy("Write-offs and transfers"),
    "closing": gettext_lazy("Closing balance"),
}


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _building(request: HttpRequest, pk: int) -> Building:
    return get_object_or_404(
        Building.objects.filter(organization__in=organizations_for_user(request.user)), pk=pk
    )


def _errors(form: forms.Form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


class _OrganizationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class FundForm(forms.Form):
    """The building's fund is kept this way from a date (an owners' decision)."""

    valid_from = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    fund_model = forms.ChoiceField(label=gettext_lazy("Fund model"), choices=FundModel.choices)

    def __init__(self, *args: Any, building: Building, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        own = Organization.objects.filter(pk=building.organization_id)
        candidates = Organization.objects.filter(
            Q(pk__in=payees_for(own).values("pk"))
            | Q(kind=OrganizationKind.CAPITAL_REPAIR_OPERATOR)
        ).order_by("name")
        self.fields["service"] = forms.ModelChoiceField(
            queryset=Service.objects.filter(organization_id=building.organization_id).order_by(
                "sort_order", "code"
            ),
            label=gettext_lazy("Contribution service"),
            initial=Service.objects.filter(
                organization_id=building.organization_id, code="capital_repair"
            ).first(),
        )
        self.fields["payee"] = _OrganizationChoice(queryset=candidates, label=gettext_lazy("Payee"))
        self.fields["account_owner"] = _OrganizationChoice(
            queryset=candidates,
            label=gettext_lazy("Owner of the special account"),
            required=False,
        )
        for name, label, size in (
            ("bank_name", gettext_lazy("Bank"), 200),
            ("bic", gettext_lazy("BIC"), 9),
            ("special_account", gettext_lazy("Special account"), 20),
            ("correspondent_account", gettext_lazy("Correspondent account"), 20),
            ("decision", gettext_lazy("Owners' decision"), 200),
        ):
            self.fields[name] = forms.CharField(label=label, max_length=size, required=False)


class SpendingForm(forms.Form):
    """A payment from the fund to the contractor of a capital work."""

    paid_on = forms.DateField(
        label=gettext_lazy("Paid on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    amount = forms.CharField(label=gettext_lazy("Amount, ₽"), max_length=20)
    document = forms.CharField(
        label=gettext_lazy("Payment document"), max_length=100, required=False
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)
    beyond_collected = forms.BooleanField(
        label=gettext_lazy("Beyond the contributions collected (loan, regional operator)"),
        required=False,
    )

    def __init__(self, *args: Any, building: Building, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["work"] = forms.ModelChoiceField(
            queryset=BuildingWork.objects.filter(
                organization_id=building.organization_id,
                building_id=building.pk,
                kind=WorkKind.CAPITAL,
            ).order_by("planned_year", "title"),
            label=gettext_lazy("Work"),
        )
        self.order_fields(["work", "paid_on", "amount", "document", "note", "beyond_collected"])

    def clean_amount(self) -> int:
        raw = self.cleaned_data["amount"]
        try:
            kopecks = parse_rubles(raw)
        except MoneyError as exc:
            raise forms.ValidationError(
                _("Cannot read the amount %(value)s: expected rubles, e.g. 1234,56"),
                params={"value": raw[:20]},
            ) from exc
        if kopecks <= 0:
            raise forms.ValidationError(_("The amount must be positive"))
        return kopecks


class ExemptionForm(forms.Form):
    """An exempt period of the building (ЖК ст.169 ч.2, ч.3, ст.170 ч.5.1)."""

    reason = forms.ChoiceField(label=gettext_lazy("Reason"), choices=ExemptionReason.choices)
    valid_from = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to = forms.DateField(
        label=gettext_lazy("To (exclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("The first day the contribution is charged again"),
    )
    document = forms.CharField(label=gettext_lazy("Document"), max_length=200, required=False)
    document_date = forms.DateField(
        label=gettext_lazy("Document date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


@staff_member_required
def fund_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The building's fund: settings in force and their history, what the documents would
    disagree with, the capital works with what the fund paid for them, and two forms."""
    _need(request, VIEW_FUND)
    building = _building(request, pk)
    fund_form = FundForm(building=building, prefix="fund")
    spending_form = SpendingForm(building=building, prefix="spending")
    exemption_form = ExemptionForm(prefix="exemption")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "fund":
            _need(request, SET_FUND)
            fund_form = FundForm(request.POST, building=building, prefix="fund")
            if fund_form.is_valid():
                try:
                    fund_set(building=building, **fund_form.cleaned_data)
                except FundError as exc:
                    messages.error(request, str(exc))
                else:
                    messages.success(request, _("The fund settings are saved."))
                    return redirect("backoffice:capitalrepair_fund", pk=building.pk)
        elif action == "spending":
            _need(request, SPEND)
            spending_form = SpendingForm(request.POST, building=building, prefix="spending")
            if spending_form.is_valid():
                data = spending_form.cleaned_data
                try:
                    spending_record(
                        work=data["work"],
                        paid_on=data["paid_on"],
                        amount_kopecks=data["amount"],
                        document=data["document"],
                        note=data["note"],
                        beyond_collected=data["beyond_collected"],
                    )
                except FundError as exc:
                    messages.error(request, str(exc))
                else:
                    messages.success(request, _("The payment from the fund is recorded."))
                    return redirect("backoffice:capitalrepair_fund", pk=building.pk)
        elif action == "exemption":
            _need(request, EXEMPT)
            exemption_form = ExemptionForm(request.POST, prefix="exemption")
            if exemption_form.is_valid():
                try:
                    exemption_record(building=building, **exemption_form.cleaned_data)
                except FundError as exc:
                    messages.error(request, str(exc))
                else:
                    messages.success(request, _("The exempt period is saved."))
                    return redirect("backoffice:capitalrepair_fund", pk=building.pk)
        else:
            messages.error(request, _("Unknown action."))
    today = timezone.localdate()
    current = fund_in_force(building=building, on=today)
    spent = work_spent(building=building)
    works = [
        (work, spent.get(work.pk, 0))
        for work in BuildingWork.objects.filter(
            organization_id=building.organization_id, building_id=building.pk,
            kind=WorkKind.CAPITAL,
        ).order_by("-planned_year", "title")
    ]  # fmt: skip
    context = admin_context(
        request, _("Capital repair fund: %(address)s") % {"address": building.address}
    )
    context.update(
        {
            "building": building,
            "current": current,
            "funds": list(building_funds(building=building)),
            "warnings": fund_warnings(fund=current, on=today) if current else [],
            "works": works,
            "fund_form": fund_form,
            "spending_form": spending_form,
            "exemptions": list(building_exemptions(building=building)),
            "exemption_form": exemption_form,
            "can_exempt": request.user.has_perm(EXEMPT),
            "can_set": request.user.has_perm(SET_FUND),
            "can_spend": request.user.has_perm(SPEND),
            "can_statement": request.user.has_perm(VIEW_LEDGER),
        }
    )
    return render(request, "backoffice/capitalrepair/fund.html", context)


class StatementForm(forms.Form):
    start = MonthField(label=gettext_lazy("From month"))
    end = MonthField(label=gettext_lazy("To month"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end.start < start.start:
            raise forms.ValidationError(_("The end month is before the start month"))
        return cleaned


def _summary(statement: FundStatement) -> list[tuple[Any, int]]:
    return [
        (_("Fund balance at the start"), statement.opening),
        (_("Contributions charged"), statement.charged),
        (_("Contributions paid"), statement.paid),
        (_("Penalties paid"), statement.penalties_paid),
        (_("Spent on works"), statement.spent),
        (_("Fund balance at the end"), statement.closing),
        (_("Owners' debt at the end"), statement.owners_debt),
    ]


def _statement_form(request: HttpRequest) -> StatementForm:
    today = timezone.localdate()
    data = {"start": f"{today.year}-01", "end": f"{today:%Y-%m}", **request.GET.dict()}
    return StatementForm(data)


@staff_member_required
def statement_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The fund statement of the building for a range of months: the fund's movement, the
    payments for works, and the contributions per account."""
    _need(request, VIEW_LEDGER)
    building = _building(request, pk)
    form = _statement_form(request)
    statement, error = None, None
    if form.is_valid():
        try:
            statement = fund_statement(
                building=building,
                start=form.cleaned_data["start"].start,
                end=form.cleaned_data["end"].start,
            )
        except FundError as exc:
            error = str(exc)
    context = admin_context(
        request, _("Capital repair fund statement: %(address)s") % {"address": building.address}
    )
    context.update(
        {
            "building": building,
            "form": form,
            "statement": statement,
            "error": error,
            "summary": _summary(statement) if statement else [],
            "headers": [FIGURE_LABELS[f] for f in FIGURES],
            "lines": [
                (row, [row.figures.as_dict()[f] for f in FIGURES])
                for row in (statement.accounts if statement else [])
            ],
            "totals": [statement.contributions.as_dict()[f] for f in FIGURES] if statement else [],
            "query": request.GET.urlencode(),
        }
    )
    return render(request, "backoffice/capitalrepair/statement.html", context)


@staff_member_required
def statement_download_view(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    _need(request, VIEW_LEDGER)
    building = _building(request, pk)
    form = _statement_form(request)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect("backoffice:capitalrepair_statement", pk=building.pk)
    try:
        statement = fund_statement(
            building=building,
            start=form.cleaned_data["start"].start,
            end=form.cleaned_data["end"].start,
        )
    except FundError as exc:
        messages.error(request, str(exc))
        return redirect("backoffice:capitalrepair_statement", pk=building.pk)
    data = statement_csv(statement) if fmt == "csv" else statement_xlsx(statement)
    response = HttpResponse(data, content_type=_FILE_TYPES[fmt])
    name = f"capital-repair-{building.pk}-{statement.start:%Y-%m}-{statement.end:%Y-%m}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
