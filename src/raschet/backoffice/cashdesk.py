"""The cashier's pages: open a shift, find an account by number or address, see its debt
per service, take a full, partial or targeted payment in cash or by card, print the
receipt, cancel a payment of the open shift, close the shift with its report.

Views parse the request, check the permission and the organization, call
`raschet.payments.cashdesk` and render; every rule (one open shift per desk, a closed
shift takes nothing, what can be cancelled, the fiscal document in the same transaction)
lives there, and its `PaymentError` messages are shown as they are. Objects of
organizations the user does not serve answer 404, like missing ones; an account is looked
up in the organization of the user's open shift only.

Permissions (the Cashier and Administrator roles carry them): the desk and taking payments
``payments.add_payment``; opening a shift ``payments.add_cashshift``; closing it
``payments.change_cashshift``, which also cancels a payment of one's open shift (not
``payments.change_payment``: that reverses and assigns any payment on the payments pages);
receipts, payments and shift reports ``payments.view_payment``. Only the shift's cashier (or a
superuser) takes, cancels and closes in a shift.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from raschet.backoffice.card import account_for_user
from raschet.backoffice.views import admin_context
from raschet.core.money import MoneyError, format_rubles, kopecks_to_decimal, parse_rubles
from raschet.core.periods import Month
from raschet.housing.models import Account
from raschet.ledger.selectors import Balance, account_balances
from raschet.organizations.models import Organization
from raschet.organizations.selectors import organization_ids_for_user, organizations_for_user
from raschet.payments.cashdesk import (
    CASH_DESK_METHODS,
    ShiftReport,
    account_search,
    cash_payment_cancel,
    cash_payment_take,
    cash_shift_close,
    cash_shift_current,
    cash_shift_open,
    cash_shift_report,
)
from raschet.payments.models import (
    CashShift,
    FiscalDocument,
    Payment,
    PaymentMethod,
    PaymentState,
)
from raschet.payments.receipts import receipt_pdf
from raschet.payments.services import PaymentError, Target, payment_allocations
from raschet.tariffs.models import Service

TAKE = "payments.add_payment"
OPEN = "payments.add_cashshift"
CLOSE = "payments.change_cashshift"
CANCEL = "payments.change_cashshift"  # not change_payment: that reverses any payment
VIEW = "payments.view_payment"

RECENT_SHIFTS = 10


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _scoped(request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
    ids = organization_ids_for_user(request.user)
    return queryset if ids is None else queryset.filter(organization_id__in=ids)


def _my_shift(request: HttpRequest) -> CashShift | None:
    return cash_shift_current(
        cashier=request.user, organization_ids=organization_ids_for_user(request.user)
    )


def _own(request: HttpRequest, shift: CashShift) -> None:
    """Only the shift's cashier acts in it (a superuser may close a forgotten shift)."""
    if shift.cashier_id != request.user.pk and not request.user.is_superuser:
        raise PermissionDenied


def _rubles(kopecks: int) -> Decimal:
    return kopecks_to_decimal(int(kopecks or 0))


@dataclass(frozen=True)
class PaymentRow:
    payment: Payment
    amount: Decimal

    @property
    def cancelled(self) -> bool:
        return self.payment.state == PaymentState.REVERSED


@dataclass(frozen=True)
class ReportView:
    """`ShiftReport` in rubles, for the templates."""

    report: ShiftReport
    rows: list[PaymentRow]
    cash: Decimal
    card: Decimal
    total: Decimal
    reversed: Decimal


def _report_view(shift: CashShift) -> ReportView:
    report = cash_shift_report(shift)
    totals = report.totals
    return ReportView(
        report=report,
        rows=[PaymentRow(p, _rubles(p.amount_kopecks)) for p in report.payments],
        cash=_rubles(totals.cash_kopecks),
        card=_rubles(totals.card_kopecks),
        total=_rubles(totals.total_kopecks),
        reversed=_rubles(totals.reversed_kopecks),
    )


# ----------------------------------------------------------------------------- forms


