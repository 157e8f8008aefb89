"""Browser tests of the resident portal: Playwright for Python driving Debian's Chromium
(`/usr/bin/chromium`, never a downloaded browser build) against pytest-django's live server,
in a phone-sized context; a full-page screenshot per step (docs/portal.md «Browser tests»)."""

from __future__ import annotations

import importlib
import os
import re
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.apps import apps as django_apps
from django.db import connections
from django.utils import timezone

from raschet.billing.explain import explain_line
from raschet.billing.models import BillingRun, ChargeLine, LineKind, RunState
from raschet.core.billing import Method
from raschet.core.periods import Month
from raschet.core.readings import billing_month_for
from raschet.ledger.guards import purge
from raschet.ledger.models import BalanceSnapshot, EntryKind, LedgerEntry
from raschet.ledger.services import ledger_snapshot_month
from raschet.metering.models import Meter, ReadingSource
from raschet.metering.services import reading_submit
from raschet.organizations.models import ClosedMonth, OrganizationKind
from raschet.portal.services import access_code_for
from tests.browser.steps import Household, Portal
from tests.factories import AccountFactory, OrganizationFactory, ServiceFactory
from tests.portal.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "locale": "ru-RU",
    "timezone_id": "Europe/Moscow",
}
TIMEOUT_MS = 15_000
"""Playwright's wait for an element or a page; the slowest step (printing a PDF on demand)
takes a few seconds on the 2-core machine."""

BANK = "ПАО Сбербанк"
_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def artifacts_dir(test_name: str) -> Path:
    """``$RASCHET_ARTIFACTS_DIR/browser/<test>/``, by default ``var/test/artifacts/browser/<test>/``
    in the repository (git-ignored)."""
    root = (
        os.environ.get("RASCHET_ARTIFACTS_DIR") or Path(__file__).parents[2] / "var/test/artifacts"
    )
    return Path(root) / "browser" / re.sub(r"[^\w.-]+", "_", test_name)


SEED_MIGRATIONS = [("raschet.debt.migrations.0002_seed_rates", "seed")]
"""Data migrations whose rows other tests rely on (the key-rate table): the live server's
tests empty the database after each test, these put the rows back (`_seeded_rows_back`)."""


