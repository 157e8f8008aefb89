"""The dBase III writer and reader: byte-exact layout, cp866 Cyrillic, refusals."""

from __future__ import annotations

import struct
from datetime import date
from decimal import Decimal

import pytest

from raschet.exchange.dbf import DbfError, DbfField, read_dbf, write_dbf

FIELDS = [DbfField("FAM", "C", 10), DbfField("SUM", "N", 8, 2), DbfField("DR", "D", 8)]


def test_file_is_byte_exact_dbase_iii_in_cp866():
    data = write_dbf(
        FIELDS,
        [["Пётр", Decimal("124.78"), date(1950, 3, 9)], ["Ёлкин «А»", None, None]],
        encoding="cp866",
        updated=date(2025, 2, 3),
    )
    header = struct.pack("<BBBBIHH17sB2s", 0x03, 125, 2, 3, 2, 32 + 3 * 32 + 1, 27, b"", 0x65, b"")
    fields = b"".join(
        struct.pack("<11sc4sBB14s", name, kind, b"", width, dec, b"")
        for name, kind, width, dec in (
            (b"FAM", b"C", 10, 0),
            (b"SUM", b"N", 8, 2),
            (b"DR", b"D", 8, 0),
        )
    )
    # «Пётр» in cp866 (П 0x8F, ё 0xF1, т 0xE2, р 0xE0), not cp1251 or UTF-8
    record1 = b" " + b"\x8f\xf1\xe2\xe0".ljust(10) + b"  124.78" + b"19500309"
    record2 = b" " + 'Ёлкин "А"'.encode("cp866").ljust(10) + b" " * 8 + b" " * 8
    assert data == header + fields + b"\x0d" + record1 + record2 + b"\x1a"


def test_reader_gives_back_cyrillic_decimals_and_dates():
    data = write_dbf(
        FIELDS,
        [["Сидорова", Decimal("-0.05"), date(2015, 6, 15)]],
        encoding="cp866",
        updated=date(2025, 2, 3),
    )
    table = read_dbf(data)
    assert table.encoding == "cp866"  # from the language-driver byte
    assert table.updated == date(2025, 2, 3)
    assert [f.name for f in table.fields] == ["FAM", "SUM", "DR"]
    assert list(table.rows()) == [
        (1, {"FAM": "Сидорова", "SUM": Decimal("-0.05"), "DR": date(2015, 6, 15)})
    ]


def test_deleted_records_are_skipped():
    data = bytearray(
        write_dbf(
            FIELDS, [["А", 1, None], ["Б", 2, None]], encoding="cp866", updated=date(2025, 1, 1)
        )
    )
    first = 32 + 3 * 32 + 1
    data[first] = ord("*")
    assert [n for n, _ in read_dbf(bytes(data)).rows()] == [2]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (["x" * 11, None, None], "длиннее 10"),
        (["a", 1.5, None], "не float"),
        (["a", Decimal("1234567.5"), None], "не помещается"),
        (["a", None, "2025-01-01"], "не дата"),
    ],
)
def test_values_that_do_not_fit_are_refused(record, message):
    with pytest.raises(DbfError, match=message.replace("не float", "не float|Decimal или int")):
        write_dbf(FIELDS, [record], encoding="cp866", updated=date(2025, 1, 1))


def test_broken_files_are_refused_with_a_reason():
    good = write_dbf(FIELDS, [["a", 1, None]], encoding="cp866", updated=date(2025, 1, 1))
    with pytest.raises(DbfError, match="версии"):
        read_dbf(b"\x30" + good[1:])
    with pytest.raises(DbfError, match="оборван"):
        read_dbf(good[:-10])
    with pytest.raises(DbfError, match="короткий"):
        read_dbf(b"\x03")
    bad_number = bytearray(good)
    bad_number[32 + 3 * 32 + 1 + 1 + 10 : 32 + 3 * 32 + 1 + 1 + 18] = b"  12x.00"
    with pytest.raises(DbfError, match="запись 1, поле SUM: не число"):
        list(read_dbf(bytes(bad_number)).rows())
