"""The ageing summary, the debtor list and the collection rate as files: CSV (UTF-8 with
BOM, ``;``, decimal comma — for Excel) or XLSX (openpyxl).

Amounts are rubles with two decimals made from the exact kopecks through `Decimal` (a
string in CSV, a number formatted ``#,##0.00`` in XLSX), never through a float; the
collection rate is a percentage with two decimals, empty when nothing was charged. Headers
are Russian: the files go to accountants and courts, whatever the page's language.

An XLSX sheet holds at most 1 048 576 rows: a longer debtor list raises `ExportTooLarge`
(CSV has no such limit and is written row by row).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from raschet.core.money import kopecks_to_decimal
from raschet.debt.ageing import FIGURES, Ageing, Collected, Collection, Debtor

BUCKET_TITLES = {
    "not_due": "Срок оплаты не наступил",
    "up_to_3": "Просрочка до 3 мес.",
    "from_3_to_6": "Просрочка 3–6 мес.",
    "from_6_to_12": "Просрочка 6–12 мес.",
    "over_12": "Просрочка более 12 мес.",
}
FIGURE_TITLES = {
    **BUCKET_TITLES,
    "overdue": "Просрочено всего",
    "principal": "Основной долг всего",
    "penalty": "Пени",
    "advance": "Аванс (переплата)",
}
DIMENSION_TITLES = {"total": "", "building": "Дом", "service": "Услуга", "payee": "Получатель"}
DEBTOR_TITLES = ("Лицевой счёт", "Плательщик", "Адрес")
DEBTOR_TAIL = ("Самый ранний просроченный месяц", "Месяцев просрочки")
COLLECTION_TITLES = ("Дом", "Месяц", "Начислено", "Оплачено", "Собираемость, %")
TOTAL = "Итого"
XLSX_MAX_ROWS = 1_048_576
MONEY_FORMAT = "#,##0.00"


class ExportTooLarge(ValueError):
    """More rows than an XLSX sheet holds."""


def _rubles(kopecks: int) -> str:
    return f"{kopecks_to_decimal(kopecks):.2f}".replace(".", ",")


def _percent(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}".replace(".", ",")


def _month(day: date | None) -> str:
    return "" if day is None else f"{day:%m.%Y}"


def _csv(rows: Iterable[Iterable[Any]]) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


class _Sheet:
    """A write-only XLSX sheet: a bold title, a bold header, money cells as `Decimal`."""

    def __init__(self, title: str, name: str, header: Iterable[str]) -> None:
        from openpyxl import Workbook

        self.book = Workbook(write_only=True)
        self.ws = self.book.create_sheet(name)
        self.rows = 0
        self.append([title], bold=True)
        self.append(list(header), bold=True)

    def append(self, values: Iterable[Any], *, bold: bool = False, money_from: int = 99) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        if self.rows >= XLSX_MAX_ROWS:
            self._abandon()
            raise ExportTooLarge(
                f"В лист XLSX помещается не больше {XLSX_MAX_ROWS} строк: "
                "выгрузите CSV или сузьте отбор"
            )
        cells = []
        for k, value in enumerate(values):
            cell = WriteOnlyCell(self.ws, value=value)
            if bold:
                cell.font = Font(bold=True)
            if k >= money_from and isinstance(value, Decimal):
                cell.number_format = MONEY_FORMAT
            cells.append(cell)
        self.ws.append(cells)
        self.rows += 1

    def _abandon(self) -> None:
        """Finish and remove the sheet's temporary file: the workbook will not be saved."""
        self.ws.close()
        writer = getattr(self.ws, "_writer", None)
        if writer is not None:
            writer.cleanup()

    def save(self) -> bytes:
        out = io.BytesIO()
        self.book.save(out)
        return out.getvalue()


# ----------------------------------------------------------------------------- ageing


def _ageing_title(sheet: Ageing) -> str:
    return f"Задолженность по срокам просрочки на {sheet.on:%d.%m.%Y}"


def _ageing_header(sheet: Ageing) -> list[str]:
    first = DIMENSION_TITLES[sheet.by] or "Итого"
    return [first, *(FIGURE_TITLES[f] for f in FIGURES)]


