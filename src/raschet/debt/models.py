"""Credit control: the key-rate table and special periods for penalties, debtor notices,
disputes and instalment plans.

The key rate and the special periods (moratoria, fixed and capped rates) are federal data,
shared by every organization: shipped with Raschet (`raschet/core/data/*.csv`), editable by
an administrator and loadable from a CSV (rules.md §3.3, §3.4; style §11 "numbers are data").
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from raschet.core.money import format_rubles
from raschet.housing.models import Account
from raschet.organizations.models import TenantModel


class KeyRate(models.Model):
    """The Bank of Russia key rate (= refinancing rate) from a date on (rules.md §3.4).

    ``rate_hundredths`` is the rate in hundredths of a percent (9.50 % = 950). The date is the
    date the rate took effect, not the date it was announced.
    """

    effective_from = models.DateField(_("effective from"), unique=True)
    rate_hundredths = models.PositiveIntegerField(_("rate, 0.01 %"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("key rate")
        verbose_name_plural = _("key rates")
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate_hundredths__lte=10000), name="key_rate_at_most_100"
            )
        ]

    def __str__(self) -> str:
        whole, part = divmod(self.rate_hundredths, 100)
        return f"{self.effective_from:%d.%m.%Y}: {whole},{part:02d} %"


class SpecialPeriodKind(models.TextChoices):
    MORATORIUM = "moratorium", _("Moratorium (no penalty for these days)")
    FIXED = "fixed", _("Fixed rate")
    MIN = "min", _("The lower of a fixed rate and the key rate")


class SpecialPeriod(models.Model):
    """A period set by a government act that changes penalties (rules.md §3.3).

    ``start`` and ``end`` are both included. A moratorium with ``debts_due_before`` covers
    only debts whose due date is before that date (ПП № 497).
    """

    start = models.DateField(_("from"))
    end = models.DateField(_("to (inclusive)"))
    kind = models.CharField(_("kind"), max_length=16, choices=SpecialPeriodKind.choices)
    rate_hundredths = models.PositiveIntegerField(_("rate, 0.01 %"), null=True, blank=True)
    debts_due_before = models.DateField(_("only debts due before"), null=True, blank=True)
    act = models.CharField(_("act"), max_length=300)

    class Meta:
        verbose_name = _("special period for penalties")
        verbose_name_plural = _("special periods for penalties")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="period_order"),
            models.CheckConstraint(
                condition=Q(kind="moratorium") | Q(rate_hundredths__isnull=False),
                name="special_rate_given",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start:%d.%m.%Y}–{self.end:%d.%m.%Y}: {self.get_kind_display()}"


class NoticeChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Printed letter")


class NoticeState(models.TextChoices):
    SENT = "sent", _("Sent")
    PRINTED = "printed", _("Ready to print")
    FAILED = "failed", _("Failed")


class DebtorNotice(TenantModel):
    """A notice to a debtor about the debt: sent by e-mail or prepared as a letter."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="notices"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=NoticeChannel.choices)
    state = models.CharField(_("state"), max_length=16, choices=NoticeState.choices)
    reason = models.CharField(_("reason"), max_length=300)
    debt_kopecks = models.BigIntegerField(_("debt, kopecks"))
    months_overdue = models.PositiveIntegerField(_("months overdue"))
    email = models.EmailField(_("e-mail"), blank=True)
    error = models.TextField(_("error"), blank=True)
    pdf = models.BinaryField(_("letter (PDF)"), blank=True, default=b"")

    class Meta:
        verbose_name = _("debtor notice")
        verbose_name_plural = _("debtor notices")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["account", "created_at"], name="notice_account")]

    def __str__(self) -> str:
        return f"{self.created_at:%d.%m.%Y} {format_rubles(self.debt_kopecks)} ₽"


class Dispute(TenantModel):
    """An open dispute about an account's debt: no notices while it is open."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="disputes"
    )
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=300)

    class Meta:
        verbose_name = _("debt dispute")
        verbose_name_plural = _("debt disputes")
        ordering = ["-opened_on"]

    def __str__(self) -> str:
        return self.subject


class PlanState(models.TextChoices):
    ACTIVE = "active", _("Kept")
    BROKEN = "broken", _("Broken (an instalment missed)")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class InstalmentPlan(TenantModel):
    """An agreement to pay a debt in instalments (рассрочка): a schedule with a status."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="plans"
    )
    agreed_on = models.DateField(_("agreed on"))
    debt_kopecks = models.BigIntegerField(_("debt, kopecks"))
    state = models.CharField(
        _("state"), max_length=16, choices=PlanState.choices, default=PlanState.ACTIVE
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("instalment plan")
        verbose_name_plural = _("instalment plans")
        ordering = ["-agreed_on"]
        constraints = [
            models.CheckConstraint(condition=Q(debt_kopecks__gt=0), name="plan_debt_positive")
        ]

    def __str__(self) -> str:
        return f"{self.agreed_on:%d.%m.%Y}: {format_rubles(self.debt_kopecks)} ₽"


class Instalment(TenantModel):
    """One payment of a plan: due by ``due_on``; kept when the account's payments since the
    plan cover every instalment due so far."""

    plan = models.ForeignKey(
        InstalmentPlan,
        verbose_name=_("plan"),
        on_delete=models.CASCADE,
        related_name="instalments",
    )
    due_on = models.DateField(_("due on"))
    amount_kopecks = models.BigIntegerField(_("amount, kopecks"))

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["due_on"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_kopecks__gt=0), name="instalment_positive"),
            models.UniqueConstraint(fields=["plan", "due_on"], name="instalment_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.due_on:%d.%m.%Y}: {format_rubles(self.amount_kopecks)} ₽"
