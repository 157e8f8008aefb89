"""Certificates of the passport desk: content read back from the PDF with pypdf, gap-free
numbering per organization and year, refusals, and the archive file with its hash."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.registry import certificates
from raschet.registry.certificates import CertificateError, certificate_issue, certificate_path
from raschet.registry.models import Certificate, CertificateCounter, RegistrationKind, Relation
from tests.factories import AccountFactory, PersonFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

ON = date(2026, 3, 15)
NOW = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def text_of(cert: Certificate) -> str:
    data = certificate_path(cert).read_bytes()
    assert hashlib.sha256(data).hexdigest() == cert.content_sha256
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\u00a0", " ").split())


@pytest.fixture
def flat():
    """A flat with two accounts (a communal flat): the owner with her son on the first, a
    temporary lodger on the second, a former resident deregistered before ``ON``."""
    account = AccountFactory(payer_name="Смирнова Ольга Петровна", number="700001")
    org = account.organization
    second = AccountFactory(premises=account.premises, number="700002")
    mother = PersonFactory(
        organization=org,
        last_name="Смирнова",
        first_name="Ольга",
        middle_name="Петровна",
        birth_date=date(1970, 4, 2),
    )
    son = PersonFactory(
        organization=org,
        last_name="Смирнов",
        first_name="Павел",
        middle_name="Игоревич",
        birth_date=date(2001, 11, 30),
    )
    lodger = PersonFactory(organization=org, last_name="Квартирантов", first_name="Кирилл")
    gone = PersonFactory(organization=org, last_name="Уехавший", first_name="Урван")
    RegistrationFactory(account=account, person=mother, valid_from=date(2010, 6, 1))
    RegistrationFactory(
        account=account, person=son, valid_from=date(2012, 2, 3), relation=Relation.CHILD
    )
    RegistrationFactory(
        account=second,
        person=lodger,
        valid_from=date(2026, 1, 10),
        valid_to=date(2026, 7, 1),
        kind=RegistrationKind.TEMPORARY,
        relation=Relation.OTHER,
    )
    RegistrationFactory(
        account=account, person=gone, valid_from=date(2015, 1, 1), valid_to=date(2026, 3, 1)
    )
    return account, mother, son


def test_registration_extract_lists_everyone_at_the_premises(flat):
    account, _mother, _son = flat
    cert = certificate_issue(account=account, kind="registration_extract", on=ON, now=NOW)
    assert cert.number == "2026/000001" and cert.year == 2026 and cert.sequence == 1
    text = text_of(cert)
    assert "ВЫПИСКА ИЗ ДОМОВОЙ КНИГИ" in text
    assert "2026/000001" in text and "15.03.2026" in text
    for expected in (
        "Смирнова Ольга Петровна",
        "02.04.1970",
        "01.06.2010",
        "Смирнов Павел Игоревич",
        "30.11.2001",
        "03.02.2012",
        "Квартирантов Кирилл",
        "по месту пребывания до 01.07.2026",
        "Всего зарегистрировано: 3 чел.",
    ):
        assert expected in text, expected
    assert "Уехавший" not in text


def test_household_lists_the_account_and_checks_the_applicant(flat):
    account, mother, _son = flat
    cert = certificate_issue(account=account, kind="household", on=ON, person=mother, now=NOW)
    text = text_of(cert)
    assert "СПРАВКА О СОСТАВЕ СЕМЬИ" in text
    assert "Дана Смирнова Ольга Петровна" in text
    assert "Смирнов Павел Игоревич" in text and "Квартирантов" not in text
    assert "Состав семьи: 2 чел." in text
    assert cert.person == mother
    lodger = PersonFactory(organization=account.organization, last_name="Посторонний")
    with pytest.raises(CertificateError, match="не зарегистрирован"):
        certificate_issue(account=account, kind="household", on=ON, person=lodger, now=NOW)
    empty = AccountFactory(organization=account.organization)
    with pytest.raises(CertificateError, match="никто не зарегистрирован"):
        certificate_issue(account=empty, kind="household", on=ON, now=NOW)
    assert Certificate.objects.count() == 1  # refusals take no number


def _entry(account, period, kind, kopecks):
    LedgerEntry.objects.create(
        organization=account.organization,
        account=account,
        period=period,
        corrects_period=period,
        kind=kind,
        amount_kopecks=kopecks,
        posted_at=datetime(period.year, period.month, 28, 12, tzinfo=UTC),
    )


def test_account_statement_per_month_and_no_debt(flat):
    account = flat[0]
    _entry(account, date(2025, 12, 1), EntryKind.CHARGE, 1000_00)
    _entry(account, date(2026, 1, 1), EntryKind.CHARGE, 2500_50)
    _entry(account, date(2026, 1, 1), EntryKind.PAYMENT, -1000_00)
    _entry(account, date(2026, 2, 1), EntryKind.CHARGE, 2500_50)
    _entry(account, date(2026, 2, 1), EntryKind.RECALCULATION, -120_00)
    _entry(account, date(2026, 2, 1), EntryKind.PAYMENT, -2380_50)
    cert = certificate_issue(
        account=account,
        kind="account_statement",
        on=ON,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 1),
        now=NOW,
    )
    text = text_of(cert)
    assert "ВЫПИСКА ИЗ ФИНАНСОВОГО ЛИЦЕВОГО СЧЁТА" in text
    assert "01.2026 1 000,00 2 500,50 0,00 0,00 0,00 1 000,00 2 500,50" in text
    assert "02.2026 2 500,50 2 500,50 -120,00 0,00 0,00 2 380,50 2 500,50" in text
    assert "03.2026 2 500,50 0,00" in text
    assert "Задолженность на конец периода: 2 500,50 руб." in text
    assert (cert.period_start, cert.period_end) == (date(2026, 1, 1), date(2026, 3, 1))

    with pytest.raises(CertificateError, match="задолженность 2\u00a0500,50 руб"):
        certificate_issue(account=account, kind="no_debt", on=ON, now=NOW)
    # on a day before the January charge was posted the account owed only December
    with pytest.raises(CertificateError, match="задолженность 1\u00a0000,00"):
        certificate_issue(account=account, kind="no_debt", on=date(2026, 1, 27), now=NOW)
    _entry(account, date(2026, 3, 1), EntryKind.PAYMENT, -2600_50)
    cert = certificate_issue(account=account, kind="no_debt", on=date(2026, 3, 28), now=NOW)
    text = text_of(cert)
    assert "СПРАВКА ОБ ОТСУТСТВИИ ЗАДОЛЖЕННОСТИ" in text
    assert "по состоянию на 28.03.2026 задолженность" in text and "отсутствует" in text
    assert "Переплата (аванс) на 28.03.2026: 100,00 руб." in text
    assert [c.number for c in Certificate.objects.order_by("sequence")] == [
        "2026/000001",
        "2026/000002",
    ]


def test_no_debt_leaves_out_what_is_not_due_yet(flat):
    """February 2026 is due on 10 March 2026 (rules.md §14): on 5 March its charge is not a
    debt yet, on 11 March it is."""
    account = flat[0]
    _entry(account, date(2026, 1, 1), EntryKind.CHARGE, 1000_00)
    _entry(account, date(2026, 1, 1), EntryKind.PAYMENT, -1000_00)
    _entry(account, date(2026, 2, 1), EntryKind.CHARGE, 2500_50)
    _entry(account, date(2026, 2, 1), EntryKind.PENALTY, 12_00)
    cert = certificate_issue(account=account, kind="no_debt", on=date(2026, 3, 5), now=NOW)
    text = text_of(cert)
    assert "задолженность по оплате жилого помещения" in text and "отсутствует" in text
    assert "Начислено к оплате 2 512,50 руб., срок оплаты не наступил" in text
    assert "(до 10.03.2026 включительно)" in text
    cert = certificate_issue(account=account, kind="no_debt", on=date(2026, 3, 10), now=NOW)
    assert "срок оплаты не наступил" in text_of(cert)  # paying on the due date is on time
    with pytest.raises(CertificateError, match="задолженность 2\u00a0512,50 руб"):
        certificate_issue(account=account, kind="no_debt", on=date(2026, 3, 11), now=NOW)


def test_no_debt_gives_capital_repair_its_regional_due_date(flat):
    """With the region's capital-repair day (the 20th, rules.md §2.2) the March 2026
    contribution is not due on 16 April while the ЖКУ of March (due the 15th) are."""
    from tests.factories import ServiceFactory

    account = flat[0]
    org = account.organization
    fund = ServiceFactory(organization=org, code="capital_repair", name="Взнос на капремонт")
    water = ServiceFactory(organization=org, code="cold_water", name="ХВС")
    march = date(2026, 3, 1)
    for service, kopecks in ((water, 700_00), (fund, 300_00)):
        LedgerEntry.objects.create(
            organization=org, account=account, period=march, corrects_period=march,
            kind=EntryKind.CHARGE, service=service, amount_kopecks=kopecks,
            posted_at=datetime(2026, 3, 31, 12, tzinfo=UTC),
        )  # fmt: skip
    on = date(2026, 4, 16)
    # the same for both without the setting: both due 15.04.2026
    with pytest.raises(CertificateError, match="задолженность 1\u00a0000,00 руб"):
        certificate_issue(account=account, kind="no_debt", on=on, now=NOW)
    org.billing_settings = {"capital_repair_due_day": 20}
    org.save()
    assert certificates.not_yet_due(account, on) == [(march, date(2026, 4, 20), 300_00)]
    with pytest.raises(CertificateError, match="задолженность 700,00 руб"):
        certificate_issue(account=account, kind="no_debt", on=on, now=NOW)
    LedgerEntry.objects.create(
        organization=org, account=account, period=date(2026, 4, 1),
        corrects_period=date(2026, 4, 1), kind=EntryKind.PAYMENT, service=water,
        amount_kopecks=-700_00, posted_at=datetime(2026, 4, 10, 12, tzinfo=UTC),
    )  # fmt: skip
    cert = certificate_issue(account=account, kind="no_debt", on=on, now=NOW)
    text = text_of(cert)
    assert "Начислено к оплате 300,00 руб., срок оплаты не наступил" in text
    assert "(до 20.04.2026 включительно)" in text
    with pytest.raises(CertificateError, match="задолженность 300,00 руб"):
        certificate_issue(account=account, kind="no_debt", on=date(2026, 4, 21), now=NOW)


def test_no_debt_refuses_an_overdue_part_beside_a_charge_not_yet_due(flat):
    account = flat[0]
    _entry(account, date(2026, 1, 1), EntryKind.CHARGE, 1000_00)
    _entry(account, date(2026, 1, 1), EntryKind.PAYMENT, -880_00)
    _entry(account, date(2026, 2, 1), EntryKind.CHARGE, 2500_50)
    with pytest.raises(CertificateError, match="задолженность 120,00 руб"):
        certificate_issue(account=account, kind="no_debt", on=date(2026, 3, 5), now=NOW)


def test_statement_period_is_checked(flat):
    account = flat[0]
    for start, end, message in (
        (date(2026, 3, 1), date(2026, 1, 1), "раньше начала"),
        (date(2000, 1, 1), date(2026, 1, 1), "не больше 120"),
        (None, date(2026, 1, 1), "укажите период"),
    ):
        with pytest.raises(CertificateError, match=message):
            certificate_issue(
                account=account,
                kind="account_statement",
                on=ON,
                period_start=start,
                period_end=end,
                now=NOW,
            )
    with pytest.raises(CertificateError, match="Неизвестный вид"):
        certificate_issue(account=account, kind="passport", on=ON, now=NOW)


def test_numbers_are_per_organization_and_year_and_gap_free(flat, monkeypatch):
    account = flat[0]
    other = AccountFactory()
    first = certificate_issue(account=account, kind="registration_extract", on=ON, now=NOW)
    foreign = certificate_issue(account=other, kind="registration_extract", on=ON, now=NOW)
    assert (first.number, foreign.number) == ("2026/000001", "2026/000001")

    def broken(content, *, timestamp):
        raise RuntimeError("typst fell over")

    monkeypatch.setattr(certificates, "render", broken)
    with pytest.raises(RuntimeError):
        certificate_issue(account=account, kind="registration_extract", on=ON, now=NOW)
    monkeypatch.undo()
    second = certificate_issue(account=account, kind="registration_extract", on=ON, now=NOW)
    assert second.number == "2026/000002"  # the failed issue returned its number
    next_year = certificate_issue(
        account=account,
        kind="registration_extract",
        on=ON,
        now=datetime(2027, 1, 2, 8, tzinfo=UTC),
    )
    assert next_year.number == "2027/000001"
    counter = CertificateCounter.objects.get(organization=account.organization, year=2026)
    assert counter.last_number == 2
    files = sorted(p.name for p in (certificate_path(second).parent).iterdir())
    assert files == ["000001-registration_extract.pdf", "000002-registration_extract.pdf"]


def test_a_file_is_removed_when_the_log_row_fails(flat, monkeypatch):
    account = flat[0]

    def refuse(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Certificate.objects, "create", refuse)
    with pytest.raises(RuntimeError):
        certificate_issue(account=account, kind="registration_extract", on=ON, now=NOW)
    folder = certificates.archive_root()
    assert not any(p.is_file() for p in folder.rglob("*")) if folder.exists() else True
    assert not CertificateCounter.objects.filter(last_number__gt=0).exists()


def test_an_applicant_of_another_organization_is_refused(flat):
    account = flat[0]
    with pytest.raises(CertificateError, match="разным организациям"):
        certificate_issue(account=account, kind="household", on=ON, person=PersonFactory(), now=NOW)


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_get_distinct_consecutive_numbers(on_postgres):
    """Two clerks issuing at once on PostgreSQL: the counter lock serializes them."""
    if not on_postgres:
        pytest.skip("row locks are a PostgreSQL matter; SQLite serializes every write")
    import threading

    from django.db import connection

    account = AccountFactory()
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def issue() -> None:
        try:
            barrier.wait(timeout=30)
            certificate_issue(account=account, kind="registration_extract", on=ON, now=NOW)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    numbers = sorted(Certificate.objects.values_list("sequence", flat=True))
    assert numbers == [1, 2, 3, 4]
