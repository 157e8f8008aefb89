"""Pages of the resident portal (issue 8, first slice): sign-up, sign-in/out, linking an
account, the overview of a linked account, and the public penalty calculator.

Views parse the request and call the portal's services and selectors; no rules live here.
Every page with an account id reads it through `resident_account` (404 unless linked).
"""

from __future__ import annotations

import re
from datetime import date

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from raschet.debt.forms import PenaltyCalculatorForm
from raschet.housing.models import Account
from raschet.organizations.models import Organization
from raschet.portal.forms import LinkForm, SignInForm, SignUpForm
from raschet.portal.selectors import account_overview, resident_account, resident_accounts
from raschet.portal.services import PortalError, account_link, resident_sign_up

LOGIN = "portal:login"
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def branding(organization: Organization) -> dict[str, str]:
    """The managing organization's name, logo and colours for the page header.

    Colours go into a ``style`` attribute, so only ``#RRGGBB`` passes (the model validates
    them in forms, but a row written otherwise must not inject CSS).
    """
    primary = organization.color_primary if _COLOUR.match(organization.color_primary or "") else ""
    accent = organization.color_accent if _COLOUR.match(organization.color_accent or "") else ""
    return {
        "name": organization.display_name,
        "logo_url": organization.logo.url if organization.logo else "",
        "primary": primary,
        "accent": accent,
        "phone": organization.phone,
        "email": organization.email,
    }


def home(request: HttpRequest) -> HttpResponse:
    """Signed in: the resident's accounts; otherwise: what the portal offers."""
    accounts = resident_accounts(request.user)
    return render(request, "portal/home.html", {"accounts": accounts})


def sign_up(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = resident_sign_up(
                email=form.cleaned_data["email"], password=form.cleaned_data["password2"]
            )
        except PortalError as exc:
            form.add_error(None, str(exc))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("portal:link")
    return render(request, "portal/signup.html", {"form": form})


class SignInView(LoginView):
    template_name = "portal/login.html"
    authentication_form = SignInForm
    next_page = "portal:home"


class SignOutView(LogoutView):
    next_page = "portal:home"


@login_required(login_url=LOGIN)
def link_account(request: HttpRequest) -> HttpResponse:
    form = LinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link = account_link(
                user=request.user,
                number=form.cleaned_data["number"],
                code=form.cleaned_data["code"],
                now=timezone.now(),
            )
        except PortalError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("portal:account", pk=link.account_id)
    return render(request, "portal/link.html", {"form": form})


def _month(text: str) -> date | None:
    m = _MONTH.match(text)
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    return date(year, month, 1) if 1 <= month <= 12 and 1900 < year < 2200 else None


@login_required(login_url=LOGIN)
def account_view(request: HttpRequest, pk: int) -> HttpResponse:
    account: Account = resident_account(request.user, pk)
    overview = account_overview(account, _month(request.GET.get("month", "")))
    return render(
        request,
        "portal/account.html",
        {"overview": overview, "account": account, "brand": branding(account.organization)},
    )


def penalty_calculator(request: HttpRequest) -> HttpResponse:
    """Public: anyone may check a penalty (rules.md §3; the issue 6 calculator)."""
    form = PenaltyCalculatorForm(request.GET or None)
    calc = form.calculation() if form.is_bound else None
    return render(request, "portal/calculator.html", {"form": form, "calc": calc})
