"""Parsing a readings file into column arrays, with the meters resolved.

The reference data (accounts, services, meters of the organization) is loaded first with one
query each into dicts; then every row is parsed and resolved in one pass and kept only as a
few integers (meter index, zone, value in thousandths, dates as ordinals) — a million rows
take tens of megabytes, not the gigabyte their strings would.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import SupportsInt

import numpy as np
import numpy.typing as npt
from django.db import connection

from raschet.core.readings import READING_SCALE, billing_month_for
from raschet.housing.models import Account
from raschet.importers.housing.report import ImportIssue
from raschet.metering.import_reader import Formula
from raschet.metering.models import Meter
from raschet.organizations.models import Organization
from raschet.tariffs.models import Service

I64 = npt.NDArray[np.int64]

MAX_ERRORS = 10_000
"""Past this many problems the table stops growing: the file needs fixing at the source."""


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("account", "Лицевой счёт", ("лицевой счет", "номер лс", "лс", "л/с")),
    Column("service", "Услуга", ("код услуги",)),
    Column("serial", "Заводской номер", ("номер счетчика", "серийный номер", "заводской №")),
    Column("zone", "Зона", ("тарифная зона",)),
    Column("value", "Показание", ("показания",)),
    Column("taken_on", "Дата снятия", ("дата показания", "дата снятия показания")),
    Column("received_on", "Дата получения", ("дата поступления",)),
)
HEADERS = {c.key: c.header for c in COLUMNS}
REQUIRED = ("account", "value", "taken_on")

ZONE_CODES: tuple[str, ...] = ("single", "day", "night", "peak", "semi_peak")
"""Zone index ↔ `Zone` code; the index is what the arrays carry."""
ZONE_RU = {"single": "общая", "day": "день", "night": "ночь", "peak": "пик", "semi_peak": "полупик"}
_ZONE_WORDS = {
    "": 0, "single": 0, "общая": 0, "одна": 0, "однотарифная": 0, "круглосуточная": 0,
    "day": 1, "день": 1, "дневная": 1,
    "night": 2, "ночь": 2, "ночная": 2,
    "peak": 3, "пик": 3, "пиковая": 3,
    "semi_peak": 4, "semi-peak": 4, "полупик": 4, "полупиковая": 4,
}  # fmt: skip
ZONES_ALLOWED = np.zeros((4, len(ZONE_CODES)), dtype=bool)
"""``ZONES_ALLOWED[zones_of_meter, zone]``: the zones a 1-, 2- or 3-zone meter reports."""
ZONES_ALLOWED[1, 0] = True
ZONES_ALLOWED[2, [1, 2]] = True
ZONES_ALLOWED[3, [2, 3, 4]] = True

MAX_INTEGER_DIGITS = 12
_DATE_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?$")


def normalize_header(text: object) -> str:
    """Header matching ignores case, extra spaces, 'ё' and a trailing '*'."""
    s = str(text or "").replace("\u00a0", " ").strip().rstrip("*").strip().lower()
    return re.sub(r"\s+", " ", s.replace("ё", "е"))


HEADER_INDEX: dict[str, str] = {}
for _c in COLUMNS:
    for _name in (_c.header, _c.key, *_c.aliases):
        HEADER_INDEX[normalize_header(_name)] = _c.key


def month_ordinal(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_from_ordinal(n: int) -> date:
    return date(n // 12, n % 12 + 1, 1)


def map_header(sheet: str, header_row: int, header: list[object]) -> tuple[dict[str, int], list]:
    """Column positions by key, or the header's problems (missing, unknown, repeated)."""
    positions: dict[str, int] = {}
    issues: list[ImportIssue] = []
    for idx, cell in enumerate(header):
        name = str(cell if cell is not None else "").strip()
        if not name:
            continue
        key = HEADER_INDEX.get(normalize_header(name))
        if key is None:
            known = ", ".join(f"«{c.header}»" for c in COLUMNS)
            issues.append(
                ImportIssue(sheet, header_row, name, name, f"лишний столбец; допустимы: {known}")
            )
        elif key in positions:
            issues.append(ImportIssue(sheet, header_row, name, name, "столбец повторяется"))
        else:
            positions[key] = idx
    for key in REQUIRED:
        if key not in positions:
            issues.append(
                ImportIssue(sheet, header_row, HEADERS[key], "", "нет обязательного столбца")
            )
    if "service" not in positions and "serial" not in positions:
        issues.append(
            ImportIssue(
                sheet, header_row, HEADERS["service"], "",
                "нужен столбец «Услуга» или «Заводской номер» (или оба), чтобы найти счётчик",
            )
        )  # fmt: skip
    return positions, issues