class OpenShiftForm(forms.Form):
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), label=gettext_lazy("Organization")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        choices = organizations_for_user(user).order_by("name")
        field.queryset = choices  # type: ignore[attr-defined]
        if choices.count() == 1:
            field.initial = choices.first()


def _parse_amount(raw: str) -> int:
    try:
        return parse_rubles(raw)
    except MoneyError as exc:
        raise forms.ValidationError(
            _("Cannot read the amount %(value)s: expected rubles, e.g. 1234,56"),
            params={"value": raw},
        ) from exc


@dataclass(frozen=True)
class ServiceDebt:
    """A service of the account with its debt over all payees (the targeted-payment field)."""

    service: Service
    debt: Decimal
    field: str


class PaymentForm(forms.Form):
    """A full payment (the whole debt), a partial one (an amount), or a targeted one (an
    amount per service); cash or card; optional month and buyer contact."""

    FULL, PARTIAL, TARGETED = "full", "partial", "targeted"

    kind = forms.ChoiceField(
        label=gettext_lazy("Payment"),
        choices=[
            (FULL, gettext_lazy("The whole debt")),
            (PARTIAL, gettext_lazy("An amount (partial payment)")),
            (TARGETED, gettext_lazy("By services")),
        ],
        initial=FULL,
        widget=forms.RadioSelect,
    )
    amount = forms.CharField(label=gettext_lazy("Amount, ₽"), required=False, max_length=20)
    method = forms.ChoiceField(
        label=gettext_lazy("Method"),
        choices=[(m.value, m.label) for m in CASH_DESK_METHODS],
        initial=PaymentMethod.CASH,
        widget=forms.RadioSelect,
    )
    period = forms.CharField(
        label=gettext_lazy("For the month (optional)"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    contact = forms.CharField(
        label=gettext_lazy("Phone or e-mail for the electronic receipt (optional)"),
        required=False,
        max_length=100,
    )

    def __init__(
        self, *args: Any, services: list[ServiceDebt], debt_kopecks: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.services = services
        self.debt_kopecks = debt_kopecks
        for s in services:
            self.fields[s.field] = forms.CharField(
                label=s.service.name, required=False, max_length=20
            )

    def service_fields(self) -> list[tuple[ServiceDebt, Any]]:
        return [(s, self[s.field]) for s in self.services]

    def clean_period(self) -> date | None:
        raw = self.cleaned_data.get("period") or ""
        if not raw:
            return None
        try:
            return Month.parse(raw).start
        except ValueError as exc:
            raise forms.ValidationError(
                _("Cannot read the month %(value)s: expected YYYY-MM"), params={"value": raw}
            ) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        targets: list[Target] = []
        amount = 0
        if kind == self.FULL:
            if self.debt_kopecks <= 0:
                raise forms.ValidationError(
                    _("The account has no debt: enter the amount of the payment.")
                )
            amount = self.debt_kopecks
        elif kind == self.PARTIAL:
            raw = (data.get("amount") or "").strip()
            if not raw:
                self.add_error("amount", _("Enter the amount of the payment."))
                return data
            try:
                amount = _parse_amount(raw)
            except forms.ValidationError as exc:
                self.add_error("amount", exc)
                return data
        elif kind == self.TARGETED:
            for s in self.services:
                raw = (data.get(s.field) or "").strip()
                if not raw:
                    continue
                try:
                    value = _parse_amount(raw)
                except forms.ValidationError as exc:
                    self.add_error(s.field, exc)
                    continue
                if value:
                    targets.append(Target(service=s.service, amount_kopecks=value))
            if self.errors:
                return data
            if not targets:
                raise forms.ValidationError(_("Enter the amount for at least one service."))
            amount = sum(t.amount_kopecks for t in targets)
        data["amount_kopecks"] = amount
        data["targets"] = targets
        return data


def _service_debts(account: Account, balances: list[Balance]) -> list[ServiceDebt]:
    debt: dict[int, int] = {}
    for b in balances:
        if b.service_id is not None:
            debt[b.service_id] = debt.get(b.service_id, 0) + b.balance
    services = Service.objects.filter(
        organization_id=account.organization_id, pk__in=list(debt)
    ).order_by("sort_order", "name")
    return [ServiceDebt(s, _rubles(debt[s.pk]), f"service_{s.pk}") for s in services]


# ----------------------------------------------------------------------------- pages


@staff_member_required
def desk_view(request: HttpRequest) -> HttpResponse:
    """The cash desk: without an open shift, the form to open one and the recent shifts;
    with one, the account search (``?q=``), the shift's payments and the close button."""
    _need(request, TAKE)
    shift = _my_shift(request)
    context = admin_context(request, _("Cash desk"))
    if shift is None:
        recent = (
            _scoped(request, CashShift.objects.filter(cashier_id=request.user.pk))
            .select_related("source", "organization")
            .order_by("-opened_at")[:RECENT_SHIFTS]
        )
        context.update(
            {
                "shift": None,
                "open_form": OpenShiftForm(user=request.user),
                "can_open": request.user.has_perm(OPEN),
                "recent": list(recent),
            }
        )
        return render(request, "backoffice/cashdesk/index.html", context)
    query = (request.GET.get("q") or "").strip()
    found = account_search(organization=shift.organization, query=query) if query else []
    context.update(
        {
            "shift": shift,
            "query": query,
            "found": found,
            "searched": bool(query),
            "view": _report_view(shift),
            "can_close": request.user.has_perm(CLOSE),
            "can_cancel": request.user.has_perm(CANCEL),
        }
    )
    return render(request, "backoffice/cashdesk/index.html", context)


@staff_member_required
@require_POST
def shift_open_view(request: HttpRequest) -> HttpResponse:
    _need(request, TAKE)
    _need(request, OPEN)
    form = OpenShiftForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("Choose the organization of the cash desk."))
        return redirect("backoffice:cashdesk")
    try:
        shift = cash_shift_open(
            organization=form.cleaned_data["organization"], cashier=request.user
        )
    except PaymentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Shift №%(shift)s is open at %(desk)s.") % {"shift": shift.pk, "desk": shift.source},
        )
    return redirect("backoffice:cashdesk")


@staff_member_required
def account_view(request: HttpRequest, pk: int) -> HttpResponse:
    """An account at the desk: its debt per service × payee and the payment form."""
    _need(request, TAKE)
    shift = _my_shift(request)
    if shift is None:
        messages.error(request, _("Open a shift first."))
        return redirect("backoffice:cashdesk")
    account = account_for_user(request.user, pk)
    if account.organization_id != shift.organization_id:
        raise Http404(_("No such account"))
    balances = account_balances(account=account)
    debt = sum(b.balance for b in balances)
    services = _service_debts(account, balances)
    if request.method == "POST":
        form = PaymentForm(request.POST, services=services, debt_kopecks=debt)
        if form.is_valid():
            data = form.cleaned_data
            try:
                taken = cash_payment_take(
                    shift=shift,
                    account=account,
                    amount_kopecks=data["amount_kopecks"],
                    method=data["method"],
                    targets=data["targets"],
                    period=data["period"],
                    payer_contact=data["contact"],
                )
            except PaymentError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Payment of %(amount)s ₽ taken for account %(number)s.")
                    % {
                        "amount": format_rubles(taken.payment.amount_kopecks),
                        "number": account.number,
                    },
                )
                return redirect("backoffice:cashdesk_payment", pk=taken.payment.pk)
    else:
        form = PaymentForm(
            services=services,
            debt_kopecks=debt,
            initial={
                "kind": PaymentForm.FULL if debt > 0 else PaymentForm.PARTIAL,
                "amount": format_rubles(debt).replace("\u00a0", " ") if debt > 0 else "",
            },
        )
    context = admin_context(request, _("Account %(number)s") % {"number": account.number})
    context.update(
        {
            "shift": shift,
            "account": account,
            "balances": [(b, _rubles(b.balance), _rubles(b.penalty)) for b in balances],
            "debt": _rubles(debt),
            "form": form,
        }
    )
    return render(request, "backoffice/cashdesk/account.html", context)


