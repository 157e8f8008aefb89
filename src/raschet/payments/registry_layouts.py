"""Registry layouts: the TOML file of a bank or agent contract read into a `Layout`.

A layout states the encoding, delimiter, columns, date, period and amount formats, header
and trailer rules of one contract's registry files (docs/payment-registries.md lists every
key). `raschet.payments.formats` parses files by it. Pure: stdlib and `raschet.core.money`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

LAYOUTS_DIR = Path(__file__).with_name("layouts")
ENCODINGS = ("cp1251", "cp866", "utf-8", "utf-8-sig")
AMOUNT_FORMATS = {"rubles_dot": ".", "rubles_comma": ",", "rubles": ".,", "kopecks": ""}
"""Amount format → the decimal signs it accepts (``kopecks``: whole kopecks, no sign)."""
_AMOUNT_HINT = {
    "rubles_dot": "рубли с точкой, например 1234.56",
    "rubles_comma": "рубли с запятой, например 1234,56",
    "rubles": "рубли, например 1234.56 или 1234,56",
    "kopecks": "целые копейки, например 123456",
}
PERIOD_FORMATS = ("MMYYYY", "MMYY", "MM.YYYY")
TRANSFERRED_DEFAULTS = ("amount_minus_commission", "amount")
MAX_AMOUNT_KOPECKS = 10**12
"""10 billion rubles a line: far above any payment, and a million such lines still sum
inside int64 (the app keeps amounts in int64 arrays and bigint columns)."""
MAX_OPERATION_ID_CHARS = 64
"""`Payment.operation_id` holds 64 characters; cutting a longer id could merge two
operations, so such a line is rejected."""
MAX_PREAMBLE_LINES = 100
"""How far the header row is looked for when the layout names its first word."""
_BLOCK_BYTES = 4 << 20
_BOM = b"\xef\xbb\xbf"

FIELD_TITLES = {
    "paid_on": "Дата платежа",
    "paid_at_time": "Время платежа",
    "branch": "Отделение (ГОСБ/ОСБ)",
    "office": "Подразделение (ВСП)",
    "terminal": "Кассир / терминал",
    "operation_id": "Номер операции",
    "account": "Лицевой счёт",
    "payer_name": "ФИО плательщика",
    "address": "Адрес",
    "period": "Период",
    "amount": "Сумма платежа",
    "transferred": "Сумма перевода",
    "commission": "Комиссия",
    "line": "Строка",
    "header": "Строка заголовка",
    "trailer": "Итоговая строка",
}
"""Russian name of every field code used in `Rejection.field` and `RegistryFileError.field`."""
COLUMN_FIELDS = tuple(FIELD_TITLES)[:13]
REQUIRED_COLUMNS = ("paid_on", "operation_id", "account", "amount")
TRAILER_FIELDS = {
    "count": "Количество платежей",
    "total": "Общая сумма",
    "transferred": "Сумма перевода",
    "commission": "Комиссия",
    "order_number": "Номер платёжного поручения",
    "order_date": "Дата платёжного поручения",
}
DUPLICATE_KEY_FIELDS = ("operation_id", "paid_on", "account", "branch", "office", "terminal")


class LayoutError(ValueError):
    """A layout file is wrong; the Russian message names the file and the key."""


class RegistryFileError(ValueError):
    """The whole registry file is refused: nothing of it may be imported.

    ``str(error)`` is the Russian message naming the file, the line and the field. ``line_no``
    is 0 when no single line is to blame; ``field`` is a code of `FIELD_TITLES`, or
    ``trailer.`` + a code of `TRAILER_FIELDS`, or ``""``.
    """

    def __init__(self, filename: str, reason: str, *, line_no: int = 0, field: str = "") -> None:
        where = f"Файл «{filename}»"
        if line_no:
            where += f", строка {line_no}"
        if field.startswith("trailer."):
            where += f", итоговая строка, поле «{TRAILER_FIELDS[field[8:]]}»"
        elif field:
            where += f", поле «{FIELD_TITLES[field]}»"
        super().__init__(f"{where}: {reason}")
        self.filename, self.reason, self.line_no, self.field = filename, reason, line_no, field


# --------------------------------------------------------------------------- layouts


@dataclass(frozen=True)
class TrailerRule:
    """How the trailer line is recognised and where its fields are (1-based, counted after
    the ``starts_with`` text is cut off)."""

    starts_with: str
    required: bool
    positions: Mapping[str, int]


@dataclass(frozen=True)
class Layout:
    """One bank contract's registry layout, as read and checked from its TOML file.

    ``columns`` maps a field code to a 1-based position or, with a header row, to the header
    names accepted for it. ``fields`` is the number of fields of a payment line (``None``: as
    many as the header row has); with ``tags`` it is the least number, the rest are tagged.
    """

    name: str
    title: str
    source: str
    encoding: str
    delimiter: str
    quoting: bool
    skip_lines: int
    header_row: bool
    header_starts_with: str
    columns: Mapping[str, int | tuple[str, ...]]
    ignore_columns: tuple[str, ...]
    fields: int | None
    date_formats: tuple[str, ...]
    time_formats: tuple[str, ...]
    period_formats: tuple[str, ...]
    amount_format: str
    transferred_default: str
    duplicate_key: tuple[str, ...]
    tags: Mapping[str, str]
    trailer: TrailerRule | None


def available_layouts() -> list[str]:
    """Names of the layouts shipped in ``layouts/`` (file names without ``.toml``)."""
    return sorted(p.stem for p in LAYOUTS_DIR.glob("*.toml"))


def load_layout(name_or_path: str | Path) -> Layout:
    """A shipped layout by name (``"sberbank"``) or any layout file by path."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or "/" in text or "\\" in text or text.endswith(".toml"):
        path = Path(name_or_path)
    else:
        path = LAYOUTS_DIR / f"{text}.toml"
        if not path.is_file():
            raise LayoutError(f"Макет «{text}» не найден; есть: {', '.join(available_layouts())}")
    try:
        return parse_layout(path.read_bytes().decode("utf-8"), source=str(path))
    except OSError as exc:
        raise LayoutError(f"Макет «{path}» не прочитан: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise LayoutError(f"Макет «{path}»: файл должен быть в UTF-8") from exc


def parse_layout(text: str, *, source: str) -> Layout:
    """Read and check a layout from TOML text; ``source`` names it in error messages."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError(f"Макет «{source}»: ошибка синтаксиса TOML: {exc}") from exc
    return _LayoutReader(source).read(raw)


_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_TAG_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP_KEYS = (
    "name", "title", "encoding", "delimiter", "quoting", "skip_lines", "header_row",
    "header_starts_with", "fields", "date_formats", "time_formats", "period_formats",
    "amount_format", "transferred_default", "duplicate_key", "ignore_columns", "columns",
    "tags", "trailer",
)  # fmt: skip
_REQUIRED: Any = object()
_KINDS = {
    "text": "строка",
    "flag": "true или false",
    "number": "целое число",
    "texts": "строка или список непустых строк",
    "table": "таблица",
}


class _LayoutReader:
    """Checks one layout mapping key by key; every error names the file and the key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> NoReturn:
        raise LayoutError(f"Макет «{self.source}», ключ «{key}»: {message}")

    def get(
        self,
        table: Mapping[str, Any],
        key: str,
        kind: str,
        default: Any = _REQUIRED,
        *,
        prefix: str = "",
        allowed: tuple[str, ...] | Mapping[str, str] = (),
        least: int = 1,
    ) -> Any:
        """``table[key]`` checked to be of ``kind`` (and in ``allowed``); texts as a tuple."""
        full = prefix + key
        value = table.get(key, default)
        if value is _REQUIRED:
            self.fail(full, "обязательный ключ не задан")
        if kind == "texts" and isinstance(value, str):
            value = [value]
        fits = {
            "text": isinstance(value, str),
            "flag": isinstance(value, bool),
            # bool is an int in Python: `true` must not pass as column 1
            "number": isinstance(value, int) and not isinstance(value, bool),
            "texts": isinstance(value, list) and all(isinstance(v, str) and v for v in value),
            "table": isinstance(value, dict),
        }[kind]
        if not fits:
            self.fail(full, f"ожидается {_KINDS[kind]}, задано {value!r}")
        if kind == "number" and not least <= value <= 1000:
            self.fail(full, f"ожидается число от {least} до 1000, задано {value}")
        for item in (value if kind == "texts" else [value]) if allowed else ():
            if item not in allowed:
                self.fail(full, f"«{item}» не поддерживается; допустимы: {', '.join(allowed)}")
        return tuple(value) if kind == "texts" else value

    def known(self, table: Mapping[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                self.fail(prefix + key, f"неизвестный ключ; допустимы: {', '.join(allowed)}")

    def read(self, raw: Mapping[str, Any]) -> Layout:
        get = self.get
        self.known(raw, _TOP_KEYS, "")
        name = get(raw, "name", "text")
        if not _NAME_RE.match(name):
            self.fail("name", f"«{name}»: только строчные латинские буквы, цифры, «-» и «_»")
        title = get(raw, "title", "text").strip()
        if not title:
            self.fail("title", "название не может быть пустым")
        delimiter = get(raw, "delimiter", "text")
        if len(delimiter) != 1 or delimiter in '"\r\n' or delimiter.isalnum():
            self.fail("delimiter", f"один знак — не буква, цифра или кавычка; задано {delimiter!r}")
        quoting = get(raw, "quoting", "flag", False)
        marker = get(raw, "header_starts_with", "text", "")
        if delimiter in marker:
            self.fail("header_starts_with", "текст не может содержать разделитель полей")
        header_row = get(raw, "header_row", "flag", False) or bool(marker)
        columns = self.columns(get(raw, "columns", "table"), header_row)
        amount_format = get(raw, "amount_format", "text", allowed=AMOUNT_FORMATS)
        if delimiter in AMOUNT_FORMATS[amount_format] and not quoting:
            self.fail("amount_format", f"десятичный знак «{delimiter}» — это разделитель полей")
        duplicate_key = get(
            raw, "duplicate_key", "texts", ["operation_id", "paid_on"], allowed=DUPLICATE_KEY_FIELDS
        )
        if "operation_id" not in duplicate_key:
            self.fail("duplicate_key", "ключ должен включать operation_id")
        for item in duplicate_key:
            if item not in columns:
                self.fail("duplicate_key", f"поля «{item}» нет в [columns]")
        transferred_default = get(
            raw,
            "transferred_default",
            "text",
            TRANSFERRED_DEFAULTS[0],
            allowed=TRANSFERRED_DEFAULTS,
        )
        return Layout(
            name=name,
            title=title,
            source=self.source,
            encoding=get(raw, "encoding", "text", allowed=ENCODINGS),
            delimiter=delimiter,
            quoting=quoting,
            skip_lines=get(raw, "skip_lines", "number", 0, least=0),
            header_row=header_row,
            header_starts_with=marker,
            columns=MappingProxyType(columns),
            ignore_columns=get(raw, "ignore_columns", "texts", []),
            fields=self.fields(raw, columns, header_row),
            date_formats=self.formats(raw, "date_formats", "%d.%m.%Y", ("%d", "%m", "%Y|%y")),
            time_formats=self.formats(raw, "time_formats", "%H:%M:%S", ("%H", "%M")),
            period_formats=get(raw, "period_formats", "texts", ["MMYYYY"], allowed=PERIOD_FORMATS),
            amount_format=amount_format,
            transferred_default=transferred_default,
            duplicate_key=duplicate_key,
            tags=MappingProxyType(self.tags(get(raw, "tags", "table", {}))),
            trailer=self.trailer(raw, delimiter),
        )

    def columns(self, table: Mapping[str, Any], header_row: bool) -> dict[str, Any]:
        self.known(table, COLUMN_FIELDS, "columns.")
        out: dict[str, int | tuple[str, ...]] = {}
        taken: dict[int, str] = {}
        for key in COLUMN_FIELDS:
            value = table.get(key)
            if value is None and key in REQUIRED_COLUMNS:
                self.fail(f"columns.{key}", "обязательное поле не задано")
            elif isinstance(value, str | list):
                if not header_row:
                    self.fail(f"columns.{key}", "столбец по имени — только при header_row = true")
                out[key] = self.get(table, key, "texts", prefix="columns.")
            elif value is not None:
                pos = self.get(table, key, "number", prefix="columns.")
                if pos in taken:
                    self.fail(f"columns.{key}", f"позиция {pos} уже занята полем «{taken[pos]}»")
                taken[pos] = key
                out[key] = pos
        return out

    def fields(
        self, raw: Mapping[str, Any], columns: dict[str, Any], header_row: bool
    ) -> int | None:
        highest = max((p for p in columns.values() if isinstance(p, int)), default=0)
        if "fields" not in raw:
            return None if header_row else highest
        if header_row:
            self.fail("fields", "при строке заголовка число полей берётся из неё; уберите ключ")
        fields: int = self.get(raw, "fields", "number")
        if fields < highest:
            self.fail("fields", f"полей {fields}, а в [columns] есть столбец {highest}")
        return fields

    def formats(
        self, raw: Mapping[str, Any], key: str, default: str, parts: tuple[str, ...]
    ) -> tuple[str, ...]:
        """Each format must hold ``parts`` and read back the sample it writes."""
        formats: tuple[str, ...] = self.get(raw, key, "texts", [default])
        sample = datetime(2024, 3, 7, 13, 45)  # noqa: DTZ001 - a sample value, no zone
        for fmt in formats:
            if not all(any(p in fmt for p in part.split("|")) for part in parts):
                self.fail(key, f"формат «{fmt}» должен содержать {', '.join(parts)}")
            try:
                back = datetime.strptime(sample.strftime(fmt), fmt)  # noqa: DTZ007 - no zone
            except ValueError:
                back = None
            if back is None or (back.date() if "%d" in parts else back.time()) != (
                sample.date() if "%d" in parts else sample.time()
            ):
                self.fail(key, f"формат «{fmt}» не читает то, что сам пишет")
        return formats

    def tags(self, table: Mapping[str, Any]) -> dict[str, str]:
        for name in table:
            if not _TAG_RE.match(name) or name in COLUMN_FIELDS:
                self.fail(f"tags.{name}", "имя: строчные латинские буквы, цифры и «_», не поле")
            if not self.get(table, name, "text", prefix="tags."):
                self.fail(f"tags.{name}", "префикс не может быть пустым")
        return dict(table)

    def trailer(self, raw: Mapping[str, Any], delimiter: str) -> TrailerRule | None:
        table = self.get(raw, "trailer", "table", None) if "trailer" in raw else None
        if table is None:
            return None
        self.known(table, ("starts_with", "required", *TRAILER_FIELDS), "trailer.")
        marker = self.get(table, "starts_with", "text", prefix="trailer.")
        if not marker or delimiter in marker:
            self.fail("trailer.starts_with", "нужен непустой текст без разделителя полей")
        self.get(table, "count", "number", prefix="trailer.")
        positions: dict[str, int] = {}
        for key in (k for k in TRAILER_FIELDS if k in table):
            pos = self.get(table, key, "number", prefix="trailer.")
            if pos in positions.values():
                self.fail(f"trailer.{key}", f"позиция {pos} уже занята")
            positions[key] = pos
        required = self.get(table, "required", "flag", True, prefix="trailer.")
        return TrailerRule(marker, required, MappingProxyType(positions))
