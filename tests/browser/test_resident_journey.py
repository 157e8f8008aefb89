"""A resident's first visit to the portal in a phone browser (issue 8 item 8): sign up, link
the account by its number and access code, read the balances and charges with «как
рассчитано», send a meter reading (a wrong one refused), pay in the sandbox and see the
payment, download the payment document, open the building page, report a missing service
with a photo. Every page is checked for
sideways scrolling at phone width and photographed (tests/browser/conftest.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from raschet.appeals.models import Appeal
from raschet.billing.models import ActState
from raschet.metering.models import Reading, ReadingSource
from raschet.payments.models import Channel, Payment
from tests.browser import steps

pytestmark = pytest.mark.browser

PAID = 1500_00


def test_a_resident_signs_up_links_the_account_reads_pays_and_downloads(portal, household):
    steps.sign_up(portal, household)
    steps.link_account(portal, household)
    steps.overview(portal, household)
    steps.derivation(portal, household)
    assert "тариф 50,93 ₽" in household.charges[0][2]  # the water line's derivation, shown
    steps.meter_reading(portal, household, bad="100", good="112,75")
    steps.pay(portal, household, PAID)
    steps.payment_shown(portal, household, PAID, paid_on=timezone.localdate())
    steps.download_document(portal, household)
    steps.building(portal, household)
    yesterday = timezone.localdate() - timedelta(days=1)
    number = steps.file_appeal(
        portal,
        household,
        started=f"{yesterday:%Y-%m-%d}T08:00",
        ended=f"{yesterday:%Y-%m-%d}T20:30",
    )

    # What the pages said was done is in the books.
    reading = Reading.objects.get(period=household.reading_month)
    assert (reading.value, reading.source) == (Decimal("112.750"), ReadingSource.PORTAL)
    payment = Payment.objects.get()
    assert (payment.amount_kopecks, payment.source.channel) == (PAID, Channel.ONLINE)
    appeal = Appeal.objects.get(number=number)
    assert [(a.state, a.events_hours) for a in appeal.acts.all()] == [(ActState.DRAFT, [13])]
    assert appeal.attachments.get().name == "кран.png"


def test_the_checks_catch_a_page_wider_than_the_phone_and_a_request_to_the_internet(portal):
    portal.page.set_content("<p>Нет метатега viewport: телефон покажет страницу в 980 px</p>")
    with pytest.raises(AssertionError, match="laid out 980 px wide"):
        portal.seen("no-viewport")
    viewport = '<meta name="viewport" content="width=device-width, initial-scale=1">'
    portal.page.set_content(f"{viewport}<table><tr><td>{'Водоснабжение' * 40}</td></tr></table>")
    with pytest.raises(AssertionError, match="scrolls sideways at 390 px"):
        portal.seen("too-wide")
    portal.page.set_content('<img src="https://example.com/logo.png" alt="">')
    portal.page.wait_for_load_state("networkidle")
    assert portal.outside == ["https://example.com/logo.png"]
    portal.outside.clear()  # seen: the fixture would fail the test on it
