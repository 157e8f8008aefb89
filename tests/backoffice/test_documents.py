"""Payment documents (ЕПД) in the back office: the archive on the account card, a re-issue
for one account, a building's bundle, each within the organizations the operator serves and
with the printing service's refusals shown in Russian."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from raschet.documents.models import PaymentDocument, PrintFile, PrintJob
from raschet.housing.models import Account, Premises
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.ledger.services import ledger_snapshot_month
from raschet.organizations.models import ClosedMonth, Organization, OrganizationKind, Role
from raschet.organizations.services import roles_sync

from .conftest import Stock, make_staff

pytestmark = pytest.mark.django_db

OCT = date(2026, 10, 1)
NOV = date(2026, 11, 1)
BANK = {
    "bic": "044525225",
    "settlement_account": "40702810938000000001",
    "correspondent_account": "30101810400000000225",
    "bank_name": "ПАО Сбербанк",
}


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    roles_sync()


def with_bank(org: Organization) -> Organization:
    for name, value in BANK.items():
        setattr(org, name, value)
    org.save()
    return org


def charge(stock: Stock, account: Account, period: date, kopecks: int, payee=None) -> None:
    LedgerEntry.objects.create(
        organization=stock.organization,
        account=account,
        service=stock.service,
        payee=payee or stock.organization,
        period=period,
        corrects_period=period,
        kind=EntryKind.CHARGE,
        amount_kopecks=kopecks,
        posted_at=timezone.now(),
    )


def close(org: Organization, period: date) -> None:
    """What `billing_month_close` does after checking the posted run: the snapshot, the mark."""
    ledger_snapshot_month(organization_id=org.pk, period=period)
    ClosedMonth.objects.create(organization=org, month=period)


@pytest.fixture
def closed(stock_a) -> Stock:
    """Organization A with its bank details; account A-1 charged 870,50 ₽ in October 2026,
    October closed."""
    with_bank(stock_a.organization)
    charge(stock_a, stock_a.account, OCT, 870_50)
    close(stock_a.organization, OCT)
    return stock_a


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def operator(closed) -> Client:
    return signed_in(make_staff("operator", closed.organization, Role.OPERATOR))


def card(client: Client, account: Account):
    return client.get(reverse("backoffice:account_card", args=[account.pk]), {"on": "2026-11-15"})


def issue(client: Client, account: Account, period: str = "2026-10"):
    return client.post(
        reverse("backoffice:account_documents_print", args=[account.pk]), {"period": period}
    )


def notes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def text(response) -> str:
    return response.content.decode()


# --- the account card -------------------------------------------------------------------------


def test_card_lists_closed_months_with_an_issue_button(operator, closed):
    response = card(operator, closed.account)
    page = text(response)
    assert response.status_code == 200
    assert "Платёжные документы (ЕПД)" in page
    assert "ещё не напечатан" in page
    assert "Выпустить ЕПД 10.2026" in page
    action = reverse("backoffice:account_documents_print", args=[closed.account.pk])
    assert f'action="{action}"' in page
    assert [m.period for m in response.context["epd_months"]] == [OCT]


def test_issue_prints_version_1_then_a_re_issue_is_version_2(operator, closed):
    account = closed.account
    first = issue(operator, account)
    card_url = reverse("backoffice:account_card", args=[account.pk]) + "#card-documents"
    assert first.status_code == 302 and first["Location"] == card_url
    assert notes(first) == ["ЕПД за 10.2026 выпущен: версия 1, к оплате 870,50 ₽."]
    document = PaymentDocument.objects.get()
    assert (document.account_id, document.period, document.version) == (account.pk, OCT, 1)
    assert document.amount_due == 870_50
    assert document.printed_by.username == "operator"

    second = issue(operator, account)
    assert notes(second)[-1] == "ЕПД за 10.2026 выпущен: версия 2, к оплате 870,50 ₽."
    versions = list(
        PaymentDocument.objects.filter(account_id=account.pk, period=OCT)
        .order_by("version")
        .values_list("version", "changed")
    )
    assert versions == [(1, False), (2, False)]  # nothing changed in the closed month

    page = text(card(operator, account))
    assert page.count('class="epd-document"') == 2
    assert 'data-version="2"' in page and "870,50" in page
    assert "ещё не напечатан" not in page


def test_download_an_archived_version(operator, closed):
    issue(operator, closed.account)
    document = PaymentDocument.objects.get()
    response = operator.get(reverse("backoffice:payment_document", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="epd-2026-10-A-1-v1.pdf"'
    assert response.content.startswith(b"%PDF")
    assert response.content == Path(document.file.path).read_bytes()
    page = text(card(operator, closed.account))
    assert reverse("backoffice:payment_document", args=[document.pk]) in page


def test_missing_archived_file_is_a_message(operator, closed):
    issue(operator, closed.account)
    document = PaymentDocument.objects.get()
    Path(document.file.path).unlink()
    response = operator.get(reverse("backoffice:payment_document", args=[document.pk]))
    assert response.status_code == 302
    assert any("Архивный файл ЕПД не найден" in n for n in notes(response))


def test_payee_with_bad_bank_details_is_refused_in_russian(operator, closed):
    supplier = Organization.objects.create(
        code="vodokanal",
        kind=OrganizationKind.SUPPLIER,
        name="АО «Водоканал»",
        short_name="Водоканал",
        inn="7736207543",
        **{**BANK, "settlement_account": "40702810938000000002"},  # wrong check key
    )
    charge(closed, closed.account, NOV, 300_00, payee=supplier)
    close(closed.organization, NOV)
    response = issue(operator, closed.account, "2026-11")
    assert response.status_code == 302
    [message] = notes(response)
    assert message.startswith("Получатель платежа «Водоканал» (код vodokanal)")
    assert PaymentDocument.objects.count() == 0 and PrintJob.objects.count() == 0


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2026-11", "Месяц 11.2026 не закрыт"),
        ("2026-13", "месяц должен быть от 1 до 12"),
        ("октябрь", "период должен иметь вид ГГГГ-ММ"),
    ],
)
def test_month_not_closed_or_not_a_month_is_refused(operator, closed, period, expected):
    response = issue(operator, closed.account, period)
    assert response.status_code == 302
    assert any(expected in n for n in notes(response)), notes(response)
    assert PaymentDocument.objects.count() == 0


def test_issue_needs_post(operator, closed):
    url = reverse("backoffice:account_documents_print", args=[closed.account.pk])
    assert operator.get(url, {"period": "2026-10"}).status_code == 405
    assert PaymentDocument.objects.count() == 0


def test_card_query_count_does_not_grow_with_documents(operator, closed):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert card(operator, closed.account).status_code == 200
        return len(ctx.captured_queries)

    issue(operator, closed.account)
    few = queries()
    charge(closed, closed.account, NOV, 100_00)
    close(closed.organization, NOV)
    for period in ("2026-10", "2026-11", "2026-11"):
        issue(operator, closed.account, period)
    assert PaymentDocument.objects.count() == 4
    assert queries() == few


# --- permissions and tenancy ------------------------------------------------------------------


def test_another_organizations_operator_gets_404(closed, stock_b):
    issue(signed_in(make_staff("operator-a", closed.organization, Role.OPERATOR)), closed.account)
    document = PaymentDocument.objects.get()
    outsider = signed_in(make_staff("operator-b", stock_b.organization, Role.OPERATOR))
    assert (
        outsider.get(reverse("backoffice:payment_document", args=[document.pk])).status_code == 404
    )
    assert issue(outsider, closed.account).status_code == 404
    assert (
        outsider.get(reverse("backoffice:print_job", args=[document.file.job_id])).status_code
        == 404
    )
    assert (
        outsider.get(reverse("backoffice:print_file", args=[document.file_id])).status_code == 404
    )
    assert PaymentDocument.objects.count() == 1
    jobs = outsider.get(reverse("backoffice:documents_bundle")).context["jobs"]
    assert jobs == []


def test_cashier_sees_and_downloads_but_does_not_print(closed):
    cashier = signed_in(make_staff("cashier", closed.organization, Role.CASHIER))
    operator = signed_in(make_staff("operator", closed.organization, Role.OPERATOR))
    issue(operator, closed.account)
    page = text(card(cashier, closed.account))
    assert "Платёжные документы (ЕПД)" in page and "Выпустить ЕПД" not in page
    document = PaymentDocument.objects.get()
    assert (
        cashier.get(reverse("backoffice:payment_document", args=[document.pk])).status_code == 200
    )
    assert issue(cashier, closed.account).status_code == 403
    assert PaymentDocument.objects.count() == 1


def test_passport_officer_sees_no_documents(closed):
    officer = signed_in(make_staff("officer", closed.organization, Role.PASSPORT_OFFICER))
    response = card(officer, closed.account)
    assert response.status_code == 200
    assert "Платёжные документы (ЕПД)" not in text(response)
    assert officer.get(reverse("backoffice:documents_bundle")).status_code == 403
    assert issue(officer, closed.account).status_code == 403


def test_anonymous_is_sent_to_the_admin_login(closed):
    response = issue(Client(), closed.account)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert PaymentDocument.objects.count() == 0


# --- a building's bundle ----------------------------------------------------------------------


def _second_flat(stock: Stock, number: str) -> Account:
    premises = Premises.objects.create(
        organization=stock.organization,
        building=stock.building,
        number="3",
        area_total_m2=Decimal("40.00"),
    )
    return Account.objects.create(
        organization=stock.organization,
        number=number,
        premises=premises,
        opened_on=date(2020, 1, 1),
        payer_name="Петров Пётр Петрович",
    )


def test_bundle_prints_the_building_and_offers_the_file(operator, closed):
    page = operator.get(reverse("backoffice:documents_bundle"))
    assert page.status_code == 200
    assert "Печать ЕПД по дому" in text(page)
    assert "Недавние задания печати" in text(page)

    neighbour = _second_flat(closed, "A-2")  # opened before October: a zero document
    response = operator.post(
        reverse("backoffice:documents_bundle"),
        {"period": "2026-10", "building": closed.building.pk},
    )
    job = PrintJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:print_job", args=[job.pk])
    assert (job.state, job.bundle, job.done, job.total) == ("done", True, 2, 2)
    printed = PrintFile.objects.get(job=job)
    assert printed.pages == 2 and printed.building_id == closed.building.pk
    assert Path(printed.path).name == f"2026-10-building-{closed.building.pk}.pdf"
    assert (Path(job.out_dir) / Path(printed.path).name).exists()
    assert str(Path(job.out_dir)).endswith("documents/out")
    docs = dict(PaymentDocument.objects.values_list("account_id", "amount_due"))
    assert docs == {closed.account.pk: 870_50, neighbour.pk: 0}

    job_page = operator.get(response["Location"])
    assert "Готово" in text(job_page)
    download = reverse("backoffice:print_file", args=[printed.pk])
    assert download in text(job_page)
    pdf = operator.get(download)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    body = b"".join(pdf.streaming_content)
    assert body.startswith(b"%PDF") and len(PdfReader(BytesIO(body)).pages) == 2


def test_bundle_of_an_open_month_shows_the_refusal(operator, closed):
    response = operator.post(
        reverse("backoffice:documents_bundle"),
        {"period": "2026-11", "building": closed.building.pk},
    )
    assert response.status_code == 200
    assert "Месяц 11.2026 не закрыт" in text(response)
    assert PrintJob.objects.count() == 0


def test_bundle_form_errors_are_russian(operator, closed, stock_b):
    response = operator.post(
        reverse("backoffice:documents_bundle"),
        {"period": "10.2026", "building": stock_b.building.pk},  # another organization's
    )
    page = text(response)
    assert response.status_code == 200
    assert "период должен иметь вид ГГГГ-ММ" in page
    assert "Выберите корректный вариант" in page
    assert PrintJob.objects.count() == 0


def test_bundle_page_needs_the_print_permission_to_post(closed):
    cashier = signed_in(make_staff("cashier", closed.organization, Role.CASHIER))
    assert cashier.get(reverse("backoffice:documents_bundle")).status_code == 200
    response = cashier.post(
        reverse("backoffice:documents_bundle"),
        {"period": "2026-10", "building": closed.building.pk},
    )
    assert response.status_code == 403
    assert PrintJob.objects.count() == 0


def test_admin_index_links_the_bundle_page(operator, closed):
    page = text(operator.get(reverse("admin:index")))
    assert reverse("backoffice:documents_bundle") in page


def test_superuser_sees_every_organization(closed, superuser):
    client = signed_in(superuser)
    assert issue(client, closed.account).status_code == 302
    assert PaymentDocument.objects.get().printed_by == get_user_model().objects.get(username="root")


# --- ГИС ЖКХ identifiers (ИПД) ------------------------------------------------------------------


def test_ipd_upload_imports_the_file_and_refuses_a_bad_one_whole(operator, closed, stock_b):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from raschet.documents.models import GisDocumentId

    number = closed.account.number
    url = reverse("backoffice:documents_ipd")
    page = operator.get(url)
    assert page.status_code == 200
    assert stock_b.organization not in page.context["form"].fields["organization"].queryset

    def upload(body: str):
        data = SimpleUploadedFile("ipd.csv", body.encode("utf-8"), content_type="text/csv")
        return operator.post(url, {"organization": closed.organization.pk, "file": data})

    bad = upload(f"ЛС;Период;ИПД\n{number};2026-10;75АБ533315-01-5012\n{number};2026-11;плохой\n")
    assert bad.status_code == 200
    assert "Файл не загружен, ничего не изменено" in text(bad) or bad.context["errors"]
    assert any("ipd.csv, строка 3, столбец «ИПД»" in e for e in bad.context["errors"])
    assert not GisDocumentId.objects.exists()

    good = upload(f"ЛС;Период;ИПД\n{number};2026-10;75АБ533315-01-5012\n")
    assert good.status_code == 302
    assert notes(good) == ["Загружено идентификаторов платёжных документов: 1"]
    assert GisDocumentId.objects.get().ipd == "75АБ533315-01-5012"


def test_ipd_upload_is_for_those_who_print(closed):
    cashier = signed_in(make_staff("cashier", closed.organization, Role.CASHIER))
    assert cashier.get(reverse("backoffice:documents_ipd")).status_code == 403
