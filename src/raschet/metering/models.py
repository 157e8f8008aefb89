"""Meters (ИПУ), building meters (ОДПУ) and their readings.

Readings are never overwritten: a correction is a new row that supersedes the old one
(``is_current`` moves to the new row, ``supersedes`` points at the old one). Values are exact
decimals with three places, the resolution of the meters; the core works on them as integer
thousandths (`raschet.core.readings`).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from raschet.housing.models import Building, Premises
from raschet.organizations.models import Organization, TenantModel
from raschet.tariffs.models import ZONES_BY_COUNT, Service, Zone


class MeterState(models.TextChoices):
    WORKING = "working", _("Working")
    BROKEN = "broken", _("Broken")
    VERIFICATION_EXPIRED = "verification_expired", _("Verification expired")
    NO_ACCESS = "no_access", _("No access for a check (act)")
    REMOVED = "removed", _("Removed")


class Meter(TenantModel):
    """An individual meter (ИПУ) of one service in a premises.

    ``integer_digits`` is the digit capacity of the counter's whole part: a 5-digit water
    meter rolls over after 99999.999. ``replaces`` links a new meter to the one it replaced;
    the old meter keeps its final reading and the new one its initial reading.
    """

    premises = models.ForeignKey(
        Premises, verbose_name=_("premises"), on_delete=models.PROTECT, related_name="meters"
    )
    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="meters"
    )
    serial_number = models.CharField(_("serial number"), max_length=40)
    model_name = models.CharField(_("model"), max_length=100, blank=True)
    zones = models.PositiveSmallIntegerField(
        _("tariff zones"), default=1, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    integer_digits = models.PositiveSmallIntegerField(
        _("digit capacity"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("Digits before the decimal point"),
    )
    installed_on = models.DateField(_("installed on"))
    sealed_on = models.DateField(_("sealed on"), null=True, blank=True)
    verification_due = models.DateField(_("verification due"), null=True, blank=True)
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces meter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        ordering = ["premises", "service", "installed_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["premises", "service", "serial_number"], name="meter_unique_serial"
            ),
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True) | Q(removed_on__gte=F("installed_on")),
                name="meter_removed_after_installed",
            ),
            models.CheckConstraint(condition=Q(zones__gte=1) & Q(zones__lte=3), name="meter_zones"),
        ]
        indexes = [models.Index(fields=["organization", "verification_due"])]

    def __str__(self) -> str:
        return f"{self.service} № {self.serial_number}"

    @property
    def zone_codes(self) -> tuple[str, ...]:
        return ZONES_BY_COUNT[self.zones]

    def clean(self) -> None:
        super().clean()
        if self.removed_on and self.installed_on and self.removed_on < self.installed_on:
            raise ValidationError(
                {"removed_on": _("A meter cannot be removed before it was installed")}
            )
        if self.service_id and not self.service.metered:
            raise ValidationError({"service": _("This service is not metered")})
        if self.service_id and self.zones > self.service.max_zones:
            raise ValidationError({"zones": _("The service has fewer tariff zones")})


class MeterStateChange(TenantModel):
    """A dated change of a meter's state (broken, verification expired, working again…).

    The state on a date is the last change on or before it; with none the meter is working.
    Billing uses the dates for ПП 354 п.59 «а» (average while broken, then the norm).
    """

    meter = models.ForeignKey(
        Meter, verbose_name=_("meter"), on_delete=models.PROTECT, related_name="state_changes"
    )
    state = models.CharField(_("state"), max_length=24, choices=MeterState.choices)
    since = models.DateField(_("since"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("meter state change")
        verbose_name_plural = _("meter state changes")
        ordering = ["meter", "since"]
        constraints = [
            models.UniqueConstraint(fields=["meter", "since"], name="meter_state_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()} с {self.since:%d.%m.%Y}"


class ReadingSource(models.TextChoices):
    OPERATOR = "operator", _("Operator")
    FILE = "file", _("File")
    API = "api", _("API")
    PORTAL = "portal", _("Resident portal")


class ReadingKind(models.TextChoices):
    REGULAR = "regular", _("Monthly reading")
    INITIAL = "initial", _("Initial (installation)")
    FINAL = "final", _("Final (removal)")
    CONTROL = "control", _("Control check")


class ReadingState(models.TextChoices):
    OK = "ok", _("Accepted")
    ROLLOVER = "rollover", _("Accepted: counter rolled over")
    FLAGGED = "flagged", _("Flagged: far above the average")
    CONFIRMED = "confirmed", _("Flagged and confirmed by an operator")


class Reading(TenantModel):
    """One value of one zone of a meter, for a billing month.

    ``period`` is the first day of the billing month the reading counts for (after the
    reading window: a late reading counts for the next month). Only one reading per meter,
    zone, period and kind is current; corrections supersede it.

    This is the biggest monthly table (millions of rows a month), written by ``COPY``. See
    ADR 0004: its tenant key is an indexed column without a foreign-key constraint (the
    meter carries the constraint and the writers copy the meter's organization), and no
    single-column index is kept where a composite one already serves the lookups.
    """

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    meter = models.ForeignKey(
        Meter,
        verbose_name=_("meter"),
        on_delete=models.PROTECT,
        related_name="readings",
        db_index=False,  # served by the (meter, zone, is_current, period) index
    )
    zone = models.CharField(_("zone"), max_length=16, choices=Zone.choices, default=Zone.SINGLE)
    period = models.DateField(_("billing month"))
    kind = models.CharField(
        _("kind"), max_length=16, choices=ReadingKind.choices, default=ReadingKind.REGULAR
    )
    value = models.DecimalField(
        _("reading"), max_digits=15, decimal_places=3, validators=[MinValueValidator(0)]
    )
    volume = models.DecimalField(
        _("volume"), max_digits=15, decimal_places=3, null=True, blank=True
    )
    taken_on = models.DateField(_("taken on"))
    source = models.CharField(_("source"), max_length=16, choices=ReadingSource.choices)
    state = models.CharField(
        _("check"), max_length=16, choices=ReadingState.choices, default=ReadingState.OK
    )
    is_current = models.BooleanField(_("current"), default=True)
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("supersedes"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, null=True, blank=True)
    origin = models.CharField(
        _("origin"), max_length=200, blank=True, help_text=_("File name and line, or API client")
    )

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        ordering = ["meter", "period", "zone", "-entered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["meter", "zone", "period", "kind"],
                condition=Q(is_current=True),
                name="reading_one_current",
            ),
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="reading_idempotency_key",
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="reading_value_non_negative"),
            models.CheckConstraint(condition=Q(period__day=1), name="reading_period_first_day"),
        ]
        indexes = [
            # The operator's queue of flagged readings; tiny, unlike a full organization index.
            models.Index(
                fields=["organization", "period"],
                condition=Q(state="flagged", is_current=True),
                name="reading_flagged_queue",
            ),
            models.Index(fields=["meter", "zone", "is_current", "period"]),
        ]

    def __str__(self) -> str:
        return f"{self.meter}: {self.value} ({self.period:%m.%Y})"


class BuildingMeter(TenantModel):
    """A building meter (ОДПУ) of one resource."""

    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="meters"
    )
    service = models.ForeignKey(
        Service,
        verbose_name=_("resource"),
        on_delete=models.PROTECT,
        related_name="building_meters",
    )
    serial_number = models.CharField(_("serial number"), max_length=40)
    integer_digits = models.PositiveSmallIntegerField(
        _("digit capacity"), default=8, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    installed_on = models.DateField(_("installed on"))
    verification_due = models.DateField(_("verification due"), null=True, blank=True)
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("building meter")
        verbose_name_plural = _("building meters")
        ordering = ["building", "service"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "service", "serial_number"],
                name="building_meter_unique_serial",
            ),
        ]

    def __str__(self) -> str:
        return f"ОДПУ {self.service} № {self.serial_number}"


class BuildingMeterReading(TenantModel):
    """A building meter's reading or, from a heat/energy calculator, the month's volume."""

    building_meter = models.ForeignKey(
        BuildingMeter,
        verbose_name=_("building meter"),
        on_delete=models.PROTECT,
        related_name="readings",
    )
    period = models.DateField(_("billing month"))
    value = models.DecimalField(
        _("reading"), max_digits=15, decimal_places=3, null=True, blank=True
    )
    volume = models.DecimalField(
        _("volume of the month"), max_digits=15, decimal_places=3, null=True, blank=True
    )
    source = models.CharField(_("source"), max_length=16, choices=ReadingSource.choices)
    is_current = models.BooleanField(_("current"), default=True)
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("supersedes"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("building meter reading")
        verbose_name_plural = _("building meter readings")
        ordering = ["building_meter", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["building_meter", "period"],
                condition=Q(is_current=True),
                name="building_reading_one_current",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=False) | Q(volume__isnull=False),
                name="building_reading_value_or_volume",
            ),
            models.CheckConstraint(
                condition=Q(volume__isnull=True) | Q(volume__gte=0),
                name="building_reading_volume_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.building_meter}: {self.period:%m.%Y}"
