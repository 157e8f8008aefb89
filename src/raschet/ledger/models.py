"""The ledger: append-only money movements of an account, per service and payee.

The billing engine writes the charge kinds (charge, recalculation, reduction, benefit); the
payments app writes payments (one entry per allocation), their reversals and advances; the
credit-control app adds penalties. A row is never updated or deleted — the database refuses
it (triggers in migrations 0002 and 0003) — and no row may be written into a closed month of
its organization. A correction is a new row in an open month.

Sign: a positive amount is owed by the account (a charge), a negative one is paid or
forgiven (a payment, a benefit). The balance of an account × service × payee is the sum of
its entries: positive is a debt, negative an advance.

The *debt month* of an entry is the payment-document (ЕПД) month the debt belongs to:
``period`` for the entries that create debt (charges, recalculations, penalties), and
``debt_period`` for the entries that settle one (payments, reversals, write-offs). It is
what a payment is allocated by — oldest month first (rules.md §14).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from raschet.core.money import format_rubles
from raschet.housing.models import Account
from raschet.organizations.models import Organization, TenantModel, unconstrained_key
from raschet.tariffs.models import Service


class EntryKind(models.TextChoices):
    CHARGE = "charge", _("Charge")
    RECALCULATION = "recalculation", _("Recalculation")
    REDUCTION = "reduction", _("Reduction")
    BENEFIT = "benefit", _("Benefit")
    PENALTY = "penalty", _("Penalty")
    PAYMENT = "payment", _("Payment")
    REVERSAL = "reversal", _("Payment reversal")
    WRITE_OFF = "write_off", _("Write-off")
    TRANSFER = "transfer", _("Transfer")


#: The columns of the turnover sheet and of a balance snapshot, each with the kinds it sums.
TURNOVER_COLUMNS: dict[str, tuple[str, ...]] = {
    "charged": (EntryKind.CHARGE,),
    "recalculated": (EntryKind.RECALCULATION,),
    "reductions": (EntryKind.REDUCTION,),
    "benefits": (EntryKind.BENEFIT,),
    "paid": (EntryKind.PAYMENT, EntryKind.REVERSAL),
    "penalties": (EntryKind.PENALTY,),
    "other": (EntryKind.WRITE_OFF, EntryKind.TRANSFER),
}


class LedgerEntry(TenantModel):
    """One posted amount (kopecks, signed) of an account × service × payee in a month.

    ``period`` is the month the entry is posted in; ``corrects_period`` the month it is about
    (equal for the month's own charges). High volume (ADR 0004): the organization key is an
    indexed column without a foreign-key constraint.
    """

    organization = unconstrained_key(Organization, _("organization"))
    account = unconstrained_key(Account, _("account"))
    service = unconstrained_key(
        Service,
        _("service"),
        null=True,
        help_text=_("Empty for an advance not yet assigned to a service"),
    )
    payee = unconstrained_key(Organization, _("payee"), null=True)
    period = models.DateField(_("billing month"))
    corrects_period = models.DateField(_("corrected month"))
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    amount_kopecks = models.BigIntegerField(_("amount, kopecks"))
    debt_period = models.DateField(
        _("debt month"),
        null=True,
        help_text=_("The payment-document month this payment or write-off settles"),
    )
    penalty = models.BooleanField(_("penalty debt"), default=False, db_default=False)
    run_id = models.BigIntegerField(_("billing run"), null=True)
    line_id = models.BigIntegerField(_("charge line"), null=True)
    payment_id = models.BigIntegerField(_("payment"), null=True)
    posted_at = models.DateTimeField(_("posted at"))
    posted_by = unconstrained_key(settings.AUTH_USER_MODEL, _("posted by"), null=True)
    note = models.CharField(_("note"), max_length=300, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [
            models.Index(fields=["account", "period"], name="ledger_account_period"),
            models.Index(fields=["organization", "period"], name="ledger_org_period"),
            models.Index(
                fields=["payment_id"],
                name="ledger_payment",
                condition=models.Q(payment_id__isnull=False),
            ),
            # the penalty run reads what it posted before, per account, among 40+ entries
            # an account for each one of penalties
            models.Index(
                fields=["account", "service", "payee"],
                name="ledger_penalty",
                condition=models.Q(penalty=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {format_rubles(self.amount_kopecks)}"


class BalanceSnapshot(TenantModel):
    """The turnover of one account × service × payee in a closed month, stored at the close.

    ``closing = opening + charged + recalculated + reductions + benefits + paid + penalties +
    other`` (kopecks, the ledger's sign: positive is owed). ``opening`` is the previous
    month's closing; the rest are the sums of the month's entries by kind
    (`TURNOVER_COLUMNS`). Rows whose every figure is zero are not stored. Written once by the
    month close, never changed (the database refuses UPDATE and DELETE).
    """

    organization = unconstrained_key(Organization, _("organization"))
    period = models.DateField(_("month"))
    account = unconstrained_key(Account, _("account"))
    service = unconstrained_key(Service, _("service"), null=True)
    payee = unconstrained_key(Organization, _("payee"), null=True)
    opening = models.BigIntegerField(_("opening balance"))
    charged = models.BigIntegerField(_("charged"))
    recalculated = models.BigIntegerField(_("recalculated"))
    reductions = models.BigIntegerField(_("reductions"))
    benefits = models.BigIntegerField(_("benefits"))
    paid = models.BigIntegerField(_("paid"))
    penalties = models.BigIntegerField(_("penalties"))
    other = models.BigIntegerField(_("write-offs and transfers"))
    closing = models.BigIntegerField(_("closing balance"))

    class Meta:
        verbose_name = _("balance snapshot")
        verbose_name_plural = _("balance snapshots")
        indexes = [
            models.Index(fields=["organization", "period"], name="snapshot_org_period"),
            models.Index(fields=["account", "period"], name="snapshot_account_period"),
        ]

    def __str__(self) -> str:
        return f"{self.period:%m.%Y}: {format_rubles(self.closing)}"


class PurgeFlag(models.Model):
    """While a row exists here *inside a transaction*, the guards let rows be deleted.

    Only the demo's wipe of its own organizations writes it (`raschet.ledger.guards.purge`);
    other sessions never see the uncommitted row, so for them the guards stay on.
    """

    reason = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.reason
