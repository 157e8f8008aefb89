"""Payments and where they come from: sources, registry files, targets, cash shifts, fiscal
documents and the payees' commission contracts.

A payment is stored once per business key — source + operation id + payment date — by a
unique index, so the same registry imported twice, or two overlapping registries imported at
the same moment by two processes, add each payment once (rules.md §7.1). The money itself
lives in the ledger: a posted payment is one ledger entry per allocation (kind ``payment``,
negative, with ``payment_id``); a payment whose account is not known waits in the
unidentified queue and is not in the ledger until an operator assigns it.

High volume (ADR 0004): payments arrive by the million; their keys carry no foreign-key
constraint (the writers copy them from checked rows) and the indexes are the few that the
lookups need.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from raschet.core.money import format_rubles
from raschet.housing.models import Account
from raschet.organizations.models import (
    EffectiveDated,
    Organization,
    TenantModel,
    unconstrained_key,
    valid_range_constraint,
)
from raschet.tariffs.models import Service


class Channel(models.TextChoices):
    BANK = "bank", _("Bank registry")
    AGENT = "agent", _("Payment agent registry")
    CASH_DESK = "cash_desk", _("Cash desk")
    TERMINAL = "terminal", _("Payment terminal")
    ONLINE = "online", _("Online card payment")
    API = "api", _("API")


class PaymentSource(TenantModel):
    """Where payments come from: a bank or agent contract, a cash desk, a terminal, the API.

    A registry source names the layout of its files (``payments/layouts/NAME.toml``). A source
    with a ``target_service`` gives every payment of its registries to that service: the
    bank of a building's special capital-repair account sends what was paid into the account,
    which is the contribution and nothing else (ЖК ст.175).
    """

    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    layout = models.CharField(
        _("registry layout"),
        max_length=60,
        blank=True,
        help_text=_("Name of the layout file of this contract's registries"),
    )
    agent_inn = models.CharField(_("agent INN"), max_length=12, blank=True)
    target_service = models.ForeignKey(
        Service,
        verbose_name=_("all payments to the service"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "Every payment of this source's registries goes to this service only, e.g. the "
            "capital repair contribution for the registries of a special account"
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("payment source")
        verbose_name_plural = _("payment sources")
        ordering = ["organization", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="payment_source_code")
        ]

    def __str__(self) -> str:
        return self.name


class ImportState(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class RegistryImport(TenantModel):
    """One registry file as it was imported, with its report.

    A rejected file is recorded too (with the reason) and wrote no payment.
    """

    source = models.ForeignKey(
        PaymentSource, verbose_name=_("source"), on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(_("file"), max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    state = models.CharField(_("state"), max_length=16, choices=ImportState.choices)
    error = models.TextField(_("reason of rejection"), blank=True)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lines = models.PositiveIntegerField(_("payment lines"), default=0)
    accepted = models.PositiveIntegerField(_("accepted"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    unidentified = models.PositiveIntegerField(_("unidentified"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    total_kopecks = models.BigIntegerField(_("total of the file, kopecks"), default=0)
    accepted_kopecks = models.BigIntegerField(_("accepted, kopecks"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)

    class Meta:
        verbose_name = _("registry import")
        verbose_name_plural = _("registry imports")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return self.filename


class PaymentState(models.TextChoices):
    POSTED = "posted", _("Posted")
    UNIDENTIFIED = "unidentified", _("Unidentified")
    REVERSED = "reversed", _("Reversed")


class PaymentMethod(models.TextChoices):
    CASHLESS = "cashless", _("Cashless")
    CASH = "cash", _("Cash")
    CARD = "card", _("Card")


class Payment(TenantModel):
    """Money received from a payer, once per business key.

    ``period`` is the payment-document month the payer named (an ЕПД number or
    ``PaymPeriod``), empty when none; ``posted_period`` the ledger month the payment was
    posted in. The state changes only forward: unidentified → posted → reversed.
    """

    organization = unconstrained_key(Organization, _("organization"))
    source = unconstrained_key(PaymentSource, _("source"))
    operation_id = models.CharField(_("operation id"), max_length=64)
    paid_on = models.DateField(_("payment date"))
    paid_at = models.DateTimeField(_("payment time"), null=True, blank=True)
    account = unconstrained_key(Account, _("account"), null=True, blank=True)
    account_number = models.CharField(_("account number as given"), max_length=40, blank=True)
    payer_name = models.CharField(_("payer"), max_length=300, blank=True)
    address = models.CharField(_("address as given"), max_length=300, blank=True)
    amount_kopecks = models.BigIntegerField(_("amount, kopecks"))
    commission_kopecks = models.BigIntegerField(_("bank commission, kopecks"), default=0)
    method = models.CharField(
        _("method"), max_length=16, choices=PaymentMethod.choices, default=PaymentMethod.CASHLESS
    )
    period = models.DateField(_("named month"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=PaymentState.choices)
    posted_period = models.DateField(_("posted in month"), null=True, blank=True)
    registry = unconstrained_key(RegistryImport, _("registry"), null=True, blank=True)
    line_no = models.PositiveIntegerField(_("line"), null=True, blank=True)
    shift = models.ForeignKey(
        "CashShift",
        verbose_name=_("cash shift"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="payments",
        db_constraint=False,
    )
    created_at = models.DateTimeField(_("received at"))
    created_by = unconstrained_key(
        settings.AUTH_USER_MODEL,
        _("received by"),
        null=True,
        blank=True,
    )
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversal_reason = models.CharField(_("reason of reversal"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "source", "operation_id", "paid_on"],
                name="payment_business_key",
            ),
            models.CheckConstraint(condition=Q(amount_kopecks__gt=0), name="payment_positive"),
        ]
        indexes = [
            models.Index(fields=["account", "paid_on"], name="payment_account_date"),
            models.Index(
                fields=["organization", "paid_on"],
                name="payment_unidentified",
                condition=Q(state="unidentified"),
            ),
            models.Index(fields=["registry"], name="payment_registry"),
        ]

    def __str__(self) -> str:
        return f"{self.paid_on:%d.%m.%Y} {format_rubles(self.amount_kopecks)} ₽"


class PaymentTarget(TenantModel):
    """A part of a targeted payment that the payer gave to one service (rules.md §3.5)."""

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.CASCADE, related_name="targets"
    )
    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="+"
    )
    amount_kopecks = models.BigIntegerField(_("amount, kopecks"))

    class Meta:
        verbose_name = _("payment target")
        verbose_name_plural = _("payment targets")
        constraints = [
            models.CheckConstraint(condition=Q(amount_kopecks__gt=0), name="target_positive"),
            models.UniqueConstraint(fields=["payment", "service"], name="target_once"),
        ]

    def __str__(self) -> str:
        return f"{self.service}: {format_rubles(self.amount_kopecks)} ₽"


class CashShift(TenantModel):
    """A cashier's shift at a cash desk: opened, payments taken, closed with a report."""

    source = models.ForeignKey(
        PaymentSource, verbose_name=_("cash desk"), on_delete=models.PROTECT, related_name="+"
    )
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cashier"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    payments_count = models.PositiveIntegerField(_("payments"), default=0)
    cash_kopecks = models.BigIntegerField(_("in cash, kopecks"), default=0)
    card_kopecks = models.BigIntegerField(_("by card, kopecks"), default=0)
    reversed_kopecks = models.BigIntegerField(_("reversed, kopecks"), default=0)

    class Meta:
        verbose_name = _("cash shift")
        verbose_name_plural = _("cash shifts")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(closed_at__isnull=True),
                name="one_open_shift_per_desk",
            )
        ]

    def __str__(self) -> str:
        return f"№{self.pk} {self.opened_at:%d.%m.%Y %H:%M}"


