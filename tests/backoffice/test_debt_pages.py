"""Back-office pages of debts: the debtor list, the ageing summary and the collection rate —
permissions, tenant scoping, filters, pages, downloads, bad input and query counts."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from raschet.backoffice import debt as debt_pages
from raschet.debt.ageing import FIGURES
from raschet.ledger.models import EntryKind
from raschet.organizations.models import Role
from raschet.organizations.services import roles_sync
from raschet.payments.services import payment_create
from raschet.tariffs.models import ServiceContract
from tests.backoffice.conftest import make_staff
from tests.debt.town import ON, build_town, entry
from tests.factories import AccountFactory
from tests.payments.conftest import FEB, JAN
from tests.payments.conftest import books as books  # the fixture

pytestmark = pytest.mark.django_db

Q_ON = f"on={ON:%Y-%m-%d}"
OVERDUE = FIGURES.index("overdue")


def text(response) -> str:
    return response.content.decode()


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def town(books):
    """The debt town, with the payees' service contracts that offer them in the filter."""
    for service, payee in ((books.water, books.vodokanal), (books.heat, books.teplo)):
        ServiceContract.objects.create(
            organization=books.org,
            building=books.account.premises.building,
            service=service,
            payee=payee,
            valid_from=date(2020, 1, 1),
        )
    return build_town(books)


@pytest.fixture
def accountant(books):
    roles_sync()
    return make_staff("accountant", books.org, Role.ACCOUNTANT)


@pytest.fixture
def office(accountant) -> Client:
    return login(accountant)


@pytest.fixture
def stranger(books):
    """Staff of the same organization whose role does not see the ledger."""
    roles_sync()
    return make_staff("passports", books.org, Role.PASSPORT_OFFICER)


def page_urls() -> list[str]:
    return [
        reverse("backoffice:debt_debtors") + "?" + Q_ON,
        reverse("backoffice:debt_ageing") + "?" + Q_ON,
        reverse("backoffice:debt_collection") + "?start=2025-01&end=2025-03",
    ]


def download_urls() -> list[str]:
    return [
        reverse(f"backoffice:debt_{name}_{fmt}") + "?" + query
        for name, query in (
            ("debtors", Q_ON),
            ("ageing", Q_ON + "&by=service"),
            ("collection", "start=2025-01&end=2025-03"),
        )
        for fmt in ("csv", "xlsx")
    ]


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(body(response).decode("utf-8-sig")), delimiter=";"))


def read_xlsx(response) -> list[list[object]]:
    ws = load_workbook(io.BytesIO(body(response))).active
    return [[c.value for c in row] for row in ws.iter_rows()]


# ----------------------------------------------------------------------------- access


def test_every_page_and_download_answers_an_accountant(office, town):
    for url in page_urls():
        response = office.get(url)
        assert response.status_code == 200, url
        assert 'class="debt-page"' in text(response), url
    for url in download_urls():
        response = office.get(url)
        assert response.status_code == 200, url
        assert "attachment;" in response["Content-Disposition"], url
        assert body(response), url


def test_pages_refuse_a_user_without_rights(stranger, town):
    client = login(stranger)
    for url in page_urls() + download_urls():
        assert client.get(url).status_code == 403, url
    anonymous = Client()
    for url in page_urls():
        assert anonymous.get(url).status_code == 302, url  # to the login page


def test_pages_count_only_the_users_organizations(office, town, books):
    response = office.get(reverse("backoffice:debt_debtors") + "?" + Q_ON)
    numbers = [d.number for d, _ in response.context["lines"]]
    assert numbers == ["400004", "100001", "200002"]
    assert "900009" not in text(response)  # the stranger's debtor
    # another organization's building is not a choice: the form refuses it, shows nothing
    foreign = town.stranger.premises.building_id
    refused = office.get(reverse("backoffice:debt_debtors") + f"?{Q_ON}&building={foreign}")
    assert refused.status_code == 200
    assert refused.context["result"] is None and "building" in refused.context["form"].errors
    download = office.get(reverse("backoffice:debt_debtors_csv") + f"?{Q_ON}&building={foreign}")
    assert download.status_code == 302 and flashed(download)
    ageing = office.get(reverse("backoffice:debt_ageing") + f"?{Q_ON}&by=total")
    assert ageing.context["sheet"].totals["principal"] == 18300_00  # without the 5 555


# ----------------------------------------------------------------------------- debtors


