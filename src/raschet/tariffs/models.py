"""Services, payees per building, effective-dated tariffs and norms, connected services.

Rates are exact decimals in rubles (4 places) and norms exact decimals (6 places); they become
scaled integers only inside the core. A tariff or norm with no building applies to every
building of the organization; one with a building overrides it there.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from raschet.housing.models import Account, Building
from raschet.organizations.models import (
    EffectiveDated,
    Organization,
    TenantModel,
    valid_range_constraint,
)

_SERVICE_CODE = RegexValidator(
    r"^[a-z][a-z0-9_]{1,39}$", _("Latin lower-case letters, digits and '_'")
)


class ServiceKind(models.TextChoices):
    HOUSING = "housing", _("Housing service")
    COMMUNAL = "communal", _("Communal service")
    OTHER = "other", _("Other service")


class Unit(models.TextChoices):
    M3 = "m3", _("m³")
    KWH = "kwh", _("kWh")
    GCAL = "gcal", _("Gcal")
    M2 = "m2", _("m²")
    PERSON = "person", pgettext_lazy("unit", "person")
    FLAT = "flat", pgettext_lazy("unit", "premises")


class ChargeBasis(models.TextChoices):
    """What a service's tariff multiplies (the strategy the billing engine picks)."""

    VOLUME = "volume", _("Consumed volume")
    AREA = "area", _("Area of the premises")
    PERSON = "person", _("Number of residents")
    COMMON = "common", _("Common-property consumption")
    FIXED = "fixed", _("Fixed sum per premises")


