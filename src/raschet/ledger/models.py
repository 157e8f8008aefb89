"""The ledger: append-only money movements of an account, per service and payee.

This issue creates it for the charge kinds (charge, recalculation, reduction, benefit); the
payments issue adds payments, balances and snapshots. A row is never updated or deleted —
the database refuses it (triggers in migration 0002) — and no row may be written into a
closed month of its organization. A correction is a new row (a recalculation) in an open
month that names the month it corrects.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from raschet.core.money import format_rubles
from raschet.housing.models import Account
from raschet.organizations.models import Organization, TenantModel
from raschet.tariffs.models import Service


class EntryKind(models.TextChoices):
    CHARGE = "charge", _("Charge")
    RECALCULATION = "recalculation", _("Recalculation")
    REDUCTION = "reduction", _("Reduction")
    BENEFIT = "benefit", _("Benefit")


class LedgerEntry(TenantModel):
    """One posted amount (kopecks, signed) of an account × service × payee in a month.

    ``period`` is the month the entry is posted in; ``corrects_period`` the month it is about
    (equal for the month's own charges). High volume (ADR 0004): the organization key is an
    indexed column without a foreign-key constraint.
    """

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    service = models.ForeignKey(
        Service,
        verbose_name=_("service"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    payee = models.ForeignKey(
        Organization,
        verbose_name=_("payee"),
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    period = models.DateField(_("billing month"))
    corrects_period = models.DateField(_("corrected month"))
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    amount_kopecks = models.BigIntegerField(_("amount, kopecks"))
    run_id = models.BigIntegerField(_("billing run"))
    line_id = models.BigIntegerField(_("charge line"))
    posted_at = models.DateTimeField(_("posted at"))

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [
            models.Index(fields=["account", "period"], name="ledger_account_period"),
            models.Index(fields=["organization", "period"], name="ledger_org_period"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {format_rubles(self.amount_kopecks)}"


class PurgeFlag(models.Model):
    """While a row exists here *inside a transaction*, the guards let rows be deleted.

    Only the demo's wipe of its own organizations writes it (`raschet.ledger.guards.purge`);
    other sessions never see the uncommitted row, so for them the guards stay on.
    """

    reason = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.reason
