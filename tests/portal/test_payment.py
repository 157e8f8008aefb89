"""Online payment in the portal (issue 8 p.4): the whole debt, a month, chosen services through
the sandbox provider; the callback is signed, idempotent and refused when forged; declined
orders post nothing; other residents' accounts and orders answer 404; amount limits."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.ledger.selectors import account_balance
from raschet.payments.models import Channel, Payment, PaymentTarget
from raschet.portal.acquiring import SandboxAcquirer, payment_order_create
from raschet.portal.models import PaymentOrder, PaymentOrderState, ResidentAccount
from tests.factories import AccountFactory
from tests.payments.conftest import FEB
from tests.payments.conftest import books as books  # the fixture

pytestmark = pytest.mark.django_db
CALLBACK = "/portal/acquiring/callback/"


def _pay(client, account, data):
    """Submit the payment form; the order it created (or None) and the response."""
    before = set(PaymentOrder.objects.values_list("pk", flat=True))
    response = client.post(f"/portal/accounts/{account.pk}/pay/", data)
    new = PaymentOrder.objects.exclude(pk__in=before)
    return response, new.first()


def _through_sandbox(client, response, action="pay"):
    """Follow the redirect to the sandbox page and press a button; the result page."""
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(response["Location"])
    assert page.status_code == 200 and "sandbox-pay" in page.content.decode()
    done = client.post(response["Location"], {"action": action})
    assert done.status_code == 302
    return client.get(done["Location"])


def _entries(payment):
    return list(LedgerEntry.objects.filter(payment_id=payment.pk, kind=EntryKind.PAYMENT))


def test_the_whole_debt_is_prefilled_paid_and_shown(books, make_resident):
    client = make_resident("r@example.ru", books.account)
    account_page = client.get(f"/portal/accounts/{books.account.pk}/").content.decode()
    assert f'href="/portal/accounts/{books.account.pk}/pay/"' in account_page
    form = client.get(f"/portal/accounts/{books.account.pk}/pay/").content.decode()
    assert 'value="8000,00"' in form  # 2 months × (1000 + 3000) ₽ from the balances
    response, order = _pay(client, books.account, {"mode": "debt", "amount": "8000,00"})
    assert order.amount_kopecks == 8000_00 and order.period is None and order.targets == {}
    assert response["Location"] == f"/portal/sandbox/pay/{order.operation_id}/"
    result = _through_sandbox(client, response)
    assert 'data-state="paid"' in result.content.decode()
    payment = Payment.objects.get()
    assert payment.operation_id == str(order.operation_id)
    assert payment.source.channel == Channel.ONLINE and payment.amount_kopecks == 8000_00
    order.refresh_from_db()
    assert order.state == PaymentOrderState.PAID and order.payment_id == payment.pk
    assert order.paid_at is not None
    assert account_balance(account=books.account) == 0
    overview = client.get(f"/portal/accounts/{books.account.pk}/")
    assert [p.pk for p in overview.context["overview"].payments] == [payment.pk]


def test_chosen_services_pay_only_those_services(books, make_resident):
    client = make_resident("r@example.ru", books.account)
    form = client.get(f"/portal/accounts/{books.account.pk}/pay/").content.decode()
    assert f'name="service_{books.water.pk}"' in form and 'value="2000,00"' in form
    response, order = _pay(
        client,
        books.account,
        {"mode": "services", f"service_{books.water.pk}": "500", f"service_{books.heat.pk}": ""},
    )
    assert order.targets == {str(books.water.pk): 500_00} and order.amount_kopecks == 500_00
    _through_sandbox(client, response)
    payment = Payment.objects.get()
    assert [(t.service_id, t.amount_kopecks) for t in PaymentTarget.objects.all()] == [
        (books.water.pk, 500_00)
    ]
    entries = _entries(payment)
    assert {e.service_id for e in entries} == {books.water.pk}
    assert sum(e.amount_kopecks for e in entries) == -500_00


def test_a_named_month_is_paid_first(books, make_resident):
    client = make_resident("r@example.ru", books.account)
    response, order = _pay(
        client, books.account, {"mode": "month", "month": "2025-02", "amount": "4000"}
    )
    assert order.period == FEB
    _through_sandbox(client, response)
    payment = Payment.objects.get()
    assert payment.period == FEB
    assert {e.debt_period for e in _entries(payment)} == {FEB}  # not January, the oldest


def test_a_month_not_offered_is_refused(books, make_resident, settings):
    settings.LANGUAGE_CODE = "en"
    client = make_resident("r@example.ru", books.account)
    response, order = _pay(
        client, books.account, {"mode": "month", "month": "2024-05", "amount": "10"}
    )
    assert order is None and response.status_code == 200
    assert "Choose a payment document month." in response.content.decode()


def _order(books, client, amount=1500_00):
    return payment_order_create(
        user=client.user, account=books.account, amount_kopecks=amount, now=_now()
    )


def _now():
    from django.utils import timezone

    return timezone.now()


def test_the_same_callback_twice_posts_once(books, make_resident):
    client = make_resident("r@example.ru", books.account)
    order = _order(books, client)
    data = SandboxAcquirer().callback_data(order, paid=True, paid_on=_now().date())
    anonymous = Client()
    first = anonymous.post(CALLBACK, data)
    entries = LedgerEntry.objects.count()
    second = anonymous.post(CALLBACK, data)
    assert (first.status_code, second.status_code) == (200, 200)
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.count() == entries
    assert account_balance(account=books.account) == 8000_00 - 1500_00


@pytest.mark.parametrize(
    "forge",
    [
        lambda d: {**d, "amount": "1"},  # the signature no longer matches
        lambda d: {**d, "signature": "0" * 64},
        lambda d: {k: v for k, v in d.items() if k != "signature"},
        lambda d: {**d, "status": "paid", "signature": d["signature"].upper()},
    ],
)
def test_a_forged_callback_is_refused_and_stores_nothing(books, make_resident, forge):
    client = make_resident("r@example.ru", books.account)
    order = _order(books, client)
    data = SandboxAcquirer().callback_data(order, paid=True, paid_on=_now().date())
    response = Client().post(CALLBACK, forge(data))
    assert response.status_code == 400
    assert Payment.objects.count() == 0
    order.refresh_from_db()
    assert order.state == PaymentOrderState.NEW and order.payment_id is None


def test_a_signed_callback_with_another_amount_is_refused(books, make_resident, settings):
    client = make_resident("r@example.ru", books.account)
    order = _order(books, client)
    order.amount_kopecks = 1  # the provider says 0,01 ₽ was paid for a 1 500 ₽ order
    data = SandboxAcquirer().callback_data(order, paid=True, paid_on=_now().date())
    assert Client().post(CALLBACK, data).status_code == 400
    assert Payment.objects.count() == 0


def test_the_callback_takes_only_post(books):
    assert Client().get(CALLBACK).status_code == 405


def test_a_declined_payment_posts_nothing(books, make_resident):
    client = make_resident("r@example.ru", books.account)
    response, order = _pay(client, books.account, {"mode": "debt", "amount": "100"})
    result = _through_sandbox(client, response, action="decline")
    assert 'data-state="declined"' in result.content.decode()
    order.refresh_from_db()
    assert order.state == PaymentOrderState.DECLINED and order.payment_id is None
    assert Payment.objects.count() == 0
    # a late "paid" callback for a declined order changes nothing
    data = SandboxAcquirer().callback_data(order, paid=True, paid_on=_now().date())
    assert Client().post(CALLBACK, data).status_code == 200
    assert Payment.objects.count() == 0


def test_other_residents_accounts_and_orders_answer_404(books, make_resident):
    owner = make_resident("owner@example.ru", books.account)
    stranger = make_resident("stranger@example.ru", AccountFactory())
    assert stranger.get(f"/portal/accounts/{books.account.pk}/pay/").status_code == 404
    assert (
        stranger.post(
            f"/portal/accounts/{books.account.pk}/pay/", {"mode": "debt", "amount": "10"}
        ).status_code
        == 404
    )
    assert PaymentOrder.objects.count() == 0
    order = _order(books, owner)
    for url in (
        f"/portal/sandbox/pay/{order.operation_id}/",
        f"/portal/payments/{order.operation_id}/",
    ):
        assert stranger.get(url).status_code == 404
    assert (
        stranger.post(f"/portal/sandbox/pay/{order.operation_id}/", {"action": "pay"}).status_code
        == 404
    )
    assert Payment.objects.count() == 0
    # an order whose account the owner has unlinked since is 404 too
    ResidentAccount.objects.filter(user=owner.user).delete()
    assert owner.get(f"/portal/payments/{order.operation_id}/").status_code == 404
    assert owner.get(f"/portal/accounts/{books.account.pk}/pay/").status_code == 404


def test_anonymous_users_are_sent_to_sign_in(books):
    response = Client().get(f"/portal/accounts/{books.account.pk}/pay/")
    assert response.status_code == 302 and "/portal/login/" in response["Location"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"mode": "debt", "amount": "0"}, "more than zero"),
        ({"mode": "debt", "amount": "-5"}, "more than zero"),
        ({"mode": "debt", "amount": "1000000,01"}, "may not exceed"),
        ({"mode": "debt", "amount": "много"}, "not an amount"),
        ({"mode": "debt", "amount": "1,234"}, "not an amount"),
        ({"mode": "debt", "amount": ""}, "Enter the amount"),
        ({"mode": "services"}, "at least one service"),
        ({"mode": "services", "service_WATER": "-3"}, "more than zero"),
        (
            {"mode": "services", "service_WATER": "600000", "service_HEAT": "500000"},
            "may not exceed",
        ),
        ({"mode": "bitcoin", "amount": "5"}, "bitcoin"),
    ],
)
def test_bad_amounts_are_refused_with_a_message(books, make_resident, data, message, settings):
    settings.LANGUAGE_CODE = "en"
    client = make_resident("r@example.ru", books.account)
    data = {
        k.replace("WATER", str(books.water.pk)).replace("HEAT", str(books.heat.pk)): v
        for k, v in data.items()
    }
    response, order = _pay(client, books.account, data)
    assert order is None and response.status_code == 200
    html = response.content.decode()
    assert message in html, re.sub(r"\s+", " ", html)[-3000:]
    assert Payment.objects.count() == 0


def test_the_limit_itself_is_accepted(books, make_resident):
    client = make_resident("r@example.ru", books.account)
    response, order = _pay(client, books.account, {"mode": "debt", "amount": "1 000 000,00"})
    assert response.status_code == 302 and order.amount_kopecks == 1_000_000_00
