"""Organizations (the tenant key), staff memberships with roles.

An organization is a billing centre, a management company, a homeowners association, a
supplier or a capital repair operator. Every tenant-owned row elsewhere carries the key of the
organization it belongs to (`TenantModel`); a billing centre's staff see the organizations it
serves.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from raschet.core.readings import DEFAULT_THRESHOLD_PERCENT
from raschet.organizations import validators

_COLOR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Colour as #RRGGBB"))


class OrganizationKind(models.TextChoices):
    BILLING_CENTRE = "billing_centre", _("Billing centre")
    MANAGEMENT_COMPANY = "management_company", _("Management company")
    HOMEOWNERS_ASSOCIATION = "homeowners_association", _("Homeowners association")
    SUPPLIER = "supplier", _("Supplier")
    CAPITAL_REPAIR_OPERATOR = "capital_repair_operator", _("Capital repair operator")


class Organization(models.Model):
    """A legal entity Raschet works for or pays to; the tenant key.

    Legal details are validated: ИНН/ОГРН check digits (python-stdnum), КПП shape, and the
    bank accounts' control key against the BIC (rules.md §8.3). Branding fields dress the
    resident portal.
    """

    code = models.SlugField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("Short Latin code used in commands and files"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=OrganizationKind.choices)
    name = models.CharField(_("full name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=120, blank=True)
    served_by = models.ForeignKey(
        "self",
        verbose_name=_("billing centre"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="served_organizations",
        limit_choices_to={"kind": OrganizationKind.BILLING_CENTRE},
        help_text=_("The billing centre that keeps this organization's accounts"),
    )
    inn = models.CharField(_("INN"), max_length=12, validators=[validators.validate_legal_inn])
    kpp = models.CharField(_("KPP"), max_length=9, blank=True, validators=[validators.validate_kpp])
    ogrn = models.CharField(
        _("OGRN"), max_length=15, blank=True, validators=[validators.validate_ogrn]
    )
    legal_address = models.CharField(_("legal address"), max_length=300, blank=True)
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    bic = models.CharField(_("BIC"), max_length=9, blank=True)
    settlement_account = models.CharField(_("settlement account"), max_length=20, blank=True)
    correspondent_account = models.CharField(_("correspondent account"), max_length=20, blank=True)
    phone = models.CharField(_("phone"), max_length=60, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    office_hours = models.CharField(_("office hours"), max_length=200, blank=True)
    # Portal branding
    brand_name = models.CharField(_("name on the portal"), max_length=120, blank=True)
    logo = models.FileField(_("logo"), upload_to="logos/", blank=True)
    color_primary = models.CharField(
        _("primary colour"), max_length=7, default="#1f5f99", validators=[_COLOR]
    )
    color_accent = models.CharField(
        _("accent colour"), max_length=7, default="#f0a020", validators=[_COLOR]
    )
    # Settings (rules.md §14 and the metering issue)
    reading_cutoff_day = models.PositiveSmallIntegerField(
        _("reading cut-off day"),
        default=25,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("Readings received after this day of the month count for the next month"),
    )
    reading_threshold_percent = models.PositiveSmallIntegerField(
        _("high consumption threshold, %"),
        default=DEFAULT_THRESHOLD_PERCENT,
        validators=[MinValueValidator(101), MaxValueValidator(10000)],
        help_text=_(
            "A reading whose volume exceeds the meter's average by this percentage is "
            "accepted but flagged for an operator"
        ),
    )
    billing_settings = models.JSONField(
        _("billing settings"),
        default=dict,
        blank=True,
        help_text=_(
            "Overrides of the billing defaults (rules.md §14), e.g. "
            '{"missing_limit_residential": 3, "heating_season_start_month": 10}'
        ),
    )
    social_norm_single_m2 = models.DecimalField(
        _("social norm of area, single person, m²"), max_digits=6, decimal_places=2, default=33
    )
    social_norm_two_m2 = models.DecimalField(
        _("social norm of area, family of two, m²"), max_digits=6, decimal_places=2, default=42
    )
    social_norm_per_person_m2 = models.DecimalField(
        _("social norm of area per person, family of three or more, m²"),
        max_digits=6,
        decimal_places=2,
        default=18,
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.short_name or self.name

    @property
    def display_name(self) -> str:
        return self.brand_name or self.short_name or self.name

    def clean(self) -> None:
        errors = validators.validate_bank_details(
            bic=self.bic,
            settlement_account=self.settlement_account,
            correspondent_account=self.correspondent_account,
        )
        if self.kind == OrganizationKind.BILLING_CENTRE and self.served_by_id is not None:
            errors.setdefault("served_by", []).append(
                str(_("A billing centre is not served by another billing centre"))
            )
        if len(self.inn) == 10 and not self.kpp:
            errors.setdefault("kpp", []).append(str(_("A legal entity needs a KPP")))
        if errors:
            raise ValidationError(errors)


class TenantModel(models.Model):
    """Base of every tenant-owned table: the owning organization's key.

    Selectors filter by it; `tests/test_tenancy.py` proves that every model has it.
    """

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True

    def clean(self) -> None:
        """Every tenant-owned row this row links to belongs to the same organization.

        A user serving two organizations (a billing centre's operator) could otherwise
        attach a flat of one to a building of the other; forms, imports and the API all
        run ``full_clean()``, so the rule is checked once, here.
        """
        errors: dict[str, list[str]] = {}
        for field in self._meta.concrete_fields if self.organization_id else ():
            if not isinstance(field, models.ForeignKey) or field.name == "organization":
                continue
            if not issubclass(field.related_model, TenantModel):
                continue
            try:
                related = getattr(self, field.name)
            except ObjectDoesNotExist:
                continue
            if related is not None and related.organization_id != self.organization_id:
                errors.setdefault(field.name, []).append(
                    str(_("Belongs to another organization: %(obj)s") % {"obj": related})
                )
        if errors:
            raise ValidationError(errors)
        super().clean()


def unconstrained_key(
    to: Any, verbose_name: Any, *, null: bool = False, **options: Any
) -> models.ForeignKey[Any, Any]:
    """A key of a high-volume table (ADR 0004): no foreign-key constraint, no index of its
    own, no reverse accessor; the writers copy it from a checked row."""
    options.setdefault("on_delete", models.DO_NOTHING)
    return models.ForeignKey(
        to,
        verbose_name=verbose_name,
        null=null,
        related_name="+",
        db_constraint=False,
        db_index=False,
        **options,
    )


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    OPERATOR = "operator", _("Operator")
    ACCOUNTANT = "accountant", _("Accountant")
    CASHIER = "cashier", _("Cashier")
    PASSPORT_OFFICER = "passport_officer", _("Passport officer")


class Membership(TenantModel):
    """A staff user's role in one organization.

    A membership in a billing centre reaches every organization the centre serves.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "role"], name="membership_unique_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} ({self.organization})"


