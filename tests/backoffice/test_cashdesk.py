"""The cash-desk pages: a cashier opens a shift, finds an account by number or address, takes
full, partial and targeted payments in cash or by card, opens the receipt PDF, cancels a
payment and closes the shift; refusals, permissions and tenant scoping."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.ledger.selectors import account_balance
from raschet.organizations.models import Organization, OrganizationKind, Role
from raschet.organizations.services import roles_sync
from raschet.payments.cashdesk import cash_payment_take, cash_shift_open
from raschet.payments.models import CashShift, FiscalDocument, Payment, PaymentState
from raschet.tariffs.models import Service
from tests.backoffice.conftest import make_staff

JAN = date(2025, 1, 1)
FEB = date(2025, 2, 1)
DEBT = 4000_00  # cold water 1 000 + heating 3 000 (January)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _text(response) -> str:
    return response.content.decode()


def _charge(account, service, payee, kopecks, month=JAN):
    LedgerEntry.objects.create(
        organization=account.organization,
        account=account,
        service=service,
        payee=payee,
        period=month,
        corrects_period=month,
        kind=EntryKind.CHARGE,
        amount_kopecks=kopecks,
        posted_at=timezone.now(),
    )


@pytest.fixture
def charged(stock_a, stock_b):
    """stock_a's account owes 1 000 ₽ for cold water (to the organization itself) and
    3 000 ₽ for heating (to a heat supplier); stock_b's account owes 500 ₽."""
    org = stock_a.organization
    teplo = Organization.objects.create(
        code="teplo", kind=OrganizationKind.SUPPLIER, name="АО «Теплосеть»", inn="7802895380"
    )
    heating = Service.objects.get(organization=org, code="heating")
    _charge(stock_a.account, stock_a.service, org, 1000_00)
    _charge(stock_a.account, heating, teplo, 3000_00)
    _charge(stock_b.account, stock_b.service, stock_b.organization, 500_00)
    return stock_a


@pytest.fixture
def cashier(charged):
    roles_sync()
    return make_staff("kassa-a", charged.organization, Role.CASHIER)


