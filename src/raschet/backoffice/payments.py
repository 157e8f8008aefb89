"""Operator pages of payments and the ledger: registry imports and their reports, the
unidentified-payments queue, payments with their allocations and reversal, an account's
balances by service, the turnover sheet, and the settlements with payees.

Views parse the request, check the permission and the organization, call
`raschet.payments.services` / `raschet.payments.settlements` / `raschet.ledger.selectors` and
render; every rule (a payment already posted, a reversal without a reason, a file whose
trailer does not match) lives in the services, whose `PaymentError` messages are shown as
they are. Objects of organizations the user does not serve answer 404, like missing ones.

Permissions: registry imports ``payments.view_registryimport`` (list, report) and
``payments.add_registryimport`` (upload); payments ``payments.view_payment`` (a cashier may
look them up); the unidentified queue, assigning and reversing ``payments.change_payment``;
balances and the turnover sheet ``ledger.view_ledgerentry``; settlements and payment orders
``payments.view_payeecommission`` (whoever sees the payees' commission contracts sees what
they are owed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from raschet.backoffice.card import account_for_user
from raschet.backoffice.views import admin_context
from raschet.core.periods import Month
from raschet.housing.models import Account
from raschet.ledger.exports import turnover_csv, turnover_xlsx
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.ledger.selectors import DIMENSIONS, FIGURES, account_balances, turnover
from raschet.organizations.models import Organization
from raschet.organizations.selectors import organizations_for_user
from raschet.payments import formats
from raschet.payments.models import (
    Channel,
    ImportState,
    PayeeCommission,
    Payment,
    PaymentSource,
    PaymentState,
    PaymentTarget,
    RegistryImport,
)
from raschet.payments.services import (
    PaymentError,
    payment_allocations,
    payment_assign,
    payment_reverse,
    registry_import,
)
from raschet.payments.settlements import (
    PayeeDay,
    daily_totals,
    payee_daily,
    payment_orders,
    payment_orders_csv,
    payment_orders_xlsx,
    settlement_report,
)
from raschet.tariffs.models import Service, ServiceContract

VIEW_IMPORTS = "payments.view_registryimport"
IMPORT = "payments.add_registryimport"
VIEW_PAYMENTS = "payments.view_payment"
CHANGE_PAYMENTS = "payments.change_payment"
VIEW_LEDGER = "ledger.view_ledgerentry"
SETTLEMENTS = "payments.view_payeecommission"

PAGE_SIZE = 50
TURNOVER_PAGE_SIZE = 200
SETTLEMENT_DAYS_MAX = 366
_FILE_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _org_ids(request: HttpRequest) -> list[int]:
    return list(organizations_for_user(request.user).values_list("pk", flat=True))


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _organization_field(user: Any, required: bool = False) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(
        queryset=organizations_for_user(user).order_by("name"),
        label=gettext_lazy("Organization"),
        required=required,
        empty_label=gettext_lazy("all my organizations"),
    )
    return field


def _chosen_org_ids(request: HttpRequest, form: forms.Form) -> list[int]:
    organization = form.cleaned_data.get("organization") if form.is_valid() else None
    return [organization.pk] if organization is not None else _org_ids(request)


def _download(data: bytes, fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=_FILE_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


# ----------------------------------------------------------------------------- registries


class _SourceChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        layout = f" ({obj.layout})" if obj.layout else ""
        return f"{obj.organization} — {obj.name}{layout}"


def _layout_choices() -> list[tuple[str, str]]:
    choices = [("", str(_("the layout of the source")))]
    for name in formats.available_layouts():
        try:
            choices.append((name, formats.load_layout(name).title))
        except formats.LayoutError:  # a broken shipped layout: offer nothing of it
            continue
    return choices


class RegistryUploadForm(forms.Form):
    """Which source (bank or agent contract), optionally another layout, which file."""

    source = _SourceChoice(queryset=PaymentSource.objects.none(), label=gettext_lazy("Source"))
    layout = forms.ChoiceField(label=gettext_lazy("Registry layout"), required=False)
    file = forms.FileField(label=gettext_lazy("Registry file"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sources = (
            PaymentSource.objects.filter(
                organization__in=organizations_for_user(user), is_active=True
            )
            .filter(Q(layout__gt="") | Q(channel__in=[Channel.BANK, Channel.AGENT]))
            .select_related("organization")
            .order_by("organization__name", "name")
        )
        self.fields["source"].queryset = sources  # type: ignore[attr-defined]
        self.fields["layout"].choices = _layout_choices()  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.RASCHET_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("%(name)s: the file is larger than %(limit)s MB"),
                params={"name": upload.name, "limit": limit // (1024 * 1024)},
            )
        if upload.size == 0:
            raise forms.ValidationError(
                _("%(name)s: the file is empty"), params={"name": upload.name}
            )
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        source = cleaned.get("source")
        if source is not None and not cleaned.get("layout") and not source.layout:
            self.add_error(
                "layout",
                _("The source «%(source)s» has no registry layout: choose one")
                % {"source": source.name},
            )
        return cleaned


@staff_member_required
def registries_view(request: HttpRequest) -> HttpResponse:
    """The upload form and the past imports of the user's organizations, newest first.

    The POST imports the file here, in the request (the service works through it in one
    transaction); a very large registry is better imported with ``raschet import payments``.
    """
    _need(request, VIEW_IMPORTS)
    if request.method == "POST":
        _need(request, IMPORT)
        form = RegistryUploadForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            done = _import(request, form)
            if done is not None:
                return done
    else:
        form = RegistryUploadForm(user=request.user)
    imports = (
        RegistryImport.objects.filter(organization_id__in=_org_ids(request))
        .select_related("source", "organization", "imported_by")
        .defer("report")
        .order_by("-imported_at", "-pk")
    )
    page = Paginator(imports, PAGE_SIZE).get_page(request.GET.get("page"))
    context = admin_context(request, _("Payment registries"))
    context.update({"form": form, "page": page, "can_import": request.user.has_perm(IMPORT)})
    return render(request, "backoffice/payments/registries.html", context)


def _import(request: HttpRequest, form: RegistryUploadForm) -> HttpResponse | None:
    source: PaymentSource = form.cleaned_data["source"]
    upload = form.cleaned_data["file"]
    try:
        report = registry_import(
            organization=source.organization,
            source=source,
            data=upload.read(),
            filename=upload.name,
            layout=form.cleaned_data["layout"] or None,
            user=request.user,
        )
    except (PaymentError, formats.LayoutError) as exc:
        form.add_error(None, str(exc))
        return None
    if report.ok:
        messages.success(request, report.summary())
    else:
        messages.error(request, report.summary())
    return redirect("backoffice:payments_registry", pk=report.import_id)


def _report_rows(record: RegistryImport) -> dict[str, list[dict[str, Any]]]:
    """The stored line lists of an import as dicts for the template."""
    report = record.report or {}
    titles = formats.FIELD_TITLES
    return {
        "rejected": [
            {"line": r[0], "field": titles.get(r[1], r[1]), "value": r[2], "reason": r[3]}
            for r in report.get("rejected", [])
        ],
        "duplicates": [
            {"line": r[0], "operation": r[1], "reason": r[2]} for r in report.get("duplicates", [])
        ],
        "unidentified": [
            {"line": r[0], "account": r[1], "amount": int(r[3])}
            for r in report.get("unidentified", [])
        ],
    }


@staff_member_required
def registry_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One import: its counts and the lines that were rejected, repeated or not identified."""
    _need(request, VIEW_IMPORTS)
    record = get_object_or_404(
        RegistryImport.objects.select_related("source", "organization", "imported_by"),
        pk=pk,
        organization_id__in=_org_ids(request),
    )
    context = admin_context(request, _("Registry %(file)s") % {"file": record.filename})
    context.update(
        {
            "record": record,
            "rejected_file": record.state == ImportState.REJECTED,
            **_report_rows(record),
        }
    )
    return render(request, "backoffice/payments/registry.html", context)


