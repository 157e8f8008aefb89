"""Residents' own access to the portal (issue 8 p.1 leftovers): password reset by e-mail,
brute-force protection of sign-in, and unlinking an account.

* Password reset is Django's `PasswordResetView` family with the portal's templates
  (``portal/password/…``). The mail goes through the configured backend (a file backend by
  default, SMTP with ``RASCHET_EMAIL_HOST``). An unknown e-mail shows the same "sent" page
  (no user enumeration). Staff users get no mail here: they work in the back office and the
  portal's sign-in turns them away.
* Sign-in protection: `SIGNIN_EMAIL_LIMIT` failed sign-ins for one e-mail, or
  `SIGNIN_IP_LIMIT` from one IP address, within `SIGNIN_WINDOW` refuse every sign-in for that
  e-mail / IP for `SIGNIN_LOCKOUT`, even with the right password. The counts live in Django's
  cache, not in a table: a failure belongs to no organization (style.md §10 wants the
  organization key on every tenant table). With the default per-process local-memory cache
  each worker counts on its own; a shared cache (Redis, Memcached) makes the limits global.
  Not included: counting attempts that are still running (parallel requests all reach the
  password check before the first failure is counted), trusting ``X-Forwarded-For``.
* Unlinking: a POST removes the resident's own link to an account (404 for any account not
  linked to them, `resident_account`). Earlier wrong access codes stay counted.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from raschet.portal.forms import SignInForm
from raschet.portal.models import ResidentAccount
from raschet.portal.selectors import resident_account
from raschet.portal.views import LOGIN, SignInView

SIGNIN_EMAIL_LIMIT = 5
SIGNIN_IP_LIMIT = 20
SIGNIN_WINDOW = timedelta(minutes=15)
SIGNIN_LOCKOUT = timedelta(minutes=15)
"""Five failures for one e-mail (twenty from one IP) within 15 minutes lock it for 15 minutes."""

_PREFIX = "portal:signin"


# --- sign-in protection -------------------------------------------------------------------


def _keys(kind: str, value: str) -> tuple[str, str]:
    """The cache keys of the failure count and of the lock of one e-mail or IP address.

    Hashed: cache keys must be short and free of spaces, and the cache needs no e-mails."""
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"{_PREFIX}:{kind}:count:{digest}", f"{_PREFIX}:{kind}:lock:{digest}"


def _subjects(email: str, ip: str) -> list[tuple[str, str, int]]:
    out = [("email", email, SIGNIN_EMAIL_LIMIT)] if email else []
    if ip:
        out.append(("ip", ip, SIGNIN_IP_LIMIT))
    return out


def signin_locked_until(*, email: str, ip: str, now: datetime) -> datetime | None:
    """When sign-in unlocks for ``email`` / ``ip``; ``None`` when neither is locked."""
    locks = []
    for kind, value, _limit in _subjects(email, ip):
        stamp = cache.get(_keys(kind, value)[1])
        if stamp is not None and stamp > now.timestamp():
            locks.append(stamp)
    if not locks:
        return None
    return datetime.fromtimestamp(max(locks), tz=now.tzinfo)


def signin_failure_record(*, email: str, ip: str, now: datetime) -> datetime | None:
    """Count one failed sign-in for ``email`` and ``ip``; lock what reached its limit.

    A count lives `SIGNIN_WINDOW` from its first failure. `cache.add` + `cache.incr` are
    atomic on the shared caches, so parallel failures are not lost. Returns the end of the
    lock when this failure caused one.
    """
    until = None
    for kind, value, limit in _subjects(email, ip):
        count_key, lock_key = _keys(kind, value)
        window = int(SIGNIN_WINDOW.total_seconds())
        cache.add(count_key, 0, timeout=window)
        try:
            count = cache.incr(count_key)
        except ValueError:  # expired between add and incr
            cache.set(count_key, 1, timeout=window)
            count = 1
        if count >= limit:
            end = now + SIGNIN_LOCKOUT
            cache.set(lock_key, end.timestamp(), timeout=int(SIGNIN_LOCKOUT.total_seconds()))
            cache.delete(count_key)  # after the lock, a fresh count
            until = end
    return until


def signin_success_record(*, email: str) -> None:
    """A successful sign-in clears the e-mail's failure count (never the IP's: an attacker's
    own account must not reset the count of the address they guess from)."""
    cache.delete(_keys("email", email)[0])


def signin_refused_message(until: datetime) -> str:
    local = timezone.localtime(until)
    return _("Too many failed sign-in attempts. Try again after %(time)s.") % {
        "time": f"{local:%H:%M %d.%m.%Y}"
    }


def client_ip(request: HttpRequest) -> str:
    """The peer address; ``X-Forwarded-For`` is not trusted (anyone can send it)."""
    return str(request.META.get("REMOTE_ADDR") or "")


class ThrottledSignInForm(SignInForm):
    """`SignInForm` that refuses while the e-mail or IP is locked — before the password is
    checked, so a locked account is no oracle for guessing — and counts wrong passwords."""

    def __init__(self, *args: Any, now: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()

    def clean(self) -> dict[str, Any]:
        email = str(self.cleaned_data.get("username") or "")
        ip = client_ip(self.request) if self.request is not None else ""
        until = signin_locked_until(email=email, ip=ip, now=self.now)
        if until is not None:
            raise forms.ValidationError(signin_refused_message(until), code="locked")
        try:
            data = super().clean()
        except forms.ValidationError as exc:
            if exc.code == "invalid_login" and email:
                until = signin_failure_record(email=email, ip=ip, now=self.now)
                if until is not None:
                    raise forms.ValidationError(
                        signin_refused_message(until), code="locked"
                    ) from exc
            raise
        if self.get_user() is not None:
            signin_success_record(email=email)
        return data


class ThrottledSignInView(SignInView):
    """The portal's sign-in with brute-force protection and a "forgot password" link."""

    template_name = "portal/auth/login.html"
    authentication_form = ThrottledSignInForm

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["now"] = timezone.now()
        return kwargs


# --- password reset -----------------------------------------------------------------------


class ResidentPasswordResetForm(PasswordResetForm):
    """Django's reset form that mails residents only (not staff users)."""

    def get_users(self, email: str) -> Any:
        return (user for user in super().get_users(email) if not user.is_staff)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResidentPasswordResetForm
    template_name = "portal/password/reset_form.html"
    email_template_name = "portal/password/reset_email.txt"
    subject_template_name = "portal/password/reset_subject.txt"
    success_url = reverse_lazy("portal:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/password/reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "portal/password/reset_confirm.html"
    success_url = reverse_lazy("portal:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/password/reset_complete.html"


# --- unlinking ----------------------------------------------------------------------------


def account_unlink(*, user: Any, account_id: int) -> int:
    """Remove ``user``'s link to the account; other residents' links to it stay.

    Returns the number of links removed (0 or 1)."""
    with transaction.atomic():
        removed, _detail = ResidentAccount.objects.filter(user=user, account_id=account_id).delete()
    return removed


@login_required(login_url=LOGIN)
@require_http_methods(["GET", "POST"])
def unlink_account(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm; POST unlinks. 404 unless the account is linked to the user."""
    account = resident_account(request.user, pk)
    if request.method == "POST":
        account_unlink(user=request.user, account_id=account.pk)
        return redirect("portal:home")
    return render(request, "portal/auth/unlink.html", {"account": account})