class FiscalState(models.TextChoices):
    PENDING = "pending", _("Waiting for the cash register")
    DONE = "done", _("Registered")
    FAILED = "failed", _("Failed")


class FiscalDocument(TenantModel):
    """A fiscal receipt (54-ФЗ) waiting in the outbox for a cash-register driver.

    ``tags`` holds the document as ФФД tags (rules.md §9): 1054 settlement sign, 1059 items
    with 1212/1214/1199, 1031/1081 cash and cashless totals, 1008 buyer contact, 1057/1226
    agent data. A driver takes pending documents, registers them and marks them done with
    the fiscal sign.
    """

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="+"
    )
    settlement_sign = models.PositiveSmallIntegerField(_("settlement sign (tag 1054)"))
    tags = models.JSONField(_("tags"))
    state = models.CharField(
        _("state"), max_length=16, choices=FiscalState.choices, default=FiscalState.PENDING
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    fiscal_sign = models.CharField(_("fiscal sign"), max_length=20, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("fiscal document")
        verbose_name_plural = _("fiscal documents")
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["organization", "created_at"],
                name="fiscal_pending",
                condition=Q(state="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()} #{self.pk}"


class PayeeCommission(TenantModel, EffectiveDated):
    """The commission a payee pays for collection under its contract (rules.md §7.2 step 6).

    In hundredths of a percent (150 = 1.50 %); withheld from the money transferred to the
    payee. A payee without a contract in force pays none.
    """

    overlap_key = ("organization", "payee")

    payee = models.ForeignKey(
        Organization, verbose_name=_("payee"), on_delete=models.PROTECT, related_name="+"
    )
    commission_basis_points = models.PositiveIntegerField(_("commission, 0.01 %"))
    contract_number = models.CharField(_("contract"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("payee commission")
        verbose_name_plural = _("payee commissions")
        ordering = ["payee", "valid_from"]
        constraints = [
            valid_range_constraint("payee_commission_valid_range"),
            models.CheckConstraint(
                condition=Q(commission_basis_points__lte=10000), name="commission_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        whole, hundredths = divmod(self.commission_basis_points, 100)
        return f"{self.payee}: {whole},{hundredths:02d} %"
