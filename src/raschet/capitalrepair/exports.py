"""The fund statement as a file: CSV (UTF-8 with BOM, ``;``, for Excel) or XLSX.

Three blocks: the fund's movement (opening, charged, paid, penalties paid, spent, closing),
the payments from the fund, and the contributions per account. Amounts are rubles with two
decimals from the exact kopecks (a string in CSV, a ``Decimal`` formatted ``0.00`` in XLSX),
never through a float.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from raschet.capitalrepair.selectors import FIGURES, FundStatement
from raschet.core.money import format_rubles, kopecks_to_decimal

FUND_MODELS = {
    "regional_pool": "Общий счёт регионального оператора",
    "special_account": "Специальный счёт дома",
}
ACCOUNT_HEADERS = {
    "opening": "Сальдо на начало",
    "charged": "Начислено взносов",
    "penalties": "Начислено пени",
    "paid": "Оплачено взносов",
    "penalties_paid": "Оплачено пени",
    "other": "Списания и переносы",
    "closing": "Сальдо на конец",
}


def title(statement: FundStatement) -> str:
    start, end = f"{statement.start:%m.%Y}", f"{statement.end:%m.%Y}"
    span = start if start == end else f"{start}–{end}"
    return f"Выписка по фонду капитального ремонта за {span}: {statement.building.address}"


def summary_rows(statement: FundStatement) -> list[tuple[str, int]]:
    """The fund's movement, label → kopecks, in the order of the statement."""
    return [
        ("Остаток фонда на начало", statement.opening),
        ("Начислено взносов", statement.charged),
        ("Поступило взносов", statement.paid),
        ("Поступило пени", statement.penalties_paid),
        ("Израсходовано на работы", statement.spent),
        ("Остаток фонда на конец", statement.closing),
        ("Задолженность собственников на конец", statement.owners_debt),
    ]


def _rubles(kopecks: int) -> str:
    """Rubles for a spreadsheet cell read as text: ``-1234,50``."""
    return format_rubles(kopecks, thousands="")


def _fund_line(statement: FundStatement) -> list[str]:
    fund = statement.fund
    if fund is None:
        return ["Способ формирования фонда", "не указан"]
    line = [
        "Способ формирования фонда",
        FUND_MODELS.get(fund.fund_model, fund.fund_model),
        f"получатель {fund.payee}",
    ]
    if fund.special_account:
        line.append(f"спецсчёт {fund.special_account}, БИК {fund.bic}")
    return line


def statement_csv(statement: FundStatement) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([title(statement)])
    writer.writerow(_fund_line(statement))
    writer.writerow([])
    for label, kopecks in summary_rows(statement):
        writer.writerow([label, _rubles(kopecks)])
    writer.writerow([])
    writer.writerow(["Дата оплаты", "Работа", "Документ", "Сумма"])
    for s in statement.spendings:
        writer.writerow(
            [f"{s.paid_on:%d.%m.%Y}", s.work.title, s.document, _rubles(s.amount_kopecks)]
        )
    writer.writerow([])
    writer.writerow(["Лицевой счёт", "Помещение", "Плательщик", *ACCOUNT_HEADERS.values()])
    for row in statement.accounts:
        values = row.figures.as_dict()
        writer.writerow(
            [row.number, row.premises, row.payer, *(_rubles(values[f]) for f in FIGURES)]
        )
    totals = statement.contributions.as_dict()
    writer.writerow(["Итого", "", "", *(_rubles(totals[f]) for f in FIGURES)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def statement_xlsx(statement: FundStatement) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    def money(kopecks: int) -> Decimal:
        return kopecks_to_decimal(kopecks)

    book = Workbook()
    ws = book.active
    ws.title = "Фонд"
    ws.append([title(statement)])
    ws["A1"].font = Font(bold=True)
    ws.append(_fund_line(statement))
    ws.append([])
    for label, kopecks in summary_rows(statement):
        ws.append([label, money(kopecks)])
        ws.cell(row=ws.max_row, column=2).number_format = "#,##0.00"
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 20

    works = book.create_sheet("Расходы")
    works.append(["Дата оплаты", "Работа", "Документ", "Сумма"])
    for cell in works[1]:
        cell.font = Font(bold=True)
    for s in statement.spendings:
        works.append([s.paid_on, s.work.title, s.document, money(s.amount_kopecks)])
        works.cell(row=works.max_row, column=1).number_format = "DD.MM.YYYY"
        works.cell(row=works.max_row, column=4).number_format = "#,##0.00"
    works.column_dimensions["B"].width = 48

    accounts = book.create_sheet("Лицевые счета")
    accounts.append(["Лицевой счёт", "Помещение", "Плательщик", *ACCOUNT_HEADERS.values()])
    for cell in accounts[1]:
        cell.font = Font(bold=True)
    for row in statement.accounts:
        values = row.figures.as_dict()
        accounts.append([row.number, row.premises, row.payer, *(money(values[f]) for f in FIGURES)])
    totals = statement.contributions.as_dict()
    accounts.append(["Итого", "", "", *(money(totals[f]) for f in FIGURES)])
    for cell in accounts[accounts.max_row]:
        cell.font = Font(bold=True)
    for column in accounts.iter_cols(min_row=2, min_col=4):
        for cell in column:
            cell.number_format = "#,##0.00"
    accounts.column_dimensions["C"].width = 36
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
