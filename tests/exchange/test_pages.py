"""The back office page: export download, answer upload with its errors, the log."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from raschet.exchange.models import ExchangeRun
from raschet.organizations.services import membership_grant, roles_sync
from tests.exchange.conftest import DATA
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_in(stock):
    roles_sync()
    user = get_user_model().objects.create_user("operator", password="x")
    membership_grant(user=user, organization=stock.organization, role="operator")
    client = Client()
    client.force_login(user)
    return client


def test_page_shows_forms_and_is_linked_from_the_index(client_in):
    page = client_in.get(reverse("backoffice:exchange"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="exchange-export"' in html and 'id="exchange-import"' in html
    index = client_in.get(reverse("admin:index")).content.decode()
    assert reverse("backoffice:exchange") in index


def test_export_downloads_the_file(billed, client_in):
    response = client_in.get(
        reverse("backoffice:exchange_export"),
        {"organization": billed.organization.pk, "period": "2025-01", "layout": "default-csv"},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="szn-uk-exchange-2025-01.csv"'
    assert "Петров".encode("cp1251") in response.content
    bad = client_in.get(
        reverse("backoffice:exchange_export"),
        {"organization": billed.organization.pk, "period": "2025-13", "layout": "default"},
    )
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()


def test_upload_of_a_bad_answer_shows_every_error_then_a_good_one_applies(stock, client_in):
    def upload(name):
        return client_in.post(
            reverse("backoffice:exchange"),
            {
                "organization": stock.organization.pk,
                "layout": "answer-csv",
                "file": SimpleUploadedFile(name, (DATA / name).read_bytes()),
            },
            follow=True,
        )

    page = upload("answer_bad.csv").content.decode()
    assert 'id="exchange-refused"' in page
    assert 'data-line="2" data-field="snils"' in page
    assert "нет лицевого счёта 999999" in page
    page = upload("answer.csv").content.decode()
    assert 'data-state="done"' in page
    assert ExchangeRun.objects.filter(state="done").count() == 1
    log = client_in.get(reverse("backoffice:exchange")).content.decode()
    assert log.count('class="exchange-run"') == 2


def test_runs_of_other_organizations_are_404_and_permissions_hold(stock, client_in):
    other = OrganizationFactory()
    foreign = ExchangeRun.objects.create(
        organization=other,
        direction="export",
        state="done",
        layout="default",
        file_name="x.dbf",
        sha256="0",
    )
    assert client_in.get(reverse("backoffice:exchange_run", args=[foreign.pk])).status_code == 404
    nobody = get_user_model().objects.create_user("clerk", password="x", is_staff=True)
    client = Client()
    client.force_login(nobody)
    assert client.get(reverse("backoffice:exchange")).status_code == 403
