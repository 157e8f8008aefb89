"""Shared fixtures. The database is SQLite or PostgreSQL by ``DATABASE_URL`` (scripts/test)."""

from __future__ import annotations

import os

import pytest
from django.db import connection

#: Fixtures that give a test the database (pytest-django's, and what is built on them).
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


def uses_database(item: pytest.Item) -> bool:
    """Whether a test touches the database: the ``django_db`` mark or a database fixture
    anywhere in its fixture closure."""
    if item.get_closest_marker("django_db") is not None:
        return True
    return bool(DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With ``RASCHET_TEST_DATABASE_ONLY=1`` (scripts/test's second database) run only the
    tests that touch the database: the rest — the pure core, its hypothesis properties —
    gives the same result on any database and has run once already."""
    if os.environ.get("RASCHET_TEST_DATABASE_ONLY") != "1":
        return
    keep = [item for item in items if uses_database(item)]
    if len(keep) == len(items):
        return
    config.hook.pytest_deselected(items=[item for item in items if not uses_database(item)])
    items[:] = keep


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