def ageing_csv(sheet: Ageing) -> bytes:
    rows: list[list[str]] = [_ageing_header(sheet)]
    rows += [[r.label, *(_rubles(r.figures[f]) for f in FIGURES)] for r in sheet.rows]
    rows.append([TOTAL, *(_rubles(sheet.totals[f]) for f in FIGURES)])
    return _csv(rows)


def ageing_xlsx(sheet: Ageing) -> bytes:
    out = _Sheet(_ageing_title(sheet), "Задолженность", _ageing_header(sheet))
    for row in sheet.rows:
        out.append(
            [row.label, *(kopecks_to_decimal(row.figures[f]) for f in FIGURES)], money_from=1
        )
    out.append(
        [TOTAL, *(kopecks_to_decimal(sheet.totals[f]) for f in FIGURES)], bold=True, money_from=1
    )
    return out.save()


# ----------------------------------------------------------------------------- debtors


def _debtor_header() -> list[str]:
    return [*DEBTOR_TITLES, *(FIGURE_TITLES[f] for f in FIGURES), *DEBTOR_TAIL]


def _debtor_cells(d: Debtor, money: Any) -> list[Any]:
    return [
        d.number,
        d.payer,
        d.address,
        *(money(d.figures[f]) for f in FIGURES),
        _month(d.oldest_month),
        d.months_overdue,
    ]


def debtors_csv_lines(debtors: Iterable[Debtor]) -> Iterator[bytes]:
    """The CSV of the debtors, chunk by chunk (a streamed download), ending with totals."""
    totals = dict.fromkeys(FIGURES, 0)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    out.write("\ufeff")
    writer.writerow(_debtor_header())
    for k, debtor in enumerate(debtors, start=1):
        for f in FIGURES:
            totals[f] += debtor.figures[f]
        writer.writerow(_debtor_cells(debtor, _rubles))
        if k % 1000 == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    writer.writerow([TOTAL, "", "", *(_rubles(totals[f]) for f in FIGURES), "", ""])
    yield out.getvalue().encode("utf-8")


def debtors_csv(debtors: Iterable[Debtor]) -> bytes:
    return b"".join(debtors_csv_lines(debtors))


def debtors_xlsx(debtors: Iterable[Debtor], *, on: date) -> bytes:
    out = _Sheet(f"Должники на {on:%d.%m.%Y}", "Должники", _debtor_header())
    totals = dict.fromkeys(FIGURES, 0)
    for debtor in debtors:
        for f in FIGURES:
            totals[f] += debtor.figures[f]
        out.append(_debtor_cells(debtor, kopecks_to_decimal), money_from=3)
    out.append(
        [TOTAL, "", "", *(kopecks_to_decimal(totals[f]) for f in FIGURES), "", ""],
        bold=True,
        money_from=3,
    )
    return out.save()


# ----------------------------------------------------------------------------- collection


def _collection_lines(report: Collection) -> Iterator[tuple[bool, str, str, Collected]]:
    """``(is_total, building, month, figures)``: each building's months and its period
    total, then all buildings per month and for the whole period."""
    for row in report.rows:
        for month, cell in zip(report.months, row.cells, strict=True):
            yield False, row.label, _month(month), cell
        yield True, row.label, "за период", row.total
    for month, cell in zip(report.months, report.totals, strict=True):
        yield True, "Все дома", _month(month), cell
    yield True, TOTAL, "за период", report.total


def _collection_title(report: Collection) -> str:
    first, last = _month(report.months[0]), _month(report.months[-1])
    span = first if first == last else f"{first}–{last}"
    return f"Собираемость платежей за {span}"


def collection_csv(report: Collection) -> bytes:
    rows: list[list[str]] = [list(COLLECTION_TITLES)]
    for _, building, month, cell in _collection_lines(report):
        rows.append(
            [building, month, _rubles(cell.charged), _rubles(cell.paid), _percent(cell.rate)]
        )
    return _csv(rows)


def collection_xlsx(report: Collection) -> bytes:
    out = _Sheet(_collection_title(report), "Собираемость", COLLECTION_TITLES)
    for is_total, building, month, cell in _collection_lines(report):
        out.append(
            [
                building,
                month,
                kopecks_to_decimal(cell.charged),
                kopecks_to_decimal(cell.paid),
                cell.rate,
            ],
            bold=is_total,
            money_from=2,
        )
    return out.save()
