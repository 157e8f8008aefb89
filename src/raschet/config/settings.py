"""Django settings.

SQLite file by default (the embedded demo); PostgreSQL when ``DATABASE_URL`` is set, e.g.
``postgres://postgres@127.0.0.1:5432/raschet``. Everything an operator may change comes from
environment variables with a ``RASCHET_`` prefix.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("RASCHET_DATA_DIR", Path.cwd() / "var")).resolve()

DEBUG = os.environ.get("RASCHET_DEBUG", "1") == "1"
# The demo key only ever serves 127.0.0.1; production sets RASCHET_SECRET_KEY.
SECRET_KEY = os.environ.get("RASCHET_SECRET_KEY", "raschet-demo-key-not-for-production")
ALLOWED_HOSTS = os.environ.get("RASCHET_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    # before django.contrib.admin: its templates override the admin's (branding, language)
    "raschet.backoffice",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "raschet.organizations",
    "raschet.housing",
    "raschet.registry",
    "raschet.tariffs",
    "raschet.metering",
    "raschet.importers",
    "raschet.ledger",
    "raschet.billing",
    "raschet.payments",
    "raschet.debt",
    "raschet.documents",
    "raschet.exchange",
    "raschet.appeals",
    "raschet.capitalrepair",
    "django_tasks",
    "django_tasks_db",
    "raschet.api",
    "raschet.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "raschet.config.middleware.RussianFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "raschet.config.urls"
WSGI_APPLICATION = "raschet.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'raschet.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the demo server read while an import writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if os.environ.get("RASCHET_TEST_DB_NAME"):
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ["RASCHET_TEST_DB_NAME"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("RASCHET_TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"

LOGIN_URL = "admin:login"

# Housing import: files larger than this are refused before parsing.
RASCHET_IMPORT_MAX_BYTES = int(os.environ.get("RASCHET_IMPORT_MAX_BYTES", 512 * 1024 * 1024))
# Payment documents: the engine of bundles (ADR 0009) — "direct" (the fast writer, typst
# where a page does not fit it) or "typst" (every bundle typeset by typst).
RASCHET_EPD_BUNDLE_ENGINE = os.environ.get("RASCHET_EPD_BUNDLE_ENGINE", "direct")
# PostgreSQL planner cost of a random page read for a billing batch's transaction
# (`raschet.billing.services`). The server default, 4, assumes spinning disks: with it the
# planner reads the whole readings table for every batch instead of looking up the batch's
# meters (docs/benchmarks.md). 1.1 is the usual value for SSD; empty keeps the server's.
RASCHET_BILLING_RANDOM_PAGE_COST = os.environ.get("RASCHET_BILLING_RANDOM_PAGE_COST", "1.1")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("RASCHET_LOG_LEVEL", "WARNING")},
}

# Background tasks (billing batches). "immediate" runs a task inline (the demo, SQLite);
# "database" stores it for `raschet manage db_worker` processes on any number of machines.
_TASKS_BACKEND = os.environ.get("RASCHET_TASKS", "immediate")
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if _TASKS_BACKEND == "database"
            else "django_tasks.backends.immediate.ImmediateBackend"
        ),
    }
}

# Fiscal receipts (54-ФЗ): the class that registers them. The built-in one keeps each document
# with its ФФД tags in an outbox table for a cash-register driver (docs/payments.md).
RASCHET_FISCAL_REGISTER = os.environ.get(
    "RASCHET_FISCAL_REGISTER", "raschet.payments.fiscal.OutboxFiscalRegister"
)

# E-mail (debtor notices, payment documents). With RASCHET_EMAIL_HOST set, Django's SMTP
# backend sends through that server; without it, messages are written as files into
# RASCHET_DATA_DIR/mail (the demo needs no mail server and loses nothing).
EMAIL_HOST = os.environ.get("RASCHET_EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("RASCHET_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("RASCHET_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("RASCHET_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("RASCHET_EMAIL_TLS", "") == "1"
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = str(Path(DATA_DIR) / "mail")
DEFAULT_FROM_EMAIL = os.environ.get("RASCHET_EMAIL_FROM", "raschet@localhost")

# Online payment in the resident portal: the acquiring provider (a dotted path to a class) and
# the secret its callbacks are signed with (empty: derived from SECRET_KEY). The built-in
# sandbox pays on a local test page (docs/payments.md).
RASCHET_ACQUIRING_PROVIDER = os.environ.get(
    "RASCHET_ACQUIRING_PROVIDER", "raschet.portal.acquiring.SandboxAcquirer"
)
RASCHET_ACQUIRING_SECRET = os.environ.get("RASCHET_ACQUIRING_SECRET", "")
