"""People, ownership and registrations (the passport registry).

Effective-dated rows are half-open ``[valid_from, valid_to)``: a registration ended on 10 May
no longer counts on 10 May. The resident count of an account on a date is computed by
`raschet.registry.selectors.resident_counts` (ПП 354 п.56(1)).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from raschet.housing.models import Account, Premises
from raschet.organizations.models import EffectiveDated, TenantModel, valid_range_constraint
from raschet.organizations.validators import validate_inn, validate_snils


class Person(TenantModel):
    """A natural person: owner, resident or both."""

    last_name = models.CharField(_("last name"), max_length=100)
    first_name = models.CharField(_("first name"), max_length=100)
    middle_name = models.CharField(_("patronymic"), max_length=100, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    birth_place = models.CharField(_("place of birth"), max_length=200, blank=True)
    snils = models.CharField(_("SNILS"), max_length=14, blank=True, validators=[validate_snils])
    inn = models.CharField(_("INN"), max_length=12, blank=True, validators=[validate_inn])
    identity_document = models.CharField(_("identity document"), max_length=200, blank=True)
    citizenship = models.CharField(_("citizenship"), max_length=60, blank=True, default="РФ")
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["last_name", "first_name", "middle_name"]
        indexes = [models.Index(fields=["organization", "last_name", "first_name"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def short_name(self) -> str:
        initials = "".join(f"{p[0]}." for p in (self.first_name, self.middle_name) if p)
        return f"{self.last_name} {initials}".strip()


class Ownership(TenantModel, EffectiveDated):
    """An owner's share of a premises (from the title register, ЕГРН)."""

    overlap_key = ("premises", "person")

    premises = models.ForeignKey(
        Premises, verbose_name=_("premises"), on_delete=models.PROTECT, related_name="ownerships"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="ownerships"
    )
    share_numerator = models.PositiveIntegerField(
        _("share numerator"), default=1, validators=[MinValueValidator(1)]
    )
    share_denominator = models.PositiveIntegerField(
        _("share denominator"), default=1, validators=[MinValueValidator(1)]
    )
    title_document = models.CharField(_("title document"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ownership")
        verbose_name_plural = _("ownerships")
        ordering = ["premises", "valid_from"]
        constraints = [
            valid_range_constraint("ownership_valid_range"),
            models.CheckConstraint(
                condition=Q(share_numerator__gte=1)
                & Q(share_numerator__lte=F("share_denominator")),
                name="ownership_share_within_one",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.share}"

    @property
    def share(self) -> str:
        return f"{self.share_numerator}/{self.share_denominator}"

    def clean(self) -> None:
        super().clean()
        if (
            self.share_numerator
            and self.share_denominator
            and self.share_numerator > self.share_denominator
        ):
            raise ValidationError({"share_numerator": _("A share cannot exceed 1")})


class RegistrationKind(models.TextChoices):
    PERMANENT = "permanent", _("Permanent (place of residence)")
    TEMPORARY = "temporary", _("Temporary (place of stay)")


class Relation(models.TextChoices):
    OWNER = "owner", _("Owner")
    TENANT = "tenant", _("Tenant")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Brother or sister")
    RELATIVE = "relative", _("Other relative")
    OTHER = "other", _("Other")


class Registration(TenantModel, EffectiveDated):
    """A person's registration at an account's premises (регистрационный учёт).

    Both kinds count as residents (ПП 354 п.56(1)). A temporary registration must have an
    end date.
    """

    overlap_key = ("account", "person")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="registrations"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="registrations"
    )
    kind = models.CharField(
        _("kind"),
        max_length=16,
        choices=RegistrationKind.choices,
        default=RegistrationKind.PERMANENT,
    )
    relation = models.CharField(
        _("relation to the owner"), max_length=16, choices=Relation.choices, default=Relation.OWNER
    )
    arrived_from = models.CharField(_("arrived from"), max_length=300, blank=True)
    departed_to = models.CharField(_("departed to"), max_length=300, blank=True)
    reason = models.CharField(
        _("reason for registration"),
        max_length=300,
        blank=True,
        help_text=_("E.g. moved in as a family member of the owner"),
    )
    document = models.CharField(
        _("document"),
        max_length=300,
        blank=True,
        help_text=_("The application and the document it rests on, e.g. form 6 of 12.03.2026"),
    )
    departure_reason = models.CharField(_("reason for deregistration"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["account", "valid_from"]
        constraints = [
            valid_range_constraint("registration_valid_range"),
            models.CheckConstraint(
                condition=~Q(kind="temporary") | Q(valid_to__isnull=False),
                name="registration_temporary_has_end",
            ),
        ]
        indexes = [models.Index(fields=["account", "valid_from", "valid_to"])]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_kind_display()}"

    def clean(self) -> None:
        super().clean()
        if self.kind == RegistrationKind.TEMPORARY and not self.valid_to:
            raise ValidationError({"valid_to": _("A temporary registration needs an end date")})


class TemporaryResidentAct(TenantModel, EffectiveDated):
    """An act establishing people living without registration (ПП 354 п.56(1))."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="resident_acts"
    )
    persons = models.PositiveSmallIntegerField(_("persons"), validators=[MinValueValidator(1)])
    act_number = models.CharField(_("act number"), max_length=40, blank=True)
    act_date = models.DateField(_("act date"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("temporary residents act")
        verbose_name_plural = _("temporary residents acts")
        ordering = ["account", "valid_from"]
        constraints = [
            valid_range_constraint("resident_act_valid_range"),
            models.CheckConstraint(condition=Q(persons__gte=1), name="resident_act_persons"),
        ]

    def __str__(self) -> str:
        return f"{self.persons} чел. с {self.valid_from:%d.%m.%Y}"


class BenefitCoverage(models.TextChoices):
    BENEFICIARY = "beneficiary", _("The beneficiary only")
    FAMILY = "family", _("The whole family")


class BenefitBase(models.TextChoices):
    """What a benefit percentage applies to (rules.md §4, §14 "Benefits")."""

    PER_PERSON_SHARE = "per_person_share", _("The beneficiary's share of the charge")
    SOCIAL_NORM_AREA = "social_norm_area", _("The social norm of area")
    CONSUMPTION_NORM = "consumption_norm", _("The consumption norm")


class BenefitModel(models.TextChoices):
    """How a category's benefit reaches the citizen (rules.md §4.2).

    ``discount`` («льгота в квитанции»): the bill is reduced and the billing centre claims
    the budget's reimbursement. ``cash`` (ЕДК, единая денежная компенсация): the citizen pays
    the whole bill; the social protection body pays the same amount in cash from the data the
    billing centre sends it; the ЕПД shows it for information only (ПП 354 п.69 «з»).
    """

    DISCOUNT = "discount", _("Discount on the bill")
    CASH = "cash", _("Cash compensation (ЕДК) paid by the social protection body")


class BenefitCategory(TenantModel):
    """A category of benefit holders (льготная категория) and how its benefit is computed.

    ``service_bases`` maps a service code to a `BenefitBase` value, e.g.
    ``{"maintenance": "social_norm_area", "cold_water": "consumption_norm"}``. ``model``
    says whether the amount is taken off the bill or paid as ЕДК (`BenefitModel`); both are
    computed by the same rules.
    """

    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    percent = models.DecimalField(
        _("percent"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)]
    )
    covers = models.CharField(
        _("covers"),
        max_length=16,
        choices=BenefitCoverage.choices,
        default=BenefitCoverage.BENEFICIARY,
    )
    service_bases = models.JSONField(_("services and bases"), default=dict, blank=True)
    model = models.CharField(
        _("benefit model"),
        max_length=16,
        choices=BenefitModel.choices,
        default=BenefitModel.DISCOUNT,
        help_text=_(
            "A discount reduces the bill; a cash compensation (ЕДК) leaves the bill whole, is "
            "paid by the social protection body and is shown on the payment document for "
            "information."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("benefit category")
        verbose_name_plural = _("benefit categories")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "code"], name="benefit_category_unique_code"
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=0) & Q(percent__lte=100), name="benefit_category_percent"
            ),
            models.CheckConstraint(
                condition=Q(model__in=BenefitModel.values), name="benefit_category_model"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_cash(self) -> bool:
        """True for the ЕДК model: computed, reported, never taken off the bill."""
        return self.model == BenefitModel.CASH

    def clean(self) -> None:
        super().clean()
        self._check_model_change()
        if not isinstance(self.service_bases, dict):
            raise ValidationError({"service_bases": _("Expected a mapping service → base")})
        bad = {v for v in self.service_bases.values() if v not in BenefitBase.values}
        if bad:
            raise ValidationError(
                {
                    "service_bases": _("Unknown benefit base: %(bases)s")
                    % {"bases": ", ".join(sorted(map(str, bad)))}
                }
            )

    def _check_model_change(self) -> None:
        """The model is not effective-dated: switched on a category with holders it would
        apply to every closed month recomputed later (a discount taken back as ЕДК, or the
        reverse). A region that moves a benefit to ЕДК from a date gets a new category, and
        the holders' rights are ended and started again under it from that date."""
        if self.pk is None:
            return
        was = BenefitCategory.objects.filter(pk=self.pk).values_list("model", flat=True).first()
        if was is not None and was != self.model and self.holders.exists():
            raise ValidationError(
                {
                    "model": _(
                        "The benefit model of a category that has holders cannot be changed: "
                        "closed months would change. Create a category of the other model and "
                        "move the holders to it from the date of the change."
                    )
                }
            )


class PersonBenefit(TenantModel, EffectiveDated):
    """A person's right to a benefit category, confirmed by a document."""

    overlap_key = ("person", "category")

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="benefits"
    )
    category = models.ForeignKey(
        BenefitCategory,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="holders",
    )
    document = models.CharField(_("document"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("person's benefit")
        verbose_name_plural = _("persons' benefits")
        ordering = ["person", "valid_from"]
        constraints = [valid_range_constraint("person_benefit_valid_range")]

    def __str__(self) -> str:
        return f"{self.person} — {self.category}"


class CertificateKind(models.TextChoices):
    """The certificates the passport desk issues (rules.md §10)."""

    REGISTRATION_EXTRACT = "registration_extract", _("Extract of registered persons (form 9)")
    HOUSEHOLD = "household", _("Household composition")
    ACCOUNT_STATEMENT = "account_statement", _("Statement of the personal account")
    NO_DEBT = "no_debt", _("No-debt certificate")


class CertificateCounter(TenantModel):
    """The last number given to a certificate of an organization in a year.

    Locked (``SELECT … FOR UPDATE``) by the issuing transaction, which also writes the
    certificate: numbers are gap-free — a failed issue rolls the counter back with it.
    """

    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("certificate counter")
        verbose_name_plural = _("certificate counters")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year"], name="certificate_counter_unique_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Certificate(TenantModel):
    """A certificate issued at the passport desk: the log entry and where its PDF lies.

    Numbered per organization and year (``2026/000123``, see `CertificateCounter`). The PDF
    lies under ``RASCHET_DATA_DIR`` at ``file_path``; ``content_sha256`` is its hash, so a
    copy shown later can be checked against what was handed out. Append-only: a wrong
    certificate is not edited, a new one is issued.
    """

    kind = models.CharField(_("kind"), max_length=32, choices=CertificateKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("number in the year"))
    number = models.CharField(_("number"), max_length=20)
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="certificates"
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificates",
    )
    on_date = models.DateField(_("on date"), help_text=_("The date the certificate speaks of"))
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    content_sha256 = models.CharField(_("content SHA-256"), max_length=64)
    file_path = models.CharField(
        _("file"), max_length=300, help_text=_("Relative to the data directory")
    )

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year", "sequence"], name="certificate_unique_number"
            ),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="certificate_sequence"),
        ]
        indexes = [models.Index(fields=["account", "issued_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} № {self.number}"