class Service(TenantModel):
    """A housing or communal service in the organization's catalogue.

    Codes follow the glossary (cold_water, hot_water, wastewater, electricity, heating, gas,
    solid_waste, maintenance, capital_repair, common_*); an organization may add its own.
    """

    code = models.CharField(_("code"), max_length=40, validators=[_SERVICE_CODE])
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=ServiceKind.choices)
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices)
    basis = models.CharField(_("charge basis"), max_length=16, choices=ChargeBasis.choices)
    resource = models.CharField(
        _("resource"),
        max_length=40,
        blank=True,
        help_text=_("For common-property lines: the code of the resource service"),
    )
    metered = models.BooleanField(_("can be metered"), default=False)
    max_zones = models.PositiveSmallIntegerField(
        _("tariff zones"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text=_("Electricity: 1, 2 (day/night) or 3 (peak/semi-peak/night)"),
    )
    sort_order = models.PositiveSmallIntegerField(_("order in the payment document"), default=100)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="service_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name


class ServiceContract(TenantModel, EffectiveDated):
    """Who is paid for a service in a building (the payee by contract)."""

    overlap_key = ("building", "service")

    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        on_delete=models.PROTECT,
        related_name="service_contracts",
    )
    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="contracts"
    )
    payee = models.ForeignKey(
        Organization,
        verbose_name=_("payee"),
        on_delete=models.PROTECT,
        related_name="payee_contracts",
    )
    contract_number = models.CharField(_("contract"), max_length=100, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payee contract")
        verbose_name_plural = _("payee contracts")
        ordering = ["building", "service", "valid_from"]
        constraints = [valid_range_constraint("service_contract_valid_range")]

    def __str__(self) -> str:
        return f"{self.service} → {self.payee}"


class Zone(models.TextChoices):
    SINGLE = "single", _("Single rate")
    DAY = "day", _("Day")
    NIGHT = "night", _("Night")
    PEAK = "peak", _("Peak")
    SEMI_PEAK = "semi_peak", _("Semi-peak")


ZONES_BY_COUNT: dict[int, tuple[str, ...]] = {
    1: (Zone.SINGLE,),
    2: (Zone.DAY, Zone.NIGHT),
    3: (Zone.PEAK, Zone.SEMI_PEAK, Zone.NIGHT),
}
"""The zones of a meter (and of its tariffs) with 1, 2 or 3 tariff zones."""


class RateBasis(models.TextChoices):
    PER_UNIT = "per_unit", _("per unit of volume")
    PER_M2 = "per_m2", _("per m² of area")
    PER_PERSON = "per_person", _("per person")
    PER_PREMISES = "per_premises", _("per premises")


class Tariff(TenantModel, EffectiveDated):
    """A price for a service, in rubles, in force on ``[valid_from, valid_to)``."""

    overlap_key = ("service", "building", "zone")

    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="tariffs"
    )
    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tariffs",
        help_text=_("Empty: every building of the organization"),
    )
    zone = models.CharField(_("zone"), max_length=16, choices=Zone.choices, default=Zone.SINGLE)
    basis = models.CharField(
        _("rate basis"), max_length=16, choices=RateBasis.choices, default=RateBasis.PER_UNIT
    )
    rate = models.DecimalField(
        _("rate, ₽"), max_digits=14, decimal_places=4, validators=[MinValueValidator(0)]
    )
    decision = models.CharField(_("tariff decision"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ["service", "building", "zone", "valid_from"]
        constraints = [
            valid_range_constraint("tariff_valid_range"),
            models.CheckConstraint(condition=Q(rate__gte=0), name="tariff_rate_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.service}: {self.rate} ₽ с {self.valid_from:%d.%m.%Y}"

    def clean(self) -> None:
        super().clean()
        problem = self.below_capital_repair_minimum()
        if problem is not None:
            raise ValidationError({"rate": problem})

    def below_capital_repair_minimum(self) -> str | None:
        """Why this capital-repair tariff is below the regional minimum in force on a day of
        its range (a Russian sentence naming the minimum), or None (rules.md §2.2, ЖК ст.156
        ч.8.1: owners may set more, never less). Only a ``capital_repair`` tariff per m² is
        compared: the minimum is ₽ per m² per month."""
        if not self.service_id or self.rate is None or not self.valid_from:
            return None
        if self.service.code != CAPITAL_REPAIR_CODE or self.basis != RateBasis.PER_M2:
            return None
        minimum = (
            CapitalRepairMinimum.objects.overlapping(
                self.organization_id, self.valid_from, self.valid_to
            )
            .filter(rate__gt=self.rate)
            .order_by("-rate", "valid_from")
            .first()
        )
        if minimum is None:
            return None
        return str(
            _(
                "The rate is below the regional minimum capital repair contribution of "
                "%(minimum)s ₽ per m² in force from %(start)s (%(act)s): owners may set a "
                "higher rate, never a lower one (ЖК ст.156 ч.8.1)"
            )
            % {
                "minimum": minimum.rate_text,
                "start": f"{minimum.valid_from:%d.%m.%Y}",
                "act": minimum.act,
            }
        )


CAPITAL_REPAIR_CODE = "capital_repair"


def rate_text(rate: Decimal) -> str:
    """``Decimal("12.5000")`` → ``12,50``: rubles with at least two decimals, a decimal
    comma (for messages)."""
    whole, _dot, fraction = f"{rate.normalize():f}".partition(".")
    return f"{whole},{fraction.ljust(2, '0')}"


class CapitalRepairMinimumQuerySet(models.QuerySet["CapitalRepairMinimum"]):
    def overlapping(
        self, organization_id: int | None, start: date, end: date | None
    ) -> CapitalRepairMinimumQuerySet:
        """The minimums in force on at least one day of ``[start, end)`` (``end`` None: open)."""
        qs = self.filter(organization_id=organization_id).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=start)
        )
        return qs.filter(valid_from__lt=end) if end else qs


class CapitalRepairMinimum(TenantModel, EffectiveDated):
    """The minimum capital repair contribution, ₽ per m² of the premises per month, set by
    the region (ЖК ст.156 ч.8.1, ст.169 ч.1; rules.md §2.2), in force on ``[valid_from,
    valid_to)`` — usually one row per year, by the region's act (ADR 0002: no overlaps).

    One minimum per organization: an organization bills in one region. Regions that set
    different minimums by type of building (lift, storeys) are not modelled — keep the
    lowest here, or the building's own tariff above its minimum. A ``capital_repair`` tariff
    per m² below the minimum in force is refused by `Tariff.clean()` and stops a billing
    run (`raschet.billing.services.billing_run`, docs/billing.md).
    """

    overlap_key = ("organization",)

    rate = models.DecimalField(
        _("minimum rate, ₽ per m²"),
        max_digits=10,
        decimal_places=4,
        validators=[MinValueValidator(0)],
    )
    act = models.CharField(
        _("regional act"), max_length=200, help_text=_("The act of the region that set it")
    )
    history = HistoricalRecords()

    objects = CapitalRepairMinimumQuerySet.as_manager()

    class Meta:
        verbose_name = _("minimum capital repair contribution")
        verbose_name_plural = _("minimum capital repair contributions")
        ordering = ["organization", "-valid_from"]
        constraints = [
            valid_range_constraint("capital_repair_minimum_valid_range"),
            models.CheckConstraint(
                condition=Q(rate__gte=0), name="capital_repair_minimum_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rate_text} ₽/м² {self.period_text}"

    @property
    def rate_text(self) -> str:
        return rate_text(self.rate)

    @property
    def period_text(self) -> str:
        start = f"с {self.valid_from:%d.%m.%Y}"
        return f"{start} по {self.valid_to:%d.%m.%Y} (не включая)" if self.valid_to else start


class NormBasis(models.TextChoices):
    PER_PERSON = "per_person", _("per person per month")
    PER_M2 = "per_m2", _("per m² per month")
    PER_M2_COMMON = "per_m2_common", _("per m² of common area per month")


class Norm(TenantModel, EffectiveDated):
    """A consumption norm (норматив), in the service's unit.

    Electricity norms depend on rooms and residents: ``rooms``/``residents`` empty means
    "any"; the row with the largest value also covers larger flats and households.
    """

    overlap_key = ("service", "building", "basis", "rooms", "residents")

    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="norms"
    )
    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="norms",
    )
    basis = models.CharField(
        _("norm basis"), max_length=16, choices=NormBasis.choices, default=NormBasis.PER_PERSON
    )
    rooms = models.PositiveSmallIntegerField(_("rooms"), null=True, blank=True)
    residents = models.PositiveSmallIntegerField(_("residents"), null=True, blank=True)
    value = models.DecimalField(
        _("norm"), max_digits=14, decimal_places=6, validators=[MinValueValidator(0)]
    )
    decision = models.CharField(_("norm decision"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("norm")
        verbose_name_plural = _("norms")
        ordering = ["service", "building", "basis", "rooms", "residents", "valid_from"]
        constraints = [
            valid_range_constraint("norm_valid_range"),
            models.CheckConstraint(condition=Q(value__gte=0), name="norm_value_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.service}: {self.value} {self.get_basis_display()}"


class Method(models.TextChoices):
    METER = "meter", _("By meter")
    NORM = "norm", _("By norm")


class AccountService(TenantModel, EffectiveDated):
    """A service connected to an account, with how its volume is found.

    ``meter_possible`` is false when an act of technical impossibility exists: then a norm
    is charged without the increasing coefficient (ПП 354 формулы 4 and 4(1)).
    """

    overlap_key = ("account", "service")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="services"
    )
    service = models.ForeignKey(
        Service,
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        related_name="account_services",
    )
    method = models.CharField(
        _("method"), max_length=8, choices=Method.choices, default=Method.NORM
    )
    meter_possible = models.BooleanField(_("meter can be installed"), default=True)
    zones = models.PositiveSmallIntegerField(
        _("tariff zones"), default=1, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("connected service")
        verbose_name_plural = _("connected services")
        ordering = ["account", "service", "valid_from"]
        constraints = [
            valid_range_constraint("account_service_valid_range"),
            models.CheckConstraint(
                condition=Q(zones__gte=1) & Q(zones__lte=3), name="account_service_zones"
            ),
        ]
        indexes = [models.Index(fields=["account", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.service} ({self.get_method_display()})"

    def clean(self) -> None:
        super().clean()
        if self.service_id and self.zones > self.service.max_zones:
            raise ValidationError({"zones": _("The service has fewer tariff zones")})
        if self.service_id and self.method == Method.METER and not self.service.metered:
            raise ValidationError({"method": _("This service is not metered")})
