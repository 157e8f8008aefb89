"""Billing runs, their charge lines, and the operator-entered acts that reduce charges.

A run computes one month of an organization (plus the differences for earlier months whose
facts changed) into `ChargeLine` rows. Posting turns the lines into ledger entries. Lines of a
posted run are never changed (database triggers, migration 0002).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from raschet.housing.models import Account, Building
from raschet.organizations.models import Organization, TenantModel
from raschet.tariffs.models import Service

APPLY_WITHIN = timedelta(days=30)
"""An absence application is accepted up to 30 days after the return (ПП 354 п.91)."""


class Absence(TenantModel):
    """An application for temporary absence (ПП 354 п.86–97; rules.md §1.7).

    ``left_on`` and ``returned_on`` are the days of departure and return; neither counts.
    """

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="absences"
    )
    persons = models.PositiveSmallIntegerField(
        _("absent persons"), default=1, validators=[MinValueValidator(1)]
    )
    left_on = models.DateField(_("left on"))
    returned_on = models.DateField(_("returned on"))
    applied_on = models.DateField(_("application date"), null=True, blank=True)
    documents = models.CharField(_("documents"), max_length=300, blank=True)
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("temporary absence")
        verbose_name_plural = _("temporary absences")
        ordering = ["account", "left_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(returned_on__gt=models.F("left_on")), name="absence_dates_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.left_on:%d.%m.%Y}–{self.returned_on:%d.%m.%Y}"

    def clean(self) -> None:
        super().clean()
        if self.left_on and self.returned_on and self.returned_on <= self.left_on:
            raise ValidationError({"returned_on": _("The return must be after the departure")})
        late = (
            self.returned_on
            and self.applied_on
            and self.applied_on > self.returned_on + APPLY_WITHIN
        )
        if late:
            raise ValidationError(
                {
                    "applied_on": _(
                        "The application must be filed within 30 days after the return "
                        "(ПП 354 п.91)"
                    )
                }
            )
        in_advance = self.applied_on and self.left_on and self.applied_on <= self.left_on
        if in_advance and self.returned_on and self.returned_on > _six_months_after(self.left_on):
            raise ValidationError(
                {
                    "returned_on": _(
                        "An application filed in advance covers at most six months; "
                        "a longer absence needs a new application"
                    )
                }
            )


def _six_months_after(day: date) -> date:
    month = day.month + 6
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover - day 28 exists in every month


class QualityKind(models.TextChoices):
    INTERRUPTION = "interruption", _("Interruption")
    TEMPERATURE = "temperature", _("Temperature deviation")


class ActState(models.TextChoices):
    """A resident's report of a poor or missing service becomes a *draft* act; billing applies
    only *confirmed* acts (an operator confirms the draft after checking it), never a draft or
    a rejected one."""

    DRAFT = "draft", _("Draft")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class QualityAct(TenantModel):
    """An act of inadequate quality or interruption of a service for a month (rules.md §1.8).

    With an account it concerns that account; without, every account of the building.
    """

    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="+"
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quality_acts",
    )
    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.DateField(_("billing month"))
    kind = models.CharField(_("kind"), max_length=16, choices=QualityKind.choices)
    events_hours = models.JSONField(_("hours of each interruption"), default=list, blank=True)
    hours = models.PositiveIntegerField(_("hours of deviation"), default=0)
    degrees = models.PositiveIntegerField(_("degrees of deviation"), default=0)
    act_number = models.CharField(_("act number"), max_length=40, blank=True)
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    state = models.CharField(
        _("state"), max_length=16, choices=ActState.choices, default=ActState.CONFIRMED
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("quality act")
        verbose_name_plural = _("quality acts")
        ordering = ["-period", "building"]
        constraints = [
            models.CheckConstraint(condition=Q(period__day=1), name="quality_act_first_day")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period:%m.%Y}"


class RunState(models.TextChoices):
    COMPUTING = "computing", _("Computing")
    COMPUTED = "computed", _("Computed, not posted")
    POSTED = "posted", _("Posted")
    FAILED = "failed", _("Failed")


class BillingRun(TenantModel):
    """One computation of a month for an organization.

    ``basis`` is the last posted run of the organization when this one started: posting
    is refused when another run was posted since (the run is stale), and the database allows
    only one posted run per basis — two runs cannot post at once.
    """

    period = models.DateField(_("billing month"))
    trial = models.BooleanField(_("trial run"), default=True)
    state = models.CharField(
        _("state"), max_length=16, choices=RunState.choices, default=RunState.COMPUTING
    )
    basis = models.PositiveBigIntegerField(
        _("basis"), default=0, help_text=_("The last posted run when this one started (0: none)")
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
    finished_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    accounts_total = models.PositiveIntegerField(_("accounts"), default=0)
    accounts_done = models.PositiveIntegerField(_("accounts done"), default=0)
    lines_count = models.PositiveBigIntegerField(_("lines"), default=0)
    months_recomputed = models.JSONField(_("months recomputed"), default=list, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(period__day=1), name="billing_run_first_day"),
            models.UniqueConstraint(
                fields=["organization", "basis"],
                condition=Q(state="posted"),
                name="billing_run_one_posted_per_basis",
            ),
        ]

    def __str__(self) -> str:
        return f"№{self.pk} {self.period:%m.%Y}"


class BatchState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class RunBatch(TenantModel):
    """A group of whole buildings of a run, computed by one worker."""

    run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    building_ids = models.JSONField(default=list)
    accounts = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=16, choices=BatchState.choices, default=BatchState.PENDING)
    lines = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="run_batch_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.number}"


class LineKind(models.TextChoices):
    CHARGE = "charge", _("Charge")
    RECALCULATION = "recalculation", _("Recalculation")


class ChargeLine(TenantModel):
    """One line of a run: account × service × month, with its provenance.

    A charge line is the month's own charge (``corrects_period == period``); a recalculation
    line holds the *differences* of each figure for an earlier month (or for this month when a
    run re-bills it after a posted run) and names the reason. Volumes are in 1e-6 of the unit,
    rates in 1e-4 ₽, norms in 1e-6, areas in 1e-2 m², amounts in kopecks. Written by ``COPY``;
    high volume (ADR 0004), hence no foreign-key constraints.
    """

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    run_id = models.BigIntegerField(_("billing run"))
    account_id = models.BigIntegerField(_("account"))
    service_id = models.BigIntegerField(_("service"))
    payee_id = models.BigIntegerField(_("payee"), null=True)
    period = models.DateField(_("billing month"))
    corrects_period = models.DateField(_("corrected month"))
    kind = models.CharField(_("kind"), max_length=16, choices=LineKind.choices)
    method = models.SmallIntegerField(_("method"))
    volume = models.BigIntegerField(_("volume, 1e-6"))
    coefficient_volume = models.BigIntegerField(_("coefficient volume, 1e-6"), default=0)
    rate = models.BigIntegerField(_("rate, 1e-4 ₽"), null=True)
    norm = models.BigIntegerField(_("norm, 1e-6"), null=True)
    persons = models.IntegerField(_("persons"), default=0)
    area = models.BigIntegerField(_("area, 1e-2 m²"), default=0)
    average_months = models.SmallIntegerField(_("months in the average"), default=0)
    segments = models.SmallIntegerField(_("sub-periods"), default=1)
    amount = models.BigIntegerField(_("amount, kopecks"))
    coefficient_amount = models.BigIntegerField(_("coefficient part, kopecks"), default=0)
    reduction = models.BigIntegerField(_("reduction, kopecks"), default=0)
    benefit = models.BigIntegerField(_("benefit, kopecks"), default=0)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("charge line")
        verbose_name_plural = _("charge lines")
        indexes = [
            models.Index(fields=["run_id"], name="charge_line_run"),
            models.Index(fields=["account_id", "corrects_period"], name="charge_line_account"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.service_id} {self.corrects_period:%m.%Y}"

    @property
    def total(self) -> int:
        return self.amount + self.reduction + self.benefit