def _payment_for(request: HttpRequest, pk: int) -> Payment:
    return get_object_or_404(
        _scoped(request, Payment.objects.select_related("account__premises__building")), pk=pk
    )


@staff_member_required
def payment_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One payment: its allocation, its fiscal documents, the receipt link and, while its
    shift is open, the cancel form."""
    _need(request, VIEW)
    payment = _payment_for(request, pk)
    shift = (
        CashShift.objects.select_related("source", "cashier").filter(pk=payment.shift_id).first()
        if payment.shift_id
        else None
    )
    entries = payment_allocations(payment)
    names = {s.pk: s.name for s in Service.objects.filter(pk__in={e.service_id for e in entries})}
    documents = list(FiscalDocument.objects.filter(payment_id=payment.pk).order_by("pk"))
    context = admin_context(
        request, _("Payment %(operation)s") % {"operation": payment.operation_id}
    )
    context.update(
        {
            "payment": payment,
            "amount": _rubles(payment.amount_kopecks),
            "shift": shift,
            "entries": [
                (
                    e,
                    names.get(e.service_id, "") if e.service_id else _("Advance"),
                    _rubles(-e.amount_kopecks),
                )
                for e in entries
            ],
            "documents": documents,
            "can_cancel": (
                shift is not None
                and shift.closed_at is None
                and payment.state == PaymentState.POSTED
                and request.user.has_perm(CANCEL)
                and (shift.cashier_id == request.user.pk or request.user.is_superuser)
            ),
            "has_receipt": payment.state != PaymentState.UNIDENTIFIED,
        }
    )
    return render(request, "backoffice/cashdesk/payment.html", context)


@staff_member_required
def receipt_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The receipt PDF of a payment, shown in the browser (``inline``)."""
    _need(request, VIEW)
    payment = _payment_for(request, pk)
    if payment.state == PaymentState.UNIDENTIFIED:
        raise Http404(_("The payment is not allocated: it has no receipt"))
    response = HttpResponse(receipt_pdf(payment), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{payment.operation_id}.pdf"'
    return response


@staff_member_required
@require_POST
def payment_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, CANCEL)
    payment = _payment_for(request, pk)
    shift = CashShift.objects.filter(pk=payment.shift_id).first() if payment.shift_id else None
    if shift is not None:
        _own(request, shift)
    try:
        cash_payment_cancel(
            payment=payment, reason=request.POST.get("reason", ""), user=request.user
        )
    except PaymentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Payment %(operation)s of %(amount)s ₽ cancelled; a return receipt is queued.")
            % {"operation": payment.operation_id, "amount": format_rubles(payment.amount_kopecks)},
        )
    if request.POST.get("next") == "desk":
        return redirect("backoffice:cashdesk")
    return redirect("backoffice:cashdesk_payment", pk=payment.pk)


@staff_member_required
@require_POST
def shift_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, CLOSE)
    shift = get_object_or_404(_scoped(request, CashShift.objects.all()), pk=pk)
    _own(request, shift)
    try:
        shift = cash_shift_close(shift=shift)
    except PaymentError as exc:
        messages.error(request, str(exc))
        return redirect("backoffice:cashdesk")
    messages.success(request, _("Shift №%(shift)s is closed.") % {"shift": shift.pk})
    return redirect(reverse("backoffice:cashdesk_shift", args=[shift.pk]))


@staff_member_required
def shift_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The report of a shift: its payments, totals by method, cancellations."""
    _need(request, VIEW)
    shift = get_object_or_404(
        _scoped(request, CashShift.objects.select_related("source", "cashier", "organization")),
        pk=pk,
    )
    context = admin_context(request, _("Shift №%(shift)s") % {"shift": shift.pk})
    context.update({"shift": shift, "view": _report_view(shift)})
    return render(request, "backoffice/cashdesk/shift.html", context)
