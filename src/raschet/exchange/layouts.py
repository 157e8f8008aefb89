"""File layouts of the exchange with a social protection office (rules.md §4.4).

There is no federal format for the routine exchange: every region, often every office, has
its own dBase or spreadsheet layout. So a layout is data (style.md §11): the file format
(CSV, XLSX or DBF), its encoding, the CSV delimiter and an ordered list of columns, each a
field of the catalogue below with the header (the DBF field name) the office expects, a
type, a width and decimals. An organization keeps its own layouts in
`raschet.exchange.models.ExchangeLayout`; the built-in ones here are used when it has none
of that name.

Two directions: an *export* layout lays out the monthly file of beneficiaries (one row per
beneficiary × service); a *response* layout reads the office's answer (confirmed / ended /
new benefits).

Pure: stdlib only. Messages are Russian literals (ADR 0003: the files are Russian and an
operator fixing one needs the message in the file's language).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

EXPORT = "export"
RESPONSE = "response"
DIRECTIONS = (EXPORT, RESPONSE)
FORMATS = ("csv", "xlsx", "dbf")
ENCODINGS = ("cp866", "cp1251", "utf-8", "utf-8-sig")
TYPES = ("C", "N", "D")  # dBase types: character, numeric, date
MAX_CHAR_WIDTH = 254
MAX_NUMERIC_WIDTH = 20
_DBF_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,9}$")


@dataclass(frozen=True)
class FieldSpec:
    """A field of the catalogue: its Russian title, its dBase type and default size.

    ``money`` fields hold kopecks and are written as rubles with exactly two decimals.
    """

    title: str
    type: str
    width: int
    decimals: int = 0
    money: bool = False


EXPORT_FIELDS: dict[str, FieldSpec] = {
    "period": FieldSpec("Период (ГГГГ-ММ)", "C", 7),
    "last_name": FieldSpec("Фамилия", "C", 40),
    "first_name": FieldSpec("Имя", "C", 40),
    "middle_name": FieldSpec("Отчество", "C", 40),
    "full_name": FieldSpec("ФИО", "C", 120),
    "birth_date": FieldSpec("Дата рождения", "D", 8),
    "snils": FieldSpec("СНИЛС", "C", 14),
    "address": FieldSpec("Адрес", "C", 200),
    # the premises number is the only address part stored apart: settlement, street, house
    # and korpus are one text (`housing.Building.address`), so they are not fields here
    "flat": FieldSpec("Квартира (помещение)", "C", 10),
    "fias_guid": FieldSpec("ФИАС/ГАР дома", "C", 36),
    "account": FieldSpec("Лицевой счёт", "C", 30),
    "gis_account": FieldSpec("ЕЛС", "C", 10),
    "area": FieldSpec("Площадь, кв. м", "N", 9, 2),
    # 1 — the beneficiary owns a share of the premises in the month (ЕГРН ownership), 0 — not
    "owner": FieldSpec("Собственник (1 да, 0 нет)", "N", 1),
    "registered": FieldSpec("Зарегистрировано", "N", 3),
    "covered": FieldSpec("Пользуются льготой", "N", 3),
    "category": FieldSpec("Код льготы", "C", 40),
    "category_name": FieldSpec("Льготная категория", "C", 100),
    # rules.md §4.2: how the benefit reaches the citizen, 1 — скидка в ЕПД, 2 — ЕДК
    "benefit_model": FieldSpec("Форма льготы (1 скидка, 2 ЕДК)", "N", 1),
    "service": FieldSpec("Код услуги", "C", 40),
    "service_name": FieldSpec("Услуга", "C", 100),
    "supplier": FieldSpec("Поставщик", "C", 100),
    "supplier_inn": FieldSpec("ИНН поставщика", "C", 12),
    "tariff": FieldSpec("Тариф, руб.", "N", 14, 4),
    "norm": FieldSpec("Норматив", "N", 14, 6),
    # 1 — the service is connected by an individual meter in the month, 0 — by norm/area
    "metered": FieldSpec("Прибор учёта (1 есть, 0 нет)", "N", 1),
    "volume": FieldSpec("Объём", "N", 16, 6),
    "charge": FieldSpec("Начислено, руб.", "N", 12, 2, money=True),
    "recalculation": FieldSpec("Перерасчёт, руб.", "N", 12, 2, money=True),
    "benefit": FieldSpec("Льгота, руб.", "N", 12, 2, money=True),
    "benefit_recalculation": FieldSpec("Перерасчёт льготы, руб.", "N", 12, 2, money=True),
    "payment": FieldSpec("Оплачено, руб.", "N", 12, 2, money=True),
    "debt": FieldSpec("Долг на конец месяца, руб.", "N", 12, 2, money=True),
    # whole months of charges the overdue debt covers (`selectors.debt_months`)
    "debt_months": FieldSpec("Месяцев долга", "N", 3),
}

RESPONSE_FIELDS: dict[str, FieldSpec] = {
    "snils": FieldSpec("СНИЛС", "C", 14),
    "last_name": FieldSpec("Фамилия", "C", 40),
    "first_name": FieldSpec("Имя", "C", 40),
    "middle_name": FieldSpec("Отчество", "C", 40),
    "birth_date": FieldSpec("Дата рождения", "D", 8),
    "account": FieldSpec("Лицевой счёт", "C", 30),
    "category": FieldSpec("Код льготы", "C", 40),
    "action": FieldSpec("Действие", "C", 20),
    "date": FieldSpec("Дата", "D", 8),
    "document": FieldSpec("Документ", "C", 100),
}
RESPONSE_REQUIRED = ("category", "action")
"""A response layout must carry these; the person needs ``snils`` or the name and birth date."""


class LayoutError(ValueError):
    """A layout that cannot be used; the message is Russian."""


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    type: str
    width: int
    decimals: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "header": self.header,
            "type": self.type,
            "width": self.width,
            "decimals": self.decimals,
        }


FILE_NAME_TOKENS = ("DD", "MM", "Y", "YYYY", "PERIOD", "ORG", "OFFICE", "EXT")
"""What an export layout's ``file_name`` pattern may hold in braces: the file's day, month,
last digit and whole year (the day it is written), the billing month ``YYYY-MM``, the
organization's code, the office code given on export and the format's extension."""
PR243_FILE_NAME = "{DD}{MM}{Y}RRR.{OFFICE}"
"""Приказ Минздравсоцразвития № 243 от 28.03.2005 ``DDMMYRRR.EEE`` (rules.md §4.4): day,
month, last digit of the year, the PFR region code (``RRR``: write the region's 3 digits in
place, e.g. ``{DD}{MM}{Y}046.{OFFICE}``) and the district code as the extension (the
office code given on export)."""
_FILE_NAME_TOKEN = re.compile(r"\{([A-Za-z]*)\}")
_FILE_NAME_CHARS = re.compile(r"^[0-9A-Za-z_.\-]+$")
MAX_FILE_NAME = 100


def file_name_problems(pattern: str) -> list[str]:
    """What is wrong with an export file name pattern (empty: usable, or no pattern)."""
    if not pattern:
        return []
    problems = []
    unknown = [t for t in _FILE_NAME_TOKEN.findall(pattern) if t not in FILE_NAME_TOKENS]
    if unknown:
        problems.append(
            f"имя файла: неизвестные поля {', '.join('{' + t + '}' for t in unknown)} "
            f"(возможны: {', '.join('{' + t + '}' for t in FILE_NAME_TOKENS)})"
        )
    literal = _FILE_NAME_TOKEN.sub("x", pattern)
    if not _FILE_NAME_CHARS.match(literal) or literal.startswith("."):
        problems.append(
            "имя файла: только латинские буквы, цифры, «_», «-», «.» и поля в фигурных скобках"
        )
    if len(pattern) > MAX_FILE_NAME:
        problems.append(f"имя файла длиннее {MAX_FILE_NAME} знаков")
    return problems


@dataclass(frozen=True)
class Layout:
    """A usable layout (checked by `build_layout`). ``file_name``: the export file's name
    pattern (`FILE_NAME_TOKENS`), empty for the default name."""

    name: str
    title: str
    direction: str
    format: str
    encoding: str
    delimiter: str
    columns: tuple[Column, ...]
    file_name: str = ""

    def render_file_name(
        self, *, written: date, period: date, organization_code: str, office: str
    ) -> str | None:
        """The export file's name by ``file_name`` (None: no pattern, use the default). A
        pattern naming ``{OFFICE}`` needs the office code: `LayoutError` without one."""
        if not self.file_name:
            return None
        if "{OFFICE}" in self.file_name and not office:
            raise LayoutError(
                f"Макет «{self.name}»: имя файла содержит код отдела соцзащиты — укажите его"
            )
        values = {
            "DD": f"{written:%d}",
            "MM": f"{written:%m}",
            "Y": str(written.year % 10),
            "YYYY": f"{written:%Y}",
            "PERIOD": f"{period:%Y-%m}",
            "ORG": organization_code,
            "OFFICE": office,
            "EXT": self.extension,
        }
        return _FILE_NAME_TOKEN.sub(lambda m: values[m.group(1)], self.file_name)

    @property
    def extension(self) -> str:
        return self.format

    def field_names(self) -> list[str]:
        return [c.field for c in self.columns]


def fields_of(direction: str) -> dict[str, FieldSpec]:
    return EXPORT_FIELDS if direction == EXPORT else RESPONSE_FIELDS


def layout_problems(
    *,
    direction: str,
    format: str,
    encoding: str,
    delimiter: str,
    columns: object,
    file_name: str = "",
) -> list[str]:
    """Everything wrong with a layout, as Russian sentences (empty: it can be used)."""
    problems: list[str] = []
    if direction not in DIRECTIONS:
        problems.append(f"направление «{direction}» неизвестно (возможны: export, response)")
        return problems
    if file_name and direction != EXPORT:
        problems.append("имя файла задаётся только в макете выгрузки")
    problems.extend(file_name_problems(file_name))
    if format not in FORMATS:
        problems.append(f"формат «{format}» неизвестен (возможны: {', '.join(FORMATS)})")
    if encoding not in ENCODINGS:
        problems.append(f"кодировка «{encoding}» не поддерживается ({', '.join(ENCODINGS)})")
    if format == "csv" and (len(delimiter) != 1 or delimiter in "\r\n\"'"):
        problems.append(
            "разделитель CSV должен быть одним символом, не кавычкой и не переводом строки"
        )
    if not isinstance(columns, list) or not columns:
        problems.append("нужен непустой список колонок")
        return problems
    catalogue = fields_of(direction)
    seen_fields: set[str] = set()
    seen_headers: set[str] = set()
    for n, raw in enumerate(columns, start=1):
        where = f"колонка {n}"
        if not isinstance(raw, Mapping):
            problems.append(f"{where}: нужен объект {{field, header, type, width, decimals}}")
            continue
        field = str(raw.get("field", ""))
        spec = catalogue.get(field)
        if spec is None:
            problems.append(
                f"{where}: поле «{field}» неизвестно (возможны: {', '.join(catalogue)})"
            )
            continue
        where = f"колонка {n} ({field})"
        if field in seen_fields:
            problems.append(f"{where}: поле повторяется")
        seen_fields.add(field)
        header = str(raw.get("header") or "").strip()
        if not header:
            problems.append(f"{where}: пустой заголовок")
        elif header.upper() in seen_headers:
            problems.append(f"{where}: заголовок «{header}» повторяется")
        seen_headers.add(header.upper())
        if format == "dbf" and header and not _DBF_NAME.match(header):
            problems.append(
                f"{where}: имя поля DBF «{header}» — до 10 латинских заглавных букв, "
                "цифр и «_», начиная с буквы"
            )
        kind = str(raw.get("type") or spec.type)
        if kind not in TYPES:
            problems.append(f"{where}: тип «{kind}» неизвестен (C, N или D)")
            continue
        if kind != spec.type and not (kind == "C" and spec.type in ("N", "D")):
            problems.append(f"{where}: тип {kind} не подходит полю (нужен {spec.type} или C)")
        width, decimals = raw.get("width", spec.width), raw.get("decimals", spec.decimals)
        if not isinstance(width, int) or isinstance(width, bool) or width < 1:
            problems.append(f"{where}: ширина должна быть целым числом больше нуля")
            continue
        if not isinstance(decimals, int) or isinstance(decimals, bool) or decimals < 0:
            problems.append(f"{where}: число знаков после запятой — целое, не меньше нуля")
            continue
        limit = MAX_NUMERIC_WIDTH if kind == "N" else MAX_CHAR_WIDTH
        if kind == "D" and width != 8:
            problems.append(f"{where}: дата в DBF занимает ровно 8 знаков")
        elif width > limit:
            problems.append(f"{where}: ширина {width} больше допустимой {limit}")
        if kind == "N" and decimals and decimals > width - 2:
            problems.append(f"{where}: знаков после запятой больше, чем помещается в ширину")
        if kind != "N" and decimals:
            problems.append(f"{where}: знаки после запятой бывают только у числа (N)")
        if spec.money and kind == "N" and decimals != 2:
            problems.append(f"{where}: денежная сумма пишется с двумя знаками после запятой")
    if direction == RESPONSE:
        missing = [f for f in RESPONSE_REQUIRED if f not in seen_fields]
        if missing:
            problems.append(f"в макете ответа нет обязательных полей: {', '.join(missing)}")
        has_person = (
            "snils" in seen_fields
            or {
                "last_name",
                "first_name",
                "birth_date",
            }
            <= seen_fields
        )
        if not has_person:
            problems.append(
                "в макете ответа нет поля, по которому найти человека: snils или "
                "last_name + first_name + birth_date"
            )
    return problems


def build_layout(
    *,
    name: str,
    title: str,
    direction: str,
    format: str,
    encoding: str,
    delimiter: str,
    columns: object,
    file_name: str = "",
) -> Layout:
    """A `Layout` from stored settings; `LayoutError` lists every problem."""
    problems = layout_problems(
        direction=direction,
        format=format,
        encoding=encoding,
        delimiter=delimiter,
        columns=columns,
        file_name=file_name,
    )
    if problems:
        raise LayoutError(f"Макет «{name}»: " + "; ".join(problems))
    catalogue = fields_of(direction)
    cols = []
    for raw in columns:  # type: ignore[attr-defined]
        spec = catalogue[raw["field"]]
        cols.append(
            Column(
                field=raw["field"],
                header=str(raw["header"]).strip(),
                type=str(raw.get("type") or spec.type),
                width=int(raw.get("width", spec.width)),
                decimals=int(raw.get("decimals", spec.decimals)),
            )
        )
    return Layout(
        name=name,
        title=title,
        direction=direction,
        format=format,
        encoding=encoding,
        delimiter=delimiter,
        columns=tuple(cols),
        file_name=file_name,
    )


def _columns(
    direction: str, pairs: Iterable[tuple[str, str]], **override: dict[str, int]
) -> list[dict[str, Any]]:
    catalogue = fields_of(direction)
    out = []
    for field, header in pairs:
        spec = catalogue[field]
        col = {
            "field": field,
            "header": header,
            "type": spec.type,
            "width": spec.width,
            "decimals": spec.decimals,
        }
        col.update(override.get(field, {}))
        out.append(col)
    return out


# The DBF names follow the regional formats quoted in rules.md §4.4 (FAM/IM/OT/DR, LCHET,
# ZAR for the registered, PEOPLE_LG for the covered, SUM/SUML for charge and benefit, NKW
# for the flat); VID_LG (discount or ЕДК), SUMLP (the benefit recalculated for earlier
# months), SOBSTV (owner 1/0), IPU (meter 1/0) and MES_DOLG (months in debt) are our own.
_EXPORT_DBF = (
    ("period", "PERIOD"),
    ("last_name", "FAM"),
    ("first_name", "IM"),
    ("middle_name", "OT"),
    ("birth_date", "DR"),
    ("snils", "SNILS"),
    ("address", "ADRES"),
    ("flat", "NKW"),
    ("account", "LCHET"),
    ("owner", "SOBSTV"),
    ("registered", "ZAR"),
    ("covered", "PEOPLE_LG"),
    ("category", "KOD_LG"),
    ("benefit_model", "VID_LG"),
    ("service", "USL"),
    ("service_name", "NAIM_USL"),
    ("supplier", "POSTUSL"),
    ("tariff", "TARIF"),
    ("norm", "NORM"),
    ("metered", "IPU"),
    ("volume", "FAKT"),
    ("charge", "SUM"),
    ("benefit", "SUML"),
    ("benefit_recalculation", "SUMLP"),
    ("payment", "OPL"),
    ("debt", "DOLG"),
    ("debt_months", "MES_DOLG"),
)
_RESPONSE_DBF = (
    ("snils", "SNILS"),
    ("last_name", "FAM"),
    ("first_name", "IM"),
    ("middle_name", "OT"),
    ("birth_date", "DR"),
    ("account", "LCHET"),
    ("category", "KOD_LG"),
    ("action", "DEIST"),
    ("date", "DATA"),
    ("document", "DOKUM"),
)


def _titled(direction: str, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    catalogue = fields_of(direction)
    return [(field, catalogue[field].title) for field, _ in pairs]


BUILTIN: dict[str, dict[str, Any]] = {
    "default": {
        "title": "Выгрузка в соцзащиту: DBF (dBase III, cp866)",
        "direction": EXPORT,
        "format": "dbf",
        "encoding": "cp866",
        "delimiter": ";",
        "columns": _columns(EXPORT, _EXPORT_DBF),
    },
    "default-csv": {
        "title": "Выгрузка в соцзащиту: CSV (cp1251, «;»)",
        "direction": EXPORT,
        "format": "csv",
        "encoding": "cp1251",
        "delimiter": ";",
        "columns": _columns(EXPORT, _titled(EXPORT, _EXPORT_DBF)),
    },
    "default-xlsx": {
        "title": "Выгрузка в соцзащиту: XLSX",
        "direction": EXPORT,
        "format": "xlsx",
        "encoding": "utf-8",
        "delimiter": ";",
        "columns": _columns(EXPORT, _titled(EXPORT, _EXPORT_DBF)),
    },
    "answer": {
        "title": "Ответ соцзащиты: DBF (dBase III, cp866)",
        "direction": RESPONSE,
        "format": "dbf",
        "encoding": "cp866",
        "delimiter": ";",
        "columns": _columns(RESPONSE, _RESPONSE_DBF),
    },
    "answer-csv": {
        "title": "Ответ соцзащиты: CSV (UTF-8, «;»)",
        "direction": RESPONSE,
        "format": "csv",
        "encoding": "utf-8-sig",
        "delimiter": ";",
        "columns": _columns(RESPONSE, _titled(RESPONSE, _RESPONSE_DBF)),
    },
    "answer-xlsx": {
        "title": "Ответ соцзащиты: XLSX",
        "direction": RESPONSE,
        "format": "xlsx",
        "encoding": "utf-8",
        "delimiter": ";",
        "columns": _columns(RESPONSE, _titled(RESPONSE, _RESPONSE_DBF)),
    },
}
DEFAULT_EXPORT = "default"
DEFAULT_RESPONSE = "answer"


def builtin_layout(name: str) -> Layout | None:
    settings = BUILTIN.get(name)
    if settings is None:
        return None
    return build_layout(name=name, **settings)
