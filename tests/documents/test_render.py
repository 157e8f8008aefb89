"""The printed page: every QR code scanned back from a 200 dpi image of the PDF and checked
against the payee, the account and the amount printed beside it (ГОСТ Р 56042, rules.md §6)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from raschet.core.bankkey import account_key_valid
from raschet.core.qr import qr_parse
from raschet.documents.assemble import documents_data
from raschet.documents.direct import DirectWriter
from raschet.documents.render import Renderer
from raschet.organizations.models import Organization
from tests.documents.conftest import (
    FEB,
    kopecks,
    ledger_due,
    page_amounts,
    page_images,
    page_texts,
    qr_payloads,
)

pytestmark = pytest.mark.django_db

PRINTED_AT = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["typst", "direct"])
def engine(request):
    """Both writers of the page: typst (single documents, the reference layout) and the
    direct writer of bundles (ADR 0009)."""
    return {"typst": Renderer, "direct": DirectWriter}[request.param]


def render(town, accounts, engine) -> bytes:
    docs = documents_data(organization=town.org, period=FEB, account_ids=[a.pk for a in accounts])
    with engine() as renderer:
        return renderer.render(docs, timestamp=PRINTED_AT)


def test_every_qr_code_pays_its_payee_the_amount_printed_beside_it(town, tmp_path, engine):
    pdf = render(town, town.accounts, engine)
    texts = page_texts(pdf, tmp_path)
    images = page_images(pdf, tmp_path)
    assert len(texts) == len(images) == len(town.accounts)
    payees = {p.settlement_account: p for p in (town.org, town.vodokanal)}
    codes_per_page = []
    for account, text, image in zip(town.accounts, texts, images, strict=True):
        assert re.search(rf"Лицевой счёт:\s+{account.number}\b", text), text[:500]
        # the payee blocks as printed: their accounts and totals, in reading order
        printed_accounts = re.findall(r"р/с\s+(\d{20})", text)
        printed_due = page_amounts(text, "Итого к оплате")
        assert len(printed_accounts) == len(printed_due) >= 1
        due = dict(zip(printed_accounts, printed_due, strict=True))
        for number, kop in due.items():
            assert kop == max(ledger_due(town, account, payees[number]), 0), account.number
        grand = page_amounts(text, "всего к оплате")
        assert grand == [sum(printed_due)]

        payloads = qr_payloads(image)
        owed = {n for n, kop in due.items() if kop > 0}
        assert len(payloads) == len(owed), account.number
        scanned = set()
        for payload in payloads:
            fields = qr_parse(payload)
            payee: Organization = payees[fields["PersonalAcc"]]
            assert fields["Name"] == payee.name
            assert fields["BankName"] == payee.bank_name
            assert fields["BIC"] == payee.bic
            assert fields["CorrespAcc"] == payee.correspondent_account
            assert fields["PayeeINN"] == payee.inn
            assert fields["KPP"] == payee.kpp
            assert account_key_valid(fields["BIC"], fields["PersonalAcc"])
            assert account_key_valid(fields["BIC"], fields["CorrespAcc"], correspondent=True)
            assert fields["PersAcc"] == account.number
            assert fields["PaymPeriod"] == f"{FEB:%m%Y}"
            assert fields["TechCode"] == "02"
            assert int(fields["Sum"]) == due[fields["PersonalAcc"]]
            assert account.number in fields["Purpose"]
            assert fields["PayerAddress"].endswith(f"кв. {account.premises.number}")
            scanned.add(fields["PersonalAcc"])
        assert scanned == owed
        words = " ".join(text.split())
        for number in set(due) - owed:
            advance = -ledger_due(town, account, payees[number])
            shown = re.search(r"Оплата не требуется: аванс (\d[\d\s]*,\d\d) ₽", words)
            assert shown, words
            assert kopecks(shown.group(1)) == advance > 0
        codes_per_page.append(len(payloads))
    # flat 1: one payee; flat 2: two payees with debts; flat 10: the water payee is in advance
    assert codes_per_page == [1, 2, 1]


def test_long_cyrillic_names_are_encoded_in_windows_1251(town, tmp_path, engine):
    """A 120-letter Cyrillic name and a 40-letter bank do not fit the 300-byte mandatory
    block in UTF-8 (two bytes a letter), so the code is written in windows-1251 (§6.1)."""
    name = "Муниципальное унитарное предприятие «Тверской городской водоканал и очистные"
    name = (name + " сооружения Заволжского района города Твери")[:120]
    bank = "Тверское отделение Коммунального банка Рос"[:40]
    Organization.objects.filter(pk=town.vodokanal.pk).update(name=name, bank_name=bank)
    pdf = render(town, [town.flat2], engine)
    [image] = page_images(pdf, tmp_path)
    payloads = qr_payloads(image)
    assert len(payloads) == 2
    long = [p for p in payloads if qr_parse(p)["PersonalAcc"] == town.vodokanal.settlement_account]
    assert len(long) == 1
    assert long[0].startswith("ST00011")  # encoding digit 1: windows-1251
    assert qr_parse(long[0])["Name"] == name
    assert qr_parse(long[0])["BankName"] == bank
    short = [p for p in payloads if p is not long[0]]
    assert short[0].startswith("ST00012")  # the management company's stays in UTF-8
