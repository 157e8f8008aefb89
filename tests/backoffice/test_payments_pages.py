"""Back-office pages of payments: registry upload and reports, the unidentified queue,
payments with assignment and reversal, balances, the turnover sheet, settlements and payment
orders — permissions, tenant scoping, downloads and query counts."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.ledger.selectors import turnover
from raschet.organizations.models import Role
from raschet.organizations.services import roles_sync
from raschet.payments.models import (
    Channel,
    ImportState,
    PayeeCommission,
    Payment,
    PaymentSource,
    PaymentState,
    RegistryImport,
)
from raschet.payments.services import payment_create
from tests.backoffice.conftest import make_staff
from tests.factories import AccountFactory
from tests.payments.conftest import FEB, JAN, MAR
from tests.payments.conftest import books as books  # the fixture

pytestmark = pytest.mark.django_db

PAID_ON = date(2025, 3, 5)
TODAY = date(2025, 3, 10)
DAY_QUERY = "start=2025-03-01&end=2025-03-31"


# ----------------------------------------------------------------------------- helpers


def sber_file(lines, *, count=None, total=None, day=PAID_ON) -> bytes:
    """A registry in the shipped ``sberbank`` layout: cp1251, «;», trailer «=» (count;
    total;transferred;commission;order number;order date)."""
    body = []
    for op, account, kopecks in lines:
        rubles = f"{kopecks // 100}.{kopecks % 100:02d}"
        body.append(
            f"{day:%d-%m-%Y};10-22-01;8610;8610/0123;77;{op};{account};ПЕТРОВ ПЁТР;"
            f"г. Тверь, ул. Советская, д. 1, кв. 2;022025;{rubles};{rubles};0.00"
        )
    n = len(lines) if count is None else count
    s = sum(k for _, _, k in lines) if total is None else total
    amount = f"{s // 100}.{s % 100:02d}"
    trailer = f"={n};{amount};{amount};0.00;457;06-03-2025"
    return ("\r\n".join([*body, trailer]) + "\r\n").encode("cp1251")


def pay(books, kopecks, *, op, account=None, day=PAID_ON):
    payment, _ = payment_create(
        organization=books.org,
        source=books.bank,
        account=account or books.account,
        amount_kopecks=kopecks,
        paid_on=day,
        operation_id=op,
        today=TODAY,
    )
    return payment


def text(response) -> str:
    return response.content.decode()


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def accountant(books):
    roles_sync()
    return make_staff("accountant", books.org, Role.ACCOUNTANT)


@pytest.fixture
def office(accountant) -> Client:
    return login(accountant)


@pytest.fixture
def stranger(books):
    """Staff of the same organization whose role grants nothing of payments."""
    roles_sync()
    return make_staff("passports", books.org, Role.PASSPORT_OFFICER)


@pytest.fixture
def other(db):
    """Another organization with a payment, a registry and a commission contract."""
    account = AccountFactory(number="900001")
    org = account.organization
    source = PaymentSource.objects.create(
        organization=org,
        code="sber",
        name="Сбер другой УК",
        channel=Channel.BANK,
        layout="sberbank",
    )
    payment, _ = payment_create(
        organization=org,
        source=source,
        account=account,
        amount_kopecks=777_77,
        paid_on=PAID_ON,
        operation_id="other-1",
        today=TODAY,
    )
    record = RegistryImport.objects.create(
        organization=org, source=source, filename="other.txt", sha256="0" * 64, state="accepted"
    )
    return org, account, payment, record


@pytest.fixture
def paid(books):
    """A posted payment, an unidentified one, and the water supplier's commission."""
    PayeeCommission.objects.create(
        organization=books.org,
        payee=books.vodokanal,
        commission_basis_points=150,
        contract_number="В-17",
        valid_from=JAN,
    )
    posted = pay(books, 5000_00, op="p-1")
    queued = Payment.objects.create(
        organization=books.org,
        source=books.bank,
        operation_id="q-1",
        paid_on=PAID_ON,
        account_number="10000I",
        payer_name="Сидоров",
        address="ул. Мира, 3",
        amount_kopecks=150_00,
        state=PaymentState.UNIDENTIFIED,
        created_at=posted.created_at,
    )
    return posted, queued


