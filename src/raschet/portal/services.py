"""Writes of the resident portal (issue 8): sign-up, the access code of an account, linking an
account by its number and access code with a lockout after repeated wrong codes.

Time is a parameter (``now``); views pass the clock. Not included: password reset, sign-in
throttling, unlinking.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from raschet.housing.models import Account
from raschet.portal.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    AccountAccessCode,
    LinkAttempt,
    ResidentAccount,
)

LOCKOUT_ATTEMPTS = 5
LOCKOUT_WINDOW = timedelta(hours=1)
"""Five wrong codes within an hour refuse linking for an hour after the fifth."""


class PortalError(Exception):
    """A request the portal refuses, with the message for the resident."""


class LinkRefused(PortalError):
    """Linking is locked for the user until ``until`` (too many wrong codes)."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        local = timezone.localtime(until)
        super().__init__(
            _("Too many wrong access codes. Try again after %(time)s.")
            % {"time": f"{local:%H:%M %d.%m.%Y}"}
        )


def new_access_code() -> str:
    """A random code of `CODE_LENGTH` characters of the unambiguous alphabet."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """What a resident typed, as stored: upper case, without spaces and dashes."""
    return "".join(text.split()).replace("-", "").upper()


def access_code_for(account: Account) -> str:
    """The account's access code, created on first use (the payment document prints it)."""
    existing = (
        AccountAccessCode.objects.filter(account_id=account.pk)
        .values_list("code", flat=True)
        .first()
    )
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            row = AccountAccessCode.objects.create(
                organization_id=account.organization_id, account=account, code=new_access_code()
            )
    except IntegrityError:  # created at the same moment by another process
        return AccountAccessCode.objects.get(account_id=account.pk).code
    return row.code


def resident_sign_up(*, email: str, password: str) -> Any:
    """A new resident: a Django user whose username is the e-mail, not staff.

    The caller has validated the password (the form runs Django's validators).
    """
    email = email.strip().lower()
    users = get_user_model()
    if users.objects.filter(username__iexact=email).exists():
        raise PortalError(_("A resident with this e-mail is already registered."))
    try:
        with transaction.atomic():
            return users.objects.create_user(username=email, email=email, password=password)
    except IntegrityError as exc:
        raise PortalError(_("A resident with this e-mail is already registered.")) from exc


def lockout_until(*, user: Any, now: datetime) -> datetime | None:
    """When linking unlocks for ``user``, or ``None`` when it is not locked.

    Locked while the last `LOCKOUT_ATTEMPTS` wrong codes fall within `LOCKOUT_WINDOW` and the
    last of them is less than `LOCKOUT_WINDOW` ago.
    """
    recent = list(
        LinkAttempt.objects.filter(user=user, attempted_at__gt=now - 2 * LOCKOUT_WINDOW)
        .order_by("-attempted_at")
        .values_list("attempted_at", flat=True)[:LOCKOUT_ATTEMPTS]
    )
    if len(recent) < LOCKOUT_ATTEMPTS:
        return None
    newest, oldest = recent[0], recent[-1]
    if newest - oldest < LOCKOUT_WINDOW and now < newest + LOCKOUT_WINDOW:
        return newest + LOCKOUT_WINDOW
    return None


def account_link(*, user: Any, number: str, code: str, now: datetime) -> ResidentAccount:
    """Link the account named by ``number`` to ``user`` when ``code`` is its access code.

    A wrong code is recorded (`LinkAttempt`) and answered with one message whether the number
    exists or not; while locked out (`lockout_until`) nothing is checked. A successful link
    does not clear earlier wrong codes: otherwise one's own code would reset the count.
    Linking an account twice returns the existing link. Staff users are not residents.
    """
    if user.is_staff:
        raise PortalError(_("A staff account cannot link personal accounts."))
    number, code = number.strip(), normalize_code(code)
    with transaction.atomic():
        # One user's attempts are serialized: two parallel requests cannot both slip past
        # the count (PostgreSQL; SQLite serializes writers anyway).
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        until = lockout_until(user=user, now=now)
        if until is not None:
            raise LinkRefused(until)
        candidates = list(Account.objects.filter(number=number).order_by("pk"))
        codes = dict(
            AccountAccessCode.objects.filter(account__in=candidates).values_list(
                "account_id", "code"
            )
        )
        match = next(
            (a for a in candidates if a.pk in codes and constant_time_compare(codes[a.pk], code)),
            None,
        )
        if match is not None:
            link, _created = ResidentAccount.objects.get_or_create(
                user=user, account=match, defaults={"organization_id": match.organization_id}
            )
            return link
        if candidates:
            LinkAttempt.objects.create(
                organization_id=candidates[0].organization_id,
                user=user,
                account=candidates[0],
                attempted_at=now,
            )
    until = lockout_until(user=user, now=now)
    if until is not None:
        raise LinkRefused(until)
    raise PortalError(
        _("The account number or the access code is wrong. Check them on the payment document.")
    )
