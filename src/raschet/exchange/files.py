"""Writing the export file and reading the answer file in a layout's format (CSV/XLSX/DBF).

Money fields hold kopecks and are written as rubles with two decimals computed exactly
(`kopecks_to_decimal`, never a float; in XLSX a number cell built from the `Decimal` with
the format ``0.00``). Tariffs, norms and volumes are exact decimals, rounded half-up to the
column's decimals. Dates are ``DD.MM.YYYY`` in CSV, date cells in XLSX, ``YYYYMMDD`` in DBF.

Reading gives ``(line number, {field: value})`` with the line the user sees (the CSV or
Excel row, the DBF record number); a file that cannot be read at all raises
`ExchangeFileError` with a Russian message.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from raschet.core.money import kopecks_to_decimal
from raschet.exchange import dbf
from raschet.exchange.layouts import Column, Layout, fields_of


class ExchangeFileError(ValueError):
    """A whole file refused; the message is Russian and names the file."""


def _number(value: object, decimals: int, money: bool) -> Decimal | None:
    """A number at ``decimals`` places: money from kopecks exactly (two places), other
    numbers rounded half-up."""
    if value is None or value == "":
        return None
    if money:
        return kopecks_to_decimal(int(value)).quantize(Decimal("0.01"))  # type: ignore[call-overload]
    number = value if isinstance(value, Decimal) else Decimal(int(value))  # type: ignore[call-overload]
    return number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _typed(layout: Layout, col: Column, value: object) -> object:
    """The value of a column in its type: Decimal for N, date for D, text for C."""
    spec = fields_of(layout.direction)[col.field]
    if spec.type == "N":
        decimals = col.decimals if col.type == "N" else spec.decimals
        number = _number(value, 2 if spec.money else decimals, spec.money)
        if col.type == "C":
            return "" if number is None else f"{number:f}"
        return number
    if spec.type == "D":
        if col.type == "C":
            return f"{value:%d.%m.%Y}" if isinstance(value, date) else ""
        return value if isinstance(value, date) else None
    return "" if value is None else str(value)


def write_export(layout: Layout, rows: Iterable[Mapping[str, Any]], *, today: date) -> bytes:
    """The export file of ``rows`` (dicts by field name) in ``layout``."""
    table = [[_typed(layout, c, row.get(c.field)) for c in layout.columns] for row in rows]
    if layout.format == "dbf":
        fields = [dbf.DbfField(c.header, c.type, c.width, c.decimals) for c in layout.columns]
        try:
            return dbf.write_dbf(fields, table, encoding=layout.encoding, updated=today)
        except dbf.DbfError as exc:
            raise ExchangeFileError(f"DBF по макету «{layout.name}»: {exc}") from None
    if layout.format == "xlsx":
        return _write_xlsx(layout, table)
    return _write_csv(layout, table)


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    return str(value)


def _write_csv(layout: Layout, table: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=layout.delimiter, lineterminator="\r\n")
    writer.writerow([c.header for c in layout.columns])
    for record in table:
        writer.writerow([_csv_cell(v) for v in record])
    text = out.getvalue()
    if layout.encoding in ("cp866", "cp1251"):
        text = text.translate(dbf._PLAIN)
    return text.encode(layout.encoding, errors="replace")


def _write_xlsx(layout: Layout, table: list[list[object]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    ws.title = "Льготники"
    ws.append([c.header for c in layout.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for record in table:
        ws.append(record)
    for idx, col in enumerate(layout.columns, start=1):
        if col.type == "N":
            fmt = "0" if not col.decimals else "0." + "0" * col.decimals
        elif col.type == "D":
            fmt = "DD.MM.YYYY"
        else:
            continue
        for (cell,) in ws.iter_rows(min_row=2, min_col=idx, max_col=idx):
            cell.number_format = fmt
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ----------------------------------------------------------------------------- reading


def _header_map(layout: Layout, header: list[object], file_name: str) -> dict[int, str]:
    """Cell index → field, by the layout's headers (case and surrounding spaces ignored)."""
    wanted = {c.header.strip().casefold(): c.field for c in layout.columns}
    found: dict[int, str] = {}
    for idx, cell in enumerate(header):
        key = str(cell or "").strip().lstrip("\ufeff").casefold()
        if key in wanted and wanted[key] not in found.values():
            found[idx] = wanted[key]
    missing = [c.header for c in layout.columns if c.field not in found.values()]
    if missing:
        listed = ", ".join(f"«{m}»" for m in missing)
        raise ExchangeFileError(
            f"{file_name}: в заголовке нет колонок {listed} макета «{layout.name}»"
        )
    return found