def page_urls(books, posted):
    return [
        reverse("backoffice:payments_registries"),
        reverse("backoffice:payments_unidentified"),
        reverse("backoffice:payment_list"),
        reverse("backoffice:payment_detail", args=[posted.pk]),
        reverse("backoffice:account_balances", args=[books.account.pk]),
        reverse("backoffice:turnover") + "?start=2025-01&end=2025-03&by=service",
        reverse("backoffice:settlements") + "?" + DAY_QUERY,
        reverse("backoffice:settlement_report", args=[books.vodokanal.pk]) + "?" + DAY_QUERY,
        reverse("backoffice:payment_orders") + "?day=2025-03-05",
    ]


# ----------------------------------------------------------------------------- access


def test_every_page_renders_for_an_accountant(office, books, paid):
    posted, _queued = paid
    for url in page_urls(books, posted):
        response = office.get(url)
        assert response.status_code == 200, url
        assert 'class="payments-page"' in text(response), url


def test_pages_refuse_a_user_without_rights(stranger, books, paid):
    posted, queued = paid
    client = login(stranger)
    for url in page_urls(books, posted):
        assert client.get(url).status_code == 403, url
    for url in (
        reverse("backoffice:payment_assign", args=[queued.pk]),
        reverse("backoffice:payment_reverse", args=[posted.pk]),
    ):
        assert client.post(url, {"account": "100001", "reason": "x"}).status_code == 403
    assert Payment.objects.get(pk=queued.pk).state == PaymentState.UNIDENTIFIED
    assert Payment.objects.get(pk=posted.pk).state == PaymentState.POSTED
    anonymous = Client().get(reverse("backoffice:payment_list"))
    assert anonymous.status_code == 302  # to the login page


def test_accountant_role_carries_the_payments_permissions(accountant):
    user = get_user_model().objects.get(pk=accountant.pk)
    for perm in (
        "payments.add_registryimport",
        "payments.view_payment",
        "payments.change_payment",
        "payments.add_payeecommission",
        "payments.view_payeecommission",
    ):
        assert user.has_perm(perm), perm
    assert not user.has_perm("payments.delete_payment")


def test_another_organizations_data_is_invisible(office, books, paid, other):
    org, account, payment, record = other
    html = text(office.get(reverse("backoffice:payment_list")))
    assert f'data-payment="{paid[0].pk}"' in html
    assert f'data-payment="{payment.pk}"' not in html
    assert f'data-import="{record.pk}"' not in text(
        office.get(reverse("backoffice:payments_registries"))
    )
    for url in (
        reverse("backoffice:payment_detail", args=[payment.pk]),
        reverse("backoffice:payments_registry", args=[record.pk]),
        reverse("backoffice:account_balances", args=[account.pk]),
        reverse("backoffice:settlement_report", args=[org.pk]),
    ):
        assert office.get(url).status_code == 404, url
    response = office.post(
        reverse("backoffice:payment_reverse", args=[payment.pk]), {"reason": "x"}
    )
    assert response.status_code == 404
    assert Payment.objects.get(pk=payment.pk).state == PaymentState.POSTED
    # turnover and settlements count only the user's organization
    sheet = office.get(reverse("backoffice:turnover") + "?start=2025-03&end=2025-03&by=account")
    assert "900001" not in text(sheet)
    days = office.get(reverse("backoffice:settlements") + "?" + DAY_QUERY).context["days"]
    assert {r.organization_id for _day, rows, _t in days for r in rows} == {books.org.pk}
    # a foreign organization cannot be chosen in the filters
    response = office.get(reverse("backoffice:settlements") + f"?{DAY_QUERY}&organization={org.pk}")
    assert "organization" in response.context["form"].errors


# ----------------------------------------------------------------------------- registries