# ----------------------------------------------------------------------------- payments


def _payments(request: HttpRequest) -> QuerySet[Payment]:
    return Payment.objects.filter(organization_id__in=_org_ids(request))


def _payment_for(request: HttpRequest, pk: int) -> Payment:
    return get_object_or_404(
        _payments(request).select_related("source", "account", "registry", "organization"), pk=pk
    )


class AssignForm(forms.Form):
    account = forms.CharField(label=gettext_lazy("Account number"), max_length=40)


@staff_member_required
def unidentified_view(request: HttpRequest) -> HttpResponse:
    """The payments waiting for an account, oldest first, each with a form to assign it.

    Working the queue is assigning, so it needs the change permission (a cashier, who may
    look payments up, does not work it)."""
    _need(request, CHANGE_PAYMENTS)
    queue = (
        _payments(request)
        .filter(state=PaymentState.UNIDENTIFIED)
        .select_related("source", "registry")
        .order_by("paid_on", "pk")
    )
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    context = admin_context(request, _("Unidentified payments"))
    context.update({"page": page, "can_assign": True})
    return render(request, "backoffice/payments/unidentified.html", context)


@staff_member_required
@require_POST
def payment_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Give an unidentified payment the account typed in (by number, in its organization)."""
    _need(request, CHANGE_PAYMENTS)
    payment = _payment_for(request, pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Type the number of the account to assign the payment to."))
        return redirect("backoffice:payments_unidentified")
    number = form.cleaned_data["account"].strip()
    account = Account.objects.filter(organization_id=payment.organization_id, number=number).first()
    if account is None:
        messages.error(
            request,
            _("No account %(number)s in %(organization)s.")
            % {"number": number, "organization": payment.organization},
        )
        return redirect("backoffice:payments_unidentified")
    try:
        payment = payment_assign(payment=payment, account=account, user=request.user)
    except PaymentError as exc:
        messages.error(request, str(exc))
        return redirect("backoffice:payments_unidentified")
    messages.success(
        request,
        _("Payment of %(day)s assigned to account %(number)s and posted.")
        % {"day": f"{payment.paid_on:%d.%m.%Y}", "number": account.number},
    )
    return redirect("backoffice:payments_unidentified")


class PaymentFilterForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    source = _SourceChoice(
        queryset=PaymentSource.objects.none(), label=gettext_lazy("Source"), required=False
    )
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False)
    account = forms.CharField(label=gettext_lazy("Account number"), required=False, max_length=40)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = (  # type: ignore[attr-defined]
            PaymentSource.objects.filter(organization__in=organizations_for_user(user))
            .select_related("organization")
            .order_by("organization__name", "name")
        )
        self.fields["state"].choices = [  # type: ignore[attr-defined]
            ("", _("any")),
            *PaymentState.choices,
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("The end date is before the start date"))
        return cleaned


def _filtered(form: PaymentFilterForm, payments: QuerySet[Payment]) -> QuerySet[Payment]:
    if not form.is_valid():
        return payments
    data = form.cleaned_data
    if data.get("start"):
        payments = payments.filter(paid_on__gte=data["start"])
    if data.get("end"):
        payments = payments.filter(paid_on__lte=data["end"])
    if data.get("source") is not None:
        payments = payments.filter(source_id=data["source"].pk)
    if data.get("state"):
        payments = payments.filter(state=data["state"])
    number = (data.get("account") or "").strip()
    if number:
        payments = payments.filter(Q(account_number=number) | Q(account__number=number))
    return payments


@staff_member_required
def payments_view(request: HttpRequest) -> HttpResponse:
    """Payments of the user's organizations, newest first, filtered by the GET form."""
    _need(request, VIEW_PAYMENTS)
    form = PaymentFilterForm(request.GET or None, user=request.user)
    payments = _filtered(form, _payments(request)).select_related("source", "account")
    page = Paginator(payments.order_by("-paid_on", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = admin_context(request, _("Payments"))
    context.update({"form": form, "page": page})
    return render(request, "backoffice/payments/list.html", context)


@dataclass(frozen=True)
class AllocationRow:
    """A ledger entry of a payment, its amount in the payer's sign (paid is positive)."""

    entry: LedgerEntry
    service: str | None
    payee: Organization | None
    paid_kopecks: int


class ReverseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason of the reversal"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )


@staff_member_required
def payment_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One payment: its data, the services it was split to, its reversal."""
    _need(request, VIEW_PAYMENTS)
    payment = _payment_for(request, pk)
    entries = payment_allocations(payment)
    services = dict(
        Service.objects.filter(pk__in={e.service_id for e in entries}).values_list("pk", "name")
    )
    payees = Organization.objects.in_bulk({e.payee_id for e in entries if e.payee_id})
    rows = [
        AllocationRow(
            entry=e,
            service=services.get(e.service_id, "") if e.service_id else None,
            payee=payees.get(e.payee_id) if e.payee_id else None,
            paid_kopecks=-e.amount_kopecks,
        )
        for e in entries
    ]
    allocated = sum(r.paid_kopecks for r in rows if r.entry.kind == EntryKind.PAYMENT)
    reversed_ = sum(r.paid_kopecks for r in rows if r.entry.kind == EntryKind.REVERSAL)
    targets = PaymentTarget.objects.filter(payment_id=payment.pk).select_related("service")
    context = admin_context(request, _("Payment %(payment)s") % {"payment": payment})
    context.update(
        {
            "payment": payment,
            "rows": rows,
            "allocated": allocated,
            "reversed": reversed_,
            "targets": list(targets),
            "reverse_form": ReverseForm(),
            "can_reverse": payment.state == PaymentState.POSTED
            and request.user.has_perm(CHANGE_PAYMENTS),
        }
    )
    return render(request, "backoffice/payments/detail.html", context)


@staff_member_required
@require_POST
def payment_reverse_view(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, CHANGE_PAYMENTS)
    payment = _payment_for(request, pk)
    form = ReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason of the reversal."))
        return redirect("backoffice:payment_detail", pk=payment.pk)
    try:
        payment_reverse(payment=payment, reason=form.cleaned_data["reason"], user=request.user)
    except PaymentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The payment is reversed: its money is back on the account."))
    return redirect("backoffice:payment_detail", pk=payment.pk)


# ----------------------------------------------------------------------------- ledger


@staff_member_required
def account_balances_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The account's balance by service × payee, and its latest payments."""
    _need(request, VIEW_LEDGER)
    account = account_for_user(request.user, pk)
    balances = account_balances(account=account)
    payments = []
    if request.user.has_perm(VIEW_PAYMENTS):
        payments = list(
            Payment.objects.filter(account_id=account.pk)
            .select_related("source")
            .order_by("-paid_on", "-pk")[:20]
        )
    context = admin_context(
        request, _("Balance of account %(number)s by service") % {"number": account.number}
    )
    context.update(
        {
            "account": account,
            "balances": balances,
            "total": sum(b.balance for b in balances),
            "principal": sum(b.principal for b in balances),
            "penalty": sum(b.penalty for b in balances),
            "payments": payments,
        }
    )
    return render(request, "backoffice/payments/balances.html", context)


class MonthField(forms.Field):
    """A ``YYYY-MM`` month (the browser's month input) as a `Month`."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM", "maxlength": 7})

    def to_python(self, value: Any) -> Month | None:
        raw = str(value or "").strip()
        if not raw:
            return None
        try:
            return Month.parse(raw)
        except ValueError as exc:
            raise forms.ValidationError(
                _("Cannot read the month %(value)s: expected YYYY-MM, e.g. %(example)s"),
                params={"value": raw[:20], "example": f"{timezone.localdate():%Y-%m}"},
            ) from exc


DIMENSION_LABELS = {
    "account": gettext_lazy("account"),
    "building": gettext_lazy("building"),
    "service": gettext_lazy("service"),
    "payee": gettext_lazy("payee"),
}


FIGURE_LABELS = {
    "opening": gettext_lazy("Opening balance"),
    "charged": gettext_lazy("Charged"),
    "recalculated": gettext_lazy("Recalculated"),
    "reductions": gettext_lazy("Reductions"),
    "benefits": gettext_lazy("Benefits"),
    "paid": gettext_lazy("Paid"),
    "penalties": gettext_lazy("Penalties"),
    "other": gettext_lazy("Write-offs and transfers"),
    "closing": gettext_lazy("Closing balance"),
}


class TurnoverForm(forms.Form):
    start = MonthField(label=gettext_lazy("From month"))
    end = MonthField(label=gettext_lazy("To month"))
    by = forms.ChoiceField(
        label=gettext_lazy("By"), choices=[(d, DIMENSION_LABELS[d]) for d in DIMENSIONS]
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"] = _organization_field(user)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end.start < start.start:
            raise forms.ValidationError(_("The end month is before the start month"))
        return cleaned


def _turnover_form(request: HttpRequest) -> TurnoverForm:
    this = f"{timezone.localdate():%Y-%m}"
    data = {"start": this, "end": this, "by": "service", **request.GET.dict()}
    return TurnoverForm(data, user=request.user)


def _turnover_sheet(request: HttpRequest, form: TurnoverForm) -> Any:
    data = form.cleaned_data
    return turnover(
        organization_ids=_chosen_org_ids(request, form),
        start=data["start"].start,
        end=data["end"].start,
        by=data["by"],
    )


@staff_member_required
def turnover_view(request: HttpRequest) -> HttpResponse:
    """The turnover sheet (оборотно-сальдовая ведомость) of a range of months by a
    dimension, with totals and CSV/XLSX downloads of the same query."""
    _need(request, VIEW_LEDGER)
    form = _turnover_form(request)
    sheet = _turnover_sheet(request, form) if form.is_valid() else None
    page = (
        Paginator(sheet.rows, TURNOVER_PAGE_SIZE).get_page(request.GET.get("page"))
        if sheet
        else None
    )
    context = admin_context(request, _("Turnover sheet"))
    context.update(
        {
            "form": form,
            "sheet": sheet,
            "page": page,
            "headers": [FIGURE_LABELS[f] for f in FIGURES],
            "lines": [(row, [row.figures[f] for f in FIGURES]) for row in page or ()],
            "totals": [sheet.totals[f] for f in FIGURES] if sheet else [],
            "dimension": DIMENSION_LABELS[sheet.by] if sheet else "",
            "query": request.GET.urlencode(),
        }
    )
    return render(request, "backoffice/payments/turnover.html", context)


@staff_member_required
def turnover_download_view(request: HttpRequest, fmt: str) -> HttpResponse:
    _need(request, VIEW_LEDGER)
    form = _turnover_form(request)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("backoffice:turnover")
    sheet = _turnover_sheet(request, form)
    data = turnover_csv(sheet) if fmt == "csv" else turnover_xlsx(sheet)
    name = f"turnover-{sheet.start:%Y-%m}-{sheet.end:%Y-%m}-{sheet.by}"
    return _download(data, fmt, name)


# ----------------------------------------------------------------------------- settlements


class DaysForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"] = _organization_field(user)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end date is before the start date"))
            if (end - start).days >= SETTLEMENT_DAYS_MAX:
                raise forms.ValidationError(
                    _("Choose at most %(days)s days") % {"days": SETTLEMENT_DAYS_MAX}
                )
        return cleaned


def _days_form(request: HttpRequest) -> DaysForm:
    today = timezone.localdate()
    data = {"start": today.replace(day=1).isoformat(), "end": today.isoformat()}
    data.update(request.GET.dict())
    return DaysForm(data, user=request.user)


@staff_member_required
def settlements_view(request: HttpRequest) -> HttpResponse:
    """Money collected per payee per day, with commission and the amount to transfer."""
    _need(request, SETTLEMENTS)
    form = _days_form(request)
    rows: list[PayeeDay] = []
    if form.is_valid():
        rows = payee_daily(
            organization_ids=_chosen_org_ids(request, form),
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
        )
    by_day: dict[date, list[PayeeDay]] = {}
    for row in rows:
        by_day.setdefault(row.day, []).append(row)
    days = [(t.day, by_day[t.day], t) for t in daily_totals(rows)]
    context = admin_context(request, _("Settlements with payees"))
    context.update(
        {
            "form": form,
            "days": days,
            "total": {
                "collected": sum(r.collected_kopecks for r in rows),
                "commission": sum(r.commission_kopecks for r in rows),
                "to_transfer": sum(r.to_transfer_kopecks for r in rows),
                "held": sum(r.held_kopecks for r in rows),
            },
            "query": request.GET.urlencode(),
        }
    )
    return render(request, "backoffice/payments/settlements.html", context)


def _payee_for(request: HttpRequest, pk: int) -> Organization:
    """A payee the user's organizations collect for (a contract, a commission or money in
    their ledger), or one of those organizations; 404 otherwise."""
    ids = _org_ids(request)
    payee = get_object_or_404(Organization, pk=pk)
    known = (
        pk in ids
        or ServiceContract.objects.filter(organization_id__in=ids, payee_id=pk).exists()
        or PayeeCommission.objects.filter(organization_id__in=ids, payee_id=pk).exists()
        or LedgerEntry.objects.filter(organization_id__in=ids, payee_id=pk).exists()
    )
    if not known:
        raise Http404
    return payee


@staff_member_required
def settlement_report_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One payee's settlement for the days: by service and debt month, by day, totals."""
    _need(request, SETTLEMENTS)
    payee = _payee_for(request, pk)
    form = _days_form(request)
    report = None
    if form.is_valid():
        report = settlement_report(
            organization_ids=_chosen_org_ids(request, form),
            payee=payee,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
        )
    context = admin_context(request, _("Settlement with %(payee)s") % {"payee": payee})
    context.update({"form": form, "payee": payee, "report": report})
    return render(request, "backoffice/payments/settlement_report.html", context)


class DayForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("Day"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"] = _organization_field(user)


def _day_form(request: HttpRequest) -> DayForm:
    yesterday = timezone.localdate() - timedelta(days=1)
    data = {"day": yesterday.isoformat(), **request.GET.dict()}
    return DayForm(data, user=request.user)


@staff_member_required
def payment_orders_view(request: HttpRequest) -> HttpResponse:
    """The payment orders to make for a day's money (default: yesterday), with downloads."""
    _need(request, SETTLEMENTS)
    form = _day_form(request)
    orders = []
    if form.is_valid():
        orders = payment_orders(
            organization_ids=_chosen_org_ids(request, form), day=form.cleaned_data["day"]
        )
    context = admin_context(request, _("Payment orders to payees"))
    context.update(
        {
            "form": form,
            "orders": orders,
            "total": sum(o.amount_kopecks for o in orders),
            "with_problems": sum(1 for o in orders if o.problems),
            "query": request.GET.urlencode(),
        }
    )
    return render(request, "backoffice/payments/orders.html", context)


@staff_member_required
def payment_orders_download_view(request: HttpRequest, fmt: str) -> HttpResponse:
    _need(request, SETTLEMENTS)
    form = _day_form(request)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("backoffice:payment_orders")
    day: date = form.cleaned_data["day"]
    orders = payment_orders(organization_ids=_chosen_org_ids(request, form), day=day)
    data = payment_orders_csv(orders) if fmt == "csv" else payment_orders_xlsx(orders)
    return _download(data, fmt, f"payment-orders-{day:%Y-%m-%d}")
