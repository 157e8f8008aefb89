"""Shared fixtures. The database is SQLite or PostgreSQL by ``DATABASE_URL`` (scripts/test)."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def pytest_report_header(config: pytest.Config) -> str:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"raschet database: {engine}"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Full-strength PBKDF2 costs about a second per user on the 2-core machine; tests
    create many users and do not test the hash itself."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


from tests.smtp import smtp  # noqa: E402, F401 - the SMTP server fixture, for every test