def upload(client, source, data, name="reestr.txt", layout=""):
    return client.post(
        reverse("backoffice:payments_registries"),
        {"source": source.pk, "layout": layout, "file": SimpleUploadedFile(name, data)},
        follow=True,
    )


def test_upload_of_a_good_registry(office, books):
    data = sber_file([("1001", "100001", 2000_00), ("1002", "999999", 150_00)])
    response = upload(office, books.bank, data)
    record = RegistryImport.objects.get(filename="reestr.txt")
    assert response.redirect_chain[-1][0] == reverse(
        "backoffice:payments_registry", args=[record.pk]
    )
    assert record.state == ImportState.ACCEPTED
    assert (record.accepted, record.unidentified) == (1, 1)
    html = text(response)
    assert 'id="unidentified-lines"' in html and "999999" in html
    assert 'id="registry-rejected"' not in html
    assert any("принято 1" in m for m in flashed(response))
    assert Payment.objects.get(operation_id="1001").state == PaymentState.POSTED
    # the list shows it with its counts
    listing = text(office.get(reverse("backoffice:payments_registries")))
    assert f'data-import="{record.pk}"' in listing

    again = upload(office, books.bank, data, name="copy.txt")
    assert 'id="duplicate-lines"' in text(again)
    assert Payment.objects.filter(organization=books.org).count() == 2


def test_upload_of_a_bad_registry_writes_nothing(office, books):
    data = sber_file([("1001", "100001", 2000_00)], count=3)
    response = upload(office, books.bank, data, name="bad.txt")
    record = RegistryImport.objects.get(filename="bad.txt")
    assert record.state == ImportState.REJECTED
    html = text(response)
    assert 'id="registry-rejected"' in html
    assert "bad.txt" in html and "3" in record.error
    assert any("отклонён" in m for m in flashed(response))
    assert not Payment.objects.exists()
    assert not LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).exists()


def test_upload_rejected_lines_are_listed_with_their_reason(office, books):
    good = sber_file([("1001", "100001", 2000_00)]).decode("cp1251").split("\r\n")
    broken = good[0].replace("05-03-2025", "31-02-2025")
    data = (
        "\r\n".join(
            [good[0], broken.replace("1001", "1009"), "=2;4000.00;4000.00;0.00;1;06-03-2025"]
        )
        + "\r\n"
    ).encode("cp1251")
    response = upload(office, books.bank, data, name="lines.txt")
    record = RegistryImport.objects.get(filename="lines.txt")
    assert (record.state, record.accepted, record.rejected) == (ImportState.ACCEPTED, 1, 1)
    html = text(response)
    assert 'id="rejected-lines"' in html and 'data-line="2"' in html
    assert "31-02-2025" in html


def test_upload_form_errors(office, books):
    no_layout = PaymentSource.objects.create(
        organization=books.org, code="agent", name="Агент", channel=Channel.AGENT
    )
    response = upload(office, no_layout, sber_file([("1", "100001", 100)]))
    assert "layout" in response.context["form"].errors
    assert not RegistryImport.objects.exists()
    response = upload(office, books.bank, b"", name="empty.txt")
    assert "file" in response.context["form"].errors
    # another layout chosen for a source without one is used
    response = upload(office, no_layout, sber_file([("1", "100001", 100)]), layout="sberbank")
    assert RegistryImport.objects.get().state == ImportState.ACCEPTED


def test_a_cashier_looks_payments_up_but_does_not_import_assign_or_reverse(books, paid):
    posted, queued = paid
    roles_sync()
    client = login(make_staff("cashier", books.org, Role.CASHIER))
    assert client.get(reverse("backoffice:payment_list")).status_code == 200
    detail = client.get(reverse("backoffice:payment_detail", args=[posted.pk]))
    assert detail.status_code == 200 and 'id="payment-reverse"' not in text(detail)
    response = upload(client, books.bank, sber_file([("1", "100001", 100)]))
    assert response.status_code == 403
    assert not RegistryImport.objects.exists()
    assert client.get(reverse("backoffice:payments_unidentified")).status_code == 403
    assign = reverse("backoffice:payment_assign", args=[queued.pk])
    assert client.post(assign, {"account": "100001"}).status_code == 403
    reverse_url = reverse("backoffice:payment_reverse", args=[posted.pk])
    assert client.post(reverse_url, {"reason": "x"}).status_code == 403
    assert Payment.objects.get(pk=posted.pk).state == PaymentState.POSTED


