"""The import log: one row per import that changed data.

Imported rows are written in bulk, which bypasses django-simple-history; the batch row is
their audit record (who, when, which file by name and SHA-256, what changed). Rows get their
own history from later edits.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from raschet.organizations.models import TenantModel


class ImportBatch(TenantModel):
    """One applied import of a file (a dry run or a rejected file leaves no batch)."""

    kind = models.CharField(_("kind"), max_length=40, default="housing")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    file_name = models.CharField(_("file name"), max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    rows = models.PositiveIntegerField(_("data rows"), default=0)
    counts = models.JSONField(_("counts"), default=dict)

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "created_at"])]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%d.%m.%Y %H:%M})"
