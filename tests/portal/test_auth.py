"""Residents reset a forgotten password by e-mail, sign-in refuses guessing for a while, and a
resident unlinks their own accounts only (issue 8 p.1)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import cast

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from raschet.housing.models import Account
from raschet.portal.models import ResidentAccount
from raschet.portal.views_auth import SIGNIN_EMAIL_LIMIT, SIGNIN_IP_LIMIT, SIGNIN_LOCKOUT
from tests.factories import AccountFactory
from tests.portal.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Novyi-Parol-2026!z"
SENT = (
    "If a resident with this e-mail is registered, we have sent a link to set a new password."
    " Check your mail, including the spam folder."
)
LOCKED = "Too many failed sign-in attempts. Try again after %(time)s."
START = "2026-03-02 10:00 +03:00"


def ru(msgid: str) -> str:
    with translation.override("ru"):
        return gettext(msgid)


def text(response) -> str:
    return response.content.decode()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The sign-in counts live in the cache: no test sees another's."""
    cache.clear()
    yield
    cache.clear()


def new_account() -> Account:
    return cast(Account, AccountFactory())


def user(email: str = "ivanova@example.ru", **extra):
    return get_user_model().objects.create_user(
        username=email, email=email, password=PASSWORD, **extra
    )


def sign_in(client: Client, email: str, password: str, ip: str = "10.0.0.1"):
    return client.post("/portal/login/", {"username": email, "password": password}, REMOTE_ADDR=ip)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- password reset -----------------------------------------------------------------------


def test_reset_mails_a_link_that_sets_a_new_password():
    resident = user()
    client = Client()
    response = client.post("/portal/password/reset/", {"email": "Ivanova@Example.ru"})
    assert response.status_code == 302
    assert response["Location"] == "/portal/password/reset/sent/"
    assert ru(SENT) in text(client.get(response["Location"]))
    assert len(mail.outbox) == 1
    letter = mail.outbox[0]
    assert letter.to == ["ivanova@example.ru"]
    link = re.search(r"https?://[^/\s]+(/portal/password/reset/\S+/)", str(letter.body))
    assert link is not None, letter.body

    form_page = client.get(link.group(1), follow=True)  # Django hides the token in the session
    assert form_page.status_code == 200 and 'id="password-set"' in text(form_page)
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/portal/password/reset/complete/"
    resident.refresh_from_db()
    assert resident.check_password(NEW_PASSWORD) and not resident.check_password(PASSWORD)

    fresh = Client()
    assert sign_in(fresh, "ivanova@example.ru", NEW_PASSWORD).status_code == 302
    assert signed_in(fresh)
    reused = Client().get(link.group(1), follow=True)  # a used link is spent
    assert 'id="invalid-link"' in text(reused) and 'id="password-set"' not in text(reused)


def test_unknown_email_shows_the_same_page_and_sends_nothing():
    user()
    known = Client().post("/portal/password/reset/", {"email": "ivanova@example.ru"})
    mail.outbox.clear()
    unknown = Client().post("/portal/password/reset/", {"email": "nobody@example.ru"})
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert mail.outbox == []


def test_staff_get_no_reset_mail_from_the_portal():
    user("clerk@example.ru", is_staff=True)
    response = Client().post("/portal/password/reset/", {"email": "clerk@example.ru"})
    assert response["Location"] == "/portal/password/reset/sent/"
    assert mail.outbox == []


def test_reset_with_a_broken_email_is_refused_with_a_message():
    response = Client().post("/portal/password/reset/", {"email": "not an e-mail"})
    assert response.status_code == 200
    assert 'class="error"' in text(response) and mail.outbox == []


def test_a_forged_reset_link_is_invalid():
    resident = user()
    response = Client().get(f"/portal/password/reset/{resident.pk}/abc-forged/", follow=True)
    assert 'id="invalid-link"' in text(response)


def test_sign_in_page_links_to_password_reset():
    response = Client().get("/portal/login/")
    assert 'href="/portal/password/reset/"' in text(response)
    assert 'id="login"' in text(response)  # the original form is still there


# --- sign-in protection -------------------------------------------------------------------


def test_five_failures_lock_the_email_even_for_the_right_password():
    user()
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        for _attempt in range(SIGNIN_EMAIL_LIMIT - 1):
            response = sign_in(client, "ivanova@example.ru", "wrong")
            assert response.status_code == 200
            assert ru(LOCKED).split("%")[0] not in text(response)
        fifth = sign_in(client, "ivanova@example.ru", "wrong")
        assert ru(LOCKED) % {"time": "10:15 02.03.2026"} in text(fifth)

        clock.shift(timedelta(minutes=5))
        refused = sign_in(client, "Ivanova@example.ru", PASSWORD)
        assert refused.status_code == 200 and not signed_in(client)
        assert ru(LOCKED) % {"time": "10:15 02.03.2026"} in text(refused)
        other_ip = sign_in(Client(), "ivanova@example.ru", PASSWORD, ip="10.9.9.9")
        assert other_ip.status_code == 200  # the e-mail is locked whatever the address

        clock.shift(SIGNIN_LOCKOUT)
        response = sign_in(client, "ivanova@example.ru", PASSWORD)
        assert response.status_code == 302 and signed_in(client)