def read_answer(layout: Layout, data: bytes, file_name: str) -> list[tuple[int, dict[str, Any]]]:
    """The data rows of an answer file (blank rows skipped)."""
    if not data:
        raise ExchangeFileError(f"{file_name}: файл пуст")
    if layout.format == "dbf":
        return _read_dbf(layout, data, file_name)
    if layout.format == "xlsx":
        return _read_xlsx(layout, data, file_name)
    return _read_csv(layout, data, file_name)


def _read_dbf(layout: Layout, data: bytes, file_name: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        table = dbf.read_dbf(data, encoding=layout.encoding)
        names = [f.name for f in table.fields]
        mapping = _header_map(layout, list(names), file_name)
        by_name = {names[i]: field for i, field in mapping.items()}
        rows = []
        for number, record in table.rows():
            values = {by_name[k]: v for k, v in record.items() if k in by_name}
            if any(v not in (None, "") for v in values.values()):
                rows.append((number, values))
        return rows
    except dbf.DbfError as exc:
        raise ExchangeFileError(f"{file_name}: {exc}") from None


def _read_csv(layout: Layout, data: bytes, file_name: str) -> list[tuple[int, dict[str, Any]]]:
    if data.startswith(b"PK\x03\x04") or data[:1] in (b"\x03", b"\x83", b"\x8b"):
        raise ExchangeFileError(
            f"{file_name}: это не CSV (книга Excel или DBF), а макет «{layout.name}» ждёт CSV"
        )
    try:
        text = data.decode(layout.encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ExchangeFileError(
            f"{file_name}, строка {line}: байты не в кодировке {layout.encoding} макета "
            f"«{layout.name}»"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter, strict=True)
    mapping: dict[int, str] | None = None
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if mapping is None:
                mapping = _header_map(layout, list(record), file_name)
                continue
            values = {field: record[i] if i < len(record) else "" for i, field in mapping.items()}
            rows.append((reader.line_num, values))
    except csv.Error as exc:
        raise ExchangeFileError(
            f"{file_name}, строка {reader.line_num}: не разбирается как CSV: {exc}"
        ) from None
    if mapping is None:
        raise ExchangeFileError(f"{file_name}: в файле нет ни заголовка, ни данных")
    return rows


def _read_xlsx(layout: Layout, data: bytes, file_name: str) -> list[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook

    if not data.startswith(b"PK\x03\x04"):
        raise ExchangeFileError(
            f"{file_name}: это не книга Excel (XLSX), а макет «{layout.name}» ждёт XLSX"
        )
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ExchangeFileError(f"{file_name}: не читается как книга Excel: {exc}") from None
    try:
        ws = book.worksheets[0]
        ws.reset_dimensions()
        mapping: dict[int, str] | None = None
        rows: list[tuple[int, dict[str, Any]]] = []
        for number, cells in enumerate(ws.iter_rows(values_only=True), start=1):
            if not any(v is not None and str(v).strip() for v in cells):
                continue
            if mapping is None:
                mapping = _header_map(layout, list(cells), file_name)
                continue
            values = {}
            for i, field in mapping.items():
                value = cells[i] if i < len(cells) else None
                if isinstance(value, datetime):
                    value = value.date()
                values[field] = value
            rows.append((number, values))
    finally:
        book.close()
    if mapping is None:
        raise ExchangeFileError(f"{file_name}: лист пуст")
    return rows