@dataclass
class Stock:
    """The organization's accounts, services and meters, as lookup dicts and arrays.

    Only the exact lookup (premises, service, serial) is built up front; the lookups by serial
    alone and by service alone are built on the first row that needs them.
    """

    account_premises: dict[str, int]
    services: dict[str, int]  # code and lower-case name → id
    service_codes: dict[int, str]
    by_serial: dict[tuple[int, int, str], int]  # (premises, service, serial) → meter index
    meter_id: I64
    meter_premises: list[int]
    meter_service: list[int]
    meter_serial: list[str]
    meter_zones: npt.NDArray[np.int8]
    meter_digits: I64
    meter_installed: I64  # date ordinals
    meter_removed: I64  # date ordinal, or a far future when in use

    @cached_property
    def by_premises_serial(self) -> dict[tuple[int, str], int]:
        """(premises, serial) → meter index; -1 when two services share the serial."""
        out: dict[tuple[int, str], int] = {}
        for idx, (premises, serial) in enumerate(
            zip(self.meter_premises, self.meter_serial, strict=True)
        ):
            key = (premises, serial)
            out[key] = -1 if key in out else idx
        return out

    @cached_property
    def by_premises_service(self) -> dict[tuple[int, int], int]:
        """(premises, service) → the one meter in use (or the only meter); -1 if several."""
        far = FAR_FUTURE.toordinal()
        groups: dict[tuple[int, int], list[int]] = {}
        for idx, key in enumerate(zip(self.meter_premises, self.meter_service, strict=True)):
            groups.setdefault(key, []).append(idx)
        out: dict[tuple[int, int], int] = {}
        for key, idxs in groups.items():
            working = [i for i in idxs if self.meter_removed[i] == far]
            if len(working) == 1:
                out[key] = working[0]
            elif not working and len(idxs) == 1:
                out[key] = idxs[0]
            else:
                out[key] = -1
        return out


FAR_FUTURE = date(9999, 12, 31)


def stock_load(organization: Organization) -> Stock:
    """Three plain queries (raw SQL: a quarter of a million meters through the ORM's row
    conversion would take seconds)."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT number, premises_id FROM {qn(Account._meta.db_table)} "  # noqa: S608
            "WHERE organization_id = %s",
            [organization.pk],
        )
        accounts = dict(cursor.fetchall())
        cursor.execute(
            "SELECT id, premises_id, service_id, serial_number, zones, integer_digits, "  # noqa: S608
            f"{sql_day_ordinal('installed_on')}, "
            f"COALESCE({sql_day_ordinal('removed_on')}, {FAR_FUTURE.toordinal()}) "
            f"FROM {qn(Meter._meta.db_table)} "
            "WHERE organization_id = %s ORDER BY id",
            [organization.pk],
        )
        rows = cursor.fetchall()
    services: dict[str, int] = {}
    codes: dict[int, str] = {}
    for pk, code, name in Service.objects.filter(organization=organization).values_list(
        "pk", "code", "name"
    ):
        services[code.lower()] = pk
        services.setdefault(name.strip().lower(), pk)
        codes[pk] = code
    if rows:
        ids, premises, service, serials, zones, digits, installed, removed = map(
            list, zip(*rows, strict=True)
        )
    else:
        ids, premises, service, serials, zones, digits, installed, removed = ([] for _ in range(8))
    serials = [s.strip() for s in serials]
    return Stock(
        account_premises=accounts,
        services=services,
        service_codes=codes,
        by_serial=dict(
            zip(zip(premises, service, serials, strict=True), range(len(ids)), strict=True)
        ),
        meter_id=np.array(ids, dtype=np.int64),
        meter_premises=premises,
        meter_service=service,
        meter_serial=serials,
        meter_zones=np.array(zones, dtype=np.int8),
        meter_digits=np.array(digits, dtype=np.int64),
        meter_installed=np.array(installed, dtype=np.int64),
        meter_removed=np.array(removed, dtype=np.int64),
    )


def sql_day_ordinal(column: str) -> str:
    """SQL for ``date.toordinal()`` of a date column (PostgreSQL or SQLite)."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '0001-01-01' + 1)"
    return f"CAST(julianday({column}) - 1721424.5 AS INTEGER)"