# ----------------------------------------------------------------------------- queue


def test_assign_from_the_queue(office, books, paid):
    _posted, queued = paid
    html = text(office.get(reverse("backoffice:payments_unidentified")))
    assert f'data-payment="{queued.pk}"' in html and "10000I" in html and "Сидоров" in html
    url = reverse("backoffice:payment_assign", args=[queued.pk])

    response = office.post(url, {"account": "nope"}, follow=True)
    assert any("nope" in m for m in flashed(response))
    assert Payment.objects.get(pk=queued.pk).state == PaymentState.UNIDENTIFIED

    response = office.post(url, {"account": " 100001 "}, follow=True)
    queued.refresh_from_db()
    assert queued.state == PaymentState.POSTED and queued.account_id == books.account.pk
    assert (
        -sum(
            LedgerEntry.objects.filter(payment_id=queued.pk).values_list(
                "amount_kopecks", flat=True
            )
        )
        == 150_00
    )
    assert f'data-payment="{queued.pk}"' not in text(response)

    response = office.post(url, {"account": "100001"}, follow=True)
    assert any("уже" in m for m in flashed(response))  # the service's refusal, as it is


def test_an_account_of_another_organization_cannot_be_assigned(office, books, paid, other):
    _posted, queued = paid
    office.post(reverse("backoffice:payment_assign", args=[queued.pk]), {"account": "900001"})
    assert Payment.objects.get(pk=queued.pk).state == PaymentState.UNIDENTIFIED


# ----------------------------------------------------------------------------- payments


def test_payment_list_filters(office, books, paid):
    posted, queued = paid
    later = pay(books, 100_00, op="p-2", day=date(2025, 3, 9))
    base = reverse("backoffice:payment_list")

    def shown(query):
        return {p.pk for p in office.get(f"{base}?{query}").context["page"]}

    assert shown("") == {posted.pk, queued.pk, later.pk}
    assert shown("start=2025-03-06") == {later.pk}
    assert shown("end=2025-03-05") == {posted.pk, queued.pk}
    assert shown("state=unidentified") == {queued.pk}
    assert shown("account=10000I") == {queued.pk}
    assert shown(f"source={books.bank.pk}&state=posted") == {posted.pk, later.pk}
    bad = office.get(f"{base}?start=2025-03-09&end=2025-03-01")
    assert bad.context["form"].errors


def test_payment_detail_and_reversal(office, books, paid):
    posted, _queued = paid
    url = reverse("backoffice:payment_detail", args=[posted.pk])
    html = text(office.get(url))
    assert html.count('class="allocation"') == 4  # JAN and FEB of water and heat
    assert 'id="payment-reverse"' in html
    reverse_url = reverse("backoffice:payment_reverse", args=[posted.pk])

    response = office.post(reverse_url, {"reason": ""}, follow=True)
    assert Payment.objects.get(pk=posted.pk).state == PaymentState.POSTED
    assert flashed(response)

    response = office.post(reverse_url, {"reason": "ошибочный лицевой счёт"}, follow=True)
    posted.refresh_from_db()
    assert posted.state == PaymentState.REVERSED
    assert posted.reversal_reason == "ошибочный лицевой счёт"
    html = text(response)
    assert html.count('data-kind="reversal"') == 4
    assert 'id="payment-reverse"' not in html
    assert (
        sum(
            LedgerEntry.objects.filter(payment_id=posted.pk).values_list(
                "amount_kopecks", flat=True
            )
        )
        == 0
    )

    response = office.post(reverse_url, {"reason": "ещё раз"}, follow=True)
    assert any("разнесённый" in m for m in flashed(response))