@pytest.fixture(scope="package", autouse=True)
def _seeded_rows_back(django_db_setup, django_db_blocker) -> Iterator[None]:
    """After the browser tests — after the flush of the last one, which empties every table —
    the rows of `SEED_MIGRATIONS` are written again, as the migrations wrote them, for the
    transactional tests that run later in the session (tests/debt needs the key rates)."""
    yield
    with django_db_blocker.unblock():
        for module, function in SEED_MIGRATIONS:
            getattr(importlib.import_module(module), function)(django_apps, None)
        connections.close_all()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Keep each phase's report on the test, so the page fixture knows a test failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def portal(request, transactional_db, live_server, monkeypatch) -> Iterator[Portal]:
    """A resident's phone browser on the live server; screenshots go to `artifacts_dir`, one
    more (``NN-failure.png``) when the test fails. Any request that leaves the live server is
    aborted and fails the test: the portal must work without the internet."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does)")
        pytest.skip(f"{CHROMIUM} is missing: run 'sudo apt-get install chromium'")
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API keeps an event loop in this thread, and Django refuses ORM calls
    # from a thread with a running loop. The test's own ORM calls are ordinary blocking ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    shots = artifacts_dir(request.node.name)
    shutil.rmtree(shots, ignore_errors=True)
    server = urlsplit(live_server.url)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(base_url=live_server.url, **PHONE)
            context.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            ui = Portal(page=context.new_page(), base_url=live_server.url, shots=shots)

            def offline(route) -> None:
                if urlsplit(route.request.url).netloc == server.netloc:
                    route.continue_()
                else:
                    ui.outside.append(route.request.url)
                    route.abort()

            context.route("**/*", offline)
            yield ui
            reports = request.node.stash.get(_REPORTS, {})
            if any(r.failed for r in reports.values()):
                ui.shot("failure")
            assert ui.outside == [], f"the portal asked the internet for: {ui.outside}"
        finally:
            browser.close()
            # While Playwright's loop is current, Django keeps this thread's connections apart
            # (asgiref's Local turns into a context variable): close the ones opened meanwhile,
            # or PostgreSQL refuses to drop the test database at the end of the session.
            connections.close_all()


def _lift_guards_and_empty_the_books() -> None:
    """The live server needs committed rows, so the test database is emptied after the test
    (pytest-django's flush). On SQLite the flush DELETEs row by row and the append-only
    guards (ledger, balance snapshots, posted lines, closed months) refuse it; the demo's
    purge switch lets this test's rows go first."""
    with purge("browser test teardown"):
        for model in (LedgerEntry, BalanceSnapshot, ChargeLine, BillingRun, ClosedMonth):
            model.objects.all().delete()


@pytest.fixture
def household(transactional_db, settings, tmp_path) -> Iterator[Household]:
    """Account 100001 of «УК «Уютный дом»» with its access code, last month billed and closed
    (cold water by meter 216,45 ₽ to the water utility, heating 3 000,00 ₽ to the heat
    utility, as posted charge lines and ledger entries), and a water meter with readings of the
    two months before, so that a reading sent today falls in the open reading window.

    Dates follow today's: the live server and the browser run on the real clock.
    """
    settings.DATA_DIR = tmp_path  # the document archive and the portal's printed files
    today = timezone.localdate()
    billed = Month.of(today).previous()
    earlier = billed.previous()
    account = AccountFactory(number="100001", payer_name="Петрова Анна Сергеевна")
    org = account.organization
    org.brand_name, org.phone, org.bank_name = "УК «Уютный дом»", "+7 (4822) 00-00-00", BANK
    org.save()
    vodokanal = OrganizationFactory(
        kind=OrganizationKind.SUPPLIER, name="АО «Водоканал»", bank_name=BANK
    )
    teplo = OrganizationFactory(
        kind=OrganizationKind.SUPPLIER, name="АО «Теплосеть»", bank_name=BANK
    )
    water = ServiceFactory(organization=org)
    heat = ServiceFactory(organization=org, code="heating", name="Отопление", unit="gcal")

    meter = Meter.objects.create(
        organization=org, premises=account.premises, service=water, serial_number="W-1",
        installed_on=date(2019, 1, 10),
    )  # fmt: skip
    for month, value in ((earlier, "104.000"), (billed, "108.250")):
        taken_on = month.start + timedelta(days=19)
        reading_submit(
            meter=meter, values={"single": Decimal(value)}, taken_on=taken_on,
            source=ReadingSource.OPERATOR, today=taken_on, received_on=taken_on,
        )  # fmt: skip

    run = BillingRun.objects.create(
        organization=org, period=billed.start, trial=False, state=RunState.POSTED
    )
    common = {
        "organization": org, "run_id": run.pk, "account_id": account.pk,
        "period": billed.start, "corrects_period": billed.start, "kind": LineKind.CHARGE,
    }  # fmt: skip
    lines = [
        ChargeLine.objects.create(
            **common, service_id=water.pk, payee_id=vodokanal.pk, method=Method.METER,
            volume=4_250_000, rate=509_300, amount=216_45,
        ),
        ChargeLine.objects.create(
            **common, service_id=heat.pk, payee_id=teplo.pk, method=Method.AREA,
            volume=1_000_000, area=5400, rate=3_000_000_0, amount=3000_00,
        ),
    ]  # fmt: skip
    for line in lines:
        LedgerEntry.objects.create(
            organization=org, account=account, service_id=line.service_id,
            payee_id=line.payee_id, period=billed.start, corrects_period=billed.start,
            kind=EntryKind.CHARGE, amount_kopecks=line.amount, run_id=run.pk, line_id=line.pk,
            posted_at=timezone.now(),
        )  # fmt: skip
    ledger_snapshot_month(organization_id=org.pk, period=billed.start)
    ClosedMonth.objects.create(organization=org, month=billed.start)

    yield Household(
        account_id=account.pk,
        number=account.number,
        address=account.premises.building.address,
        premises=account.premises.number,
        access_code=access_code_for(account),
        manager=org.display_name,
        email="anna.petrova@example.ru",
        password=PASSWORD,
        billed=billed.start,
        balances=[(water.name, vodokanal.name, 216_45), (heat.name, teplo.name, 3000_00)],
        charges=[
            (s.name, line.amount, explain_line(line, unit=s.get_unit_display(), service=s.name))
            for s, line in zip((water, heat), lines, strict=True)
        ],
        meter=f"{water.name} № {meter.serial_number}",
        meter_last=Decimal("108.250"),
        meter_last_on=billed.start + timedelta(days=19),
        reading_month=billing_month_for(today, org.reading_cutoff_day).start,
    )
    _lift_guards_and_empty_the_books()
