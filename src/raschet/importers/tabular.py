"""Streaming reader of an uploaded table: CSV (UTF-8 or cp1251, ';' ',' or tab) and XLSX.

Shared by every file import (housing stock, meter readings) so that a file is read — and
refused — the same way whatever it holds. `open_table` gives the sheet name, the header row
number and the header cells, then data rows as ``(row_number, cells)`` with the row number
the user sees in Excel or a text editor. File-level problems (size, encoding, not a
workbook, no sheet, empty) raise `FileProblem` with a Russian message.

What differs between the imports is a parameter: which sheet of a workbook is read
(`sheet_choice`), and whether cells come as raw values in tuples (the housing importer
checks types itself) or as text in lists with formulas marked as `Formula` (``text_cells``,
the readings importer's hot path works on strings only).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar, overload

_CHUNK = 1 << 20

RowT = TypeVar("RowT")
SheetChoice = Callable[[list[str]], str]
"""Given a workbook's sheet names, the name to read; raises `FileProblem` if none fits."""


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
class Table(Generic[RowT]):
    sheet: str
    header_row: int
    header: list[object]
    rows: Iterator[tuple[int, RowT]]
    total_rows: int  # an estimate for the progress bar; 0 if unknown
    formulas: bool = False  # cells may be `Formula` (XLSX read with text_cells)


def sheet_named_or_only(name: str) -> SheetChoice:
    """The sheet called ``name``, or the only sheet of a one-sheet workbook."""

    def choose(names: list[str]) -> str:
        if name in names:
            return name
        if len(names) == 1:
            return names[0]
        listed = ", ".join(f"«{n}»" for n in names)
        raise FileProblem(f"в книге нет листа «{name}» (есть: {listed})")

    return choose


def first_sheet(names: list[str]) -> str:
    """The first sheet whatever its name."""
    if not names:
        raise FileProblem("в книге нет листов")
    return names[0]


def file_sha256(path: Path) -> str:
    """The file's SHA-256 in hex, read in chunks: an import batch records what was loaded."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@overload
def open_table(
    path: Path,
    *,
    max_bytes: int,
    sheet_choice: SheetChoice,
    text_cells: Literal[False] = ...,
    min_line_bytes: int = ...,
) -> Table[tuple[object, ...]]: ...


@overload
def open_table(
    path: Path,
    *,
    max_bytes: int,
    sheet_choice: SheetChoice,
    text_cells: Literal[True],
    min_line_bytes: int = ...,
) -> Table[list[str]]: ...


def open_table(
    path: Path,
    *,
    max_bytes: int,
    sheet_choice: SheetChoice,
    text_cells: bool = False,
    min_line_bytes: int = 80,
) -> Table[Any]:
    """Open ``path`` as CSV or XLSX (by content, not by name) and read up to the header.

    ``text_cells``: rows are lists of text (XLSX values rendered by `cell_text`, formulas
    as `Formula`) instead of tuples of raw values. ``min_line_bytes``: the least assumed
    length of a CSV line, for the row estimate of the progress bar.
    """
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
        return _open_xlsx(path, sheet_choice, text_cells)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        raise FileProblem("файл с расширением .xlsx не является книгой Excel (XLSX)")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem("старый формат Excel (.xls) не поддерживается: сохраните как .xlsx")
    return _open_csv(path, size, text_cells, min_line_bytes)


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


def _open_csv(path: Path, size: int, text_cells: bool, min_line_bytes: int) -> Table[Any]:
    encoding = detect_encoding(path)
    # The delimiter is sniffed from the first line that is not blank: a file may start
    # with empty lines, and they say nothing about the delimiter.
    first = ""
    with path.open("r", encoding=encoding, newline="") as probe:
        while line := probe.readline():
            if line.strip():
                first = line
                break
    if not first:
        raise FileProblem("в файле нет ни заголовка, ни данных")
    fh = path.open("r", encoding=encoding, newline="")  # closed by rows() or on error below
    reader = csv.reader(fh, delimiter=_sniff_delimiter(first), strict=False)
    header: list[object] | None = None
    header_row = 0
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                header = list(record)
                header_row = reader.line_num
                break
    except csv.Error as exc:
        fh.close()
        raise FileProblem(
            f"строка {reader.line_num}: заголовок не разбирается как CSV: {exc}"
        ) from None
    if header is None:
        fh.close()
        raise FileProblem("в файле нет ни заголовка, ни данных")

    def rows() -> Iterator[tuple[int, Any]]:
        try:
            if text_cells:
                for record in reader:
                    yield reader.line_num, record
            else:
                for record in reader:
                    yield reader.line_num, tuple(record)
        except csv.Error as exc:
            raise FileProblem(
                f"строка {reader.line_num}: не разбирается как CSV: {exc}", row=reader.line_num
            ) from None
        finally:
            fh.close()

    average_line = max(len(first.encode(encoding, "replace")), min_line_bytes)
    return Table(path.name, header_row, header, rows(), size // average_line)


# --- XLSX ------------------------------------------------------------------------------------


def _open_xlsx(path: Path, sheet_choice: SheetChoice, text_cells: bool) -> Table[Any]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileProblem(f"файл не читается как книга Excel (XLSX): {exc}") from None
    try:
        ws = wb[sheet_choice(wb.sheetnames)]
    except FileProblem:
        wb.close()
        raise
    sheet = ws.title
    total = ws.max_row or 0
    # Untrusted files often carry a wrong <dimension>; read what is really there.
    ws.reset_dimensions()
    # Text cells need the cell objects (their data type tells a formula); raw values don't.
    it = ws.iter_rows(min_row=1, values_only=not text_cells)
    header: list[object] | None = None
    header_row = 0
    for idx, got in enumerate(it, start=1):
        values = [c.value for c in got] if text_cells else list(got)
        if any(v is not None and str(v).strip() for v in values):
            header = values
            header_row = idx
            break
    if header is None:
        wb.close()
        raise FileProblem(f"лист «{sheet}» пуст")

    def rows() -> Iterator[tuple[int, Any]]:
        try:
            if text_cells:
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
            else:
                yield from enumerate(it, start=header_row + 1)
        finally:
            wb.close()

    return Table(sheet, header_row, header, rows(), max(total - header_row, 0), formulas=text_cells)