def test_failures_spread_over_more_than_the_window_do_not_lock():
    user()
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        for _attempt in range(SIGNIN_EMAIL_LIMIT - 1):
            sign_in(client, "ivanova@example.ru", "wrong")
        clock.shift(timedelta(minutes=16))
        sign_in(client, "ivanova@example.ru", "wrong")
        assert sign_in(client, "ivanova@example.ru", PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_the_emails_count():
    user()
    with time_machine.travel(START, tick=False):
        for _attempt in range(SIGNIN_EMAIL_LIMIT - 1):
            sign_in(Client(), "ivanova@example.ru", "wrong")
        assert sign_in(Client(), "ivanova@example.ru", PASSWORD).status_code == 302
        for _attempt in range(SIGNIN_EMAIL_LIMIT - 1):
            sign_in(Client(), "ivanova@example.ru", "wrong")
        assert sign_in(Client(), "ivanova@example.ru", PASSWORD).status_code == 302


def test_twenty_failures_from_one_address_lock_the_address():
    user()
    with time_machine.travel(START, tick=False):
        for no in range(SIGNIN_IP_LIMIT):  # other e-mails each time: only the address counts
            sign_in(Client(), f"guess{no}@example.ru", "wrong", ip="10.6.6.6")
        refused = sign_in(Client(), "ivanova@example.ru", PASSWORD, ip="10.6.6.6")
        assert refused.status_code == 200
        assert ru(LOCKED) % {"time": "10:15 02.03.2026"} in text(refused)
        elsewhere = sign_in(Client(), "ivanova@example.ru", PASSWORD, ip="10.7.7.7")
        assert elsewhere.status_code == 302


def test_unknown_emails_are_counted_like_known_ones():
    """Otherwise the lock would tell which e-mails are registered."""
    with time_machine.travel(START, tick=False):
        for _attempt in range(SIGNIN_EMAIL_LIMIT):
            response = sign_in(Client(), "nobody@example.ru", "wrong")
        assert ru(LOCKED) % {"time": "10:15 02.03.2026"} in text(response)


def test_an_empty_sign_in_form_is_answered_and_not_counted():
    user()
    with time_machine.travel(START, tick=False):
        for _attempt in range(SIGNIN_EMAIL_LIMIT + 1):
            response = Client().post("/portal/login/", {"username": "", "password": ""})
            assert response.status_code == 200 and 'class="error"' in text(response)
        assert sign_in(Client(), "ivanova@example.ru", PASSWORD).status_code == 302


# --- unlinking ----------------------------------------------------------------------------


def test_a_resident_unlinks_their_own_account(make_resident):
    account, kept = new_account(), new_account()
    client = make_resident("ivanova@example.ru", account, kept)
    neighbour = make_resident("petrov@example.ru", account)  # a family links it too
    page = client.get(f"/portal/accounts/{account.pk}/")
    assert f'href="/portal/accounts/{account.pk}/unlink/"' in text(page)
    confirm = client.get(f"/portal/accounts/{account.pk}/unlink/")
    assert confirm.status_code == 200 and 'id="unlink"' in text(confirm)
    assert ResidentAccount.objects.filter(user=client.user, account=account).exists()

    response = client.post(f"/portal/accounts/{account.pk}/unlink/")
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert list(
        ResidentAccount.objects.filter(user=client.user).values_list("account_id", flat=True)
    ) == [kept.pk]
    assert ResidentAccount.objects.filter(user=neighbour.user, account=account).exists()
    assert client.get(f"/portal/accounts/{account.pk}/").status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_unlinking_an_account_not_linked_to_you_is_404(make_resident, method):
    mine, theirs, nobodys = new_account(), new_account(), new_account()
    client = make_resident("ivanova@example.ru", mine)
    make_resident("petrov@example.ru", theirs)
    for pk in (theirs.pk, nobodys.pk, 999_999):
        assert getattr(client, method)(f"/portal/accounts/{pk}/unlink/").status_code == 404
    assert ResidentAccount.objects.count() == 2


def test_unlinking_needs_a_signed_in_resident():
    account = new_account()
    response = Client().post(f"/portal/accounts/{account.pk}/unlink/")
    assert response.status_code == 302 and response["Location"].startswith("/portal/login/")