def valid_range_constraint(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")), name=name
    )


class EffectiveDated(models.Model):
    """A fact in force on the half-open range ``[valid_from, valid_to)``.

    ``overlap_key`` names the fields that identify one fact; two rows with the same key must
    not overlap in time. `clean()` checks it for forms and imports; on PostgreSQL an exclusion
    constraint (see the migrations) makes it impossible.
    """

    overlap_key: tuple[str, ...] = ()

    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(
        _("to (exclusive)"),
        null=True,
        blank=True,
        help_text=_("The first day it no longer applies"),
    )

    class Meta:
        abstract = True

    def clean(self) -> None:
        if self.valid_to and self.valid_from and self.valid_to <= self.valid_from:
            raise ValidationError({"valid_to": _("The end date must be after the start date")})
        if self.overlap_key and self.valid_from:
            self._check_overlap()

    def _check_overlap(self) -> None:
        try:
            key = {f: getattr(self, f) for f in self.overlap_key}
        except models.ObjectDoesNotExist:
            return  # a missing required relation is reported by field validation
        clash = type(self)._default_manager.filter(**key).exclude(pk=self.pk)
        clash = clash.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=self.valid_from))
        if self.valid_to:
            clash = clash.filter(valid_from__lt=self.valid_to)
        other = clash.first()
        if other is not None:
            until = f"{other.valid_to:%d.%m.%Y}" if other.valid_to else "—"
            raise ValidationError(
                _("Overlaps another record in force from %(start)s to %(end)s"),
                code="overlap",
                params={"start": f"{other.valid_from:%d.%m.%Y}", "end": until},
            )


class ClosedMonth(TenantModel):
    """A billing month closed for an organization: its facts can no longer change in place.

    Later corrections of a closed month become recalculations in an open month (billing
    issue); readings for a closed month are refused (metering issue).
    """

    month = models.DateField(_("month"), help_text=_("The first day of the month"))
    closed_at = models.DateTimeField(_("closed at"), auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("closed month")
        verbose_name_plural = _("closed months")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "month"], name="closed_month_unique"),
            models.CheckConstraint(condition=Q(month__day=1), name="closed_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%m.%Y}"