def client_for(user) -> Client:
    """A logged-in client reading the English msgids (the pages are Russian by default,
    and the Russian catalogue is regenerated separately)."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


@pytest.fixture
def desk(cashier) -> Client:
    return client_for(cashier)


@pytest.fixture
def open_desk(desk, cashier, charged) -> Client:
    cash_shift_open(organization=charged.organization, cashier=cashier)
    return desk


def account_url(account) -> str:
    return reverse("backoffice:cashdesk_account", args=[account.pk])


def pay(client, account, **data):
    data.setdefault("kind", "full")
    data.setdefault("method", "cash")
    return client.post(account_url(account), data)


def pdf_text(content: bytes) -> str | None:
    try:
        from pypdf import PdfReader
    except ImportError:
        return None
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


# --- the whole flow ----------------------------------------------------------------------


def test_cashier_opens_finds_pays_prints_cancels_and_closes(desk, cashier, charged):
    account = charged.account
    page = desk.get(reverse("backoffice:cashdesk"))
    assert page.status_code == 200 and 'id="open-shift"' in _text(page)

    opened = desk.post(
        reverse("backoffice:cashdesk_open"), {"organization": charged.organization.pk}, follow=True
    )
    shift = CashShift.objects.get(cashier=cashier, closed_at__isnull=True)
    assert any(f"№{shift.pk}" in m for m in _messages(opened))
    assert 'name="q"' in _text(opened) and 'id="close-shift"' in _text(opened)

    by_number = desk.get(reverse("backoffice:cashdesk"), {"q": "A-1"})
    assert account_url(account) in _text(by_number)
    by_address = desk.get(reverse("backoffice:cashdesk"), {"q": "Ленина 5, кв. 12"})
    assert account_url(account) in _text(by_address)

    card = desk.get(account_url(account))
    html = _text(card)
    assert card.status_code == 200
    assert "Холодное водоснабжение" in html and "Отопление" in html and "АО «Теплосеть»" in html
    assert 'id="total-debt">4\u00a0000,00<' in html

    paid = pay(desk, account, contact="+7 916 123-45-67")
    payment = Payment.objects.get(shift=shift)
    assert paid.status_code == 302
    assert paid["Location"] == reverse("backoffice:cashdesk_payment", args=[payment.pk])
    assert payment.amount_kopecks == DEBT and payment.method == "cash"
    assert account_balance(account=account) == 0
    doc = FiscalDocument.objects.get(payment=payment)
    assert doc.tags["1031"] == DEBT and doc.tags["1008"] == "+79161234567"

    detail = desk.get(paid["Location"])
    receipt_url = reverse("backoffice:cashdesk_receipt", args=[payment.pk])
    assert receipt_url in _text(detail) and 'id="cancel-payment"' in _text(detail)

    receipt = desk.get(receipt_url)
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    assert receipt["Content-Disposition"].startswith("inline")
    assert receipt.content.startswith(b"%PDF")
    text = pdf_text(receipt.content)
    if text is None:
        assert len(receipt.content) > 5000  # the fonts' subsets and the tables are in it
    else:
        assert "Квитанция об оплате" in text and account.number in text
        assert "4 000,00" in text.replace("\u00a0", " ")
        assert "Наличные" in text and "Задолженности после оплаты нет" in text

    cancelled = desk.post(
        reverse("backoffice:cashdesk_cancel", args=[payment.pk]),
        {"reason": "ошибся суммой", "next": "desk"},
    )
    assert cancelled["Location"] == reverse("backoffice:cashdesk")
    payment.refresh_from_db()
    assert payment.state == PaymentState.REVERSED
    assert account_balance(account=account) == DEBT
    assert FiscalDocument.objects.filter(payment=payment, settlement_sign=2).count() == 1

    pay(desk, account, kind="partial", amount="1 500,50", method="card")
    closed = desk.post(reverse("backoffice:cashdesk_close", args=[shift.pk]))
    assert closed["Location"] == reverse("backoffice:cashdesk_shift", args=[shift.pk])
    shift.refresh_from_db()
    assert shift.closed_at is not None
    assert (shift.payments_count, shift.cash_kopecks, shift.card_kopecks) == (1, 0, 1500_50)
    assert shift.reversed_kopecks == DEBT
    report = _text(desk.get(closed["Location"]))
    assert 'id="shift-card">1\u00a0500,50<' in report
    assert 'id="shift-reversed">4\u00a0000,00 (1)<' in report
    again = desk.get(reverse("backoffice:cashdesk"))
    assert 'id="open-shift"' in _text(again)  # no shift open any more


def test_targeted_payment_by_card_pays_only_the_chosen_service(open_desk, charged):
    heating = Service.objects.get(organization=charged.organization, code="heating")
    response = pay(
        open_desk,
        charged.account,
        kind="targeted",
        method="card",
        **{f"service_{heating.pk}": "1000"},
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.method == "card" and payment.amount_kopecks == 1000_00
    assert {e.service_id for e in LedgerEntry.objects.filter(payment_id=payment.pk)} == {heating.pk}
    tags = FiscalDocument.objects.get(payment=payment).tags
    [line] = tags["1059"]
    assert line["1226"] == "7802895380" and tags["1081"] == 1000_00


def test_partial_payment_pays_the_amount(open_desk, charged):
    pay(open_desk, charged.account, kind="partial", amount="1000")
    assert Payment.objects.get().amount_kopecks == 1000_00
    assert account_balance(account=charged.account) == DEBT - 1000_00


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "partial", "amount": ""}, "Enter the amount"),
        ({"kind": "partial", "amount": "12,345"}, "12,345"),
        ({"kind": "partial", "amount": "десять"}, "десять"),
        ({"kind": "partial", "amount": "0"}, "больше нуля"),
        ({"kind": "partial", "amount": "-5"}, "больше нуля"),
        ({"kind": "targeted"}, "at least one service"),
        ({"kind": "partial", "amount": "10", "contact": "12345"}, "не телефон и не e-mail"),
        ({"kind": "partial", "amount": "10", "period": "2025-13"}, "2025-13"),
        ({"kind": "partial", "amount": "10", "method": "cashless"}, "cashless"),
    ],
)
def test_bad_payment_input_is_shown_and_writes_nothing(open_desk, charged, data, message):
    response = pay(open_desk, charged.account, **data)
    assert response.status_code == 200
    assert message in _text(response)
    assert not Payment.objects.exists() and not FiscalDocument.objects.exists()


def test_full_payment_of_an_account_without_debt_is_refused(open_desk, charged):
    pay(open_desk, charged.account)
    response = pay(open_desk, charged.account)
    assert response.status_code == 200 and "no debt" in _text(response)
    assert Payment.objects.count() == 1


# --- refusals, permissions, scoping ------------------------------------------------------


def test_a_user_without_the_role_gets_403(charged):
    user = make_staff("passport-a", charged.organization, Role.PASSPORT_OFFICER)
    client = client_for(user)
    assert client.get(reverse("backoffice:cashdesk")).status_code == 403
    assert client.post(reverse("backoffice:cashdesk_open")).status_code == 403
    assert client.get(account_url(charged.account)).status_code == 403
    assert not CashShift.objects.exists()


def test_another_organizations_account_is_not_found(open_desk, charged, stock_b):
    found = open_desk.get(reverse("backoffice:cashdesk"), {"q": "B-1"})
    assert 'id="not-found"' in _text(found)
    assert account_url(stock_b.account) not in _text(found)
    by_address = open_desk.get(reverse("backoffice:cashdesk"), {"q": "Гагарина"})
    assert 'id="not-found"' in _text(by_address)
    assert open_desk.get(account_url(stock_b.account)).status_code == 404
    assert pay(open_desk, stock_b.account, kind="partial", amount="10").status_code == 404
    assert not Payment.objects.exists()


def test_another_organizations_payment_and_shift_are_not_found(open_desk, stock_b):
    other_cashier = make_staff("kassa-b", stock_b.organization, Role.CASHIER)
    shift = cash_shift_open(organization=stock_b.organization, cashier=other_cashier)
    taken = cash_payment_take(
        shift=shift, account=stock_b.account, amount_kopecks=100_00, method="cash"
    )
    pk = taken.payment.pk
    assert open_desk.get(reverse("backoffice:cashdesk_receipt", args=[pk])).status_code == 404
    assert open_desk.get(reverse("backoffice:cashdesk_payment", args=[pk])).status_code == 404
    assert open_desk.post(reverse("backoffice:cashdesk_cancel", args=[pk])).status_code == 404
    assert open_desk.get(reverse("backoffice:cashdesk_shift", args=[shift.pk])).status_code == 404
    close = open_desk.post(reverse("backoffice:cashdesk_close", args=[shift.pk]))
    assert close.status_code == 404
    shift.refresh_from_db()
    assert shift.closed_at is None


def test_one_open_shift_per_desk_is_explained(open_desk, charged, cashier):
    second = make_staff("kassa-a2", charged.organization, Role.CASHIER)
    client = client_for(second)
    response = client.post(
        reverse("backoffice:cashdesk_open"), {"organization": charged.organization.pk}, follow=True
    )
    assert any("уже открыта смена" in m for m in _messages(response))
    assert CashShift.objects.filter(closed_at__isnull=True).count() == 1
    # the other cashier may neither close nor cancel in this shift
    shift = CashShift.objects.get(cashier=cashier)
    taken = cash_payment_take(
        shift=shift, account=charged.account, amount_kopecks=100_00, method="cash"
    )
    assert client.post(reverse("backoffice:cashdesk_close", args=[shift.pk])).status_code == 403
    cancel = client.post(
        reverse("backoffice:cashdesk_cancel", args=[taken.payment.pk]), {"reason": "x"}
    )
    assert cancel.status_code == 403
    assert Payment.objects.get().state == PaymentState.POSTED


def test_the_account_page_needs_an_open_shift(desk, charged):
    response = desk.get(account_url(charged.account), follow=True)
    assert response.redirect_chain[-1][0] == reverse("backoffice:cashdesk")
    assert any("shift" in m.lower() for m in _messages(response))


def test_cancel_without_a_reason_is_refused(open_desk, charged):
    pay(open_desk, charged.account, kind="partial", amount="10")
    payment = Payment.objects.get()
    response = open_desk.post(
        reverse("backoffice:cashdesk_cancel", args=[payment.pk]), {"reason": " "}, follow=True
    )
    assert any("причину" in m for m in _messages(response))
    payment.refresh_from_db()
    assert payment.state == PaymentState.POSTED


def test_the_desk_page_reads_a_fixed_number_of_queries(open_desk, charged, cashier):
    shift = CashShift.objects.get(cashier=cashier)

    def take(n):
        for _ in range(n):
            cash_payment_take(
                shift=shift, account=charged.account, amount_kopecks=10_00, method="cash"
            )

    take(2)
    with CaptureQueriesContext(connection) as few:
        assert open_desk.get(reverse("backoffice:cashdesk")).status_code == 200
    take(6)
    with CaptureQueriesContext(connection) as many:
        response = open_desk.get(reverse("backoffice:cashdesk"))
    assert _text(response).count('class="shift-payment') == 8
    assert len(many) == len(few)


def test_the_admin_index_links_the_cash_desk(desk):
    assert reverse("backoffice:cashdesk") in _text(desk.get(reverse("admin:index")))


def test_an_operator_without_payment_grants_sees_no_link(operator_a):
    roles_sync()
    client = client_for(get_user_model().objects.get(pk=operator_a.pk))
    assert reverse("backoffice:cashdesk") not in _text(client.get(reverse("admin:index")))
