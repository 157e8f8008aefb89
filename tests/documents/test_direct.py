"""The direct writer of bundles (ADR 0009): what it puts on the page, its text layout, and
the fall-back to typst for a page it cannot lay out. Its QR codes and amounts are checked
against the ledger with typst's in test_render.py (both engines)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raschet.documents import services
from raschet.documents.assemble import documents_data
from raschet.documents.direct import DirectWriter, LayoutError, fonts, wrap
from raschet.documents.models import PaymentDocument, PrintFile
from raschet.documents.render import Renderer
from raschet.housing.models import Account
from tests.documents.conftest import FEB, page_texts, pdf_pages

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

words = st.text(
    alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЯ0123456789,.-«»№", min_size=1, max_size=30
)


@settings(max_examples=150, deadline=None)
@given(st.lists(words, min_size=0, max_size=40), st.floats(min_value=20, max_value=300))
def test_wrapped_lines_fit_and_keep_every_word(parts, width):
    text = " ".join(parts)
    lines = wrap(text, False, 6.6, width)
    regular = fonts()[0]
    for line in lines:
        assert regular.width(line, 6.6) <= width + 0.01 or len(line) == 1
    # nothing lost or reordered: only spaces became line breaks (and long words were cut)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(not line.startswith(" ") for line in lines if parts)


def test_a_newline_always_breaks():
    assert wrap("первая\nвторая", True, 6.6, 500) == ("первая", "вторая")


def test_a_character_outside_the_fonts_is_refused_not_dropped():
    with pytest.raises(LayoutError, match="вне набора шрифта"):
        fonts()[0].hex("дом 🏠")


@pytest.mark.django_db
def test_the_bundle_carries_each_document_once_with_its_static_parts_drawn_once(town, tmp_path):
    docs = documents_data(
        organization=town.org, period=FEB, account_ids=[a.pk for a in town.accounts]
    )
    with DirectWriter() as writer:
        pdf = writer.render(docs, timestamp=NOW)
    assert pdf.startswith(b"%PDF-1.7") and pdf.rstrip().endswith(b"%%EOF")
    assert pdf_pages(pdf) == len(docs) == 3
    texts = page_texts(pdf, tmp_path)
    for account, text in zip(town.accounts, texts, strict=True):
        assert re.search(rf"Лицевой счёт:\s+{account.number}\b", text)
        assert "Уведомление" in text and "ЕДИНЫЙ ПЛАТЁЖНЫЙ ДОКУМЕНТ" in text
        assert "Как рассчитано" in text
    # the branding and the notice are form XObjects shared by the pages, and the two fonts
    # are embedded once for the file
    assert pdf.count(b"/Subtype /Form") == 2
    assert pdf.count(b"/FontFile2") == 2
    # the page holds the same figures as typst's (every amount of the charges table)
    with Renderer() as renderer:
        (tmp_path / "typst").mkdir()
        reference = page_texts(renderer.render(docs, timestamp=NOW), tmp_path / "typst")
    amount = re.compile(r"-?\d[\d\u00a0]*,\d\d")
    for ours, theirs in zip(texts, reference, strict=True):
        assert sorted(amount.findall(ours)) == sorted(amount.findall(theirs))


@pytest.mark.django_db
def test_a_page_that_does_not_fit_is_refused(town):
    [doc] = documents_data(organization=town.org, period=FEB, account_ids=[town.flat2.pk])
    recalculation = doc.content["recalculations"][0]
    doc.content["recalculations"] = [recalculation] * 120
    with pytest.raises(LayoutError, match="страница переполнена"):
        DirectWriter().render([doc], timestamp=NOW)


@pytest.mark.django_db
def test_a_bundle_the_direct_writer_refuses_is_typeset_by_typst(town, tmp_path, caplog):
    Account.objects.filter(pk=town.flat2.pk).update(payer_name="Иванов Иван 🏠")
    with caplog.at_level(logging.WARNING, logger="raschet.documents.services"):
        services.documents_print(
            organization=town.org, period=FEB, out_dir=tmp_path / "out", bundle=True
        )
    assert "прямая запись невозможна" in caplog.text
    [printed] = PrintFile.objects.all()
    pdf = (tmp_path / "out" / printed.path.rsplit("/", 1)[1]).read_bytes()
    assert b"/Producer (Raschet)" not in pdf  # typst's, not the direct writer's
    assert pdf_pages(pdf) == PaymentDocument.objects.count() == 3


@pytest.mark.django_db
def test_the_engine_setting_chooses_typst_for_every_bundle(town, tmp_path, settings):
    settings.RASCHET_EPD_BUNDLE_ENGINE = "typst"
    services.documents_print(
        organization=town.org, period=FEB, out_dir=tmp_path / "out", bundle=True
    )
    [printed] = PrintFile.objects.all()
    assert (
        b"/Producer (Raschet)"
        not in (tmp_path / "out" / printed.path.rsplit("/", 1)[1]).read_bytes()
    )
    settings.RASCHET_EPD_BUNDLE_ENGINE = "direct"
    services.documents_print(
        organization=town.org, period=FEB, out_dir=tmp_path / "out2", bundle=True
    )
    latest = PrintFile.objects.order_by("-pk").first()
    assert latest is not None
    assert (
        b"/Producer (Raschet)" in (tmp_path / "out2" / latest.path.rsplit("/", 1)[1]).read_bytes()
    )


@pytest.mark.django_db
def test_a_long_service_name_in_the_derivations_gets_a_line_of_its_own(town, tmp_path):
    [doc] = documents_data(organization=town.org, period=FEB, account_ids=[town.flat2.pk])
    long_name = "Холодное водоснабжение " + "для нужд очень длинного наименования услуги " * 6
    doc.content["lines"][0]["service"] = long_name.strip()
    pdf = DirectWriter().render([doc], timestamp=NOW)
    [text] = page_texts(pdf, tmp_path)
    how = doc.content["lines"][0]["how"]
    words = " ".join(text.split())
    # every word of the name and of its derivation is printed, in order
    assert " ".join(f"{long_name.strip()}: {how}".split()) in words


@pytest.mark.django_db
@pytest.mark.parametrize("engine", [DirectWriter, Renderer], ids=["direct", "typst"])
def test_a_contractors_fine_has_a_section_of_its_own(town, tmp_path, engine):
    """ПП 354 п.155(1): the 50 % fine (ЖК ст.157 ч.6) is shown on the document by itself;
    it is also inside the service's «Снижение»."""
    from decimal import Decimal

    from raschet.billing.models import QualityAct
    from raschet.billing.services import billing_month_close, billing_run
    from tests.documents.conftest import MAR

    act = QualityAct(
        organization=town.org, building_id=town.building_id, account=town.flat2,
        service=town.maintenance, period=MAR, kind="fine", overcharge=Decimal("200.00"),
    )  # fmt: skip
    act.full_clean()
    act.save()
    billing_run(organization=town.org, period=MAR)
    billing_month_close(organization=town.org, period=MAR)
    [doc] = documents_data(organization=town.org, period=MAR, account_ids=[town.flat2.pk])
    assert doc.content["fines"] == [{"service": town.maintenance.name, "amount": "-100,00"}]
    with engine() as writer:
        [text] = page_texts(writer.render([doc], timestamp=NOW), tmp_path)
    words = " ".join(text.split())
    assert "Штраф исполнителя за нарушение порядка расчёта платы (ЖК РФ ст.157 ч.6)" in words
    assert re.search(rf"{town.maintenance.name}\s+-100,00", words), words
