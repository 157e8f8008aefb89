"""Pages of online payment in the resident portal (issue 8 p.4): choosing what to pay, the
sandbox provider's test page, the provider's callback, and the result.

The rules are in `raschet.portal.acquiring`; these views parse requests. Every account is
read through `resident_account` and every order through `_resident_order` (404 unless the
order is the user's and its account is still linked to the user).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from raschet.core.money import MoneyError, format_rubles, parse_rubles
from raschet.housing.models import Account
from raschet.ledger.selectors import account_balances
from raschet.payments.services import PaymentError
from raschet.portal.acquiring import (
    AcquiringError,
    SandboxAcquirer,
    acquiring_provider,
    payment_order_create,
    payment_order_settle,
)
from raschet.portal.models import PaymentOrder
from raschet.portal.selectors import account_months, resident_account
from raschet.portal.views import LOGIN, branding

DEBT, MONTH, SERVICES = "debt", "month", "services"


def _kopecks(text: str, label: str) -> int:
    try:
        return parse_rubles(text)
    except MoneyError as exc:
        raise forms.ValidationError(
            _("%(field)s: not an amount in rubles: %(value)s") % {"field": label, "value": text}
        ) from exc


class PayForm(forms.Form):
    """What to pay: the whole debt (any amount), a named ЕПД month, or amounts by service.

    Amounts are typed in rubles and cleaned to kopecks; a service field left empty or zero is
    not paid. The limits (more than zero, at most a million) are `payment_order_create`'s.
    """

    mode = forms.ChoiceField(
        label=gettext_lazy("What to pay"),
        widget=forms.RadioSelect,
        choices=[
            (DEBT, gettext_lazy("The whole debt")),
            (MONTH, gettext_lazy("A payment document month")),
            (SERVICES, gettext_lazy("Chosen services")),
        ],
        initial=DEBT,
    )
    amount = forms.CharField(label=gettext_lazy("Amount, ₽"), required=False, max_length=20)
    month = forms.ChoiceField(label=gettext_lazy("Month"), required=False)

    def __init__(self, *args: Any, services: list[tuple[int, str, int]], months: list[date],
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.months = {m.strftime("%Y-%m"): m for m in months}
        month_field: Any = self.fields["month"]
        month_field.choices = [("", "—")] + [
            (k, m.strftime("%m.%Y")) for k, m in self.months.items()
        ]
        self.service_fields: list[tuple[str, int]] = []
        for pk, name, debt in services:
            key = f"service_{pk}"
            self.fields[key] = forms.CharField(
                label=name,
                required=False,
                max_length=20,
                initial=format_rubles(debt, thousands="") if debt > 0 else "",
            )
            self.service_fields.append((key, pk))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        mode = data.get("mode")
        data["targets"], data["period"] = {}, None
        if mode == SERVICES:
            targets: dict[int, int] = {}
            for key, pk in self.service_fields:
                text = (data.get(key) or "").strip()
                if not text:
                    continue
                try:
                    kopecks = _kopecks(text, str(self.fields[key].label))
                except forms.ValidationError as exc:
                    self.add_error(key, exc)
                    continue
                if kopecks < 0:
                    self.add_error(key, _("The amount for a service must be more than zero."))
                elif kopecks:
                    targets[pk] = kopecks
            if not targets and not self.errors:
                raise forms.ValidationError(_("Enter the amount for at least one service."))
            data["targets"] = targets
            data["amount_kopecks"] = sum(targets.values())
            return data
        text = (data.get("amount") or "").strip()
        if not text:
            self.add_error("amount", _("Enter the amount to pay."))
            return data
        try:
            data["amount_kopecks"] = _kopecks(text, _("Amount, ₽"))
        except forms.ValidationError as exc:
            self.add_error("amount", exc)
        if mode == MONTH:
            month = self.months.get(data.get("month") or "")
            if month is None:
                self.add_error("month", _("Choose a payment document month."))
            data["period"] = month
        return data


def _services(account: Account) -> list[tuple[int, str, int]]:
    """The account's services with their debt (summed over payees), by name."""
    debts: dict[int, tuple[str, int]] = {}
    for b in account_balances(account=account):
        if b.service_id is None:
            continue
        name, debt = debts.get(b.service_id, (b.service, 0))
        debts[b.service_id] = (name, debt + b.balance)
    return sorted(((pk, n, d) for pk, (n, d) in debts.items()), key=lambda s: (s[1], s[0]))


@login_required(login_url=LOGIN)
def pay(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose what to pay on a linked account, create the order, go to the provider."""
    account = resident_account(request.user, pk)
    services = _services(account)
    debt = sum(b.balance for b in account_balances(account=account))
    form = PayForm(
        request.POST or None,
        services=services,
        months=account_months(account),
        initial={"amount": format_rubles(debt, thousands="") if debt > 0 else ""},
    )
    if request.method == "POST" and form.is_valid():
        try:
            order = payment_order_create(
                user=request.user,
                account=account,
                amount_kopecks=form.cleaned_data["amount_kopecks"],
                targets=form.cleaned_data["targets"],
                period=form.cleaned_data["period"],
                now=timezone.now(),
            )
        except AcquiringError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(acquiring_provider().start(order))
    return render(
        request,
        "portal/payment/pay.html",
        {
            "form": form,
            "account": account,
            "debt": debt,
            "brand": branding(account.organization),
        },
    )


def _resident_order(request: HttpRequest, operation_id: UUID) -> PaymentOrder:
    """The user's order, 404 for another resident's order or an account no longer linked."""
    order = (
        PaymentOrder.objects.filter(operation_id=operation_id, user_id=request.user.pk or 0)
        .select_related("account__organization")
        .first()
    )
    if order is None:
        raise Http404(_("No such payment"))
    resident_account(request.user, order.account_id)
    return order


@login_required(login_url=LOGIN)
def sandbox_pay(request: HttpRequest, order: UUID) -> HttpResponse:
    """The sandbox provider's test page: «Оплатить» or «Отказаться»; then its callback is
    applied server-side (the service the callback endpoint calls) and the resident goes to
    the result. 404 when another provider is configured."""
    provider = acquiring_provider()
    if not isinstance(provider, SandboxAcquirer):
        raise Http404(_("No such payment"))
    found = _resident_order(request, order)
    if request.method == "POST":
        paid = request.POST.get("action") == "pay"
        now = timezone.now()
        data = provider.callback_data(found, paid=paid, paid_on=timezone.localdate(now))
        try:
            payment_order_settle(result=provider.verify(data), now=now)
        except (AcquiringError, PaymentError) as exc:
            return HttpResponseBadRequest(str(exc))
        return redirect("portal:payment_result", order=found.operation_id)
    return render(
        request,
        "portal/payment/sandbox.html",
        {"order": found, "brand": branding(found.account.organization)},
    )


@csrf_exempt
@require_POST
def acquiring_callback(request: HttpRequest) -> HttpResponse:
    """The provider's server-to-server callback: 400 and nothing stored unless it verifies."""
    try:
        result = acquiring_provider().verify(request.POST)
        payment_order_settle(result=result, now=timezone.now())
    except (AcquiringError, PaymentError) as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")


@login_required(login_url=LOGIN)
def payment_result(request: HttpRequest, order: UUID) -> HttpResponse:
    """What became of the resident's order: paid, declined or still waiting."""
    found = _resident_order(request, order)
    return render(
        request,
        "portal/payment/result.html",
        {
            "order": found,
            "account": found.account,
            "brand": branding(found.account.organization),
        },
    )
