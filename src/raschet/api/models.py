"""API tokens: how an integration (a bank, a GIS exchange job, a partner's system) signs in.

Only a SHA-256 hash of the token is stored; the plain token is shown once when it is created
(`services.api_token_create`). A token belongs to one organization and reaches that
organization's data, and, for a billing centre, the data of the organizations it serves.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from raschet.organizations.models import TenantModel


class ApiToken(TenantModel):
    """A bearer token of one integration.

    ``prefix`` is the token's first characters, kept in clear so an operator can tell tokens
    apart in lists and logs; it is too short to sign in with. A revoked token stays in the
    table (``revoked_at`` set) so the audit trail keeps its name and author.
    """

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # The hash never enters the history; use time is a counter, not a change worth a row.
    history = HistoricalRecords(excluded_fields=["token_hash", "last_used_at"])

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
