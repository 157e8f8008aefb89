"""Payment documents (ЕПД) in the resident portal: the closed months of a linked account with
the archived document of each, a PDF download printed on demand when the month has none yet,
the printing service's refusal shown in Russian, and nobody reading another resident's
documents."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from raschet.documents.models import PaymentDocument
from raschet.documents.services import documents_print
from raschet.housing.models import Account
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.ledger.services import ledger_snapshot_month
from raschet.organizations.models import ClosedMonth, Organization, OrganizationKind
from tests.factories import AccountFactory, OrganizationFactory, PremisesFactory, ServiceFactory

pytestmark = pytest.mark.django_db

SEP = date(2026, 9, 1)
OCT = date(2026, 10, 1)
NOV = date(2026, 11, 1)
BANK = "ПАО Сбербанк"


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    """The archive and the portal's output folder live in the test's own folder."""
    settings.DATA_DIR = tmp_path


def account_with_bank(number: str, **kw) -> Account:
    account = AccountFactory(number=number, **kw)
    org = account.organization
    if not org.bank_name:
        org.bank_name = BANK
        org.save(update_fields=["bank_name"])
    return account


def charge(account: Account, period: date, kopecks: int, payee: Organization | None = None):
    service = ServiceFactory(organization=account.organization)
    LedgerEntry.objects.create(
        organization=account.organization,
        account=account,
        service=service,
        payee=payee or account.organization,
        period=period,
        corrects_period=period,
        kind=EntryKind.CHARGE,
        amount_kopecks=kopecks,
        posted_at=timezone.now(),
    )


def close(organization: Organization, period: date) -> None:
    """What `billing_month_close` does after checking the posted run: the snapshot, the mark."""
    ledger_snapshot_month(organization_id=organization.pk, period=period)
    ClosedMonth.objects.create(organization=organization, month=period)


def documents_url(account: Account) -> str:
    return f"/portal/accounts/{account.pk}/documents/"


def download_url(account: Account, period: date) -> str:
    return f"/portal/accounts/{account.pk}/documents/{period:%Y-%m}.pdf"


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def flat(make_resident):
    """Account 11000001 charged 1 234,56 ₽ in October 2026, the month closed; its resident."""
    account = account_with_bank("11000001")
    charge(account, OCT, 1234_56)
    close(account.organization, OCT)
    return account, make_resident("ivanova@example.ru", account)


# --- the page ---------------------------------------------------------------------------------


def test_account_overview_links_to_the_documents_page(flat):
    account, client = flat
    page = text(client.get(f"/portal/accounts/{account.pk}/"))
    assert f'href="{documents_url(account)}"' in page
    assert "Платёжные документы" in page


def test_page_lists_closed_months_with_a_download_link(flat):
    account, client = flat
    response = client.get(documents_url(account))
    assert response.status_code == 200
    page = text(response)
    assert "Платёжные документы" in page
    assert "10.2026" in page
    assert "ещё не напечатан</td>" in page
    assert f'href="{download_url(account, OCT)}"' in page
    assert "Скачать PDF" in page
    assert [m.period for m in response.context["months"]] == [OCT]


def test_page_shows_the_latest_archived_version_with_its_amount_and_date(flat, tmp_path):
    account, client = flat
    for _ in range(2):
        documents_print(
            organization=account.organization,
            period=OCT,
            out_dir=tmp_path / "out",
            account_numbers=[account.number],
        )
    latest = PaymentDocument.objects.get(account_id=account.pk, version=2)
    response = client.get(documents_url(account))
    page = text(response)
    assert response.context["months"][0].document == latest
    assert "1\u00a0234,56" in page
    assert timezone.localtime(latest.printed_at).strftime("%d.%m.%Y") in page
    assert "ещё не напечатан</td>" not in page


def test_only_closed_months_while_the_account_was_open_are_listed(make_resident):
    account = account_with_bank("11000002", opened_on=OCT)
    org = account.organization
    charge(account, OCT, 100_00)
    charge(account, NOV, 100_00)
    close(org, SEP)  # before the account was opened
    close(org, OCT)  # NOV stays open
    client = make_resident("petrov@example.ru", account)
    response = client.get(documents_url(account))
    assert [m.period for m in response.context["months"]] == [OCT]
    assert client.get(download_url(account, SEP)).status_code == 404  # not open yet
    assert client.get(download_url(account, NOV)).status_code == 404  # not closed
    assert PaymentDocument.objects.count() == 0


def test_no_closed_months_says_so_in_russian(make_resident):
    account = account_with_bank("11000003")
    client = make_resident("sidorov@example.ru", account)
    page = text(client.get(documents_url(account)))
    assert "Закрытых месяцев пока нет" in page


def test_page_query_count_does_not_grow_with_the_months(make_resident, tmp_path):
    account = account_with_bank("11000004", opened_on=date(2026, 1, 1))
    client = make_resident("kuznetsova@example.ru", account)
    org = account.organization

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(documents_url(account)).status_code == 200
        return len(ctx.captured_queries)

    charge(account, date(2026, 1, 1), 100_00)
    close(org, date(2026, 1, 1))
    documents_print(organization=org, period=date(2026, 1, 1), out_dir=tmp_path / "o")
    few = queries()
    for month in range(2, 6):
        period = date(2026, month, 1)
        charge(account, period, 100_00)
        close(org, period)
        documents_print(organization=org, period=period, out_dir=tmp_path / "o")
    assert len(PaymentDocument.objects.filter(account_id=account.pk)) == 5
    assert queries() == few


# --- download ---------------------------------------------------------------------------------


def test_download_prints_on_demand_once_and_serves_the_pdf(flat, settings):
    account, client = flat
    response = client.get(download_url(account, OCT))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="epd-2026-10-11000001.pdf"'
    assert response.content.startswith(b"%PDF")
    document = PaymentDocument.objects.get()
    assert (document.account_id, document.period, document.version) == (account.pk, OCT, 1)
    assert document.amount_due == 1234_56 and document.printed_by is None
    assert (settings.DATA_DIR / "documents" / "portal-out" / "2026-10-11000001.pdf").exists()

    again = client.get(download_url(account, OCT))
    assert again.status_code == 200 and again.content == response.content
    assert PaymentDocument.objects.count() == 1  # served from the archive, not printed again


def test_download_serves_the_residents_page_cut_from_a_building_bundle(flat, tmp_path):
    account, client = flat
    account_with_bank("11000009", premises=PremisesFactory(building=account.premises.building))
    job = documents_print(
        organization=account.organization, period=OCT, out_dir=tmp_path / "b", bundle=True
    )
    assert job.state == "done" and job.files.get().pages == 2
    response = client.get(download_url(account, OCT))
    assert response.status_code == 200
    pdf = PdfReader(BytesIO(response.content))
    assert len(pdf.pages) == 1
    assert "11000001" in pdf.pages[0].extract_text()
    assert PaymentDocument.objects.count() == 2  # nothing printed on demand


def test_download_of_a_re_issued_month_serves_the_latest_version(flat, tmp_path):
    account, client = flat
    first = documents_print(
        organization=account.organization,
        period=OCT,
        out_dir=tmp_path / "1",
        account_numbers=[account.number],
    )
    second = documents_print(
        organization=account.organization,
        period=OCT,
        out_dir=tmp_path / "2",
        account_numbers=[account.number],
    )
    latest = PaymentDocument.objects.get(version=2)
    assert latest.file.job == second and first != second
    response = client.get(download_url(account, OCT))
    with open(latest.file.path, "rb") as archived:
        assert response.content == archived.read()


def test_printing_refused_shows_the_reason_in_russian_and_stores_nothing(make_resident):
    account = account_with_bank("11000005")
    supplier = OrganizationFactory(
        kind=OrganizationKind.SUPPLIER,
        short_name="Водоканал",
        bank_name=BANK,
        settlement_account="40702810938000000002",  # fails the BIC check key
    )
    charge(account, OCT, 500_00, payee=supplier)
    close(account.organization, OCT)
    client = make_resident("orlova@example.ru", account)
    response = client.get(download_url(account, OCT), follow=True)
    assert response.redirect_chain == [(documents_url(account), 302)]
    page = text(response)
    assert "Платёжный документ за 10.2026 сейчас не может быть подготовлен" in page
    assert "Получатель платежа «Водоканал»" in page
    assert PaymentDocument.objects.count() == 0


def test_missing_archived_file_is_a_message_not_a_crash(flat):
    account, client = flat
    assert client.get(download_url(account, OCT)).status_code == 200
    document = PaymentDocument.objects.get()
    from pathlib import Path

    Path(document.file.path).unlink()
    response = client.get(download_url(account, OCT), follow=True)
    assert response.status_code == 200
    assert "Архивный файл ЕПД не найден" in text(response)


# --- access -----------------------------------------------------------------------------------


def test_someone_elses_account_is_404_and_prints_nothing(flat, make_resident):
    account, _owner = flat
    stranger = make_resident("stranger@example.ru", account_with_bank("11000006"))
    assert stranger.get(documents_url(account)).status_code == 404
    assert stranger.get(download_url(account, OCT)).status_code == 404
    assert PaymentDocument.objects.count() == 0


def test_staff_see_no_resident_documents(flat, django_user_model):
    account, _owner = flat
    staff = django_user_model.objects.create_user(username="op", password="x", is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get(download_url(account, OCT)).status_code == 404


def test_not_logged_in_is_sent_to_the_login_page(flat):
    account, _client = flat
    for url in (documents_url(account), download_url(account, OCT)):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/portal/login/?next=")
    assert PaymentDocument.objects.count() == 0


@pytest.mark.parametrize("period", ["2026-11", "2026-13", "26-10", "0000-01"])
def test_a_month_not_closed_or_not_a_month_is_404(flat, period):
    account, client = flat
    response = client.get(f"/portal/accounts/{account.pk}/documents/{period}.pdf")
    assert response.status_code == 404
    assert PaymentDocument.objects.count() == 0
