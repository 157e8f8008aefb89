"""Housing stock: buildings, premises and personal accounts.

Areas are exact decimals in m² (two places, as in the house passport). A personal account
(лицевой счёт) belongs to one premises; a communal flat has several accounts, each with its
own area.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from raschet.organizations.models import TenantModel

AREA_MAX = Decimal("10000000")

_nonneg = [MinValueValidator(Decimal(0))]


class HeatingMode(models.TextChoices):
    """How heating is charged (ПП 354 п.42(1); rules.md §1.5, §14)."""

    SEASON = "season", _("In heating months")
    EVENLY = "evenly", _("Evenly over the year")
    NONE = "none", _("No central heating")


class CommonPropertyMode(models.TextChoices):
    """How common-property resources are charged (ЖК ст.156 ч.9.2; rules.md §1.6)."""

    NORM_CAP = "norm_cap", _("By building meter, capped by the norm")
    ACTUAL = "actual", _("By building meter in full (owners' decision)")


class Building(TenantModel):
    """A building (МКД or a house) with its passport areas.

    ``area_total_m2`` is S_ob (all residential and non-residential premises) and
    ``area_common_m2`` is S_oi (premises forming common property) of ПП 354.
    """

    address = models.CharField(_("address"), max_length=300)
    fias_guid = models.UUIDField(_("FIAS/GAR GUID"), null=True, blank=True)
    year_built = models.PositiveSmallIntegerField(
        _("year built"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1700), MaxValueValidator(2100)],
    )
    floors = models.PositiveSmallIntegerField(
        _("floors"), null=True, blank=True, validators=[MaxValueValidator(200)]
    )
    entrances = models.PositiveSmallIntegerField(_("entrances"), null=True, blank=True)
    area_total_m2 = models.DecimalField(
        _("total area, m²"), max_digits=12, decimal_places=2, validators=_nonneg
    )
    area_residential_m2 = models.DecimalField(
        _("residential area, m²"),
        max_digits=12,
        decimal_places=2,
        default=Decimal(0),
        validators=_nonneg,
    )
    area_non_residential_m2 = models.DecimalField(
        _("non-residential area, m²"),
        max_digits=12,
        decimal_places=2,
        default=Decimal(0),
        validators=_nonneg,
    )
    area_common_m2 = models.DecimalField(
        _("common area, m²"),
        max_digits=12,
        decimal_places=2,
        default=Decimal(0),
        validators=_nonneg,
    )
    heating_mode = models.CharField(
        _("heating"), max_length=16, choices=HeatingMode.choices, default=HeatingMode.SEASON
    )
    heating_season_months = models.PositiveSmallIntegerField(
        _("heating season, months"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    common_property_mode = models.CharField(
        _("common-property resources"),
        max_length=16,
        choices=CommonPropertyMode.choices,
        default=CommonPropertyMode.NORM_CAP,
    )
    electricity_two_sources = models.BooleanField(
        _("electricity from two independent sources"),
        default=False,
        help_text=_(
            "Two independent mutually backing supply sources: an electricity interruption is "
            "permitted for 2 h instead of 24 h (ПП 354 Приложение 1)"
        ),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["address"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "address"], name="building_unique_address"
            ),
            models.CheckConstraint(
                condition=Q(area_total_m2__gte=0)
                & Q(area_common_m2__gte=0)
                & Q(area_residential_m2__gte=0)
                & Q(area_non_residential_m2__gte=0),
                name="building_areas_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.address

    def clean(self) -> None:
        super().clean()
        parts = (self.area_residential_m2 or 0) + (self.area_non_residential_m2 or 0)
        if self.area_total_m2 is not None and parts > self.area_total_m2:
            raise ValidationError(
                {
                    "area_total_m2": _(
                        "Total area is less than residential plus non-residential area"
                    )
                }
            )


class WorkKind(models.TextChoices):
    CAPITAL = "capital", pgettext_lazy("work", "Capital repair")
    CURRENT = "current", pgettext_lazy("work", "Current repair")


class WorkState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class BuildingWork(TenantModel):
    """A repair work planned or done in a building, shown to its residents in the portal
    (the regional capital-repair programme's works, the management company's plan).

    ``cost`` is the estimate in rubles; what a capital work really cost is what the capital
    repair fund paid for it (`raschet.capitalrepair.models.FundSpending`, kopecks)."""

    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.CASCADE, related_name="works"
    )
    title = models.CharField(_("work"), max_length=300)
    kind = models.CharField(_("kind"), max_length=16, choices=WorkKind.choices)
    planned_year = models.PositiveSmallIntegerField(
        _("planned year"), validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    state = models.CharField(
        _("state"), max_length=16, choices=WorkState.choices, default=WorkState.PLANNED
    )
    cost = models.DecimalField(
        _("estimated cost, ₽"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    contractor = models.CharField(_("contractor"), max_length=300, blank=True)
    done_on = models.DateField(
        _("done on"),
        null=True,
        blank=True,
        help_text=_("The day the work was accepted (the acceptance certificate)"),
    )

    class Meta:
        verbose_name = _("building work")
        verbose_name_plural = _("building works")
        ordering = ["building", "planned_year", "title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.planned_year})"


class PremisesKind(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    NON_RESIDENTIAL = "non_residential", _("Non-residential")


class Premises(TenantModel):
    """A flat or a non-residential unit (помещение)."""

    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="premises"
    )
    number = models.CharField(_("number"), max_length=20)
    kind = models.CharField(
        _("kind"), max_length=20, choices=PremisesKind.choices, default=PremisesKind.RESIDENTIAL
    )
    area_total_m2 = models.DecimalField(
        _("total area, m²"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    area_living_m2 = models.DecimalField(
        _("living area, m²"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=_nonneg,
    )
    rooms = models.PositiveSmallIntegerField(
        _("rooms"), null=True, blank=True, validators=[MaxValueValidator(50)]
    )
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)
    entrance = models.PositiveSmallIntegerField(_("entrance"), null=True, blank=True)
    is_communal_flat = models.BooleanField(_("communal flat"), default=False)
    # rules.md §1.5 (last row), ПП 354 п.40: a premises converted to its own heating
    # installation with an approved project pays only the common-property share of the
    # building's heat from the first whole month on or after this date (docs/billing.md,
    # «Premises heated individually»); empty: heated from the building's system.
    individual_heating_from = models.DateField(
        _("individual heating from"),
        null=True,
        blank=True,
        help_text=_(
            "Date the premises went over to its own heating installation (approved project); "
            "from the first whole month on it pays only the common-property share of heating."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("premises")
        verbose_name_plural = pgettext_lazy("plural", "premises")
        ordering = ["building", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="premises_unique_number"),
            models.CheckConstraint(condition=Q(area_total_m2__gt=0), name="premises_area_positive"),
            models.CheckConstraint(
                condition=Q(area_living_m2__isnull=True)
                | Q(area_living_m2__lte=F("area_total_m2")),
                name="premises_living_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.building.address}, кв. {self.number}"


class Tenure(models.TextChoices):
    OWNER = "owner", _("Owner")
    SOCIAL_TENANT = "social_tenant", _("Social tenant")


_ACCOUNT_NUMBER = RegexValidator(
    r"^[0-9A-Za-zА-Яа-я\-/]{1,30}$", _("Letters, digits, '-' and '/' only")
)
_GIS_ACCOUNT = RegexValidator(
    r"^\d{2}[А-ЯA-Zа-яa-z]{2}\d{6}$", _("ЕЛС: 2 digits, 2 letters, 6 digits")
)


class Account(TenantModel):
    """A personal account (лицевой счёт): who pays for a premises.

    Open on ``[opened_on, closed_on)``. ``area_m2`` is the area charged on this account; it
    defaults to the premises area and is smaller for a room in a communal flat, where
    ``living_area_m2`` (the room's living area) shares the flat's heating (формула 8).
    """

    number = models.CharField(_("account number"), max_length=30, validators=[_ACCOUNT_NUMBER])
    premises = models.ForeignKey(
        Premises, verbose_name=_("premises"), on_delete=models.PROTECT, related_name="accounts"
    )
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    payer_name = models.CharField(_("payer"), max_length=300)
    tenure = models.CharField(
        _("tenure"), max_length=20, choices=Tenure.choices, default=Tenure.OWNER
    )
    area_m2 = models.DecimalField(
        _("charged area, m²"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    living_area_m2 = models.DecimalField(
        _("living area of the room, m²"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_(
            "A room of a communal flat: heating is shared by the rooms' living areas "
            "(ПП 354 формула 8) when every account of the flat has it"
        ),
    )
    gis_account_id = models.CharField(
        _("ЕЛС (GIS)"), max_length=10, blank=True, validators=[_GIS_ACCOUNT]
    )
    email = models.EmailField(_("e-mail"), blank=True)
    paperless = models.BooleanField(
        _("payment documents by e-mail only"),
        default=False,
        help_text=_("The resident chose paper-free delivery: the ЕПД is e-mailed, not printed"),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="account_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gt=F("opened_on")),
                name="account_closed_after_opened",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.payer_name})"

    @property
    def charged_area_m2(self) -> Decimal:
        return self.area_m2 if self.area_m2 is not None else self.premises.area_total_m2

    def clean(self) -> None:
        super().clean()
        if self.closed_on and self.opened_on and self.closed_on <= self.opened_on:
            raise ValidationError({"closed_on": _("The closing date must be after opening")})