def test_account_balances_page(office, books, paid):
    response = office.get(reverse("backoffice:account_balances", args=[books.account.pk]))
    balances = response.context["balances"]
    assert response.context["total"] == 8000_00 - 5000_00
    assert sum(b.balance for b in balances) == response.context["total"]
    assert 'id="balance-table"' in text(response)
    assert len(response.context["payments"]) == 1


# ----------------------------------------------------------------------------- turnover


def test_turnover_page_and_downloads(office, books, paid):
    query = "start=2025-01&end=2025-03&by=payee"
    response = office.get(reverse("backoffice:turnover") + "?" + query)
    sheet = response.context["sheet"]
    expected = turnover(organization_ids=[books.org.pk], start=JAN, end=MAR, by="payee")
    assert sheet.totals == expected.totals
    assert sheet.totals["paid"] == -5000_00 and sheet.totals["charged"] == 8000_00
    assert 'id="turnover-total"' in text(response)

    data = office.get(reverse("backoffice:turnover_csv") + "?" + query)
    assert data["Content-Type"].startswith("text/csv")
    assert "attachment" in data["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(data.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[-1][0] == "Итого"
    header = rows[0]
    assert rows[-1][header.index("Оплачено")] == "-5000,00"
    assert rows[-1][header.index("Сальдо на конец")] == "3000,00"
    assert len(rows) == 2 + len(expected.rows)

    book = load_workbook(
        io.BytesIO(office.get(reverse("backoffice:turnover_xlsx") + "?" + query).content)
    )
    ws = book.active
    total = [c.value for c in ws[ws.max_row]]
    assert total[0] == "Итого"
    assert Decimal(str(total[-1])) == Decimal("3000.00")


def test_turnover_bad_month_is_a_form_error(office, books):
    response = office.get(reverse("backoffice:turnover") + "?start=март&end=2025-03&by=service")
    assert response.status_code == 200
    assert "start" in response.context["form"].errors and response.context["sheet"] is None
    download = office.get(reverse("backoffice:turnover_csv") + "?start=март")
    assert download.status_code == 302
    reverse_range = office.get(reverse("backoffice:turnover") + "?start=2025-03&end=2025-01")
    assert reverse_range.context["form"].errors


# ----------------------------------------------------------------------------- settlements


def test_settlements_page(office, books, paid):
    response = office.get(reverse("backoffice:settlements") + "?" + DAY_QUERY)
    [(day, rows, total)] = response.context["days"]
    assert day == PAID_ON
    water = next(r for r in rows if r.payee_id == books.vodokanal.pk)
    assert (water.collected_kopecks, water.commission_kopecks) == (1250_00, 18_75)
    assert total.collected_kopecks == 5000_00
    assert total.to_transfer_kopecks + total.commission_kopecks == total.collected_kopecks
    html = text(response)
    assert reverse("backoffice:settlement_report", args=[books.vodokanal.pk]) in html

    report = office.get(
        reverse("backoffice:settlement_report", args=[books.vodokanal.pk]) + "?" + DAY_QUERY
    ).context["report"]
    assert report.collected_kopecks == 1250_00 and report.to_transfer_kopecks == 1231_25
    bad = office.get(reverse("backoffice:settlements") + "?start=2025-03-09&end=2025-03-01")
    assert bad.context["form"].errors and bad.context["days"] == []


def test_payment_orders_page_and_downloads(office, books, paid):
    response = office.get(reverse("backoffice:payment_orders") + "?day=2025-03-05")
    orders = {o.payee_id: o for o in response.context["orders"]}
    assert orders[books.vodokanal.pk].amount_kopecks == 1231_25
    assert orders[books.teplo.pk].amount_kopecks == 3750_00
    assert "НДС не облагается" in text(response)

    data = office.get(reverse("backoffice:payment_orders_csv") + "?day=2025-03-05")
    assert data.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 3
    amount = rows[0].index("Сумма к перечислению, руб.")
    assert sorted(r[amount] for r in rows[1:]) == ["1231,25", "3750,00"]

    xlsx = office.get(reverse("backoffice:payment_orders_xlsx") + "?day=2025-03-05")
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    last = [c.value for c in ws[ws.max_row]]
    assert last[0] == "Итого" and Decimal(str(last[amount])) == Decimal("4981.25")

    empty = office.get(reverse("backoffice:payment_orders") + "?day=2025-03-06")
    assert empty.context["orders"] == []
    assert office.get(reverse("backoffice:payment_orders_csv") + "?day=xx").status_code == 302


# ----------------------------------------------------------------------------- query counts


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url_name",
    ["payment_list", "payments_unidentified", "payments_registries"],
)
def test_list_pages_do_not_grow_with_rows(office, books, url_name, django_assert_max_num_queries):
    url = reverse(f"backoffice:{url_name}")

    def add(n, start):
        for i in range(start, start + n):
            pay(books, 10_00 + i, op=f"many-{i}")
            Payment.objects.create(
                organization=books.org,
                source=books.bank,
                operation_id=f"u-{i}",
                paid_on=PAID_ON,
                account_number=f"X{i}",
                amount_kopecks=1_00 + i,
                state=PaymentState.UNIDENTIFIED,
                created_at=timezone.now(),
                registry=RegistryImport.objects.create(
                    organization=books.org,
                    source=books.bank,
                    filename=f"f{i}.txt",
                    sha256="0" * 64,
                    state="accepted",
                ),
                line_no=1,
            )

    add(2, 0)
    few = _queries(office, url)
    add(10, 2)
    with django_assert_max_num_queries(few):
        office.get(url)
    assert few <= 12


