"""The housing template: its columns, header matching and the empty template files.

One flat table serves XLSX and CSV: one row per person in an account (an account with no
people is one row with the person columns empty). Building, premises and account columns
repeat on every row of the same building / premises / account; see docs/import-housing.md.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

SHEET_NAME = "Жилфонд"
HELP_SHEET_NAME = "Справка"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    group: str  # building | premises | account | person
    description: str
    example: str
    required: str = ""  # "row": on every row; "entity": on at least one row of the entity


COLUMNS: tuple[Column, ...] = (
    # Building
    Column("address", "Адрес дома", "building", "Адрес дома; ключ дома в организации",
           "г. Тверь, ул. Советская, д. 10", "row"),
    Column("fias_guid", "ФИАС GUID", "building", "Идентификатор дома в ФИАС/ГАР",
           "5b1a4a3e-1f0c-4d7e-9a55-0e8f7c2d9b11"),
    Column("year_built", "Год постройки", "building", "Год, 1700–2100", "1975"),
    Column("floors", "Этажей", "building", "Этажность, 1–200", "9"),
    Column("building_area_total", "Площадь дома, м²", "building",
           "Общая площадь жилых и нежилых помещений дома (S_ob), м²", "5400,50", "entity"),
    Column("building_area_residential", "Площадь жилых помещений дома, м²", "building",
           "Сумма площадей жилых помещений, м²", "5100,50"),
    Column("building_area_non_residential", "Площадь нежилых помещений дома, м²", "building",
           "Сумма площадей нежилых помещений, м²", "300"),
    Column("building_area_common", "Площадь общего имущества дома, м²", "building",
           "Площадь помещений общего имущества (S_oi), м²", "820"),
    Column("heating_mode", "Отопление", "building",
           "«в отопительный период», «равномерно» или «нет»", "в отопительный период"),
    Column("common_property_mode", "Ресурсы на СОИ", "building",
           "«по нормативу» (не выше норматива) или «по факту»", "по нормативу"),
    # Premises
    Column("premises_number", "Номер помещения", "premises", "Номер квартиры или помещения",
           "12", "row"),
    Column("premises_kind", "Вид помещения", "premises", "«жилое» или «нежилое»", "жилое"),
    Column("premises_area_total", "Площадь помещения, м²", "premises",
           "Общая площадь помещения, м²", "54,3", "entity"),
    Column("premises_area_living", "Жилая площадь помещения, м²", "premises",
           "Жилая площадь, не больше общей", "38,1"),
    Column("rooms", "Комнат", "premises", "Число комнат, 0–50", "2"),
    Column("communal_flat", "Коммунальная квартира", "premises", "«да» или «нет»", "нет"),
    # Account
    Column("account_number", "Лицевой счёт", "account",
           "Номер лицевого счёта: буквы, цифры, «-» и «/»", "1000012", "row"),
    Column("opened_on", "Дата открытия", "account", "Дата открытия счёта", "01.01.2020",
           "entity"),
    Column("closed_on", "Дата закрытия", "account", "Дата закрытия (первый день без начислений)",
           ""),
    Column("payer_name", "Плательщик", "account", "ФИО или название плательщика",
           "Иванов Иван Иванович", "entity"),
    Column("tenure", "Основание", "account", "«собственник» или «наниматель» (соцнайм)",
           "собственник"),
    Column("account_area", "Площадь ЛС, м²", "account",
           "Площадь для начислений, если меньше площади помещения (комната)", ""),
    Column("services", "Услуги", "account",
           "Коды услуг через «;», при необходимости «:meter» или «:norm» и число зон",
           "cold_water:meter; hot_water:meter; electricity:meter:2; heating; maintenance; "
           "capital_repair"),
    Column("services_from", "Услуги с", "account",
           "Дата подключения услуг; по умолчанию дата открытия счёта", ""),
    # Person
    Column("full_name", "ФИО", "person", "Фамилия, имя, отчество гражданина",
           "Иванов Иван Иванович"),
    Column("birth_date", "Дата рождения", "person", "Дата рождения", "15.03.1970"),
    Column("snils", "СНИЛС", "person", "СНИЛС с верным контрольным числом", "112-233-445 95"),
    Column("share", "Доля", "person", "Доля собственности: «1», «1/2», «1/3»…", "1"),
    Column("owner_from", "Собственник с", "person",
           "Дата регистрации права; по умолчанию дата открытия счёта", "01.01.2020"),
    Column("registration", "Регистрация", "person", "«постоянная» или «временная»",
           "постоянная"),
    Column("registered_from", "Зарегистрирован с", "person", "Дата регистрации", "01.02.2020"),
    Column("registered_to", "Регистрация до", "person",
           "Дата снятия с учёта (первый день, когда гражданин уже не зарегистрирован); "
           "обязательна для временной регистрации", ""),
    Column("relation", "Родство", "person",
           "собственник, наниматель, супруг(а), сын, дочь, мать, отец, внук, брат, сестра, "
           "родственник, другое", "собственник"),
)  # fmt: skip

COLUMN_BY_KEY = {c.key: c for c in COLUMNS}


def normalize_header(text: object) -> str:
    """Header matching ignores case, extra spaces, 'ё', '²' vs '2' and a trailing '*'."""
    s = str(text or "").replace("\u00a0", " ").strip().rstrip("*").strip().lower()
    s = s.replace("ё", "е").replace("²", "2")
    return re.sub(r"\s+", " ", s)


HEADER_INDEX: dict[str, str] = {}
for _c in COLUMNS:
    HEADER_INDEX[normalize_header(_c.header)] = _c.key
    HEADER_INDEX[normalize_header(_c.key)] = _c.key
HEADER_INDEX[normalize_header("Лицевой счет")] = "account_number"
HEADER_INDEX[normalize_header("Номер ЛС")] = "account_number"


def template_bytes(fmt: str) -> bytes:
    """An empty template: the header and one example row (CSV: UTF-8 with BOM, ';')."""
    headers = [c.header for c in COLUMNS]
    example = [c.example for c in COLUMNS]
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerow(example)
        return ("\ufeff" + buf.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        return _template_xlsx(headers, example)
    raise ValueError(f"unknown template format {fmt!r}: expected 'xlsx' or 'csv'")


def _template_xlsx(headers: list[str], example: list[str]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    ws.append(headers)
    ws.append(example)
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for idx, col in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=idx)
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if col.required:
            cell.fill = required_fill
        ws.column_dimensions[get_column_letter(idx)].width = max(12, min(40, len(col.header) + 4))
        # Keep every value textual so Excel does not turn numbers into dates or drop zeros.
        ws.cell(row=2, column=idx).number_format = "@"
    ws.freeze_panes = "A2"
    help_ws = wb.create_sheet(HELP_SHEET_NAME)
    help_ws.append(["Столбец", "Обязательный", "Описание", "Пример"])
    for col in COLUMNS:
        need = {"row": "в каждой строке", "entity": "хотя бы в одной строке"}.get(col.required, "")
        help_ws.append([col.header, need, col.description, col.example])
    for letter, width in zip("ABCD", (34, 22, 70, 40), strict=True):
        help_ws.column_dimensions[letter].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
