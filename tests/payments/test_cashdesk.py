"""The cash desk: shifts, payments in cash and by card, cancellations, shift totals, the
fiscal documents (ФФД tags, rules.md §9) and their outbox, the receipt PDF, account search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.utils import timezone

from raschet.housing.models import Account, Building, Premises
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.ledger.selectors import account_balance
from raschet.payments.cashdesk import (
    CashDeskError,
    account_search,
    cash_payment_cancel,
    cash_payment_take,
    cash_shift_close,
    cash_shift_current,
    cash_shift_open,
    cash_shift_report,
    contact_normalize,
)
from raschet.payments.fiscal import (
    FiscalError,
    FiscalItem,
    fiscal_document_mark_done,
    fiscal_document_mark_failed,
    fiscal_items,
    fiscal_outbox_pending,
    fiscal_settings,
)
from raschet.payments.models import (
    CashShift,
    Channel,
    FiscalDocument,
    FiscalState,
    Payment,
    PaymentSource,
    PaymentState,
)
from raschet.payments.receipts import receipt_data, receipt_pdf
from raschet.payments.services import PaymentError, Target, payment_create
from tests.factories import (
    AccountFactory,
    BuildingFactory,
    OrganizationFactory,
    PremisesFactory,
    ServiceFactory,
)
from tests.payments.conftest import JAN, Books

pytestmark = pytest.mark.django_db

TODAY = date(2025, 3, 10)
DEBT = 8000_00  # the books: 1 000 + 3 000 for each of January and February


@dataclass
class Desk:
    books: Books
    cashier: object
    shift: CashShift

    def take(self, amount, method="cash", **kwargs):
        kwargs.setdefault("account", self.books.account)
        return cash_payment_take(
            shift=self.shift, amount_kopecks=amount, method=method, today=TODAY, **kwargs
        )


@pytest.fixture
def cashier(db):
    return get_user_model().objects.create_user(
        username="kassa", password="pw", first_name="Анна", last_name="Петрова"
    )


@pytest.fixture
def desk(books, cashier) -> Desk:
    books.org.legal_address = "г. Тверь, ул. Советская, д. 1"
    books.org.save()
    return Desk(books, cashier, cash_shift_open(organization=books.org, cashier=cashier))


def items_of(doc: FiscalDocument) -> dict[str, dict]:
    """The document's lines by name (the service's name before the comma)."""
    return {line["1030"].split(",")[0]: line for line in doc.tags["1059"]}


def nothing_written(count_before: int = 0) -> bool:
    return Payment.objects.count() == count_before and not FiscalDocument.objects.exists()


# --- shifts ------------------------------------------------------------------------------


def test_shift_opens_on_the_default_desk_of_the_organization(desk):
    shift = desk.shift
    assert shift.closed_at is None and shift.cashier == desk.cashier
    assert shift.source.channel == Channel.CASH_DESK
    assert shift.source.organization_id == desk.books.org.pk
    assert cash_shift_current(cashier=desk.cashier) == shift
    assert cash_shift_current(cashier=desk.cashier, organization_ids=[]) is None


def test_a_desk_has_one_open_shift_and_says_whose(desk, cashier):
    other = get_user_model().objects.create_user(username="other", password="pw")
    with pytest.raises(CashDeskError, match=rf"уже открыта смена №{desk.shift.pk}.*Петрова"):
        cash_shift_open(organization=desk.books.org, cashier=other)
    assert CashShift.objects.count() == 1
    second_desk = PaymentSource.objects.create(
        organization=desk.books.org, code="desk-2", name="Касса 2", channel=Channel.CASH_DESK
    )
    assert cash_shift_open(organization=desk.books.org, cashier=other, source=second_desk)
    cash_shift_close(shift=desk.shift)
    again = cash_shift_open(organization=desk.books.org, cashier=cashier)
    assert again.pk != desk.shift.pk and again.source_id == desk.shift.source_id


def test_a_shift_opens_only_on_an_own_active_cash_desk(books, cashier):
    with pytest.raises(CashDeskError, match="не касса"):
        cash_shift_open(organization=books.org, cashier=cashier, source=books.bank)
    foreign = PaymentSource.objects.create(
        organization=OrganizationFactory(), code="cash-desk", name="Чужая", channel="cash_desk"
    )
    with pytest.raises(CashDeskError, match="другой организации"):
        cash_shift_open(organization=books.org, cashier=cashier, source=foreign)
    off = PaymentSource.objects.create(
        organization=books.org, code="off", name="Старая", channel="cash_desk", is_active=False
    )
    with pytest.raises(CashDeskError, match="отключена"):
        cash_shift_open(organization=books.org, cashier=cashier, source=off)
    assert not CashShift.objects.exists()


# --- taking payments ---------------------------------------------------------------------


def test_full_payment_in_cash_pays_the_debt_and_queues_a_receipt(desk):
    books = desk.books
    taken = desk.take(DEBT, payer_contact="8 (916) 123-45-67")
    payment = taken.payment
    assert payment.state == PaymentState.POSTED
    assert payment.operation_id == f"shift{desk.shift.pk}-1"
    assert payment.shift_id == desk.shift.pk and payment.method == "cash"
    assert payment.created_by_id == desk.cashier.pk
    assert account_balance(account=books.account) == 0

    doc = taken.document
    assert doc.state == FiscalState.PENDING and doc.settlement_sign == 1
    tags = doc.tags
    assert tags["1054"] == 1 and tags["1055"] == 1
    assert tags["1031"] == DEBT and tags["1081"] == 0 and tags["1020"] == DEBT
    assert tags["1008"] == "+79161234567"
    assert tags["1187"] == "Касса"
    assert tags["1009"] == "г. Тверь, ул. Советская, д. 1"
    assert tags["1021"] == "Анна Петрова"
    lines = items_of(doc)
    assert set(lines) == {"Холодное водоснабжение", "Отопление"}
    assert sum(line["1043"] for line in tags["1059"]) == payment.amount_kopecks
    assert lines["Холодное водоснабжение"]["1043"] == 2000_00
    assert lines["Отопление"]["1043"] == 6000_00
    for line in tags["1059"]:
        assert line["1079"] == line["1043"] and line["1023"] == 1
        assert (line["1212"], line["1214"], line["1199"]) == (4, 4, 6)
        assert books.account.number in line["1030"]


def test_a_payment_for_two_payees_carries_their_agent_tags(desk):
    books = desk.books
    tags = desk.take(DEBT).document.tags
    lines = items_of_tags(tags)
    water, heat = lines["Холодное водоснабжение"], lines["Отопление"]
    assert water["1222"] == 64 and heat["1222"] == 64
    assert water["1224"] == {"1225": books.vodokanal.name}
    assert heat["1224"] == {"1225": books.teplo.name}
    assert water["1226"] == books.vodokanal.inn and heat["1226"] == books.teplo.inn
    assert tags["1057"] == 64


def items_of_tags(tags) -> dict[str, dict]:
    return {line["1030"].split(",")[0]: line for line in tags["1059"]}


def test_lines_of_the_organization_itself_have_no_agent_tags(desk):
    books = desk.books
    upkeep = ServiceFactory(organization=books.org, code="maintenance", name="Содержание")
    books.teplo.phone = "+7 4822 00-00-00"
    books.teplo.save()
    LedgerEntry.objects.create(
        organization=books.org,
        account=books.account,
        service=upkeep,
        payee=books.org,
        period=JAN,
        corrects_period=JAN,
        kind=EntryKind.CHARGE,
        amount_kopecks=500_00,
        posted_at=timezone.now(),
    )
    taken = desk.take(
        700_00, targets=[Target(upkeep, 500_00), Target(books.heat, 200_00)], method="card"
    )
    tags = taken.document.tags
    lines = items_of(taken.document)
    assert set(lines) == {"Содержание", "Отопление"}
    assert not {"1222", "1224", "1226"} & set(lines["Содержание"])
    assert lines["Отопление"]["1224"] == {"1225": books.teplo.name, "1171": "+7 4822 00-00-00"}
    assert tags["1031"] == 0 and tags["1081"] == 700_00
    assert "1008" not in tags  # no contact given


def test_partial_payment_by_card_is_allocated_oldest_month_first(desk):
    first = desk.take(1000_00, method="card")
    assert first.payment.operation_id == f"shift{desk.shift.pk}-1"
    tags = first.document.tags
    assert tags["1081"] == 1000_00 and tags["1031"] == 0
    assert sum(line["1043"] for line in tags["1059"]) == 1000_00
    assert account_balance(account=desk.books.account) == DEBT - 1000_00
    # January is paid first: 1 000 split 1:3 between the services of the month
    paid = {
        (e.service_id, e.debt_period): -e.amount_kopecks
        for e in LedgerEntry.objects.filter(payment_id=first.payment.pk)
    }
    assert paid == {(desk.books.water.pk, JAN): 250_00, (desk.books.heat.pk, JAN): 750_00}
    second = desk.take(500_00)
    assert second.payment.operation_id == f"shift{desk.shift.pk}-2"


def test_targeted_payment_has_a_single_line_of_its_service(desk):
    taken = desk.take(1500_00, targets=[Target(desk.books.heat, 1500_00)])
    lines = items_of(taken.document)
    assert list(lines) == ["Отопление"]
    assert lines["Отопление"]["1043"] == 1500_00
    assert lines["Отопление"]["1226"] == desk.books.teplo.inn


def test_overpayment_goes_into_the_receipt_as_the_advance(desk):
    taken = desk.take(DEBT + 1000_00)
    assert sum(line["1043"] for line in taken.document.tags["1059"]) == DEBT + 1000_00
    assert account_balance(account=desk.books.account) == -1000_00


def test_account_never_charged_gets_an_advance_line(desk):
    newcomer = AccountFactory(
        premises=PremisesFactory(building=BuildingFactory(organization=desk.books.org))
    )
    taken = desk.take(300_00, account=newcomer)
    [line] = taken.document.tags["1059"]
    assert line["1030"].startswith("Аванс") and line["1043"] == 300_00
    assert "1222" not in line and "1057" not in taken.document.tags


def test_penalty_lines_take_the_penalty_subject_setting(desk):
    books = desk.books
    books.charge(books.account, books.water, JAN, 10_00, kind=EntryKind.PENALTY, penalty=True)
    books.org.billing_settings = {"fiscal_penalty_subject": 13}
    books.org.save()
    taken = desk.take(DEBT + 10_00)
    lines = items_of(taken.document)
    assert lines["Пени: Холодное водоснабжение"]["1212"] == 13
    assert lines["Пени: Холодное водоснабжение"]["1043"] == 10_00
    assert lines["Холодное водоснабжение"]["1212"] == 4


def test_organization_settings_change_the_tags(desk):
    books = desk.books
    books.org.billing_settings = {
        "fiscal_taxation_system": 2,
        "fiscal_settlement_method": 7,
        "fiscal_vat": 5,
        "fiscal_agent_sign": 32,
        "fiscal_place": "Касса №1, офис УК",
        "fiscal_address": "г. Тверь, пр. Победы, д. 3",
    }
    books.org.save()
    books.teplo.billing_settings = {"fiscal_vat": 1}  # a РСО charging VAT on its heat
    books.teplo.save()
    tags = desk.take(DEBT).document.tags
    lines = items_of_tags(tags)
    assert tags["1055"] == 2 and tags["1057"] == 32
    assert tags["1187"] == "Касса №1, офис УК" and tags["1009"] == "г. Тверь, пр. Победы, д. 3"
    assert lines["Холодное водоснабжение"]["1199"] == 5
    assert lines["Отопление"]["1199"] == 1
    assert {line["1214"] for line in tags["1059"]} == {7}


@pytest.mark.parametrize(
    ("value", "message"),
    [("двадцать", "не число"), (22, "недопустимое значение")],
)
def test_a_bad_fiscal_setting_refuses_the_payment_and_writes_nothing(desk, value, message):
    desk.books.org.billing_settings = {"fiscal_vat": value}
    desk.books.org.save()
    with pytest.raises(FiscalError, match=f"fiscal_vat.*{message}"):
        desk.take(1000_00)
    assert nothing_written()
    assert account_balance(account=desk.books.account) == DEBT


def test_fiscal_settings_default_to_the_rules(books):
    s = fiscal_settings(books.org)
    assert (s.fiscal_taxation_system, s.fiscal_settlement_method, s.fiscal_vat) == (1, 4, 6)
    assert (s.fiscal_subject, s.fiscal_penalty_subject, s.fiscal_agent_sign) == (4, 4, 64)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "cashless"}, "наличные или карта"),
        ({"payer_contact": "12345"}, "не телефон и не e-mail"),
        ({"payer_contact": "ivanov@"}, "не адрес электронной почты"),
        ({"amount": 0}, "больше нуля"),
        ({"amount": -5_00}, "больше нуля"),
        ({"amount": 10**13}, "невероятно велика"),
        ({"period": date(2025, 2, 15)}, "первым днём месяца"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_writes_nothing(desk, kwargs, message):
    amount = kwargs.pop("amount", 1000_00)
    with pytest.raises(PaymentError, match=message):
        desk.take(amount, **kwargs)
    assert nothing_written()


def test_targets_must_sum_to_the_amount(desk):
    with pytest.raises(PaymentError, match="не равна сумме платежа"):
        desk.take(1000_00, targets=[Target(desk.books.heat, 900_00)])
    assert nothing_written()


def test_another_organizations_account_is_refused(desk):
    stranger = AccountFactory()
    with pytest.raises(CashDeskError, match="другой организации"):
        desk.take(1000_00, account=stranger)
    assert nothing_written()


def test_no_payment_in_a_closed_shift(desk):
    cash_shift_close(shift=desk.shift)
    with pytest.raises(CashDeskError, match="закрыта"):
        desk.take(1000_00)
    assert nothing_written()


def test_contact_forms():
    assert contact_normalize("") == ""
    assert contact_normalize(" +7 (916) 123-45-67 ") == "+79161234567"
    assert contact_normalize("9161234567") == "+79161234567"
    assert contact_normalize("89161234567") == "+79161234567"
    assert contact_normalize("ivanov@example.ru") == "ivanov@example.ru"
    with pytest.raises(CashDeskError):
        contact_normalize("+7 916")


# --- registers ---------------------------------------------------------------------------


class RefusingRegister:
    def register(self, payment, **kwargs):
        raise FiscalError("касса не отвечает")


class RecordingRegister:
    calls: list = []

    def register(self, payment, *, settlement_sign, items, cash_kopecks, card_kopecks, contact):
        RecordingRegister.calls.append((payment.pk, settlement_sign, cash_kopecks, list(items)))
        return FiscalDocument.objects.create(
            organization_id=payment.organization_id,
            payment=payment,
            settlement_sign=settlement_sign,
            tags={"driver": True},
            state=FiscalState.DONE,
            fiscal_sign="42",
        )


@override_settings(RASCHET_FISCAL_REGISTER="tests.payments.test_cashdesk.RefusingRegister")
def test_a_refusing_register_takes_the_payment_back(desk):
    with pytest.raises(FiscalError, match="касса не отвечает"):
        desk.take(1000_00)
    assert nothing_written()
    assert account_balance(account=desk.books.account) == DEBT


@override_settings(RASCHET_FISCAL_REGISTER="tests.payments.test_cashdesk.RecordingRegister")
def test_the_register_is_chosen_by_the_setting(desk):
    RecordingRegister.calls = []
    taken = desk.take(1000_00)
    assert taken.document.tags == {"driver": True} and taken.document.fiscal_sign == "42"
    [(pk, sign, cash, items)] = RecordingRegister.calls
    assert (pk, sign, cash) == (taken.payment.pk, 1, 1000_00)
    assert all(isinstance(i, FiscalItem) for i in items)
    assert sum(i.amount_kopecks for i in items) == 1000_00


@override_settings(RASCHET_FISCAL_REGISTER="tests.payments.no_such.Register")
def test_a_wrong_register_path_is_named(desk):
    with pytest.raises(FiscalError, match="no_such"):
        desk.take(1000_00)
    assert nothing_written()


# --- cancelling --------------------------------------------------------------------------


def test_cancel_reverses_the_payment_and_queues_a_return_receipt(desk):
    taken = desk.take(1000_00, payer_contact="ivanov@example.ru")
    cancelled = cash_payment_cancel(payment=taken.payment, reason="ошибся счётом")
    assert cancelled.payment.state == PaymentState.REVERSED
    assert cancelled.payment.reversal_reason == "ошибся счётом"
    assert account_balance(account=desk.books.account) == DEBT
    doc = cancelled.document
    assert doc.settlement_sign == 2 and doc.tags["1054"] == 2
    assert doc.tags["1059"] == taken.document.tags["1059"]
    assert doc.tags["1031"] == 1000_00 and doc.tags["1008"] == "ivanov@example.ru"
    assert fiscal_items(cancelled.payment) == fiscal_items(taken.payment)


def test_cancel_is_refused_twice_without_reason_after_close_and_outside_the_desk(desk):
    taken = desk.take(1000_00)
    with pytest.raises(CashDeskError, match="причину"):
        cash_payment_cancel(payment=taken.payment, reason="  ")
    cash_payment_cancel(payment=taken.payment, reason="ошибка")
    with pytest.raises(CashDeskError, match="нельзя отменить"):
        cash_payment_cancel(payment=taken.payment, reason="ошибка")
    kept = desk.take(500_00)
    cash_shift_close(shift=desk.shift)
    with pytest.raises(CashDeskError, match="уже закрыта"):
        cash_payment_cancel(payment=kept.payment, reason="ошибка")
    bank, _ = payment_create(
        organization=desk.books.org,
        source=desk.books.bank,
        account=desk.books.account,
        amount_kopecks=100_00,
        paid_on=TODAY,
        operation_id="b-1",
        today=TODAY,
    )
    with pytest.raises(CashDeskError, match="не в кассе"):
        cash_payment_cancel(payment=bank, reason="ошибка")
    assert FiscalDocument.objects.filter(settlement_sign=2).count() == 1


# --- closing and the report -------------------------------------------------------------


def test_close_stores_the_totals_and_the_report_lists_payments(desk):
    desk.take(1000_00)
    desk.take(500_00, method="card")
    wrong = desk.take(200_00)
    cash_payment_cancel(payment=wrong.payment, reason="не тот счёт")
    closed_at = desk.shift.opened_at + timedelta(hours=8)
    shift = cash_shift_close(shift=desk.shift, now=closed_at)
    assert shift.closed_at == closed_at
    assert (shift.payments_count, shift.cash_kopecks, shift.card_kopecks) == (2, 1000_00, 500_00)
    assert shift.reversed_kopecks == 200_00
    report = cash_shift_report(shift)
    assert [p.amount_kopecks for p in report.payments] == [1000_00, 500_00, 200_00]
    assert [p.pk for p in report.reversals] == [wrong.payment.pk]
    assert report.by_method == {"cash": 1000_00, "card": 500_00}
    assert report.totals.total_kopecks == 1500_00 and report.totals.taken_kopecks == 1700_00
    assert report.totals.payments_count == shift.payments_count
    with pytest.raises(CashDeskError, match="уже закрыта"):
        cash_shift_close(shift=shift)


def test_a_shift_cannot_close_before_it_opened(desk):
    with pytest.raises(CashDeskError, match="раньше нельзя"):
        cash_shift_close(shift=desk.shift, now=datetime(2000, 1, 1, tzinfo=UTC))
    desk.shift.refresh_from_db()
    assert desk.shift.closed_at is None


# --- the outbox --------------------------------------------------------------------------


def test_outbox_lists_pending_documents_in_order_and_drivers_mark_them(desk):
    first = desk.take(1000_00).document
    second = desk.take(500_00).document
    other_org_desk = cash_shift_open(organization=OrganizationFactory(), cashier=desk.cashier)
    assert other_org_desk.organization_id != desk.books.org.pk
    assert list(fiscal_outbox_pending(desk.books.org)) == [first, second]

    done = fiscal_document_mark_done(doc=first, fiscal_sign="1234567890")
    assert done.state == FiscalState.DONE and done.fiscal_sign == "1234567890"
    assert done.registered_at is not None
    assert list(fiscal_outbox_pending(desk.books.org)) == [second]
    with pytest.raises(FiscalError, match="уже обработан"):
        fiscal_document_mark_done(doc=first, fiscal_sign="1")
    with pytest.raises(FiscalError, match="от 1 до 10 цифр"):
        fiscal_document_mark_done(doc=second, fiscal_sign="12345678901")
    with pytest.raises(FiscalError, match="от 1 до 10 цифр"):
        fiscal_document_mark_done(doc=second, fiscal_sign="ФП")
    with pytest.raises(FiscalError, match="почему"):
        fiscal_document_mark_failed(doc=second, error=" ")
    failed = fiscal_document_mark_failed(doc=second, error="смена ККТ превысила 24 часа")
    assert failed.state == FiscalState.FAILED and failed.registered_at is None
    assert not fiscal_outbox_pending(desk.books.org).exists()


# --- the receipt -------------------------------------------------------------------------


def test_receipt_shows_allocation_and_the_debt_left(desk):
    taken = desk.take(1000_00, method="card")
    later = desk.take(2000_00)  # a later payment does not change the first receipt
    data = receipt_data(taken.payment)
    assert data.number == taken.payment.operation_id
    assert data.shift == f"№{desk.shift.pk}" and data.cashier == "Анна Петрова"
    assert data.method == "Банковская карта"  # Russian whatever the interface language
    assert data.account_number == desk.books.account.number
    assert data.total_kopecks == 1000_00 == sum(line.paid_kopecks for line in data.lines)
    assert data.debt_after_kopecks == DEBT - 1000_00
    by_service = {line.service: line for line in data.lines}
    assert by_service["Отопление"].paid_kopecks == 750_00
    assert by_service["Отопление"].remaining_kopecks == 6000_00 - 750_00
    assert by_service["Отопление"].payee == desk.books.teplo.display_name
    assert receipt_data(later.payment).debt_after_kopecks == DEBT - 3000_00
    pdf = receipt_pdf(taken.payment)
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000


def test_receipt_of_a_cancelled_payment_says_so(desk):
    taken = desk.take(1000_00)
    cash_payment_cancel(payment=taken.payment, reason="ошибка кассира")
    data = receipt_data(Payment.objects.get(pk=taken.payment.pk))
    assert data.reversed_at is not None and data.reversal_reason == "ошибка кассира"
    assert receipt_pdf(Payment.objects.get(pk=taken.payment.pk)).startswith(b"%PDF")


# --- search ------------------------------------------------------------------------------


@pytest.fixture
def street(books) -> list[Account]:
    # the books' own account: an address and flat number with no "12" in them, whatever the
    # factories' sequences have reached
    Premises.objects.filter(pk=books.account.premises_id).update(number="1")
    Building.objects.filter(pk=books.account.premises.building_id).update(
        address="г. Тверь, ул. Советская, д. 1"
    )
    lenina = BuildingFactory(organization=books.org, address="г. Тверь, ул. Ленина, д. 5")
    gagarina = BuildingFactory(organization=books.org, address="г. Тверь, ул. Гагарина, д. 15")
    return [
        AccountFactory(
            number="L-12",
            premises=PremisesFactory(building=lenina, number="12"),
            payer_name="Сидоров Пётр",
        ),
        AccountFactory(number="L-13", premises=PremisesFactory(building=lenina, number="13")),
        AccountFactory(number="G-12", premises=PremisesFactory(building=gagarina, number="12")),
    ]


def test_search_by_number_and_by_address_words(books, street):
    org = books.org
    l12, l13, g12 = street
    assert account_search(organization=org, query="L-13") == [l13]
    assert account_search(organization=org, query="ленина 5, кв. 12") == [l12]
    assert account_search(organization=org, query="Ленина") == [l12, l13]
    assert account_search(organization=org, query="12") == [g12, l12]
    assert account_search(organization=org, query="сидоров") == [l12]
    assert account_search(organization=org, query="Пушкина") == []
    assert account_search(organization=org, query="  ") == []
    assert account_search(organization=org, query="ул. д.") == []


def test_search_does_not_find_another_organizations_accounts(books, street):
    AccountFactory(
        number="L-99",
        premises=PremisesFactory(
            building=BuildingFactory(address="г. Тверь, ул. Ленина, д. 5, корп. 2")
        ),
    )
    foreign = Account.objects.get(number="L-99")
    assert foreign.organization_id != books.org.pk
    assert account_search(organization=books.org, query="L-99") == []
    assert foreign not in account_search(organization=books.org, query="Ленина")
    assert account_search(organization=foreign.organization, query="L-99") == [foreign]