def sql_month_ordinal(column: str) -> str:
    """SQL for `month_ordinal` (year × 12 + month − 1) of a date column."""
    if connection.vendor == "postgresql":
        return (
            f"(CAST(EXTRACT(YEAR FROM {column}) AS INTEGER) * 12 "
            f"+ CAST(EXTRACT(MONTH FROM {column}) AS INTEGER) - 1)"
        )
    return (
        f"(CAST(strftime('%Y', {column}) AS INTEGER) * 12 "
        f"+ CAST(strftime('%m', {column}) AS INTEGER) - 1)"
    )


@dataclass
class Parsed:
    """The rows that parsed and resolved, as parallel columns, plus every problem found."""

    sheet: str
    rows_seen: int = 0
    errors: list[ImportIssue] = field(default_factory=list)
    truncated: bool = False
    # Machine integers, not lists of int objects: a million rows are 48 MB, not 200.
    row: array[int] = field(default_factory=lambda: array("q"))
    meter: array[int] = field(default_factory=lambda: array("q"))
    zone: array[int] = field(default_factory=lambda: array("q"))
    value: array[int] = field(default_factory=lambda: array("q"))
    taken: array[int] = field(default_factory=lambda: array("q"))  # date ordinal
    period: array[int] = field(default_factory=lambda: array("q"))  # month ordinal

    def error(self, row: int, key: str, value: object, message: str) -> None:
        if len(self.errors) >= MAX_ERRORS:
            self.truncated = True
            return
        self.errors.append(
            ImportIssue(self.sheet, row, HEADERS.get(key, key), shown(value), message)
        )


def shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%d.%m.%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    return str(value).strip()


def format_fixed(value: SupportsInt) -> str:
    """Thousandths as the user writes them: «100,000»."""
    whole, frac = divmod(int(value), READING_SCALE)
    return f"{whole},{frac:03d}"


def parse_value(cell: object) -> int | str:
    """A reading in thousandths, or the Russian reason it is not one."""
    if isinstance(cell, bool):
        return "не число"
    if isinstance(cell, int):
        text = str(cell)
    elif isinstance(cell, float):
        text = repr(cell) if cell == cell else "nan"
        if "e" in text or "E" in text:
            try:
                text = format(Decimal(text), "f")
            except InvalidOperation:
                return "не число"
    else:
        text = str(cell).strip()
    text = text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not text:
        return "показание не указано"
    whole, _dot, frac = text.partition(".")
    if whole.startswith("-"):
        return "показание не может быть отрицательным"
    if whole.startswith("+"):
        whole = whole[1:]
    if not (
        whole.isascii() and whole.isdigit() and (not frac or (frac.isascii() and frac.isdigit()))
    ):
        return "не число: пишите цифры с запятой или точкой, например 123,456"
    frac = frac.rstrip("0") if len(frac) > 3 else frac
    if len(frac) > 3:
        return "не более трёх знаков после запятой"
    if len(whole.lstrip("0")) > MAX_INTEGER_DIGITS:
        return f"слишком большое число: больше {MAX_INTEGER_DIGITS} цифр до запятой"
    return int(whole) * READING_SCALE + (int(frac.ljust(3, "0")) if frac else 0)


