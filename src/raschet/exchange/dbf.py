"""A small dBase III (``.dbf``) writer and reader: the format social protection offices use.

Only what the exchange needs: types C (text), N (number, written from `Decimal`, never a
float), D (date ``YYYYMMDD``) and L (logical, read only); no memo files, no indexes. The text
encoding is a parameter — cp866 for the regional formats (rules.md §4.4) — and is announced
in the header's language-driver byte (0x65 cp866, 0xC9 cp1251) so that readers such as
dbfread and FoxPro pick it. The date of the last update is an argument (style.md §3).

Layout of a file (dBase III, version byte 0x03):
- a 32-byte header: version, last update (YY-1900, MM, DD), record count (uint32), header
  size (uint16), record size (uint16), 17 reserved bytes, the language driver, 2 reserved;
- 32 bytes per field: name (11 bytes, NUL-padded), type, 4 reserved, width, decimals, 14
  reserved; then 0x0D;
- records: a deletion flag (``' '`` or ``'*'``) and the fields, text left-aligned and
  numbers right-aligned, both space-padded; then the end-of-file byte 0x1A.

Pure: stdlib only; messages are Russian (they reach an operator fixing the file).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

HEADER_SIZE = 32
FIELD_SIZE = 32
TERMINATOR = b"\x0d"
EOF = b"\x1a"
LANGUAGE_DRIVERS = {"cp866": 0x65, "cp1251": 0xC9}
ENCODINGS_BY_DRIVER = {v: k for k, v in LANGUAGE_DRIVERS.items()}
# Typographic characters missing from cp866 / cp1251, written as their plain look-alikes.
_PLAIN = str.maketrans(
    {
        "«": '"',
        "»": '"',
        "“": '"',
        "”": '"',
        "„": '"',
        "–": "-",
        "—": "-",
        "\u00a0": " ",
        "\u202f": " ",
        "₽": "р.",
    }
)


class DbfError(ValueError):
    """A file (or a value) that is not valid dBase III; the message is Russian."""


@dataclass(frozen=True)
class DbfField:
    name: str
    type: str  # C, N, D (L read only)
    width: int
    decimals: int = 0


def _encode_text(value: str, encoding: str) -> bytes:
    return value.translate(_PLAIN).encode(encoding, errors="replace")


def _cell(field: DbfField, value: object, encoding: str, record: int) -> bytes:
    where = f"запись {record}, поле {field.name}"
    if field.type == "C":
        raw = _encode_text("" if value is None else str(value), encoding)
        if len(raw) > field.width:
            raise DbfError(f"{where}: текст длиннее {field.width} байт: {value!s:.60}")
        return raw.ljust(field.width, b" ")
    if field.type == "N":
        if value is None or value == "":
            return b" " * field.width
        if isinstance(value, (float, bool)):
            raise DbfError(f"{where}: число должно быть Decimal или int, не {type(value).__name__}")
        number = Decimal(value) if isinstance(value, int) else value
        if not isinstance(number, Decimal):
            raise DbfError(f"{where}: не число: {value!r}")
        text = f"{number:.{field.decimals}f}"
        if len(text) > field.width:
            raise DbfError(f"{where}: число {text} не помещается в {field.width} знаков")
        return text.rjust(field.width).encode("ascii")
    if field.type == "D":
        if value is None or value == "":
            return b" " * 8
        if not isinstance(value, date):
            raise DbfError(f"{where}: не дата: {value!r}")
        return f"{value:%Y%m%d}".encode("ascii")
    raise DbfError(f"поле {field.name}: тип {field.type} не пишется")


def write_dbf(
    fields: Sequence[DbfField],
    records: Sequence[Sequence[object]],
    *,
    encoding: str,
    updated: date,
) -> bytes:
    """The bytes of a dBase III file of ``records`` (each a sequence in field order)."""
    if not fields:
        raise DbfError("в таблице DBF нет полей")
    if len(fields) > 255:
        raise DbfError("в таблице DBF больше 255 полей")
    names: set[str] = set()
    for f in fields:
        raw_name = f.name.encode("ascii", errors="replace")
        if not 1 <= len(raw_name) <= 10 or f.name.upper() in names:
            raise DbfError(f"имя поля DBF «{f.name}»: 1–10 латинских знаков, без повторов")
        names.add(f.name.upper())
    record_size = 1 + sum(f.width for f in fields)
    if record_size > 65535:
        raise DbfError("запись DBF длиннее 65535 байт")
    header_size = HEADER_SIZE + FIELD_SIZE * len(fields) + 1
    out = bytearray(
        struct.pack(
            "<BBBBIHH17sB2s",
            0x03,
            updated.year - 1900,
            updated.month,
            updated.day,
            len(records),
            header_size,
            record_size,
            b"",
            LANGUAGE_DRIVERS.get(encoding, 0),
            b"",
        )
    )
    for f in fields:
        out += struct.pack(
            "<11sc4sBB14s",
            f.name.upper().encode("ascii"),
            f.type.encode("ascii"),
            b"",
            f.width,
            f.decimals,
            b"",
        )
    out += TERMINATOR
    for n, rec in enumerate(records, start=1):
        if len(rec) != len(fields):
            raise DbfError(f"запись {n}: {len(rec)} значений на {len(fields)} полей")
        out += b" "
        for f, value in zip(fields, rec, strict=True):
            out += _cell(f, value, encoding, n)
    out += EOF
    return bytes(out)


@dataclass(frozen=True)
class DbfTable:
    fields: tuple[DbfField, ...]
    encoding: str
    updated: date | None
    records: int
    data: bytes
    header_size: int
    record_size: int

    def rows(self) -> Iterator[tuple[int, dict[str, object]]]:
        """``(record number, {FIELD: value})`` of the records not marked deleted.

        Text is decoded and right-stripped; numbers are `Decimal` (``None`` when blank);
        dates `date` (``None`` when blank); a malformed value raises `DbfError` naming the
        record and the field.
        """
        offsets = []
        pos = 1
        for f in self.fields:
            offsets.append((f, pos, pos + f.width))
            pos += f.width
        for n in range(self.records):
            start = self.header_size + n * self.record_size
            raw = self.data[start : start + self.record_size]
            if raw[:1] == b"*":
                continue
            row: dict[str, object] = {}
            for f, a, b in offsets:
                row[f.name] = _value(f, raw[a:b], self.encoding, n + 1)
            yield n + 1, row


def _value(field: DbfField, raw: bytes, encoding: str, record: int) -> object:
    where = f"запись {record}, поле {field.name}"
    if field.type == "C":
        try:
            return raw.decode(encoding).rstrip(" \x00")
        except UnicodeDecodeError:
            raise DbfError(f"{where}: текст не в кодировке {encoding}") from None
    text = raw.decode("ascii", errors="replace").strip(" \x00")
    if field.type in ("N", "F"):
        if not text:
            return None
        try:
            return Decimal(text.replace(",", "."))
        except InvalidOperation:
            raise DbfError(f"{where}: не число: {text!r}") from None
    if field.type == "D":
        if not text:
            return None
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        except ValueError:
            raise DbfError(f"{where}: не дата ГГГГММДД: {text!r}") from None
    if field.type == "L":
        return None if text in ("", "?") else text.upper() in ("T", "Y", "Д")
    return text


def read_dbf(data: bytes, *, encoding: str | None = None) -> DbfTable:
    """Parse a dBase III/IV file (no memo). ``encoding``: the text encoding; by default the
    one the language-driver byte names, else cp866."""
    if len(data) < HEADER_SIZE + 1:
        raise DbfError("файл слишком короткий для DBF")
    version = data[0]
    if version & 0x07 not in (0x03, 0x04):
        raise DbfError(f"файл не в формате dBase III/IV (байт версии 0x{version:02X})")
    yy, mm, dd, count, header_size, record_size = struct.unpack("<BBBIHH", data[1:12])
    try:
        updated: date | None = date(1900 + yy, mm, dd)
    except ValueError:
        updated = None
    fields: list[DbfField] = []
    pos = HEADER_SIZE
    while pos < len(data) and data[pos] != 0x0D:
        desc = data[pos : pos + FIELD_SIZE]
        if len(desc) < FIELD_SIZE:
            raise DbfError("заголовок DBF оборван: описание поля неполное")
        name = desc[:11].split(b"\x00", 1)[0].decode("ascii", errors="replace").strip().upper()
        fields.append(DbfField(name=name, type=chr(desc[11]), width=desc[16], decimals=desc[17]))
        pos += FIELD_SIZE
    if pos >= len(data):
        raise DbfError("заголовок DBF без завершающего байта 0x0D")
    if not fields:
        raise DbfError("в файле DBF нет полей")
    if record_size != 1 + sum(f.width for f in fields):
        raise DbfError("размер записи в заголовке DBF не равен сумме ширин полей")
    if header_size < pos + 1 or header_size + count * record_size > len(data):
        raise DbfError(f"файл DBF оборван: в заголовке {count} записей, а данных меньше")
    chosen = encoding or ENCODINGS_BY_DRIVER.get(data[29], "cp866")
    return DbfTable(
        fields=tuple(fields),
        encoding=chosen,
        updated=updated,
        records=count,
        data=data,
        header_size=header_size,
        record_size=record_size,
    )