@pytest.mark.parametrize("by", ["account", "building", "service", "payee"])
def test_turnover_and_settlements_query_counts(
    office, books, paid, by, django_assert_max_num_queries
):
    for i in range(5):
        account = AccountFactory(
            premises__building=books.account.premises.building, number=f"2000{i}"
        )
        books.charge(account, books.water, FEB, 100_00)
    with django_assert_max_num_queries(10):
        office.get(reverse("backoffice:turnover") + f"?start=2025-01&end=2025-03&by={by}")
    with django_assert_max_num_queries(10):
        office.get(reverse("backoffice:settlements") + "?" + DAY_QUERY)


# ----------------------------------------------------------------------------- admin


def test_index_module_links_by_permission(accountant, stranger):
    from django.contrib.auth.context_processors import PermWrapper
    from django.template.loader import render_to_string

    def render(user):
        user = get_user_model().objects.get(pk=user.pk)
        return render_to_string(
            "backoffice/payments/_index_module.html", {"perms": PermWrapper(user)}
        )

    html = render(accountant)
    for name in ("payments_registries", "payments_unidentified", "turnover", "settlements"):
        assert reverse(f"backoffice:{name}") in html, name
    assert 'id="payments-tools"' not in render(stranger)


def test_admin_of_payments(client, books, paid, accountant, other):
    posted, _queued = paid
    client.force_login(accountant)
    for model in ("payment", "registryimport", "paymentsource", "payeecommission"):
        response = client.get(reverse(f"admin:payments_{model}_changelist"))
        assert response.status_code == 200, model
    listing = text(client.get(reverse("admin:payments_payment_changelist")))
    assert "p-1" in listing and "other-1" not in listing
    change = client.get(reverse("admin:payments_payment_change", args=[posted.pk]))
    assert change.status_code == 200 and 'name="_save"' not in text(change)
    assert client.get(reverse("admin:payments_payment_add")).status_code == 403
    foreign = client.get(reverse("admin:payments_payment_change", args=[other[2].pk]))
    assert foreign.status_code == 302  # like a missing object
    # a source with an unknown layout is refused with the list of layouts
    response = client.post(
        reverse("admin:payments_paymentsource_add"),
        {
            "organization": books.org.pk,
            "code": "vtb",
            "name": "ВТБ",
            "channel": Channel.BANK,
            "layout": "vtb-2020",
            "is_active": "on",
        },
    )
    assert response.status_code == 200 and "sberbank" in text(response)
    assert not PaymentSource.objects.filter(code="vtb").exists()