def parse_date(cell: object) -> int | str:
    """A date as an ordinal, or the Russian reason it is not one."""
    if isinstance(cell, datetime):
        return cell.date().toordinal()
    if isinstance(cell, date):
        return cell.toordinal()
    text = str(cell if cell is not None else "").strip()
    if not text:
        return "дата не указана"
    m = _DATE_DMY.match(text)
    parts = (m.group(3), m.group(2), m.group(1)) if m else None
    if parts is None:
        m = _DATE_ISO.match(text)
        parts = (m.group(1), m.group(2), m.group(3)) if m else None
    if parts is None:
        return "дата должна иметь вид ДД.ММ.ГГГГ или ГГГГ-ММ-ДД"
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2])).toordinal()
    except ValueError:
        return "такой даты нет в календаре"


_VALUE_FAST = re.compile(r"\s*(\d{1,12})(?:[.,](\d{0,3}))?\s*").fullmatch


def parse_rows(
    *,
    rows: Iterable[tuple[int, Sequence[str]]],
    sheet: str,
    positions: dict[str, int],
    width: int,
    stock: Stock,
    today: date,
    cutoff_day: int,
    formulas: bool = False,
    tick: Callable[[int], None] | None = None,
) -> Parsed:
    """Parse and resolve every row; only rows without problems reach the columns.

    Cells are text (the XLSX reader renders numbers and dates as text); ``formulas`` says
    that a cell may be a `Formula`. The loop is the hot path of a million-row file: the
    common case runs on local names and memo dicts, the messages only on bad cells.
    """
    out = Parsed(sheet=sheet)
    p_acc = positions["account"]
    p_val = positions["value"]
    p_taken = positions["taken_on"]
    p_srv = positions.get("service", -1)
    p_ser = positions.get("serial", -1)
    p_zone = positions.get("zone", -1)
    p_recv = positions.get("received_on", -1)
    accounts = stock.account_premises
    by_serial = stock.by_serial
    service_memo: dict[str, int] = {"": -1}
    zone_memo: dict[str, int] = {}
    date_memo: dict[str, int | str] = {}
    period_memo: dict[int, int] = {}
    today_ordinal = today.toordinal()
    today_period = month_ordinal(billing_month_for(today, cutoff_day).start)
    append_row, append_meter, append_zone = out.row.append, out.meter.append, out.zone.append
    append_value, append_taken, append_period = (
        out.value.append,
        out.taken.append,
        out.period.append,
    )
    error = out.error
    value_fast = _VALUE_FAST
    n = 0

    for row, cells in rows:
        n += 1
        if tick is not None and n % 50_000 == 0:
            tick(n)
        if len(cells) != width or not cells[p_acc]:
            if not any(c.strip() for c in cells):
                continue  # an empty line
            if len(cells) < width:
                cells = [*cells, *([""] * (width - len(cells)))]
            elif len(cells) > width:
                extra = [c for c in cells[width:] if c.strip()]
                if extra:
                    out.rows_seen += 1
                    error(row, "", extra[0], "значение правее последнего столбца заголовка")
                    continue
        out.rows_seen += 1
        if formulas and any(type(c) is Formula for c in cells):
            for key, pos in positions.items():
                if type(cells[pos]) is Formula:
                    error(row, key, cells[pos], "формула вместо значения: вставьте значения")
            continue
        ok = True
        number = cells[p_acc]
        premises = accounts.get(number, -1)
        if premises < 0:
            number = number.strip()
            premises = accounts.get(number, -1)
            if premises < 0:
                error(row, "account", number, "лицевой счёт не найден в организации"
                      if number else "лицевой счёт не указан")  # fmt: skip
                ok = False
        service = -1
        if p_srv >= 0:
            raw = cells[p_srv]
            got_service = service_memo.get(raw)
            if got_service is None:
                word = raw.strip().lower()
                got_service = stock.services.get(word, -3) if word else -1
                service_memo[raw] = got_service
            service = got_service
            if service == -3:
                error(row, "service", raw, "услуга не найдена: укажите код, например cold_water")
                ok = False
        serial = cells[p_ser] if p_ser >= 0 else ""
        zone = 0
        if p_zone >= 0:
            raw = cells[p_zone]
            got_zone = zone_memo.get(raw)
            if got_zone is None:
                got_zone = zone_memo[raw] = _ZONE_WORDS.get(normalize_header(raw), -1)
            zone = got_zone
            if zone < 0:
                error(row, "zone", raw, "зона: общая (пусто), день, ночь, пик или полупик")
                ok = False
        raw = cells[p_val]
        m = value_fast(raw)
        if m is not None:
            whole, frac = m.groups()
            value: int | str = int(whole) * 1000 + (int((frac + "00")[:3]) if frac else 0)
        else:
            value = parse_value(raw)
            if isinstance(value, str):
                error(row, "value", raw, value)
                ok = False
        raw = cells[p_taken]
        taken = date_memo.get(raw)
        if taken is None:
            taken = date_memo[raw] = parse_date(raw)
        if taken.__class__ is str:
            error(row, "taken_on", raw, taken)
            ok = False
        period = today_period
        if p_recv >= 0 and cells[p_recv]:
            raw = cells[p_recv]
            received = date_memo.get(raw)
            if received is None:
                received = date_memo[raw] = parse_date(raw)
            if isinstance(received, str):
                error(row, "received_on", raw, received)
                ok = False
            elif received > today_ordinal:
                error(row, "received_on", raw, "дата получения ещё не наступила")
                ok = False
            else:
                got_period = period_memo.get(received)
                if got_period is None:
                    day = date.fromordinal(received)
                    got_period = month_ordinal(billing_month_for(day, cutoff_day).start)
                    period_memo[received] = got_period
                period = got_period
        if not ok:
            continue
        meter = by_serial.get((premises, service, serial), -1) if serial and service >= 0 else -1
        if meter < 0:
            meter = _find_meter(out, row, premises, service, serial.strip(), stock)
            if meter < 0:
                continue
        append_row(row)
        append_meter(meter)
        append_zone(zone)
        append_value(value)  # type: ignore[arg-type]  # an int once ok
        append_taken(taken)  # type: ignore[arg-type]
        append_period(period)
    return out


