"""Readers of a readings file: CSV (UTF-8 or cp1251, ';' ',' or tab) and XLSX (first sheet).

Both give the sheet name, the header and the data rows as ``(row_number, cells)`` with the row
number the user sees in Excel or a text editor. File-level problems (empty, not a workbook,
bad encoding) raise `FileProblem` with a Russian message.

Written apart from the housing importer's reader because the readings layout reads the
*first* sheet of a workbook whatever its name and rejects formulas cell by cell.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

_CHUNK = 1 << 20


class FileProblem(Exception):
    """The file as a whole cannot be read; ``message`` is Russian and shown to the user."""

    def __init__(self, message: str, *, row: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.row = row


class Formula(str):
    """A cell that holds a formula, not a value; the importer turns it into an error."""

    __slots__ = ()


def cell_text(value: object) -> str:
    """An XLSX cell as the text a CSV would hold: whole numbers without «.0», dates in ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass
class Table:
    sheet: str
    header_row: int
    header: list[object]
    rows: Iterator[tuple[int, list[str]]]
    total_rows: int  # an estimate for the progress bar
    formulas: bool = False  # cells may be `Formula` (XLSX)


def open_table(path: Path, *, max_bytes: int) -> Table:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FileProblem(f"файл не открывается: {exc.strerror or exc}") from None
    if size == 0:
        raise FileProblem("файл пуст")
    if size > max_bytes:
        raise FileProblem(
            f"файл слишком большой: {size // (1024 * 1024)} МБ, допустимо "
            f"{max_bytes // (1024 * 1024)} МБ — разделите его на части"
        )
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(path)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        raise FileProblem("файл с расширением .xlsx не является книгой Excel (XLSX)")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem("старый формат Excel (.xls) не поддерживается: сохраните как .xlsx")
    return _open_csv(path, size)


# --- CSV -------------------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes, else cp1251.

    A file that is valid UTF-8 with Cyrillic and breaks later is damaged UTF-8, not cp1251:
    the error names the line with the bad bytes instead of loading mojibake.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    seen_non_ascii = False
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            if b"\x00" in chunk:
                raise FileProblem(
                    "файл не текстовый (нулевые байты): нужен CSV в кодировке UTF-8 или cp1251"
                )
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad_line = line + chunk.count(b"\n", 0, exc.start)
                if seen_non_ascii or not chunk[: exc.start].isascii():
                    raise FileProblem(
                        f"строка {bad_line}: недопустимые байты для UTF-8 — файл повреждён "
                        "или в смешанной кодировке; сохраните его заново в UTF-8",
                        row=bad_line,
                    ) from None
                return _check_cp1251(path)
            seen_non_ascii = seen_non_ascii or not chunk.isascii()
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise FileProblem(
                "файл обрывается посреди символа UTF-8 — сохраните его заново"
            ) from None
    return "utf-8-sig"


def _check_cp1251(path: Path) -> str:
    line = 1
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            try:
                chunk.decode("cp1251")
            except UnicodeDecodeError as exc:
                bad_line = line + chunk.count(b"\n", 0, exc.start)
                raise FileProblem(
                    f"строка {bad_line}: файл не в кодировке UTF-8 и не в cp1251 — "
                    "сохраните его в UTF-8",
                    row=bad_line,
                ) from None
            line += chunk.count(b"\n")
    return "cp1251"


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _open_csv(path: Path, size: int) -> Table:
    encoding = detect_encoding(path)
    fh = path.open("r", encoding=encoding, newline="")  # closed by rows() or on error below
    header: list[object] = []
    header_row = 0
    try:
        first = ""
        while not first.strip():
            first = fh.readline()
            header_row += 1
            if not first:
                break
        if not first.strip():
            fh.close()
            raise FileProblem("в файле нет ни заголовка, ни данных")
        delimiter = _sniff_delimiter(first)
        header = list(next(csv.reader([first], delimiter=delimiter)))
    except csv.Error as exc:
        fh.close()
        raise FileProblem(f"строка {header_row}: заголовок не разбирается как CSV: {exc}") from None
    reader = csv.reader(fh, delimiter=delimiter, strict=False)

    def rows() -> Iterator[tuple[int, list[str]]]:
        # csv.reader counts physical lines from where it started; add the header lines.
        offset = header_row
        try:
            for record in reader:
                yield reader.line_num + offset, record
        except csv.Error as exc:
            raise FileProblem(
                f"строка {reader.line_num + offset}: не разбирается как CSV: {exc}",
                row=reader.line_num + offset,
            ) from None
        finally:
            fh.close()

    average_line = max(len(first.encode(encoding, "replace")), 40)
    return Table(path.name, header_row, header, rows(), size // average_line)


# --- XLSX ------------------------------------------------------------------------------------


def _open_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileProblem(f"файл не читается как книга Excel (XLSX): {exc}") from None
    if not wb.sheetnames:
        wb.close()
        raise FileProblem("в книге нет листов")
    ws = wb[wb.sheetnames[0]]
    sheet = ws.title
    total = ws.max_row or 0
    # Untrusted files often carry a wrong <dimension>; read what is really there.
    ws.reset_dimensions()
    it = ws.iter_rows(min_row=1)
    header: list[object] | None = None
    header_row = 0
    for idx, cells in enumerate(it, start=1):
        values = [c.value for c in cells]
        if any(v is not None and str(v).strip() for v in values):
            header = values
            header_row = idx
            break
    if header is None:
        wb.close()
        raise FileProblem(f"лист «{sheet}» пуст")

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for idx, cells in enumerate(it, start=header_row + 1):
                yield (
                    idx,
                    [
                        Formula(c.value)
                        if getattr(c, "data_type", None) == "f"
                        else cell_text(c.value)
                        for c in cells
                    ],
                )
        finally:
            wb.close()

    return Table(sheet, header_row, header, rows(), max(total - header_row, 0), formulas=True)