def test_debtor_list_totals_and_filters(office, books, town):
    url = reverse("backoffice:debt_debtors")

    def numbers(query: str) -> list[str]:
        response = office.get(f"{url}?{Q_ON}&{query}")
        assert response.status_code == 200
        return [d.number for d, _ in response.context["lines"]]

    response = office.get(f"{url}?{Q_ON}")
    assert response.context["result"].count == 3
    assert response.context["totals"][OVERDUE] == 13700_00
    assert 'id="debtor-total"' in text(response)
    assert reverse("backoffice:account_balances", args=[town.D.pk]) in text(response)
    assert numbers("min_amount=4000.00") == ["400004", "100001"]
    assert numbers("min_amount=4000.01") == ["400004"]
    assert numbers("min_amount=4000,01") == ["400004"]
    assert numbers("min_months=2") == ["200002"]
    assert numbers(f"service={books.water.pk}") == ["100001", "200002"]
    assert numbers(f"payee={books.teplo.pk}") == ["400004", "100001"]
    assert numbers(f"building={town.far.pk}") == ["200002"]
    assert numbers(f"organization={books.org.pk}") == ["400004", "100001", "200002"]


def test_debtor_list_is_paginated_by_the_query(office, town, monkeypatch):
    monkeypatch.setattr(debt_pages, "PAGE_SIZE", 2)
    url = reverse("backoffice:debt_debtors") + "?" + Q_ON
    first = office.get(url)
    assert [d.number for d, _ in first.context["lines"]] == ["400004", "100001"]
    assert first.context["page"].paginator.num_pages == 2
    assert "page=2" in text(first)
    second = office.get(url + "&page=2")
    assert [d.number for d, _ in second.context["lines"]] == ["200002"]
    assert second.context["totals"] == first.context["totals"]  # totals of all debtors
    beyond = office.get(url + "&page=99")  # the last page, like Paginator.get_page
    assert [d.number for d, _ in beyond.context["lines"]] == ["200002"]
    garbage = office.get(url + "&page=abc")
    assert [d.number for d, _ in garbage.context["lines"]] == ["400004", "100001"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("on=05.03.2025x", "on"),
        ("on=", "on"),
        (f"{Q_ON}&min_amount=-1", "min_amount"),
        (f"{Q_ON}&min_amount=12.345", "min_amount"),
        (f"{Q_ON}&min_amount=много", "min_amount"),
        (f"{Q_ON}&min_months=-1", "min_months"),
        (f"{Q_ON}&min_months=99999", "min_months"),
        (f"{Q_ON}&service=999999", "service"),
        (f"{Q_ON}&payee=abc", "payee"),
    ],
)
def test_bad_debtor_filters_are_form_errors(office, town, query, field):
    response = office.get(reverse("backoffice:debt_debtors") + "?" + query)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert response.context["result"] is None
    download = office.get(reverse("backoffice:debt_debtors_xlsx") + "?" + query)
    assert download.status_code == 302
    assert download["Location"] == reverse("backoffice:debt_debtors")


def test_debtor_downloads(office, town):
    csv_rows = read_csv(office.get(reverse("backoffice:debt_debtors_csv") + "?" + Q_ON))
    assert [r[0] for r in csv_rows[1:]] == ["400004", "100001", "200002", "Итого"]
    assert csv_rows[-1][3 + OVERDUE] == "13700,00"
    table = read_xlsx(office.get(reverse("backoffice:debt_debtors_xlsx") + "?" + Q_ON))
    assert [r[0] for r in table[2:]] == ["400004", "100001", "200002", "Итого"]
    assert Decimal(str(table[-1][3 + OVERDUE])) == Decimal("13700.00")
    filtered = read_csv(
        office.get(reverse("backoffice:debt_debtors_csv") + f"?{Q_ON}&min_months=2")
    )
    assert [r[0] for r in filtered[1:]] == ["200002", "Итого"]


def test_a_debtor_xlsx_too_long_is_a_message(office, town, monkeypatch):
    from raschet.debt import exports

    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)
    response = office.get(reverse("backoffice:debt_debtors_xlsx") + "?" + Q_ON)
    assert response.status_code == 302
    assert any("CSV" in m for m in flashed(response))


# ----------------------------------------------------------------------------- ageing


def test_ageing_page_by_dimension_with_downloads(office, books, town):
    url = reverse("backoffice:debt_ageing")
    by_service = office.get(f"{url}?{Q_ON}&by=service")
    labels = [row.label for row, _ in by_service.context["lines"]]
    assert labels == sorted([books.water.name, books.heat.name])
    assert by_service.context["sheet"].totals["up_to_3"] == 13000_00
    assert 'id="ageing-total"' in text(by_service)
    by_building = office.get(f"{url}?{Q_ON}&by=building")
    assert {row.label for row, _ in by_building.context["lines"]} == {
        books.account.premises.building.address,
        "ул. Мира, д. 3",
    }
    total_only = office.get(f"{url}?{Q_ON}&by=total")
    assert total_only.context["lines"] == []
    assert total_only.context["sheet"].totals == by_service.context["sheet"].totals
    narrowed = office.get(f"{url}?{Q_ON}&by=total&service={books.water.pk}")
    assert narrowed.context["sheet"].totals["principal"] == 2800_00
    default = office.get(url)  # today and by building, without asking
    assert default.status_code == 200 and default.context["sheet"].by == "building"
    rows = read_csv(office.get(reverse("backoffice:debt_ageing_csv") + f"?{Q_ON}&by=building"))
    assert rows[0][0] == "Дом" and rows[-1][0] == "Итого"
    assert rows[-1][1 + OVERDUE] == "13700,00"
    table = read_xlsx(office.get(reverse("backoffice:debt_ageing_xlsx") + f"?{Q_ON}&by=payee"))
    assert table[1][0] == "Получатель"
    assert Decimal(str(table[-1][1 + OVERDUE])) == Decimal("13700.00")
    bad = office.get(f"{url}?{Q_ON}&by=account")
    assert "by" in bad.context["form"].errors and bad.context["sheet"] is None
    assert office.get(reverse("backoffice:debt_ageing_csv") + "?by=x").status_code == 302


