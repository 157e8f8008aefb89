"""The turnover sheet as a file: CSV (UTF-8 with BOM, ``;``, for Excel) or XLSX.

Amounts are written in rubles with two decimals from the exact kopecks (a string in CSV, a
number formatted ``0.00`` in XLSX built from ``Decimal``), never through a float.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from raschet.core.money import kopecks_to_decimal
from raschet.ledger.selectors import FIGURES, Turnover

HEADERS = {
    "opening": "Сальдо на начало",
    "charged": "Начислено",
    "recalculated": "Перерасчёт",
    "reductions": "Снижение",
    "benefits": "Льготы",
    "paid": "Оплачено",
    "penalties": "Пени",
    "other": "Списания и переносы",
    "closing": "Сальдо на конец",
}
DIMENSION_TITLES = {
    "account": "Лицевой счёт",
    "building": "Дом",
    "service": "Услуга",
    "payee": "Получатель",
}


def _title(sheet: Turnover) -> str:
    start, end = f"{sheet.start:%m.%Y}", f"{sheet.end:%m.%Y}"
    span = start if start == end else f"{start}–{end}"
    return f"Оборотно-сальдовая ведомость за {span}"


def _rubles(kopecks: int) -> str:
    return f"{kopecks_to_decimal(kopecks):.2f}".replace(".", ",")


def turnover_csv(sheet: Turnover) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([DIMENSION_TITLES[sheet.by], *(HEADERS[f] for f in FIGURES)])
    for row in sheet.rows:
        writer.writerow([row.label, *(_rubles(row.figures[f]) for f in FIGURES)])
    writer.writerow(["Итого", *(_rubles(sheet.totals[f]) for f in FIGURES)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def turnover_xlsx(sheet: Turnover) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    ws.title = "ОСВ"
    ws.append([_title(sheet)])
    ws["A1"].font = Font(bold=True)
    ws.append([DIMENSION_TITLES[sheet.by], *(HEADERS[f] for f in FIGURES)])
    for cell in ws[2]:
        cell.font = Font(bold=True)

    def money(kopecks: int) -> Decimal:
        return kopecks_to_decimal(kopecks)

    for row in sheet.rows:
        ws.append([row.label, *(money(row.figures[f]) for f in FIGURES)])
    ws.append(["Итого", *(money(sheet.totals[f]) for f in FIGURES)])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for column in ws.iter_cols(min_row=3, min_col=2):
        for cell in column:
            cell.number_format = "#,##0.00"
    ws.column_dimensions["A"].width = 48
    for letter in "BCDEFGHIJ":
        ws.column_dimensions[letter].width = 16
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
