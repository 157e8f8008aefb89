"""Billing runs, their charge lines, and the operator-entered acts that reduce charges.

A run computes one month of an organization (plus the differences for earlier months whose
facts changed) into `ChargeLine` rows. Posting turns the lines into ledger entries. Lines of a
posted run are never changed (database triggers, migration 0002).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from raschet.core.billing import (
    DEAD_END_SERVICES,
    INTERRUPTION_SERVICES,
    InterruptionAct,
    interruption_limits,
    waste_once_hours,
)
from raschet.core.billing import quality_units as core_quality_units
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
    """What an act records (rules.md §1.8, §2.1). Residents report the first two through the
    portal (`RESIDENT_QUALITY_KINDS`); the others are entered by an operator."""

    INTERRUPTION = "interruption", _("Interruption")
    TEMPERATURE = "temperature", _("Temperature deviation")
    BELOW_40 = "below_40", _("Hot water below 40 °C")
    MAINTENANCE = "maintenance", _("Hot water maintenance outage")
    UPKEEP_DAYS = "upkeep_days", _("Upkeep not performed (days)")
    FINE = "fine", _("Fine for an unlawful over-charge")


RESIDENT_QUALITY_KINDS = [
    (QualityKind.INTERRUPTION.value, QualityKind.INTERRUPTION.label),
    (QualityKind.TEMPERATURE.value, QualityKind.TEMPERATURE.label),
]
"""The kinds a resident can report (an appeal); the rest are the operator's acts."""

TEMPERATURE_OF = ("heating", "solid_waste")
"""Interruptions whose permitted hours depend on the act's measured temperature: heating
(the rooms' air) and solid waste removal (the outdoor air)."""

UPKEEP_EXCLUDED_SERVICES = {"capital_repair"}
"""ПП 491 concerns the upkeep of common property: a capital-repair contribution is not
reduced for it."""


