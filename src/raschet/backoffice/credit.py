"""Operator pages of credit control: the penalty calculator and an account's «расчёт пени»
(on screen and as a PDF for a claim).

Views parse the request and call `raschet.debt.claim` / the penalty reference; the rules live
there. Permission: ``ledger.view_ledgerentry`` (who sees balances sees penalties).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from raschet.backoffice.card import account_for_user
from raschet.backoffice.views import admin_context
from raschet.core.money import MoneyError, format_rubles, parse_rubles
from raschet.debt.claim import account_penalty, account_penalty_pdf
from raschet.debt.forms import PenaltyCalculatorForm
from raschet.debt.models import DebtorNotice, InstalmentPlan
from raschet.debt.services import DebtError, notices_send
from raschet.housing.models import Account
from raschet.organizations.selectors import organizations_for_user

VIEW = "ledger.view_ledgerentry"


def _need(request: HttpRequest) -> None:
    if not request.user.has_perm(VIEW):
        raise PermissionDenied


@staff_member_required
def penalty_calculator(request: HttpRequest) -> HttpResponse:
    _need(request)
    form = PenaltyCalculatorForm(request.GET or None)
    calc = form.calculation() if form.is_bound else None
    context = admin_context(request, _("Penalty calculator"))
    context.update({"form": form, "calc": calc})
    return render(request, "backoffice/credit/calculator.html", context)


@staff_member_required
def account_penalty_view(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request)
    account = account_for_user(request.user, pk)
    try:
        until = date.fromisoformat(request.GET.get("until", ""))
    except ValueError:
        until = timezone.localdate()
    result = account_penalty(account=account, until=until)
    if request.GET.get("format") == "pdf":
        response = HttpResponse(account_penalty_pdf(result), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="penalty-{account.number}-{until:%Y%m%d}.pdf"'
        )
        return response
    context = admin_context(
        request, _("Penalty calculation for account %(number)s") % {"number": account.number}
    )
    context.update({"account": account, "result": result, "until": until})
    return render(request, "backoffice/credit/account_penalty.html", context)


def card_credit_context(account: Account) -> dict[str, Any]:
    """The account card's notices (newest first, without their PDFs) and plans."""
    notices = list(DebtorNotice.objects.filter(account=account).defer("pdf")[:20])
    plans = list(InstalmentPlan.objects.filter(account=account)[:10])
    items: list[Any] = [*notices, *plans]
    for item in items:
        item.debt_rubles = format_rubles(item.debt_kopecks)
    return {"notices": notices, "plans": plans}


@staff_member_required
def notice_letter_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The PDF letter of a notice (of an organization the user serves)."""
    if not request.user.has_perm("debt.view_debtornotice"):
        raise PermissionDenied
    notice = get_object_or_404(
        DebtorNotice, pk=pk, organization__in=organizations_for_user(request.user)
    )
    if not notice.pdf:
        raise Http404
    response = HttpResponse(bytes(notice.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{notice.pk}.pdf"'
    return response


class NoticesForm(forms.Form):
    organization: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=Account.objects.none(), label=gettext_lazy("Organization")
    )
    threshold = forms.CharField(label=gettext_lazy("Debt at least, ₽"), initial="0")
    months = forms.IntegerField(
        label=gettext_lazy("Months overdue at least"), min_value=0, initial=2
    )
    on = forms.DateField(label=gettext_lazy("On"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations_for_user(user).order_by("name")  # type: ignore[attr-defined]

    def clean_threshold(self) -> int:
        try:
            return parse_rubles(self.cleaned_data["threshold"])
        except MoneyError as exc:
            raise forms.ValidationError(str(exc)) from exc


@staff_member_required
def notices_send_view(request: HttpRequest) -> HttpResponse:
    """Send the notices the rules call for (e-mail or letters) and show what was done."""
    if not request.user.has_perm("debt.add_debtornotice"):
        raise PermissionDenied
    form = NoticesForm(
        request.POST or None, user=request.user, initial={"on": timezone.localdate()}
    )
    report = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = notices_send(
                organization=data["organization"],
                on=data["on"],
                threshold_kopecks=data["threshold"],
                min_months=data["months"],
                user=request.user,
            )
        except DebtError as exc:
            form.add_error(None, str(exc))
    context = admin_context(request, _("Notify debtors"))
    context.update({"form": form, "report": report})
    return render(request, "backoffice/credit/notices.html", context)
