"""Who is calling: an integration with a bearer token, or a staff user with a session.

Both resolve to a `Caller` whose ``organizations`` is the queryset of organizations whose data
the request may read. The rule mirrors `organizations_for_user`: an organization sees itself,
a billing centre also sees the organizations it serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from raschet.api.models import ApiToken
from raschet.api.services import token_hash
from raschet.organizations.models import Organization, OrganizationKind
from raschet.organizations.selectors import organizations_for_user

# Writing the last-use time on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Caller:
    """The authenticated party of one request."""

    organizations: QuerySet[Organization]
    token: ApiToken | None = None
    user: Any = None


def organizations_for_token(token: ApiToken) -> QuerySet[Organization]:
    """The token's organization and, for a billing centre, the organizations it serves."""
    scope = Q(pk=token.organization_id)
    if token.organization.kind == OrganizationKind.BILLING_CENTRE:
        scope |= Q(served_by_id=token.organization_id)
    return Organization.objects.filter(scope)


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` for integrations."""

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        if not token or len(token) > 200:
            return None
        row = (
            ApiToken.objects.select_related("organization")
            .filter(token_hash=token_hash(token), revoked_at__isnull=True)
            .first()
        )
        if row is None:
            return None
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        return Caller(organizations=organizations_for_token(row), token=row)


class StaffSessionAuth(SessionAuth):
    """The back office's session for staff users; CSRF is checked for unsafe methods."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            return None
        return Caller(organizations=organizations_for_user(user), user=user)


token_auth = TokenAuth()
session_auth = StaffSessionAuth()


def caller(request: HttpRequest) -> Caller:
    """The request's `Caller`; the router's auth has set it before any endpoint runs."""
    result = getattr(request, "auth", None)
    if not isinstance(result, Caller):
        raise AuthenticationError
    return result
