"""Who may call the API: bearer tokens of integrations, staff sessions, nobody else."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from raschet.api.models import ApiToken
from raschet.api.services import api_token_create, api_token_revoke
from tests.api.conftest import bearer
from tests.factories import OrganizationFactory

ENDPOINTS = ["/api/v1/organizations", "/api/v1/buildings", "/api/v1/premises", "/api/v1/accounts"]


def _detail_urls(stock) -> list[str]:
    return [
        f"/api/v1/buildings/{stock.buildings[0].pk}",
        f"/api/v1/premises/{stock.premises[0].pk}",
        f"/api/v1/accounts/{stock.accounts[0].pk}",
    ]


@pytest.mark.django_db
def test_every_endpoint_needs_authentication(stock):
    client = Client()
    for url in ENDPOINTS + _detail_urls(stock):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert isinstance(response.json()["detail"], str) and response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    ["Bearer nonsense", "Bearer ", "Token {token}", "Bearer {token}x", "Basic dXNlcjpwYXNz"],
)
def test_wrong_credentials_are_refused(stock, header):
    client = Client(HTTP_AUTHORIZATION=header.format(token=stock.token))
    assert client.get("/api/v1/buildings").status_code == 401


@pytest.mark.django_db
def test_a_valid_token_is_accepted_and_its_use_recorded(stock):
    token = ApiToken.objects.get(organization=stock.organization)
    assert token.last_used_at is None
    response = Client(**bearer(stock.token)).get("/api/v1/buildings")
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.django_db
def test_a_revoked_token_is_refused(stock):
    client = Client(**bearer(stock.token))
    assert client.get("/api/v1/buildings").status_code == 200
    api_token_revoke(token=ApiToken.objects.get(organization=stock.organization))
    response = client.get("/api/v1/buildings")
    assert response.status_code == 401
    assert "detail" in response.json()


@pytest.mark.django_db
def test_only_the_hash_and_a_short_prefix_are_stored():
    organization = OrganizationFactory()
    token, plain = api_token_create(organization=organization, name="  bank  ")
    token.refresh_from_db()
    assert token.name == "bank"
    assert token.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain.startswith(token.prefix) and len(token.prefix) < len(plain) // 2
    stored = [str(v) for v in ApiToken.objects.values().get(pk=token.pk).values()]
    assert plain not in stored
    history = token.history.values().first()
    assert "token_hash" not in history


@pytest.mark.django_db
def test_tokens_are_unique_and_a_blank_name_is_refused():
    organization = OrganizationFactory()
    plains = {api_token_create(organization=organization, name="x")[1] for _ in range(5)}
    assert len(plains) == 5
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        api_token_create(organization=organization, name="   ")
    assert "name" in error.value.message_dict
    assert ApiToken.objects.count() == 5


@pytest.mark.django_db
def test_revoking_twice_keeps_the_first_time():
    token, _ = api_token_create(organization=OrganizationFactory(), name="x")
    first = datetime(2025, 1, 1, tzinfo=UTC)
    api_token_revoke(token=token, now=first)
    api_token_revoke(token=token, now=datetime(2025, 2, 1, tzinfo=UTC))
    token.refresh_from_db()
    assert token.revoked_at == first


@pytest.mark.django_db
def test_a_session_of_a_non_staff_user_is_refused(stock):
    # membership_grant makes a user staff, so this user has none (a resident of the portal).
    user = get_user_model().objects.create_user("resident", password="x", is_staff=False)
    client = Client()
    client.force_login(user)
    assert client.get("/api/v1/buildings").status_code == 401
    user.is_staff = True
    user.save()
    assert client.get("/api/v1/buildings").json()["count"] == 0  # staff, but of nobody


@pytest.mark.django_db
def test_a_staff_session_is_accepted(staff_client):
    response = staff_client.get("/api/v1/buildings")
    assert response.status_code == 200
    assert response.json()["count"] == 2


@pytest.mark.django_db
def test_the_command_prints_a_working_token_once(stock):
    out, err = StringIO(), StringIO()
    call_command(
        "api_token_create", "--organization", "uk2", "--name", "GIS", stdout=out, stderr=err
    )
    plain = out.getvalue().strip()
    token = ApiToken.objects.get(name="GIS")
    assert token.organization == stock.other
    assert plain.startswith(token.prefix) and plain not in err.getvalue()
    response = Client(**bearer(plain)).get("/api/v1/buildings")
    assert [b["address"] for b in response.json()["items"]] == ["ул. Чужая, д. 9"]


@pytest.mark.django_db
def test_the_command_names_a_missing_organization():
    with pytest.raises(CommandError, match=r"--organization.*nope"):
        call_command("api_token_create", "--organization", "nope", "--name", "x")
    assert ApiToken.objects.count() == 0


@pytest.mark.django_db
def test_the_command_names_a_bad_name():
    OrganizationFactory(code="uk9")
    with pytest.raises(CommandError, match="--name"):
        call_command("api_token_create", "--organization", "uk9", "--name", "x" * 101)


@pytest.mark.django_db
def test_admin_lists_tokens_without_the_hash_and_revokes(stock, admin_client):
    token = ApiToken.objects.get(organization=stock.organization)
    page = admin_client.get("/admin/api/apitoken/")
    assert page.status_code == 200
    html = page.content.decode()
    assert token.prefix in html and token.token_hash not in html
    change = admin_client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert token.token_hash not in change
    response = admin_client.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client(**bearer(stock.token)).get("/api/v1/buildings").status_code == 401
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 2