class ActState(models.TextChoices):
    """A resident's report of a poor or missing service becomes a *draft* act; billing applies
    only *confirmed* acts (an operator confirms the draft after checking it), never a draft or
    a rejected one."""

    DRAFT = "draft", _("Draft")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class QualityAct(TenantModel):
    """An act of inadequate quality or interruption of a service for a month (rules.md §1.8,
    §2.1).

    With an account it concerns that account; without, every account of the building.
    By kind: ``interruption`` — ``events_hours``, with the conditions that change the
    permitted hours: ``temperature_c`` of the rooms (heating) or of the outdoor air (solid
    waste removal, whose events are the deviations from the schedule) and
    ``dead_end_accident`` (water); the building's ``electricity_two_sources``;
    ``temperature`` — ``hours`` × ``degrees`` beyond the allowance; ``below_40`` — ``hours``
    of hot water below 40 °C and the measured
    ``temperature_c``, billed at the cold-water tariff; ``maintenance`` — ``hours`` of the
    planned annual hot-water outage (14 days a year are permitted); ``upkeep_days`` —
    ``days`` an upkeep service was not performed (ПП 491); ``fine`` — the ``overcharge`` the
    contractor charged unlawfully, half of which is returned (ЖК ст.157 ч.6).
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
    temperature_c = models.DecimalField(
        _("measured temperature, °C"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_(
            "Hot water below 40 °C: the water at the tap; a heating interruption: the air in "
            "the rooms (permitted at once: 16 h at +12 °C and above or when not given, 8 h at "
            "+10…+12, 4 h at +8…+10, none below +8); solid waste: the outdoor air (72 h of "
            "deviation permitted at 0 °C and below, otherwise 24 h)"
        ),
    )
    dead_end_accident = models.BooleanField(
        _("accident on a dead-end main"),
        default=False,
        help_text=_("Cold or hot water: an interruption of up to 24 h in a row is permitted"),
    )
    days = models.PositiveSmallIntegerField(_("days not performed"), default=0, blank=True)
    overcharge = models.DecimalField(
        _("unlawful over-charge, ₽"),
        max_digits=12,
        decimal_places=2,
        default=0,
        blank=True,
        validators=[MinValueValidator(0)],
    )
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

    def units(self, *, two_sources: bool | None = None) -> int:
        """The reduction of an ``interruption`` or ``temperature`` act in 1/10 000 of the
        month's charge (`raschet.core.billing.quality_units`), under its conditions.
        ``two_sources`` defaults to the building's electricity supply. The measured
        temperature is a condition only of heating and solid-waste interruptions; on other
        acts it is the water's (below 40 °C) and not passed. Raises `ValueError` (Russian)
        for an act the engine cannot use."""
        code = self.service.code
        if two_sources is None:
            two_sources = bool(self.building.electricity_two_sources) if self.building_id else False
        with_temperature = self.kind == QualityKind.INTERRUPTION and code in TEMPERATURE_OF
        return core_quality_units(
            self.kind,
            code,
            events_hours=[int(h) for h in (self.events_hours or [])],
            hours=self.hours or 0,
            degrees=self.degrees or 0,
            temperature=self.temperature_c if with_temperature else None,
            dead_end_accident=bool(self.dead_end_accident),
            two_sources=two_sources,
        )

    def interruption(self) -> InterruptionAct:
        """The events and conditions of an ``interruption`` act as the billing run pools them
        with the month's other interruption acts of the line
        (`raschet.core.billing.interruption_pools`)."""
        code = self.service.code
        return InterruptionAct(
            tuple(int(h) for h in (self.events_hours or [])),
            self.temperature_c if code in TEMPERATURE_OF else None,
            bool(self.dead_end_accident),
        )

    def limits(self) -> tuple[int | None, int]:
        """The (month, at once) hours an interruption act is checked against under its
        conditions; solid waste: ``(None, permitted deviation)``. `ValueError` as `units`."""
        code = self.service.code
        if code == "solid_waste":
            return None, waste_once_hours(self.temperature_c)
        return interruption_limits(
            code,
            temperature=self.temperature_c if code in TEMPERATURE_OF else None,
            dead_end_accident=bool(self.dead_end_accident),
            two_sources=bool(self.building.electricity_two_sources),
        )

    def clean(self) -> None:
        super().clean()
        code = self.service.code if self.service_id else ""
        errors: dict[str, Any] = {}
        if self.kind == QualityKind.INTERRUPTION and code:
            self._clean_interruption(code, errors)
        if self.kind == QualityKind.TEMPERATURE and code and code not in ("heating", "hot_water"):
            errors["service"] = _("A temperature deviation concerns heating or hot water only")
        if self.dead_end_accident and self.kind != QualityKind.INTERRUPTION:
            errors["dead_end_accident"] = _(
                "An accident on a dead-end main is given for an interruption act only"
            )
        if self.kind in (QualityKind.BELOW_40, QualityKind.MAINTENANCE) and code != "hot_water":
            errors["service"] = _("This kind of act concerns hot water only")
        if self.kind == QualityKind.BELOW_40:
            if not self.hours:
                errors["hours"] = _("Give the hours the hot water was below 40 °C")
            if self.temperature_c is None or self.temperature_c >= 40:
                errors["temperature_c"] = _("Give the measured temperature, below 40 °C")
        if self.kind == QualityKind.MAINTENANCE and not self.hours:
            errors["hours"] = _("Give the hours of the outage")
        if self.kind == QualityKind.UPKEEP_DAYS:
            if not self.days:
                errors["days"] = _("Give the days the service was not performed")
            if code in UPKEEP_EXCLUDED_SERVICES:
                errors["service"] = _("A capital-repair contribution is not reduced for upkeep")
        if self.kind == QualityKind.FINE and not self.overcharge:
            errors["overcharge"] = _("Give the amount charged unlawfully")
        if not errors and code and self.kind in (QualityKind.INTERRUPTION, QualityKind.TEMPERATURE):
            try:  # the engine's own check: what passes here, the billing run can use
                self.units()
            except ValueError as exc:
                errors["kind"] = _("The act cannot be used in billing: %(reason)s") % {
                    "reason": exc
                }
        if errors:
            raise ValidationError(errors)

    def _clean_interruption(self, code: str, errors: dict[str, Any]) -> None:
        """Refuse at entry what `raschet.core.billing.quality_units` cannot compute
        (rules.md §1.8): a service without permitted hours, a condition the service does
        not have, a solid-waste act without the outdoor temperature."""
        hours = self.events_hours
        if not isinstance(hours, list) or not all(
            isinstance(h, int) and not isinstance(h, bool) and 0 <= h <= 744 for h in hours
        ):
            errors["events_hours"] = _("Give a list of whole hours from 0 to 744, e.g. [5, 12]")
        if code not in INTERRUPTION_SERVICES:
            errors["service"] = _(
                "ПП 354 Приложение 1 gives no permitted interruption for this service: "
                "an interruption act cannot reduce its charge"
            )
            return
        if self.dead_end_accident and code not in DEAD_END_SERVICES:
            errors["dead_end_accident"] = _(
                "An accident on a dead-end main concerns cold or hot water only"
            )
        if code == "solid_waste" and self.temperature_c is None:
            errors["temperature_c"] = _(
                "Give the outdoor air temperature during the deviation from the removal "
                "schedule: at 0 °C and below 72 h are permitted, otherwise 24 h"
            )
        if self.temperature_c is not None and code not in TEMPERATURE_OF:
            errors["temperature_c"] = _(
                "A temperature is given for an interruption of heating (rooms) or solid "
                "waste removal (outdoor air) only"
            )


class CommonCarry(TenantModel):
    """A negative common-property volume carried into ``period`` (rules.md §1.6, §14).

    With the organization setting ``common_negative_carry_over`` on, a month whose building
    meter shows less than the premises' volumes leaves the difference to be taken off the
    following months' common-property volume until it is used up. Written when the month
    before ``period`` is closed (its figures are final then); read by the run of
    ``period``. No row: nothing to carry.
    """

    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="+"
    )
    service = models.ForeignKey(
        Service,
        verbose_name=_("common-property service"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    period = models.DateField(_("billing month"))
    volume = models.DecimalField(_("volume carried"), max_digits=18, decimal_places=6)

    class Meta:
        verbose_name = _("carried common-property volume")
        verbose_name_plural = _("carried common-property volumes")
        constraints = [
            models.UniqueConstraint(
                fields=["building", "service", "period"], name="common_carry_unique"
            ),
            models.CheckConstraint(condition=Q(period__day=1), name="common_carry_first_day"),
            models.CheckConstraint(condition=Q(volume__gt=0), name="common_carry_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.period:%m.%Y}: {self.volume}"


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

    ``benefit`` (discount categories) is part of ``total`` and posted as a ``benefit`` ledger
    entry; ``benefit_cash`` (ЕДК categories, rules.md §4.2) is information for the payment
    document and the social protection body: the citizen pays the whole ``total``, and the
    ledger never sees it. A recalculation line carries its difference like the other figures.
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
    fine = models.BigIntegerField(
        _("fine, kopecks"),
        default=0,
        help_text=_("Part of the reduction: half of an unlawful over-charge (ЖК ст.157 ч.6)"),
    )
    reduction_reasons = models.SmallIntegerField(_("reduction reasons"), default=0)
    benefit = models.BigIntegerField(_("benefit, kopecks"), default=0)
    benefit_cash = models.BigIntegerField(
        _("cash compensation (ЕДК), kopecks"),
        default=0,
        help_text=_(
            "Benefits of the cash model (≤ 0): paid by the social protection body, not part "
            "of the total and never posted to the ledger"
        ),
    )
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