# ----------------------------------------------------------------------------- collection


def test_collection_page_per_building_and_month(office, books, town):
    payment_create(
        organization=books.org,
        source=books.bank,
        account=books.account,
        amount_kopecks=2500_00,
        paid_on=ON,
        operation_id="p-1",
        today=ON,
    )
    url = reverse("backoffice:debt_collection")
    response = office.get(f"{url}?start=2025-01&end=2025-02")
    report = response.context["report"]
    assert report.months == [JAN, FEB]
    home = {r.building_id: r for r in report.rows}[books.account.premises.building_id]
    assert (home.cells[0].charged, home.cells[0].paid) == (13000_00, 2500_00)
    assert home.cells[0].rate == Decimal("19.23")
    assert 'id="collection-total"' in text(response)
    assert "19,23" in text(response)
    rows = read_csv(office.get(reverse("backoffice:debt_collection_csv") + "?start=2025-01"))
    assert rows[0][-1] == "Собираемость, %"
    table = read_xlsx(
        office.get(reverse("backoffice:debt_collection_xlsx") + "?start=2025-01&end=2025-02")
    )
    assert table[-1][:2] == ["Итого", "за период"]
    assert Decimal(str(table[-1][3])) == Decimal("2500.00")


def test_collection_defaults_to_the_last_twelve_months(office, town):
    with time_machine.travel("2025-03-20 12:00 +03:00", tick=False):
        response = office.get(reverse("backoffice:debt_collection"))
    months = response.context["report"].months
    assert (f"{months[0]:%Y-%m}", f"{months[-1]:%Y-%m}", len(months)) == ("2024-04", "2025-03", 12)


@pytest.mark.parametrize(
    "query",
    ["start=2025-03&end=2025-01", "start=2020-01&end=2025-03", "start=март&end=2025-03"],
)
def test_bad_collection_ranges_are_form_errors(office, town, query):
    response = office.get(reverse("backoffice:debt_collection") + "?" + query)
    assert response.status_code == 200
    assert response.context["form"].errors and response.context["report"] is None
    download = office.get(reverse("backoffice:debt_collection_csv") + "?" + query)
    assert download.status_code == 302 and flashed(download)


# ----------------------------------------------------------------------------- query counts


def _more_debtors(books, n: int, start: int) -> None:
    building = books.account.premises.building
    for i in range(start, start + n):
        account = AccountFactory(premises__building=building, number=f"7{i:05d}")
        entry(books, account, books.water, JAN, 100_00 + i, EntryKind.CHARGE)
        entry(books, account, books.heat, FEB, 50_00, EntryKind.CHARGE)


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("debt_debtors", Q_ON),
        ("debt_ageing", Q_ON + "&by=building"),
        ("debt_ageing", Q_ON + "&by=payee"),
        ("debt_collection", "start=2025-01&end=2025-03"),
    ],
)
def test_pages_do_not_grow_with_rows(
    office, books, town, name, query, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse(f"backoffice:{name}") + "?" + query
    _more_debtors(books, 2, 0)
    with CaptureQueriesContext(connection) as ctx:
        assert office.get(url).status_code == 200
    few = len(ctx.captured_queries)
    assert few <= 12
    _more_debtors(books, 12, 2)
    with django_assert_max_num_queries(few):
        office.get(url)


# ----------------------------------------------------------------------------- admin


def test_index_module_links_by_permission(accountant, stranger):
    from django.contrib.auth.context_processors import PermWrapper
    from django.template.loader import render_to_string

    def render(user):
        user = get_user_model().objects.get(pk=user.pk)
        return render_to_string("backoffice/debt/_index_module.html", {"perms": PermWrapper(user)})

    html = render(accountant)
    for name in ("debt_debtors", "debt_ageing", "debt_collection"):
        assert reverse(f"backoffice:{name}") in html, name
    assert 'id="debt-tools"' not in render(stranger)


def test_admin_index_shows_the_debt_module(office):
    html = text(office.get(reverse("admin:index")))
    assert 'id="debt-tools"' in html
