"""ПП 354 п.69 «з»: a benefit paid as ЕДК (rules.md §4.2) is shown on the ЕПД for
information; what is due and the QR code's Sum stay the whole bill."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from raschet.billing.models import ChargeLine
from raschet.billing.selectors import posted_run_ids
from raschet.billing.services import billing_month_close, billing_run
from raschet.core.money import format_rubles
from raschet.core.qr import qr_parse
from raschet.documents.assemble import _cash_note, documents_data
from raschet.documents.direct import DirectWriter
from raschet.documents.render import Renderer
from raschet.ledger.models import LedgerEntry
from raschet.registry.models import BenefitCategory, BenefitModel, PersonBenefit, Registration
from tests.documents.conftest import (
    FEB,
    MAR,
    ledger_due,
    page_amounts,
    page_images,
    page_texts,
    qr_payloads,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 4, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def march(town):
    """March billed after a second resident of flat 2 was granted a veterans' benefit paid
    as ЕДК from 1 March (the first one keeps the disabled persons' discount)."""
    veterans = BenefitCategory(
        organization=town.org,
        code="veterans",
        name="Ветераны труда",
        percent=Decimal("50"),
        service_bases={"maintenance": "per_person_share"},
        model=BenefitModel.CASH,
    )
    veterans.full_clean()
    veterans.save()
    second = Registration.objects.filter(account=town.flat2).order_by("pk")[1]
    PersonBenefit.objects.create(
        organization=town.org, person=second.person, category=veterans, valid_from=MAR
    )
    billing_run(organization=town.org, period=MAR)
    billing_month_close(organization=town.org, period=MAR)
    return town


def _march_lines(town):
    return ChargeLine.objects.filter(
        run_id__in=posted_run_ids(town.org.pk), account_id=town.flat2.pk, period=MAR
    )


def test_the_month_of_a_cash_benefit_shows_it_as_information(march):
    town = march
    lines = [x for x in _march_lines(town) if x.corrects_period == MAR]
    cash = -sum(x.benefit_cash for x in lines)
    discount = sum(x.benefit for x in lines)
    assert cash > 0 and discount < 0
    # 40.00 ₽ × 60 m² = 2 400.00 ₽ for three residents: the veteran's share 800.00 × 50 %
    assert cash == 40000
    # only the discount is posted
    posted = LedgerEntry.objects.filter(account_id=town.flat2.pk, period=MAR, kind="benefit")
    assert sum(e.amount_kopecks for e in posted) == discount
    [doc] = documents_data(organization=town.org, period=MAR, account_ids=[town.flat2.pk])
    c = doc.content
    amount = f"{cash // 100:,}".replace(",", "\u00a0") + f",{cash % 100:02d}"
    assert c["cash_benefit_note"] == (
        f"Справочно: компенсация (ЕДК) за март 2025: {amount} ₽ "
        f"({town.maintenance.name} {amount}) — выплачивается органом соцзащиты, "
        "к оплате не уменьшает."
    )
    assert c["cash_benefits"] == [
        {"service": town.maintenance.name, "month": "03.2025", "amount": amount}
    ]
    maintenance = next(r for r in c["lines"] if r["service"] == town.maintenance.name)
    # the «Льготы» column holds the discount only
    assert maintenance["benefit"] == format_rubles(discount)
    assert "ЕДК (выплачивает орган соцзащиты, в счёт не входит)" in maintenance["how"]


def test_a_cash_benefit_changes_neither_the_amount_due_nor_the_qr_sum(march, tmp_path):
    town = march
    # what is due, worked out without the ledger: February's debt plus March's whole charge
    charged = {
        town.org.pk: sum(
            x.total for x in _march_lines(town) if x.service_id == town.maintenance.pk
        ),
        town.vodokanal.pk: sum(
            x.total for x in _march_lines(town) if x.service_id == town.water.pk
        ),
    }
    expected = {
        p.pk: ledger_due(town, town.flat2, p, FEB) + charged[p.pk]
        for p in (town.org, town.vodokanal)
    }
    for payee in (town.org, town.vodokanal):
        assert ledger_due(town, town.flat2, payee, MAR) == expected[payee.pk]
    [doc] = documents_data(organization=town.org, period=MAR, account_ids=[town.flat2.pk])
    assert doc.amount_due == sum(max(v, 0) for v in expected.values())
    by_account = {
        town.org.settlement_account: town.org.pk,
        town.vodokanal.settlement_account: town.vodokanal.pk,
    }
    for engine in (Renderer, DirectWriter):
        with engine() as writer:
            pdf = writer.render([doc], timestamp=NOW)
        [text] = page_texts(pdf, tmp_path)
        words = " ".join(text.split())
        assert "Справочно: компенсация (ЕДК) за март 2025" in words, engine
        assert "к оплате не уменьшает" in words
        assert page_amounts(text, "всего к оплате") == [doc.amount_due]
        [image] = page_images(pdf, tmp_path)
        sums = {qr_parse(p)["PersonalAcc"]: int(qr_parse(p)["Sum"]) for p in qr_payloads(image)}
        assert sums == {acc: expected[pk] for acc, pk in by_account.items() if expected[pk] > 0}, (
            engine
        )
        for image in tmp_path.glob("page-*.pgm"):
            image.unlink()


def test_a_document_without_cash_benefits_keeps_its_content(town):
    """The keys appear only when there is an ЕДК: other documents' content (and its hash)
    is what it was."""
    docs = documents_data(
        organization=town.org, period=FEB, account_ids=[a.pk for a in town.accounts]
    )
    assert all("cash_benefit_note" not in d.content for d in docs)
    assert all("cash_benefits" not in d.content for d in docs)


def test_the_note_names_recalculated_compensations_of_earlier_months():
    rows = [
        {"service": "Отопление", "month": "03.2025", "own": True, "kopecks": 150000,
         "amount": "1\u00a0500,00"},
        {"service": "ХВС", "month": "01.2025", "own": False, "kopecks": 12478,
         "amount": "124,78"},
        {"service": "ХВС", "month": "02.2025", "own": False, "kopecks": -500, "amount": "-5,00"},
    ]  # fmt: skip
    assert _cash_note(rows, "март 2025") == (
        "Справочно: компенсация (ЕДК) за март 2025: 1\u00a0500,00 ₽ (Отопление 1\u00a0500,00), "
        "перерасчёт компенсации (ЕДК): 01.2025 ХВС +124,78 ₽; 02.2025 ХВС -5,00 ₽ — "
        "выплачивается органом соцзащиты, к оплате не уменьшает."
    )
    assert _cash_note(rows[1:2], "март 2025") == (
        "Справочно: перерасчёт компенсации (ЕДК): 01.2025 ХВС +124,78 ₽ — "
        "выплачивается органом соцзащиты, к оплате не уменьшает."
    )
    assert _cash_note([], "март 2025") == ""
