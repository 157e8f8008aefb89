"""Printed payment documents (ЕПД): the print jobs, the files they wrote and the archive of
every document issued (rules.md §5).

A document is archived when it is printed: which account and month, the version (a re-issue
is version 2, 3, …), the amount due printed on it, the SHA-256 of the data it was rendered
from, the file and page holding it, who printed it and when. The archive is append-only in
use: a re-issue adds a version and never rewrites an earlier one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from raschet.organizations.models import TenantModel, unconstrained_key


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class PrintJob(TenantModel):
    """One print order: a month, a selection of accounts, one PDF per account or bundles."""

    period = models.DateField(_("billing month"))
    bundle = models.BooleanField(_("one file per building"), default=False)
    selection = models.JSONField(_("selection"), default=dict, blank=True)
    out_dir = models.CharField(_("output folder"), max_length=500)
    state = models.CharField(
        _("state"), max_length=16, choices=JobState.choices, default=JobState.QUEUED
    )
    total = models.PositiveIntegerField(_("documents"), default=0)
    done = models.PositiveIntegerField(_("documents printed"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("print job")
        verbose_name_plural = _("print jobs")
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(period__day=1), name="print_job_first_day")
        ]

    def __str__(self) -> str:
        return f"№{self.pk} {self.period:%m.%Y}"


class PrintBatch(TenantModel):
    """A part of a job printed by one worker: a building's bundle, or a group of accounts."""

    job = models.ForeignKey(PrintJob, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    building_id = models.BigIntegerField(null=True)
    account_ids = models.JSONField(default=list)
    bundle = models.BooleanField(default=False)
    part = models.PositiveSmallIntegerField(default=0, help_text="0: the building's only file")
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["job", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="print_batch_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}/{self.number}"


class PrintFile(TenantModel):
    """A PDF written by a job: one account's document, or a building's bundle."""

    job = models.ForeignKey(
        PrintJob, verbose_name=_("print job"), on_delete=models.PROTECT, related_name="files"
    )
    path = models.CharField(_("file"), max_length=500)
    pages = models.PositiveIntegerField(_("pages"))
    size = models.PositiveBigIntegerField(_("size, bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    building = unconstrained_key("housing.Building", _("building"), null=True)

    class Meta:
        verbose_name = _("printed file")
        verbose_name_plural = _("printed files")
        ordering = ["job", "path"]

    def __str__(self) -> str:
        return self.path


class PaymentDocument(TenantModel):
    """One issued ЕПД: an account's document for a closed month, as printed."""

    account = unconstrained_key("housing.Account", _("account"))
    period = models.DateField(_("billing month"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    file = models.ForeignKey(
        PrintFile, verbose_name=_("file"), on_delete=models.PROTECT, related_name="documents"
    )
    page = models.PositiveIntegerField(_("page in the file"), default=1)
    amount_due = models.BigIntegerField(_("amount due, kopecks"))
    content_sha256 = models.CharField(_("content SHA-256"), max_length=64)
    printed_at = models.DateTimeField(_("printed at"))
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("printed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed = models.BooleanField(
        _("differs from the previous version"),
        default=False,
        help_text=_("A re-issue whose content differs from the version before it"),
    )

    class Meta:
        verbose_name = _("payment document")
        verbose_name_plural = _("payment documents")
        ordering = ["account", "-period", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "period", "version"], name="payment_document_version"
            ),
            models.CheckConstraint(condition=Q(period__day=1), name="payment_document_first_day"),
        ]
        indexes = [
            models.Index(fields=["organization", "period"], name="payment_document_org_period")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.period:%m.%Y} v{self.version}"


class DeliveryState(models.TextChoices):
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class DocumentDelivery(TenantModel):
    """An e-mail with a payment document sent to a resident who chose paper-free delivery."""

    document = models.ForeignKey(
        PaymentDocument,
        verbose_name=_("payment document"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    address = models.EmailField(_("e-mail"))
    state = models.CharField(_("state"), max_length=16, choices=DeliveryState.choices)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("document delivery")
        verbose_name_plural = _("document deliveries")
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.document} → {self.address}"


class GisDocumentId(TenantModel):
    """The ГИС ЖКХ identifier of an account's payment document for a month (ИПД, rules.md
    §8.1): assigned by ГИС ЖКХ when the document is placed there, imported back from its
    export, printed on the ЕПД and put into the QR code's ``DocIdx``."""

    account = unconstrained_key("housing.Account", _("account"))
    period = models.DateField(_("billing month"))
    ipd = models.CharField(_("payment document identifier (ИПД)"), max_length=18)
    imported_at = models.DateTimeField(_("imported at"), auto_now=True)

    class Meta:
        verbose_name = _("ГИС ЖКХ payment document identifier")
        verbose_name_plural = _("ГИС ЖКХ payment document identifiers")
        ordering = ["account", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["account", "period"], name="gis_document_id_month"),
            models.CheckConstraint(condition=Q(period__day=1), name="gis_document_id_first_day"),
        ]

    def __str__(self) -> str:
        return self.ipd
