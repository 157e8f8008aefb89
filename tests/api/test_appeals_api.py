"""API v1 appeals: the queue, one appeal, the answer; another organization's appeal is 404."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from raschet.appeals.models import Appeal, AppealState
from raschet.appeals.services import appeal_file
from raschet.organizations.models import Role
from raschet.organizations.services import membership_grant
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db


def _file(account, subject):
    return appeal_file(
        account=account, author=None, category="question", subject=subject, text="Текст"
    )


@pytest.fixture
def appeals(stock):
    return _file(stock.accounts[0], "Моё"), _file(stock.foreign_account, "Чужое")


def test_the_queue_lists_the_callers_appeals_only(token_client, appeals):
    mine, theirs = appeals
    body = token_client.get("/api/v1/appeals").json()
    assert [a["number"] for a in body["items"]] == [mine.number]
    assert body["items"][0]["account"] == mine.account.number
    assert body["items"][0]["due_on"] == f"{mine.due_on:%Y-%m-%d}"
    assert token_client.get(f"/api/v1/appeals/{theirs.pk}").status_code == 404
    answered = token_client.post(
        f"/api/v1/appeals/{theirs.pk}/answer",
        json.dumps({"answer": "x"}),
        content_type="application/json",
    )
    assert answered.status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == AppealState.NEW


def test_an_answer_through_the_api_and_a_second_one_refused(token_client, appeals):
    mine, _ = appeals
    url = f"/api/v1/appeals/{mine.pk}/answer"
    first = token_client.post(url, json.dumps({"answer": "Ответ"}), content_type="application/json")
    assert first.status_code == 200 and first.json()["state"] == "answered"
    assert [e["text"] for e in first.json()["events"]][-1]
    again = token_client.post(url, json.dumps({"answer": "Ещё"}), content_type="application/json")
    assert again.status_code == 409
    assert Appeal.objects.get(pk=mine.pk).answer == "Ответ"


def test_an_empty_answer_is_a_validation_error(token_client, appeals):
    mine, _ = appeals
    response = token_client.post(
        f"/api/v1/appeals/{mine.pk}/answer",
        json.dumps({"answer": ""}),
        content_type="application/json",
    )
    assert response.status_code == 422


def test_a_staff_session_without_the_permission_is_refused(stock, appeals):
    mine, _ = appeals
    user = get_user_model().objects.create_user("cashier", password="x", is_staff=True)
    membership_grant(user=user, organization=stock.organization, role=Role.CASHIER)
    client = Client()
    client.force_login(user)
    assert client.get(f"/api/v1/appeals/{mine.pk}").status_code == 403
    assert client.get("/api/v1/appeals").json()["items"] == []


def test_a_resident_session_gets_nothing(stock, appeals):
    mine, _ = appeals
    from tests.portal.conftest import resident

    tenant = resident("ivanova@example.ru", stock.accounts[0])
    assert tenant.get(f"/api/v1/appeals/{mine.pk}").status_code == 401
    assert Client(**bearer("not-a-token")).get("/api/v1/appeals").status_code == 401
