"""The resident portal's own tables (issue 8): the access code of an account, a resident's
link to an account, the failed link attempts that lock a resident out for a while, and the
orders of online payments (`PaymentOrder`).

Residents are plain Django users (username = e-mail, not staff). Not included here: password
reset (Django's own tokens, a later slice) and sign-in throttling.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from raschet.housing.models import Account
from raschet.organizations.models import TenantModel, unconstrained_key
from raschet.payments.models import Payment

#: Letters and digits that cannot be mistaken for one another on paper: no 0/O, 1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


class AccountAccessCode(TenantModel):
    """The secret printed on an account's payment document: with the account number it lets
    a resident link the account in the portal. Generated on demand (`access_code_for`)."""

    account = models.OneToOneField(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="portal_access_code",
    )
    code = models.CharField(_("access code"), max_length=CODE_LENGTH)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("access code")
        verbose_name_plural = _("access codes")

    def __str__(self) -> str:
        return f"{self.account_id}"  # never the code itself: it is a secret


class ResidentAccount(TenantModel):
    """A resident's link to an account: the only thing that opens an account's pages to a
    portal user. Several residents (a family) may link one account."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="resident_accounts",
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="portal_links"
    )
    linked_at = models.DateTimeField(_("linked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("resident's account")
        verbose_name_plural = _("residents' accounts")
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="resident_account_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.account_id}"


class LinkAttempt(TenantModel):
    """A wrong access code typed by a resident for an existing account number.

    The organization is that of the account the number names. A number no organization has
    is not stored: it cannot be brute-forced into a link, and the resident sees the same
    message either way.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="+"
    )
    attempted_at = models.DateTimeField(_("attempted at"))

    class Meta:
        verbose_name = _("failed link attempt")
        verbose_name_plural = _("failed link attempts")
        indexes = [models.Index(fields=["user", "attempted_at"], name="link_attempt_user_time")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.attempted_at:%Y-%m-%d %H:%M}"


class PaymentOrderState(models.TextChoices):
    NEW = "new", _("Awaiting payment")
    PAID = "paid", _("Paid")
    DECLINED = "declined", _("Declined")


class PaymentOrder(TenantModel):
    """A resident's online payment on its way through the acquiring provider (issue 8 p.4).

    Created before the resident is sent to the provider; the provider's signed callback
    turns it paid (the payment is then taken by `payment_create` with ``operation_id`` =
    this order's UUID, so a repeated callback posts once) or declined. ``targets`` maps a
    service id (as a string, JSON keys are strings) to kopecks for a payment by services;
    ``period`` is the ЕПД month a resident named; both empty: the whole debt, allocated
    oldest month first (docs/payments.md). Not included: refunds, partial captures.
    """

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    amount_kopecks = models.BigIntegerField(_("amount, kopecks"))
    targets = models.JSONField(_("amounts by service, kopecks"), default=dict, blank=True)
    period = models.DateField(_("payment document month"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=PaymentOrderState.choices, default=PaymentOrderState.NEW
    )
    operation_id = models.UUIDField(_("operation id"), unique=True, default=uuid.uuid4)
    payment = unconstrained_key(Payment, _("payment"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("online payment order")
        verbose_name_plural = _("online payment orders")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_kopecks__gt=0), name="payment_order_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation_id}"
