"""Residents for the portal tests: a user with a linked account, and a helper to sign in."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from raschet.portal.models import ResidentAccount

PASSWORD = "Kvartira-2025!x"


def resident(email: str, *accounts) -> Client:
    """A signed-in client of a new resident with ``accounts`` linked."""
    user = get_user_model().objects.create_user(username=email, email=email, password=PASSWORD)
    for account in accounts:
        ResidentAccount.objects.create(
            organization_id=account.organization_id, user=user, account=account
        )
    client = Client()
    client.force_login(user)
    client.user = user  # type: ignore[attr-defined]
    return client


@pytest.fixture
def make_resident():
    return resident