def _find_meter(
    out: Parsed, row: int, premises: int, service: int, serial: str, stock: Stock
) -> int:
    """The slow path: a serial with spaces, a serial alone, a service alone — or an error."""
    if serial and service >= 0:
        meter = stock.by_serial.get((premises, service, serial), -2)
        if meter == -2:
            out.error(row, "serial", serial, f"в помещении лицевого счёта нет счётчика «"
                      f"{stock.service_codes[service]}» с таким заводским номером")  # fmt: skip
        return meter
    if serial:
        meter = stock.by_premises_serial.get((premises, serial), -2)
        if meter == -2:
            out.error(row, "serial", serial, "в помещении лицевого счёта нет счётчика "
                      "с таким заводским номером")  # fmt: skip
        elif meter == -1:
            out.error(row, "serial", serial, "этот номер у нескольких счётчиков помещения: "
                      "укажите услугу")  # fmt: skip
        return meter
    if service >= 0:
        meter = stock.by_premises_service.get((premises, service), -2)
        code = stock.service_codes[service]
        if meter == -2:
            out.error(row, "service", code, "в помещении лицевого счёта нет счётчика этой услуги")
        elif meter == -1:
            out.error(row, "serial", "", f"в помещении несколько счётчиков «{code}»: "
                      "укажите заводской номер")  # fmt: skip
        return meter
    out.error(row, "serial", "", "укажите заводской номер или услугу, чтобы найти счётчик")
    return -1
