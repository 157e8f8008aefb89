"""Residents' appeals (обращения) and the operators' answers (issue 8, item 5).

A resident files an appeal on a linked account in the portal (or an operator registers one
taken by phone or at the desk): a category, a text, attachments. Operators work the queue:
take an appeal, answer it by its deadline. A report of a poor or missing service (category
``quality``) also writes a *draft* `billing.QualityAct` per month it covers; the operator
checks it, confirms it, and the next billing run applies the reduction (ПП 354 раздел IX).

Deadlines count working days from the day an appeal arrives (`raschet.core.calendar`):
3 for a complaint about the quality of a communal service (ПП 354 п.31 «к»), 10 for any
other appeal (ПП 416 п.36); both are settings (``RASCHET_APPEAL_DAYS``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from raschet.billing.models import RESIDENT_QUALITY_KINDS, QualityAct
from raschet.housing.models import Account
from raschet.organizations.models import TenantModel
from raschet.tariffs.models import Service


class AppealCategory(models.TextChoices):
    QUESTION = "question", _("Question")
    CHARGES = "charges", _("Charges and recalculation")
    READINGS = "readings", _("Meter readings")
    QUALITY = "quality", _("Poor quality or no service")
    REPAIR = "repair", _("Repair in the building")
    COMPLAINT = "complaint", _("Complaint")
    OTHER = "other", _("Other")


class AppealState(models.TextChoices):
    NEW = "new", pgettext_lazy("appeal state", "Received")
    IN_WORK = "in_work", _("In progress")
    ANSWERED = "answered", _("Answered")


class AppealChannel(models.TextChoices):
    PORTAL = "portal", _("Resident portal")
    PHONE = "phone", _("Phone")
    OFFICE = "office", _("In person")


class Appeal(TenantModel):
    """One appeal of a resident about an account, with its deadline and answer."""

    number = models.CharField(_("number"), max_length=20)
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="appeals"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appeals",
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=AppealChannel.choices, default=AppealChannel.PORTAL
    )
    category = models.CharField(_("category"), max_length=16, choices=AppealCategory.choices)
    subject = models.CharField(pgettext_lazy("appeal", "subject"), max_length=200)
    text = models.TextField(_("text"))
    state = models.CharField(
        _("state"), max_length=16, choices=AppealState.choices, default=AppealState.NEW
    )
    created_at = models.DateTimeField(_("received at"))
    due_on = models.DateField(_("answer due"))
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # A report of a poor or missing service: what, which kind, when.
    service = models.ForeignKey(
        Service,
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    quality_kind = models.CharField(
        _("kind of deviation"), max_length=16, choices=RESIDENT_QUALITY_KINDS, blank=True
    )
    started_at = models.DateTimeField(_("from"), null=True, blank=True)
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    degrees = models.PositiveIntegerField(_("degrees of deviation"), default=0)
    acts = models.ManyToManyField(
        QualityAct,
        verbose_name=_("quality acts"),
        blank=True,
        related_name="appeals",
        through="AppealAct",
    )

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="appeal_number_unique"),
            models.CheckConstraint(
                condition=~Q(category="quality") | Q(service__isnull=False),
                name="appeal_quality_has_service",
            ),
        ]
        indexes = [models.Index(fields=["organization", "state", "due_on"])]

    def __str__(self) -> str:
        return f"№ {self.number}"


def attachment_path(instance: AppealAttachment, filename: str) -> str:
    """Under MEDIA_ROOT, but never served from there: files go out through views that check
    who asks (the resident of the account, or staff of the organization)."""
    return f"appeals/{instance.organization_id}/{instance.appeal_id}/{filename}"


class AppealAttachment(TenantModel):
    appeal = models.ForeignKey(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("file type"), max_length=100)
    size = models.PositiveIntegerField(_("size, bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class AppealEvent(TenantModel):
    """What happened to an appeal and when: the resident sees this history."""

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("at"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.CharField(_("event"), max_length=300)

    class Meta:
        verbose_name = _("appeal event")
        verbose_name_plural = _("appeal events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.text


class AppealAct(TenantModel):
    """A quality act written from a report (one per month the report covers); a table of its
    own so that it carries the organization like every tenant row."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="+")
    act = models.ForeignKey(QualityAct, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("act of an appeal")
        verbose_name_plural = _("acts of appeals")
        constraints = [models.UniqueConstraint(fields=["appeal", "act"], name="appeal_act_unique")]

    def __str__(self) -> str:
        return f"{self.appeal_id}/{self.act_id}"
