"""ГИС ЖКХ payment document identifiers (ИПД): imported from CSV, printed on the ЕПД beside
the ЕЛС and carried in every QR code as ``DocIdx`` (rules.md §6.2, §8.1)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from raschet import cli
from raschet.core.qr import qr_parse
from raschet.documents.assemble import documents_data
from raschet.documents.direct import DirectWriter
from raschet.documents.gis import IpdImportError, ipd_import, parse_ipd_file
from raschet.documents.models import GisDocumentId
from raschet.housing.models import Account
from tests.documents.conftest import FEB, page_images, page_texts, qr_payloads

pytestmark = pytest.mark.django_db

ELS = "75АБ533315"
IPD = f"{ELS}-01-5012"


def _csv(*rows: str, header: str = "ЛС;Период;ИПД") -> bytes:
    return ("\ufeff" + "\r\n".join((header, *rows)) + "\r\n").encode("utf-8")


@pytest.fixture
def ipd_file(tmp_path):
    """Write ``data`` to a file and return its path (the import reads files)."""
    count = iter(range(100))

    def write(data: bytes, name: str = "ipd.csv"):
        folder = tmp_path / f"f{next(count)}"
        folder.mkdir()
        path = folder / name
        path.write_bytes(data)
        return path

    return write


def test_imported_ipd_is_printed_and_scanned_from_every_qr_code(town, tmp_path, ipd_file):
    Account.objects.filter(pk=town.flat2.pk).update(gis_account_id=ELS)
    count = ipd_import(
        organization=town.org, path=ipd_file(_csv(f"100002;2025-02;{IPD.lower()}"), "ipd.csv")
    )
    assert count == 1
    assert GisDocumentId.objects.get(account_id=town.flat2.pk, period=FEB).ipd == IPD
    docs = documents_data(organization=town.org, period=FEB, account_ids=[town.flat2.pk])
    with DirectWriter() as writer:
        pdf = writer.render(docs, timestamp=datetime(2025, 3, 3, tzinfo=UTC))
    [text] = page_texts(pdf, tmp_path)
    assert re.search(rf"ИПД:\s+{IPD}", text), text[:600]
    assert re.search(rf"ЕЛС:\s+{ELS}", text)
    payloads = qr_payloads(page_images(pdf, tmp_path)[0])
    assert len(payloads) == 2
    assert {qr_parse(p)["DocIdx"] for p in payloads} == {IPD}


def test_an_account_without_ipd_has_no_docidx(town, tmp_path):
    [doc] = documents_data(organization=town.org, period=FEB, account_ids=[town.flat2.pk])
    assert doc.content["account"]["ipd"] == ""
    assert all("DocIdx" not in qr_parse(q.payload) for q in doc.qr if q.payload)


def test_a_second_import_replaces_the_month_and_keeps_others(town, ipd_file):
    ipd_import(organization=town.org, path=ipd_file(_csv(f"100002;02.2025;{IPD}"), "a.csv"))
    ipd_import(organization=town.org, path=ipd_file(_csv(f"100002;2025-01;{ELS}-01-4012"), "b.csv"))
    ipd_import(organization=town.org, path=ipd_file(_csv(f"100002;2025-02;{ELS}-02-5012"), "c.csv"))
    months = dict(
        GisDocumentId.objects.filter(account_id=town.flat2.pk).values_list("period", "ipd")
    )
    assert months == {FEB: f"{ELS}-02-5012", FEB.replace(month=1): f"{ELS}-01-4012"}


@pytest.mark.parametrize(
    ("rows", "header", "says"),
    [
        ([f"100002;2025-02;{ELS}-1-5012"], None, "ipd.csv, строка 3, столбец «ИПД»"),
        ([f"100002;2025-13;{IPD}"], None, "ipd.csv, строка 3, столбец «Период»"),
        ([f";2025-02;{IPD}"], None, "ipd.csv, строка 3, столбец «ЛС»: пусто"),
        ([f"100002;2025-02;{IPD}", f"100002;02.2025;{IPD}"], None,
         "ipd.csv, строка 4: счёт 100002 за 02.2025 уже был в строке 3"),
        ([f"100002;2025-02;{IPD}"], "ЛС;Месяц", "ipd.csv, строка 1: нет столбца «ИПД»"),
        ([f"999999;2025-02;{IPD}"], None, "ipd.csv, строка 3, столбец «ЛС»: счёт 999999 не найден"),
    ],
    ids=["bad-ipd", "bad-month", "no-account", "twice", "no-column", "unknown-account"],
)  # fmt: skip
def test_a_bad_file_is_refused_whole_naming_line_and_column(town, rows, header, says, ipd_file):
    good = f"100001;2025-02;{ELS}-01-0001"  # line 2: a good line that must not be kept either
    data = _csv(good, *rows, header=header or "ЛС;Период;ИПД")
    with pytest.raises(IpdImportError) as refused:
        ipd_import(organization=town.org, path=ipd_file(data, "ipd.csv"))
    assert says in str(refused.value)
    assert not GisDocumentId.objects.exists()


def test_an_ipd_of_another_els_is_refused(town, ipd_file):
    Account.objects.filter(pk=town.flat2.pk).update(gis_account_id="11ВГ000001")
    with pytest.raises(IpdImportError, match="не начинается с ЕЛС счёта 11ВГ000001"):
        ipd_import(organization=town.org, path=ipd_file(_csv(f"100002;2025-02;{IPD}"), "x.csv"))


def test_windows_1251_and_commas_are_read(ipd_file):
    data = f"ЛС,Период,ИПД\n100002,2025-02,{IPD}\n".encode("cp1251")
    [row] = parse_ipd_file(ipd_file(data), "x.csv")
    assert (row.account, row.period, row.ipd, row.line) == ("100002", FEB, IPD, 2)


def test_ipd_import_command(town, tmp_path, capsys):
    path = tmp_path / "ipd.csv"
    path.write_bytes(_csv(f"100002;2025-02;{IPD}"))
    assert cli.main(["documents", "ipd-import", str(path), "--organization", town.org.code]) == 0
    assert "Загружено идентификаторов платёжных документов (ИПД): 1" in capsys.readouterr().out
    path.write_bytes(_csv(f"100002;2025-02;{ELS}"))
    assert cli.main(["documents", "ipd-import", str(path), "--organization", town.org.code]) == 1
    said = " ".join(capsys.readouterr().out.split())
    assert "Файл не загружен, ничего не изменено" in said
    assert "ipd.csv, строка 2, столбец «ИПД»" in said
    assert GisDocumentId.objects.get().ipd == IPD


def test_an_xlsx_file_with_a_date_cell_is_read(ipd_file):
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["ЛС", "Период", "ИПД"])
    sheet.append(["100002", FEB, IPD])
    buffer = BytesIO()
    book.save(buffer)
    [row] = parse_ipd_file(ipd_file(buffer.getvalue(), "ipd.xlsx"), "ipd.xlsx")
    assert (row.account, row.period, row.ipd, row.line) == ("100002", FEB, IPD, 2)
