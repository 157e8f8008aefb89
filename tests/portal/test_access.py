"""Residents sign up, sign in and out, and link accounts by number and access code; nobody
opens an account that is not linked to them (issue 8)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from raschet.portal.models import CODE_ALPHABET, LinkAttempt, ResidentAccount
from raschet.portal.services import (
    LinkRefused,
    PortalError,
    access_code_for,
    account_link,
    lockout_until,
)
from tests.factories import AccountFactory
from tests.portal.conftest import PASSWORD

pytestmark = pytest.mark.django_db

WRONG = "The account number or the access code is wrong. Check them on the payment document."


def ru(msgid: str) -> str:
    """The message as a Russian page shows it (the msgid until the catalogue has it)."""
    with translation.override("ru"):
        return gettext(msgid)


def text(response) -> str:
    return response.content.decode()


# --- sign-up, sign-in, sign-out -----------------------------------------------------------


def test_sign_up_creates_a_resident_and_signs_in():
    client = Client()
    response = client.post(
        "/portal/signup/",
        {"email": " Ivanova@Example.RU ", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == "/portal/link/"
    user = get_user_model().objects.get()
    assert (user.username, user.email) == ("ivanova@example.ru", "ivanova@example.ru")
    assert not user.is_staff and not user.is_superuser and user.check_password(PASSWORD)
    assert client.get("/portal/link/").status_code == 200  # signed in


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"email": "a@example.ru", "password1": PASSWORD, "password2": PASSWORD + "1"},
            "password2",
        ),
        ({"email": "a@example.ru", "password1": "12345", "password2": "12345"}, "password2"),
        ({"email": "not-an-email", "password1": PASSWORD, "password2": PASSWORD}, "email"),
        ({"email": "", "password1": PASSWORD, "password2": PASSWORD}, "email"),
    ],
    ids=["mismatch", "weak-password", "bad-email", "no-email"],
)
def test_sign_up_refuses_bad_input(data, field):
    response = Client().post("/portal/signup/", data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert 'class="error"' in text(response)
    assert not get_user_model().objects.exists()


def test_sign_up_refuses_a_taken_email(make_resident):
    make_resident("taken@example.ru")
    response = Client().post(
        "/portal/signup/",
        {"email": "TAKEN@example.ru", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert ru("A resident with this e-mail is already registered.") in text(response)
    assert get_user_model().objects.count() == 1


def test_sign_in_with_the_email_and_sign_out(make_resident):
    make_resident("petrov@example.ru")
    client = Client()
    response = client.post(
        "/portal/login/", {"username": "Petrov@Example.ru", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert "_auth_user_id" in client.session
    assert client.post("/portal/logout/").status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get("/portal/link/")["Location"].startswith("/portal/login/")


def test_sign_in_with_a_wrong_password_fails(make_resident):
    make_resident("petrov@example.ru")
    client = Client()
    response = client.post("/portal/login/", {"username": "petrov@example.ru", "password": "x"})
    assert response.status_code == 200 and "form-errors" in text(response)
    assert "_auth_user_id" not in client.session


def test_staff_cannot_sign_in_to_the_portal():
    get_user_model().objects.create_user("clerk@example.ru", password=PASSWORD, is_staff=True)
    client = Client()
    response = client.post("/portal/login/", {"username": "clerk@example.ru", "password": PASSWORD})
    assert response.status_code == 200
    assert ru("This is a staff account: sign in to the back office.") in text(response)
    assert "_auth_user_id" not in client.session


# --- access codes and linking --------------------------------------------------------------


def test_access_code_is_eight_unambiguous_characters_and_stable():
    account = AccountFactory()
    code = access_code_for(account)
    assert len(code) == 8 and set(code) <= set(CODE_ALPHABET)
    assert not set(code) & set("0O1IL")
    assert access_code_for(account) == code
    assert access_code_for(AccountFactory()) != code  # 31^8 codes: a clash is not plausible


def test_link_with_the_right_code(make_resident):
    account = AccountFactory(number="555001")
    code = access_code_for(account)
    client = make_resident("r@example.ru")
    typed = f" {code[:4].lower()}-{code[4:]} "  # as people type it from paper
    response = client.post("/portal/link/", {"number": "555001", "code": typed})
    assert response.status_code == 302
    assert response["Location"] == f"/portal/accounts/{account.pk}/"
    link = ResidentAccount.objects.get()
    assert (link.user, link.account, link.organization_id) == (
        client.user,
        account,
        account.organization_id,
    )
    assert client.get(response["Location"]).status_code == 200
    # linking again keeps one link
    client.post("/portal/link/", {"number": "555001", "code": code})
    assert ResidentAccount.objects.count() == 1


@pytest.mark.parametrize(
    ("number", "code"),
    [("555001", "WRONG234"), ("999999", None), ("555001", "")],
    ids=["wrong-code", "unknown-number", "empty-code"],
)
def test_link_with_a_bad_code_is_refused_with_a_clear_message(make_resident, number, code):
    account = AccountFactory(number="555001")
    real = access_code_for(account)
    client = make_resident("r@example.ru")
    response = client.post(
        "/portal/link/", {"number": number, "code": real if code is None else code}
    )
    assert response.status_code == 200
    assert not ResidentAccount.objects.exists()
    if code == "":
        assert response.context["form"].errors["code"]  # required
    else:
        assert ru(WRONG) in text(response)


def test_a_code_of_another_account_does_not_open_this_one(make_resident):
    mine, other = AccountFactory(number="555001"), AccountFactory(number="555002")
    access_code_for(mine)
    client = make_resident("r@example.ru")
    response = client.post("/portal/link/", {"number": "555001", "code": access_code_for(other)})
    assert ru(WRONG) in text(response) and not ResidentAccount.objects.exists()


def test_the_same_number_in_two_organizations_links_the_one_the_code_belongs_to(make_resident):
    first, second = AccountFactory(number="777"), AccountFactory(number="777")
    assert first.organization_id != second.organization_id
    access_code_for(first)
    client = make_resident("r@example.ru")
    client.post("/portal/link/", {"number": "777", "code": access_code_for(second)})
    assert ResidentAccount.objects.get().account == second


def test_five_wrong_codes_in_an_hour_lock_linking_for_an_hour(make_resident):
    account = AccountFactory(number="555001")
    code = access_code_for(account)
    user = make_resident("r@example.ru").user
    start = datetime(2025, 3, 1, 7, 0, tzinfo=UTC)
    for minute in range(4):
        with pytest.raises(PortalError) as exc:
            account_link(
                user=user, number="555001", code="XXXXXXXX", now=start + timedelta(minutes=minute)
            )
        assert not isinstance(exc.value, LinkRefused)
    fifth = start + timedelta(minutes=30)
    with pytest.raises(LinkRefused) as refused:  # the fifth wrong code locks at once
        account_link(user=user, number="555001", code="XXXXXXXX", now=fifth)
    assert refused.value.until == fifth + timedelta(hours=1)
    assert LinkAttempt.objects.filter(user=user).count() == 5
    # even the right code is refused while locked, and the refusal is not counted
    with pytest.raises(LinkRefused):
        account_link(user=user, number="555001", code=code, now=fifth + timedelta(minutes=59))
    assert LinkAttempt.objects.filter(user=user).count() == 5
    assert not ResidentAccount.objects.exists()
    # an hour after the fifth wrong code it works again
    assert lockout_until(user=user, now=fifth + timedelta(hours=1)) is None
    link = account_link(user=user, number="555001", code=code, now=fifth + timedelta(hours=1))
    assert link.account == account


def test_wrong_codes_spread_over_more_than_an_hour_do_not_lock(make_resident):
    account = AccountFactory(number="555001")
    code = access_code_for(account)
    user = make_resident("r@example.ru").user
    start = datetime(2025, 3, 1, 7, 0, tzinfo=UTC)
    for n in range(6):
        with pytest.raises(PortalError) as exc:
            account_link(
                user=user, number="555001", code="XXXXXXXX", now=start + n * timedelta(minutes=20)
            )
        assert not isinstance(exc.value, LinkRefused), n
    assert account_link(user=user, number="555001", code=code, now=start + timedelta(hours=2))


def test_lockout_is_per_user_and_shown_on_the_page(make_resident):
    account = AccountFactory(number="555001")
    code = access_code_for(account)
    client = make_resident("r@example.ru")
    for _ in range(5):
        client.post("/portal/link/", {"number": "555001", "code": "XXXXXXXX"})
    response = client.post("/portal/link/", {"number": "555001", "code": code})
    assert response.status_code == 200 and not ResidentAccount.objects.exists()
    locked_msgid = "Too many wrong access codes. Try again after %(time)s."
    assert ru(locked_msgid).split("%(time)s")[0] in text(response)
    other = make_resident("s@example.ru")  # another resident is not locked
    assert other.post("/portal/link/", {"number": "555001", "code": code}).status_code == 302


def test_staff_cannot_link_accounts(admin_user):
    account = AccountFactory(number="555001")
    with pytest.raises(PortalError):
        account_link(
            user=admin_user, number="555001", code=access_code_for(account), now=timezone.now()
        )
    assert not ResidentAccount.objects.exists()


# --- nobody sees an account not linked to them ----------------------------------------------


def test_account_urls_answer_404_unless_the_account_is_linked(make_resident):
    mine = AccountFactory()
    neighbour = AccountFactory(premises__building=mine.premises.building)  # same organization
    assert neighbour.organization_id == mine.organization_id
    elsewhere = AccountFactory()  # another organization
    me = make_resident("me@example.ru", mine)
    make_resident("neighbour@example.ru", neighbour)  # linked to another resident
    assert me.get(f"/portal/accounts/{mine.pk}/").status_code == 200
    for account_id in (neighbour.pk, elsewhere.pk, elsewhere.pk + 1000):
        assert me.get(f"/portal/accounts/{account_id}/").status_code == 404
        assert me.get(f"/portal/accounts/{account_id}/?month=2025-01").status_code == 404
    home = text(me.get("/portal/"))
    assert (
        f"/portal/accounts/{mine.pk}/" in home and f"/portal/accounts/{neighbour.pk}/" not in home
    )


def test_anonymous_visitors_are_sent_to_sign_in():
    account = AccountFactory()
    response = Client().get(f"/portal/accounts/{account.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/portal/login/?next=/portal/accounts/{account.pk}/"


def test_a_staff_user_is_not_a_resident(admin_client, make_resident):
    """A superuser sees every account in the back office, and none in the portal."""
    account = AccountFactory()
    make_resident("owner@example.ru", account)
    assert admin_client.get(f"/portal/accounts/{account.pk}/").status_code == 404
    home = admin_client.get("/portal/")
    assert home.status_code == 200 and account.number not in text(home)
    assert 'id="no-accounts"' in text(home)
