"""The capital repair fund of a building (фонд капитального ремонта, ЖК ст.170) and what it
spent on works.

A building's fund is formed by the capital-repair contributions its owners pay (rules.md
§2.2) and the penalties on them (ЖК ст.155 ч.14.1: penalties go to the fund). How the fund is
kept — on the regional operator's common account ("общий котёл", ЖК ст.170 ч.3 п.2) or on
a special account of the building (ч.3 п.1) — is an owners' decision with a start date, so
the fund's settings are effective-dated (ADR 0002): one row per building at a time.

What comes in is not stored here: it is the ledger's payments of the fund's service by the
building's accounts (`raschet.capitalrepair.selectors`). What goes out is `FundSpending`:
payments to contractors for the building's capital works (`housing.BuildingWork`), in
kopecks, with the date of the payment order.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from raschet.housing.models import Building, BuildingWork, WorkKind
from raschet.organizations.models import (
    EffectiveDated,
    Organization,
    OrganizationKind,
    TenantModel,
    valid_range_constraint,
)
from raschet.organizations.validators import validate_bank_details
from raschet.tariffs.models import Service

_ACCOUNT_DIGITS = RegexValidator(r"^\d{20}$", _("20 digits"))
_BIC_DIGITS = RegexValidator(r"^\d{9}$", _("9 digits"))

#: Who may own a special account (ЖК ст.175 ч.2): a homeowners association (ТСЖ/ЖСК), a
#: management company, or the regional operator.
ACCOUNT_OWNER_KINDS = (
    OrganizationKind.HOMEOWNERS_ASSOCIATION,
    OrganizationKind.MANAGEMENT_COMPANY,
    OrganizationKind.CAPITAL_REPAIR_OPERATOR,
)


class FundModel(models.TextChoices):
    """How a building's capital repair fund is kept (ЖК ст.170 ч.3; glossary: special
    account / regional pool)."""

    REGIONAL_POOL = "regional_pool", _("Regional operator's common account")
    SPECIAL_ACCOUNT = "special_account", _("Special account of the building")


class CapitalRepairFund(TenantModel, EffectiveDated):
    """The settings of a building's capital repair fund in force on ``[valid_from, valid_to)``.

    ``service`` is the service that charges the contributions (normally ``capital_repair``);
    ``payee`` the organization the contributions are paid to (the regional operator, or the
    owner of the special account). For a special account, ``account_owner`` and the bank
    details of the special account are required; the ЕПД gives the contributions a payee block
    of their own with the owner's name, ИНН and КПП and the special account's bank details, so
    they are paid into the special account (`raschet.documents.assemble`).
    """

    overlap_key = ("building",)

    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        on_delete=models.PROTECT,
        related_name="capital_repair_funds",
    )
    fund_model = models.CharField(_("fund model"), max_length=20, choices=FundModel.choices)
    service = models.ForeignKey(
        Service,
        verbose_name=_("contribution service"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    payee = models.ForeignKey(
        Organization,
        verbose_name=_("payee"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who the contributions are paid to"),
    )
    account_owner = models.ForeignKey(
        Organization,
        verbose_name=_("owner of the special account"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    bic = models.CharField(_("BIC"), max_length=9, blank=True, validators=[_BIC_DIGITS])
    special_account = models.CharField(
        _("special account"), max_length=20, blank=True, validators=[_ACCOUNT_DIGITS]
    )
    correspondent_account = models.CharField(
        _("correspondent account"), max_length=20, blank=True, validators=[_ACCOUNT_DIGITS]
    )
    decision = models.CharField(
        _("owners' decision"),
        max_length=200,
        blank=True,
        help_text=_("Minutes of the general meeting that chose the fund model"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("capital repair fund")
        verbose_name_plural = _("capital repair funds")
        ordering = ["building", "-valid_from"]
        constraints = [
            valid_range_constraint("capital_repair_fund_valid_range"),
            models.CheckConstraint(
                condition=Q(fund_model="regional_pool")
                | (
                    Q(fund_model="special_account")
                    & Q(account_owner__isnull=False)
                    & ~Q(special_account="")
                    & ~Q(bic="")
                ),
                name="capital_repair_fund_special_account_details",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.building}: {self.get_fund_model_display()}"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list[str]] = {}
        if self.fund_model == FundModel.SPECIAL_ACCOUNT:
            owner = self.account_owner if self.account_owner_id is not None else None
            if owner is None:
                errors["account_owner"] = [str(_("A special account needs its owner"))]
            elif owner.kind not in {str(k) for k in ACCOUNT_OWNER_KINDS}:
                errors["account_owner"] = [
                    str(
                        _(
                            "A special account is owned by a homeowners association, a "
                            "management company or the regional operator"
                        )
                    )
                ]
            for name in ("bic", "special_account"):
                if not getattr(self, name):
                    errors.setdefault(name, []).append(str(_("Required for a special account")))
            if self.bic and self.special_account:
                for name, messages in validate_bank_details(
                    bic=self.bic,
                    settlement_account=self.special_account,
                    correspondent_account=self.correspondent_account,
                ).items():
                    field = "special_account" if name == "settlement_account" else name
                    errors.setdefault(field, []).extend(messages)
        elif self.fund_model == FundModel.REGIONAL_POOL:
            for name in ("account_owner", "bic", "special_account", "correspondent_account"):
                if getattr(self, name if name != "account_owner" else "account_owner_id"):
                    errors.setdefault(name, []).append(
                        str(_("Only for a special account: leave it empty"))
                    )
            payee = self.payee if self.payee_id else None
            if payee is not None and payee.kind != OrganizationKind.CAPITAL_REPAIR_OPERATOR:
                errors["payee"] = [
                    str(_("Contributions to the common account are paid to the regional operator"))
                ]
        if errors:
            raise ValidationError(errors)


class FundSpending(TenantModel):
    """Money paid from a building's fund for one of its capital works (a payment order to the
    contractor), in kopecks. A work may be paid in parts (advance, stages, final payment);
    the fund statement counts each on its ``paid_on`` date. A mistaken row is deleted and
    entered again: the fund's own ledger is the bank's, this is its mirror."""

    work = models.ForeignKey(
        BuildingWork,
        verbose_name=_("work"),
        on_delete=models.PROTECT,
        related_name="fund_spendings",
    )
    paid_on = models.DateField(_("paid on"))
    amount_kopecks = models.BigIntegerField(_("amount, kopecks"))
    document = models.CharField(
        _("payment document"), max_length=100, blank=True, help_text=_("e.g. payment order No.")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    beyond_collected = models.BooleanField(
        _("beyond the contributions collected"),
        default=False,
        help_text=_(
            "Paid from a loan or credit (Housing Code art. 174) or from money the regional "
            "operator transferred: a special account may then pay more than it collected"
        ),
    )
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("fund spending")
        verbose_name_plural = _("fund spendings")
        ordering = ["paid_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_kopecks__gt=0), name="fund_spending_amount_positive"
            ),
        ]
        indexes = [models.Index(fields=["organization", "paid_on"], name="fund_spending_org_day")]

    def __str__(self) -> str:
        from raschet.core.money import format_rubles

        return (
            f"{self.work.title}: {format_rubles(self.amount_kopecks)} ₽ ({self.paid_on:%d.%m.%Y})"
        )

    def clean(self) -> None:
        super().clean()
        if self.amount_kopecks is not None and self.amount_kopecks <= 0:
            raise ValidationError({"amount_kopecks": _("The amount must be positive")})
        if self.work_id is not None and self.work.kind != WorkKind.CAPITAL:
            raise ValidationError(
                {"work": _("Only capital repair works are paid from the capital repair fund")}
            )


class ExemptionReason(models.TextChoices):
    """Why the owners of a building owe no capital-repair contribution for a while
    (rules.md §2.2; ЖК РФ). The Russian labels are the translations."""

    EMERGENCY = (
        "emergency",
        _("The building is recognised as emergency (Housing Code art. 169 p. 2)"),
    )
    LAND_WITHDRAWAL = (
        "land_withdrawal",
        _(
            "The land under the building is withdrawn for state or municipal needs "
            "(Housing Code art. 169 p. 2)"
        ),
    )
    PROGRAMME_WAIT = (
        "programme_wait",
        _(
            "The obligation has not started yet after the building entered the regional "
            "programme (Housing Code art. 169 p. 3)"
        ),
    )
    NEW_BUILDING = (
        "new_building",
        _(
            "A new building: the period after commissioning set by the regional programme "
            "(Housing Code art. 170 p. 5.1)"
        ),
    )


#: The longest period the law allows for the reasons that are a waiting time, in months:
#: ЖК ст.169 ч.3 — the obligation starts after the period set by regional law, at most
#: eight calendar months after the regional programme is published; ст.170 ч.5.1 (with
#: ст.169 ч.3) — a new building at most five years (rules.md §2.2, marked [M] there).
EXEMPTION_MAX_MONTHS = {
    ExemptionReason.PROGRAMME_WAIT: 8,
    ExemptionReason.NEW_BUILDING: 60,
}


def _add_months(day: date, months: int) -> date:
    """``day`` plus whole months; the last day of a shorter month when it has no such day."""
    from calendar import monthrange

    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month0 + 1, min(day.day, monthrange(year, month0 + 1)[1]))


class CapitalRepairExemption(TenantModel, EffectiveDated):
    """A period ``[valid_from, valid_to)`` in which the owners of a building owe no
    capital-repair contribution (rules.md §2.2):

    * the building is recognised as emergency (аварийный) — ЖК ст.169 ч.2;
    * its land is withdrawn for state or municipal needs (изъятие) — ЖК ст.169 ч.2;
    * the obligation has not started yet after the building entered the regional programme
      (the period set by regional law, at most 8 months after the programme's publication)
      — ЖК ст.169 ч.3;
    * a new building, up to 5 years after commissioning, as the regional programme sets —
      ЖК ст.170 ч.5.1.

    The billing run charges the contribution services of the building (its fund's service,
    and the catalogue's ``capital_repair``) only for the days outside such periods, by days
    like an account opened or closed inside the month (`raschet.billing.exemptions`). The
    last two reasons are waiting times: they need an end, and the law caps their length
    (`EXEMPTION_MAX_MONTHS`). One period at a time per building (ADR 0002): two reasons on
    the same days are one exemption, entered with the reason that came first.

    ``document`` names the act or decision (e.g. «постановление администрации № 12»), shown
    with its date in the derivation of every line it changes.
    """

    overlap_key = ("building",)

    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        on_delete=models.PROTECT,
        related_name="capital_repair_exemptions",
    )
    reason = models.CharField(_("reason"), max_length=20, choices=ExemptionReason.choices)
    document = models.CharField(
        _("document"),
        max_length=200,
        blank=True,
        help_text=_(
            "The act or decision and its number, e.g. resolution of the administration No. 12"
        ),
    )
    document_date = models.DateField(_("document date"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("capital repair exemption")
        verbose_name_plural = _("capital repair exemptions")
        ordering = ["building", "-valid_from"]
        constraints = [
            valid_range_constraint("capital_repair_exemption_valid_range"),
            models.CheckConstraint(
                condition=~Q(reason__in=["programme_wait", "new_building"])
                | Q(valid_to__isnull=False),
                name="capital_repair_exemption_waiting_has_end",
            ),
        ]

    def __str__(self) -> str:
        end = f"{self.valid_to:%d.%m.%Y}" if self.valid_to else "…"
        return f"{self.building}: {self.get_reason_display()} ({self.valid_from:%d.%m.%Y}–{end})"

    def clean(self) -> None:
        super().clean()
        limit = EXEMPTION_MAX_MONTHS.get(ExemptionReason(self.reason)) if self.reason else None
        if limit is None or not self.valid_from:
            return
        if self.valid_to is None:
            raise ValidationError(
                {"valid_to": _("This reason is a waiting time: give the day the obligation starts")}
            )
        if self.valid_to > _add_months(self.valid_from, limit):
            raise ValidationError(
                {
                    "valid_to": _("The law allows at most %(months)s months for this reason")
                    % {"months": limit}
                }
            )
