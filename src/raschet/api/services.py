"""Writes of the API app: issuing and revoking integration tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from raschet.api.models import ApiToken
from raschet.organizations.models import Organization

TOKEN_PREFIX = "rst_"  # noqa: S105 - a marker that makes leaked tokens greppable, no secret
VISIBLE_PREFIX_LENGTH = 12


def token_hash(plain: str) -> str:
    """SHA-256 of the token: enough for a 256-bit random secret (no salt or slow hash needed,
    nobody can guess such a token from its hash)."""
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


@transaction.atomic
def api_token_create(
    *, organization: Organization, name: str, user=None, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue a token for ``organization``; return the row and the plain token.

    The plain token is not stored anywhere: the caller shows it once.
    """
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        organization=organization,
        name=name.strip(),
        prefix=plain[:VISIBLE_PREFIX_LENGTH],
        token_hash=token_hash(plain),
        created_by=user,
        created_at=now or timezone.now(),
    )
    token.full_clean()
    token.save()
    return token, plain


@transaction.atomic
def api_token_revoke(*, token: ApiToken, now: datetime | None = None) -> ApiToken:
    """Revoke ``token``; revoking twice keeps the first revocation time."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = now or timezone.now()
        locked.save(update_fields=["revoked_at"])
    token.revoked_at = locked.revoked_at
    return locked
