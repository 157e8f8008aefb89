"""The registry parser and its layouts (`raschet.payments.formats`, rules.md §7.1).

Pure tests: no database. Files are generated here (`sber`, `csv_file`) rather than committed,
so each test shows the bytes it feeds.
"""

from __future__ import annotations

import gc
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raschet.core.money import parse_rubles
from raschet.payments import formats
from raschet.payments.formats import (
    LayoutError,
    RegistryFileError,
    available_layouts,
    load_layout,
    parse_kopecks,
    parse_layout,
    parse_registry,
)

TODAY = date(2025, 6, 20)
SBER = load_layout("sberbank")
CSV = load_layout("csv-utf8")
SBER_NO_TRAILER = parse_layout(
    (formats.LAYOUTS_DIR / "sberbank.toml").read_text(encoding="utf-8").split("[trailer]")[0],
    source="sberbank-no-trailer.toml",
)
CSV_HEADER = "Дата платежа;Номер операции;Лицевой счёт;ФИО плательщика;Адрес;Период;Сумма;Комиссия"


def sber_line(**kw: str) -> str:
    """One Sberbank payment line; keyword arguments replace fields by their code."""
    fields = {
        "paid_on": "15-06-2025",
        "paid_at_time": "10-22-01",
        "branch": "8610",
        "office": "8610/0123",
        "terminal": "77",
        "operation_id": "1001",
        "account": "100200300",
        "payer_name": "ИВАНОВ ИВАН ИВАНОВИЧ",
        "address": "г. Казань, ул. Пушкина, д. 1, кв. 2",
        "period": "052025",
        "amount": "1234.56",
        "transferred": "1222.21",
        "commission": "12.35",
    }
    fields.update(kw)
    return ";".join(fields.values())


def rub(kopecks: int) -> str:
    return f"{'-' if kopecks < 0 else ''}{abs(kopecks) // 100}.{abs(kopecks) % 100:02d}"


def sber(*lines: str, trailer: str | None = "auto", encoding: str = "cp1251") -> bytes:
    """A Sberbank file; the trailer is computed from the lines unless given (None: none)."""
    if trailer == "auto":
        parts = [line.split(";") for line in lines]
        total, transferred, commission = (
            sum(parse_rubles(p[i]) for p in parts) for i in (10, 11, 12)
        )
        trailer = f"={len(lines)};{rub(total)};{rub(transferred)};{rub(commission)};457;16-06-2025"
    body = [*lines, trailer] if trailer is not None else list(lines)
    return ("\r\n".join(body) + "\r\n").encode(encoding)


def csv_file(*rows: str, header: str = CSV_HEADER, bom: bool = True) -> bytes:
    return ("\ufeff" * bom + "\n".join([header, *rows]) + "\n").encode("utf-8")


def parse(
    data: bytes, layout: formats.Layout = SBER, today: date = TODAY
) -> formats.ParsedRegistry:
    return parse_registry(data, layout, filename="reestr.txt", today=today)


def file_error(data: bytes, layout: formats.Layout = SBER) -> RegistryFileError:
    with pytest.raises(RegistryFileError) as info:
        parse(data, layout)
    assert str(info.value).startswith("Файл «reestr.txt»")
    return info.value


def variant(base: str = "sberbank", **changes: str) -> formats.Layout:
    """A shipped layout with top-level TOML lines replaced or added (``key='value'``)."""
    text = (formats.LAYOUTS_DIR / f"{base}.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    for key, value in changes.items():
        lines = [line for line in lines if not line.startswith(f"{key} =")]
        lines.insert(
            next(i for i, line in enumerate(lines) if line.startswith("name =")), f"{key} = {value}"
        )
    return parse_layout("\n".join(lines), source=f"{base}-variant.toml")


# --------------------------------------------------------------------------- shipped layouts


def test_shipped_layouts_load_and_are_named_after_their_files():
    assert available_layouts() == ["csv-utf8", "sberbank"]
    for name in available_layouts():
        layout = load_layout(name)
        assert layout.name == name
        assert Path(layout.source).name == f"{name}.toml"
        assert layout.title


def test_load_layout_by_path_and_unknown_name(tmp_path):
    path = tmp_path / "bank.toml"
    path.write_text(
        (formats.LAYOUTS_DIR / "sberbank.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    assert load_layout(path).columns == SBER.columns
    assert load_layout(str(path)).name == "sberbank"
    with pytest.raises(LayoutError, match="Макет «vtb» не найден; есть: csv-utf8, sberbank"):
        load_layout("vtb")
    with pytest.raises(LayoutError, match="не прочитан"):
        load_layout(tmp_path / "missing.toml")


# --------------------------------------------------------------------------- happy paths


def test_sberbank_file_reads_into_columns():
    second = {"operation_id": "1002", "account": " 100200301 ", "period": "0525"}
    second |= {"paid_at_time": "23-59-59", "amount": "100.00", "transferred": "100.00"}
    data = sber(sber_line(), sber_line(**second, commission="0.00"))
    result = parse(data)
    assert result.rejected == [] and result.duplicates == []
    assert result.payment_lines == 2 and result.total_kopecks == 133456
    p = result.payments
    assert list(p.line_no) == [1, 2]
    assert p.paid_on == [date(2025, 6, 15)] * 2
    assert p.paid_at_time == [time(10, 22, 1), time(23, 59, 59)]
    assert p.operation_id == ["1001", "1002"]
    assert p.account == ["100200300", "100200301"]
    assert p.payer_name[0] == "ИВАНОВ ИВАН ИВАНОВИЧ"
    assert p.address[0] == "г. Казань, ул. Пушкина, д. 1, кв. 2"
    assert p.period == [date(2025, 5, 1)] * 2
    assert list(p.amount_kopecks) == [123456, 10000]
    assert list(p.transferred_kopecks) == [122221, 10000]
    assert list(p.commission_kopecks) == [1235, 0]
    assert (p.branch, p.office, p.terminal) == (["8610"] * 2, ["8610/0123"] * 2, ["77"] * 2)
    assert result.accepted_kopecks == 133456
    trailer = result.trailer
    assert trailer is not None
    assert (trailer.line_no, trailer.count, trailer.total_kopecks) == (3, 2, 133456)
    assert (trailer.transferred_kopecks, trailer.commission_kopecks) == (132221, 1235)
    assert (trailer.order_number, trailer.order_date) == ("457", date(2025, 6, 16))


def test_money_columns_are_int64_for_numpy():
    p = parse(sber(sber_line(), sber_line(operation_id="2"))).payments
    amounts = np.frombuffer(p.amount_kopecks, dtype=np.int64)
    assert amounts.tolist() == [123456, 123456]
    assert p.amount_kopecks.itemsize == 8


def test_records_give_the_same_lines_row_by_row():
    result = parse(sber(sber_line(), sber_line(operation_id="2", account="")))
    records = list(result.payments.records())
    assert [r.operation_id for r in records] == ["1001", "2"]
    assert records[1].account == "" and records[1].amount_kopecks == 123456
    assert records[0].tags == {}


def test_csv_file_reads_with_header_names_quotes_and_decimal_comma():
    data = csv_file(
        '15.06.2025;A-1;100200300;Иванов Иван;"г. Казань; ул. Пушкина, д. 1";05.2025;1234,56;0',
        "2025-06-16;A-2;;Петров;;;99.5;",
    )
    result = parse(data, CSV)
    assert result.rejected == [] and result.trailer is None
    p = result.payments
    assert list(p.line_no) == [2, 3]
    assert p.paid_on == [date(2025, 6, 15), date(2025, 6, 16)]
    assert p.address == ["г. Казань; ул. Пушкина, д. 1", ""]
    assert p.account == ["100200300", ""]
    assert p.period == [date(2025, 5, 1), None]
    assert list(p.amount_kopecks) == [123456, 9950]
    assert list(p.commission_kopecks) == [0, 0]
    assert list(p.transferred_kopecks) == [123456, 9950]
    assert p.paid_at_time == [None, None] and p.branch == ["", ""]


def test_csv_header_matching_ignores_case_spaces_yo_and_accepts_codes():
    header = "ДАТА ОПЛАТЫ; номер  операции ;Лицевой счет;amount;Примечание"
    layout = variant("csv-utf8", ignore_columns='["Примечание"]')
    result = parse(csv_file("15.06.2025;7;42;10;что угодно", header=header), layout)
    assert result.payments.operation_id == ["7"] and list(result.payments.amount_kopecks) == [1000]


def test_csv_without_bom_reads_the_same():
    row = "15.06.2025;A-1;100200300;Иванов;адрес;05.2025;10,00;0"
    assert (
        parse(csv_file(row, bom=True), CSV).payments
        == parse(csv_file(row, bom=False), CSV).payments
    )


# --------------------------------------------------------------------------- encodings


def test_cp1251_and_cp866_bytes_give_the_same_text():
    name = "ЁЖИКОВ ЪЕЛЬ ЩУКИНИЧНА ёжиков"
    line = sber_line(payer_name=name, address="г. Тверь, ул. Советская")
    cp1251 = parse(sber(line)).payments
    cp866 = parse(sber(line, encoding="cp866"), variant(encoding='"cp866"')).payments
    assert cp1251.payer_name == cp866.payer_name == [name]
    assert cp1251.address == ["г. Тверь, ул. Советская"]


def test_undecodable_byte_names_the_line():
    data = sber(sber_line(), sber_line(operation_id="2")).replace(
        "ИВАНОВ".encode("cp1251"), b"\x98", 1
    )
    error = file_error(data.replace(b"\r\n", b"\r\n", 1))
    assert error.line_no == 1
    assert "байт 0x98" in str(error) and "cp1251" in str(error)
    utf8 = variant("csv-utf8")
    data = csv_file("15.06.2025;A-1;1;Иванов;;;10;0", "15.06.2025;A-2;1;Петров;;;10;0")
    error = file_error(data.replace("Петров".encode(), b"\xff\xfe"), utf8)
    assert error.line_no == 3 and "строка 3" in str(error) and "utf-8-sig" in str(error)


def test_utf8_file_for_a_cp1251_layout_is_refused():
    error = file_error(sber(sber_line(), encoding="utf-8"))
    assert "UTF-8" in error.reason and "cp1251" in error.reason


def test_bom_in_a_cp1251_file_is_refused():
    error = file_error(b"\xef\xbb\xbf" + sber(sber_line()))
    assert "BOM" in error.reason


# --------------------------------------------------------------------------- whole-file rejections


@pytest.mark.parametrize("data", [b"", b"\r\n  \r\n", b"\xef\xbb\xbf"])
def test_empty_file_is_refused(data):
    layout = CSV if data.startswith(b"\xef") else SBER
    assert "пуст" in file_error(data, layout).reason


def test_header_only_csv_has_no_payment_lines():
    assert file_error(csv_file(), CSV).reason == "нет ни одной строки платежа"


def test_trailer_count_disagreeing_names_both_figures():
    data = sber(sber_line(), trailer="=2;1234.56;1222.21;12.35;457;16-06-2025")
    error = file_error(data)
    assert (error.line_no, error.field) == (2, "trailer.count")
    assert "в итоговой строке 2 платежей, а в файле 1" in str(error)
    assert "итоговая строка, поле «Количество платежей»" in str(error)


@pytest.mark.parametrize(
    ("trailer", "field", "figures"),
    [
        ("=1;1234.57;1222.21;12.35;1;16-06-2025", "trailer.total", ("1 234,57 ₽", "1 234,56 ₽")),
        ("=1;1234.56;1222.20;12.35;1;16-06-2025", "trailer.transferred", ("1 222,20", "1 222,21")),
        ("=1;1234.56;1222.21;12.36;1;16-06-2025", "trailer.commission", ("12,36 ₽", "12,35 ₽")),
    ],
)
def test_trailer_sum_disagreeing_names_both_figures(trailer, field, figures):
    error = file_error(sber(sber_line(), trailer=trailer))
    assert (error.line_no, error.field) == (2, field)
    assert all(figure in error.reason for figure in figures)


def test_unreadable_amount_makes_the_trailer_total_uncheckable():
    error = file_error(
        sber(sber_line(), sber_line(operation_id="2", amount="12,50"), trailer="=2;1234.56;;;1;")
    )
    assert (error.line_no, error.field) == (2, "amount")
    assert (
        "«12,50»" in error.reason and "не проверить" in error.reason and "целиком" in error.reason
    )


def test_wrong_number_of_fields_makes_the_trailer_total_uncheckable():
    error = file_error(
        sber(sber_line(), sber_line(operation_id="2") + ";лишнее", trailer="=2;2469.12;;;1;")
    )
    assert (error.line_no, error.field) == (2, "line")
    assert "полей в строке 14, а должно быть 13" in error.reason


def test_missing_trailer_is_refused_when_required():
    error = file_error(sber(sber_line(), trailer=None))
    assert error.field == "trailer" and "нет итоговой строки" in str(error)


def test_trailer_may_be_absent_when_not_required():
    text = (formats.LAYOUTS_DIR / "sberbank.toml").read_text(encoding="utf-8")
    layout = parse_layout(text.replace("required = true", "required = false"), source="x.toml")
    assert parse(sber(sber_line(), trailer=None), layout).trailer is None
    with pytest.raises(RegistryFileError, match="в итоговой строке 5 платежей"):
        parse(sber(sber_line(), trailer="=5;1234.56;1222.21;12.35;1;"), layout)


def test_payment_line_after_the_trailer_is_refused():
    data = sber(sber_line()) + (sber_line(operation_id="2") + "\r\n").encode("cp1251")
    error = file_error(data)
    assert error.line_no == 3 and "после итоговой строки 2" in error.reason


def test_second_trailer_is_refused():
    data = sber(sber_line()) + b"=1;1234.56;1222.21;12.35;457;16-06-2025\r\n"
    assert file_error(data).line_no == 3


@pytest.mark.parametrize(
    ("trailer", "field"),
    [
        ("=x;1234.56;1222.21;12.35;1;16-06-2025", "trailer.count"),
        ("=1;12.3.4;1222.21;12.35;1;16-06-2025", "trailer.total"),
        ("=1;-1234.56;1222.21;12.35;1;16-06-2025", "trailer.total"),
        ("=1;1234.56;1222.21;12.35;1;32-06-2025", "trailer.order_date"),
        ("=1;1234.56;1222.21", "trailer.commission"),
    ],
)
def test_unreadable_trailer_field_is_refused(trailer, field):
    error = file_error(sber(sber_line(), trailer=trailer))
    assert (error.line_no, error.field) == (2, field)


def test_empty_trailer_registry_with_zero_count_is_accepted():
    result = parse(sber(trailer="=0;0.00;0.00;0.00;1;16-06-2025"))
    assert len(result.payments) == 0 and result.payment_lines == 0


# --------------------------------------------------------------------------- line rejections


def only_rejection(line: str, layout: formats.Layout = SBER) -> formats.Rejection:
    """Parse a file with a good line and ``line``; the bad line is line 2."""
    data = (
        sber(sber_line(operation_id="1"), line)
        if layout is SBER
        else csv_file("15.06.2025;1;1;Иванов;;;10;0", line)
    )
    result = parse(data, layout)
    assert len(result.payments) == 1 and result.payment_lines == 2
    (rejection,) = result.rejected
    assert rejection.line_no == (2 if layout is SBER else 3)
    return rejection


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"paid_on": "2025-06-15"}, "paid_on", "не читается; ожидается ДД-ММ-ГГГГ"),
        ({"paid_on": "31-02-2025"}, "paid_on", "такой даты нет в календаре"),
        ({"paid_on": "21-06-2025"}, "paid_on", "позже сегодняшней (20.06.2025)"),
        ({"paid_on": ""}, "paid_on", "дата платежа не указана"),
        ({"paid_at_time": "25-00-00"}, "paid_at_time", "такого времени нет"),
        ({"paid_at_time": "10:22"}, "paid_at_time", "время не читается; ожидается ЧЧ-мм-СС"),
        ({"operation_id": " "}, "operation_id", "номер операции не указан"),
        ({"operation_id": "9" * 65}, "operation_id", "длиннее 64"),
        ({"period": "132025"}, "period", "нет месяца 13"),
        ({"period": "05.2025"}, "period", "ожидается MMYYYY или MMYY"),
        ({"period": "051999"}, "period", "вне 2000–2099"),
        ({"amount": "0.00", "transferred": "0.00", "commission": "0.00"}, "amount", "больше нуля"),
        ({"commission": "-1.00"}, "commission", "не может быть меньше нуля"),
        ({"transferred": "-1.00"}, "transferred", "не может быть меньше нуля"),
    ],
)
def test_bad_field_rejects_the_line_only(change, field, message):
    rejection = only_rejection(sber_line(**{"operation_id": "2", **change}))
    assert rejection.field == field
    assert message in rejection.message


def test_negative_amount_is_rejected_and_still_counted_in_the_total():
    line = sber_line(operation_id="2", amount="-5.00", transferred="0.00", commission="0.00")
    result = parse(sber(sber_line(operation_id="1"), line))
    assert [(r.field, r.value) for r in result.rejected] == [("amount", "-5.00")]
    assert result.total_kopecks == 123456 - 500


def test_every_problem_of_a_line_is_listed():
    line = sber_line(operation_id="", paid_on="99-99-2025", period="13")
    result = parse(sber(sber_line(operation_id="1"), line))
    assert [r.field for r in result.rejected] == ["operation_id", "paid_on", "period"]
    assert {r.line_no for r in result.rejected} == {2}


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "не сумма"),
        ("12.345", "больше двух знаков"),
        ("1.2.3", "не сумма"),
        ("12,50", "не сумма"),  # rubles_dot: a comma is not this layout's decimal sign
        ("", "сумма не указана"),
        ("10000000000.01", "сумма больше 10 000 000 000,00 ₽"),
    ],
)
def test_bad_amount_rejects_the_line_when_no_trailer_checks_the_total(amount, message):
    data = sber(
        sber_line(operation_id="1"), sber_line(operation_id="2", amount=amount), trailer=None
    )
    (rejection,) = parse(data, SBER_NO_TRAILER).rejected
    assert (rejection.line_no, rejection.field) == (2, "amount")
    assert message in rejection.message


def test_digits_other_than_ascii_are_no_amount():
    # Arabic-Indic digits are digits to str.isdigit and int(), not to a bank registry
    rejection = only_rejection("15.06.2025;2;1;Иванов;;;١٢,٠٠;0", CSV)
    assert (rejection.field, rejection.value) == ("amount", "١٢,٠٠")


def test_wrong_number_of_fields_rejects_the_line_in_a_file_without_trailer():
    rejection = only_rejection("15.06.2025;2;1;Иванов;;;10", CSV)
    assert rejection.field == "line"
    assert rejection.message == "полей в строке 7, а должно быть 8"


def test_empty_account_is_accepted_for_the_unidentified_queue():
    result = parse(sber(sber_line(account="  ")))
    assert result.rejected == [] and result.payments.account == [""]


def test_commission_above_the_amount_rejects_the_line_when_transferred_is_derived():
    header = "Дата платежа;Номер операции;Лицевой счёт;Сумма;Комиссия"
    result = parse(
        csv_file("15.06.2025;1;1;10,00;0,50", "15.06.2025;2;1;10,00;11,00", header=header), CSV
    )
    assert list(result.payments.transferred_kopecks) == [950]
    assert [(r.line_no, r.field) for r in result.rejected] == [(3, "transferred")]
    assert "комиссия больше суммы платежа" in result.rejected[0].message


def test_transferred_default_amount_keeps_the_commission_on_top():
    header = "Дата платежа;Номер операции;Лицевой счёт;Сумма;Комиссия"
    layout = variant("csv-utf8", transferred_default='"amount"')
    result = parse(csv_file("15.06.2025;1;1;10,00;0,50", header=header), layout)
    assert list(result.payments.transferred_kopecks) == [1000]
    assert list(result.payments.commission_kopecks) == [50]


# --------------------------------------------------------------------------- duplicates


def test_repeated_operation_id_on_the_same_day_is_listed_not_rejected():
    result = parse(sber(sber_line(), sber_line(account="5"), sber_line(paid_on="14-06-2025")))
    assert result.rejected == []
    assert result.duplicates == [formats.Duplicate(2, "1001", 1)]
    assert len(result.payments) == 3


def test_duplicate_key_is_configurable():
    layout = variant(duplicate_key='["operation_id"]')
    result = parse(sber(sber_line(), sber_line(paid_on="14-06-2025")), layout)
    assert result.duplicates == [formats.Duplicate(2, "1001", 1)]


def test_a_rejected_line_is_no_first_occurrence():
    result = parse(sber(sber_line(period="13"), sber_line()))
    assert result.duplicates == [] and list(result.payments.line_no) == [2]


# --------------------------------------------------------------------------- periods and amounts


@pytest.mark.parametrize(
    ("text", "formats_", "expected"),
    [
        ("052025", ("MMYYYY",), date(2025, 5, 1)),
        ("0525", ("MMYY",), date(2025, 5, 1)),
        ("05.2025", ("MM.YYYY",), date(2025, 5, 1)),
        (" 122024 ", ("MMYYYY", "MMYY"), date(2024, 12, 1)),
        ("", ("MMYYYY",), None),
    ],
)
def test_period_formats(text, formats_, expected):
    assert formats._period(text, formats_) == expected


@pytest.mark.parametrize(
    ("text", "formats_"),
    [
        ("0525", ("MMYYYY",)),
        ("05.2025", ("MMYYYY", "MMYY")),
        ("002025", ("MMYYYY",)),
        ("ab2025", ("MMYYYY",)),
    ],
)
def test_period_formats_refuse(text, formats_):
    assert isinstance(formats._period(text, formats_), formats._Bad)


@pytest.mark.parametrize(
    ("text", "fmt", "kopecks"),
    [
        ("1234.56", "rubles_dot", 123456),
        ("1234.5", "rubles_dot", 123450),
        ("1234", "rubles_dot", 123400),
        ("1 234,56", "rubles_comma", 123456),
        ("1\u00a0234.56", "rubles", 123456),
        ("-0.05", "rubles", -5),
        ("123456", "kopecks", 123456),
    ],
)
def test_parse_kopecks(text, fmt, kopecks):
    assert parse_kopecks(text, fmt) == kopecks


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("12.34", "kopecks"),
        ("12,34", "rubles_dot"),
        ("12.34", "rubles_comma"),
        *((text, "rubles") for text in ("1.2,3", "+5", "--5", "1e5", "1_000", ".5", "5.")),
    ],
)
def test_parse_kopecks_refuses(text, fmt):
    assert isinstance(parse_kopecks(text, fmt), formats._Bad)


@given(st.integers(min_value=-(10**14), max_value=10**14), st.sampled_from([".", ","]))
def test_parse_kopecks_agrees_with_core_money(kopecks, sign):
    text = rub(kopecks).replace(".", sign)
    assert parse_kopecks(text, "rubles") == parse_rubles(text) == kopecks


@given(st.dates(date(1970, 1, 1), date(2068, 12, 31)), st.times())
def test_fast_date_reading_agrees_with_strptime(day, moment):
    from datetime import datetime

    for fmt in ("%d-%m-%Y", "%d.%m.%y", "%Y-%m-%d %H:%M:%S", "%H-%M-%S"):
        text = datetime.combine(day, moment.replace(microsecond=0)).strftime(fmt)
        assert formats._strptime(text, (fmt,)) == datetime.strptime(text, fmt)  # noqa: DTZ007


def paid(kopecks: int | str, **kw: str) -> str:
    """A Sberbank line paying ``kopecks`` (or that amount text) with no commission."""
    amount = kopecks if isinstance(kopecks, str) else rub(kopecks)
    return sber_line(amount=amount, transferred=amount, commission="0.00", **kw)


@pytest.mark.parametrize(
    "amounts",
    [
        ["1.00", "0001.10", "99999999.99", "100000000.00"],  # all plain: read in bulk
        ["1.00", "0001.10", "99999999.99", "5.5", "7"],  # not all plain: one by one
    ],
)
def test_amounts_in_bulk_and_one_by_one_agree(amounts):
    result = parse(sber(*(paid(a, operation_id=str(i)) for i, a in enumerate(amounts))))
    expected = [parse_kopecks(a, "rubles_dot") for a in amounts]
    assert list(result.payments.amount_kopecks) == expected


# --------------------------------------------------------------------------- blocks


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 10**9),
            st.sampled_from(["15-06-2025", "31-06-2025", "01-07-2025", "15-06-2025"]),
            st.sampled_from(["", "12-00-00", "99"]),
            st.sampled_from(["", "", "", ";extra", "\r\n", "\n \n"]),
            st.sampled_from(["\r\n", "\n"]),
        ),
        min_size=1,
        max_size=40,
    ),
    st.integers(1, 20),
)
def test_results_do_not_depend_on_blocks_or_the_fast_path(monkeypatch_module, items, size):
    """The block-at-once path (`_Lines._plain`) and any block size give what reading line by
    line gives — with either line end, blank lines and lines of the wrong width around."""
    text = "".join(
        paid(k, operation_id=str(i % 7), paid_on=day, paid_at_time=at) + tail + end
        for i, (k, day, at, tail, end) in enumerate(items)
    )
    data = text.encode("cp1251")
    with monkeypatch_module.context() as m:
        m.setattr(formats._Lines, "_plain", lambda self, block: None)
        reference = parse(data, SBER_NO_TRAILER)
    whole = parse(data, SBER_NO_TRAILER)
    with monkeypatch_module.context() as m:
        m.setattr(formats, "_BLOCK_BYTES", size * 50)
        m.setattr(formats, "_BLOCK_LINES", size)
        pieces = parse(data, SBER_NO_TRAILER)
    for result in (whole, pieces):
        assert result.payments == reference.payments
        assert result.rejected == reference.rejected
        assert result.duplicates == reference.duplicates
        assert result.total_kopecks == reference.total_kopecks
        assert result.payment_lines == reference.payment_lines


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as m:
        yield m


def test_lines_past_a_block_boundary_keep_their_numbers(monkeypatch):
    monkeypatch.setattr(formats, "_BLOCK_BYTES", 300)
    lines = [sber_line(operation_id=str(i)) for i in range(50)]
    lines[37] = sber_line(operation_id="37", paid_on="40-01-2025")
    data = sber(*lines)
    result = parse(data)
    assert [(r.line_no, r.field) for r in result.rejected] == [(38, "paid_on")]
    assert list(result.payments.line_no) == [n for n in range(1, 51) if n != 38]
    assert result.trailer is not None and result.trailer.line_no == 51


def test_bad_byte_in_a_later_block_names_its_line(monkeypatch):
    monkeypatch.setattr(formats, "_BLOCK_BYTES", 300)
    lines = [sber_line(operation_id=str(i)) for i in range(30)]
    data = sber(*lines)
    at = data.index(b";29;")  # line 30
    assert file_error(data[:at] + b"\x98" + data[at:]).line_no == 30


def test_parse_leaves_the_garbage_collector_as_it_was():
    assert gc.isenabled()
    parse(sber(sber_line()))
    assert gc.isenabled()
    gc.disable()
    try:
        parse(sber(sber_line()))
        assert not gc.isenabled()
    finally:
        gc.enable()


# --------------------------------------------------------------------------- layout features


def test_header_marker_skips_a_preamble():
    layout = variant("csv-utf8", header_starts_with='"Дата"')
    data = csv_file(
        "15.06.2025;1;1;Иванов;;;10;0",
        header="Реестр № 5 от 15.06.2025\n\nИтого строк: 1\n" + CSV_HEADER,
    )
    result = parse(data, layout)
    assert list(result.payments.line_no) == [5]


def test_header_marker_not_found_is_refused():
    layout = variant("csv-utf8", header_starts_with='"Дата"')
    error = file_error(csv_file("1;2", header="Реестр"), layout)
    assert error.field == "header" and "«Дата»" in error.reason


def test_skip_lines_counts_lines_of_the_file():
    layout = variant(skip_lines="2")
    data = b"title\r\n\r\n" + sber(sber_line())
    result = parse(data, layout)
    assert list(result.payments.line_no) == [3]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Дата платежа;Номер операции;Сумма", "нет столбца «Лицевой счёт»"),
        (CSV_HEADER + ";Сумма платежа", "столбец «Сумма платежа» повторяется"),
        (CSV_HEADER + ";Примечание", "лишний столбец «Примечание»"),
    ],
)
def test_bad_header_row_is_refused(header, message):
    error = file_error(csv_file(header=header), CSV)
    assert (error.line_no, error.field) == (1, "header")
    assert message in error.reason


def test_tagged_fields_after_the_fixed_ones():
    text = (formats.LAYOUTS_DIR / "sberbank.toml").read_text(encoding="utf-8")
    layout = parse_layout(
        text.replace(
            "[columns]", '[tags]\nclient = "CLIENTNO:"\ndoc = "CLIENTDOCNO:"\n\n[columns]'
        ),
        source="t.toml",
    )
    data = sber(
        sber_line() + ";CLIENTDOCNO:77;CLIENTNO: 42",
        sber_line(operation_id="2"),
        sber_line(operation_id="3") + ";method_pay:1",
    )
    result = parse(data, layout)
    assert result.payments.tags == {"client": ["42", "", ""], "doc": ["77", "", ""]}
    assert next(result.payments.records()).tags == {"client": "42", "doc": "77"}
    assert (
        file_error(
            sber(";".join(sber_line().split(";")[:12]), trailer="=1;1234.56;1222.21;12.35;1;"),
            layout,
        ).field
        == "line"
    )


def test_quoted_field_with_a_line_end_counts_from_its_first_line():
    data = csv_file('15.06.2025;1;1;Иванов;"д. 1\nкв. 2";;10;0', "15.06.2025;2;1;Петров;;;x;0")
    result = parse(data, CSV)
    assert result.payments.address == ["д. 1\nкв. 2"]
    assert [(r.line_no, r.field) for r in result.rejected] == [(4, "amount")]


def test_kopecks_amount_format():
    layout = variant(amount_format='"kopecks"')
    line = sber_line(amount="123456", transferred="122221", commission="1235")
    result = parse(sber(line, trailer="=1;123456;122221;1235;1;16-06-2025"), layout)
    assert list(result.payments.amount_kopecks) == [123456]


# --------------------------------------------------------------------------- layout validation

MINIMAL = """
name = "bank"
title = "Банк"
encoding = "cp1251"
delimiter = ";"
amount_format = "rubles_dot"
[columns]
paid_on = 1
operation_id = 2
account = 3
amount = 4
"""


def test_minimal_layout_defaults():
    layout = parse_layout(MINIMAL, source="bank.toml")
    assert layout.fields == 4 and layout.trailer is None and not layout.header_row
    assert layout.date_formats == ("%d.%m.%Y",) and layout.period_formats == ("MMYYYY",)
    assert layout.duplicate_key == ("operation_id", "paid_on")
    result = parse(b"15.06.2025;1;;10.00\n", layout)
    assert list(result.payments.amount_kopecks) == [1000] and result.payments.payer_name == [""]


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        (("", "colour = 1\n"), "colour", "неизвестный ключ"),
        (('name = "bank"', 'name = "Bank 1"'), "name", "только строчные"),
        (('title = "Банк"', 'title = " "'), "title", "не может быть пустым"),
        (('encoding = "cp1251"', 'encoding = "koi8-r"'), "encoding", "«koi8-r» не поддерживается"),
        (('delimiter = ";"', 'delimiter = ";;"'), "delimiter", "один знак"),
        (
            ('amount_format = "rubles_dot"', 'amount_format = "float"'),
            "amount_format",
            "«float» не поддерживается",
        ),
        (
            ('";"\namount_format = "rubles_dot"', '","\namount_format = "rubles_comma"'),
            "amount_format",
            "разделитель полей",
        ),
        (("amount = 4", ""), "columns.amount", "обязательное поле не задано"),
        (("amount = 4", "amount = 3"), "columns.amount", "позиция 3 уже занята полем «account»"),
        (("amount = 4", "amount = true"), "columns.amount", "ожидается целое число"),
        (("amount = 4", "amount = 0"), "columns.amount", "от 1 до 1000"),
        (("amount = 4", 'amount = "Сумма"'), "columns.amount", "header_row = true"),
        (("amount = 4", "amount = 4\nbalance = 5"), "columns.balance", "неизвестный ключ"),
        (("", "fields = 3\n"), "fields", "столбец 4"),
        (("", 'date_formats = ["%d-%m"]\n'), "date_formats", "должен содержать"),
        (("", 'date_formats = ["%d-%m-%Y-%Q"]\n'), "date_formats", "не читает"),
        (("", 'time_formats = "%H"\n'), "time_formats", "должен содержать %H, %M"),
        (("", 'period_formats = ["YYYYMM"]\n'), "period_formats", "«YYYYMM» не поддерживается"),
        (("", 'duplicate_key = ["paid_on"]\n'), "duplicate_key", "operation_id"),
        (("", 'duplicate_key = ["operation_id", "branch"]\n'), "duplicate_key", "нет в [columns]"),
        (("", "skip_lines = -1\n"), "skip_lines", "от 0 до 1000"),
        (("", "quoting = 1\n"), "quoting", "true или false"),
        (("", 'transferred_default = "zero"\n'), "transferred_default", "не поддерживается"),
        (("", '[tags]\namount = "X:"\n'), "tags.amount", "не поле"),
        (("", '[tags]\nclient = ""\n'), "tags.client", "пустым"),
        (("", '[trailer]\nstarts_with = "="\n'), "trailer.count", "обязательный ключ"),
        (
            ("", '[trailer]\nstarts_with = "=;"\ncount = 1\n'),
            "trailer.starts_with",
            "без разделителя",
        ),
        (
            ("", '[trailer]\nstarts_with = "="\ncount = 1\ntotal = 1\n'),
            "trailer.total",
            "уже занята",
        ),
        (
            ("", '[trailer]\nstarts_with = "="\ncount = 1\nsum = 2\n'),
            "trailer.sum",
            "неизвестный ключ",
        ),
    ],
)
def test_layout_errors_name_the_file_and_key(change, key, message):
    old, new = change
    if old:
        text = MINIMAL.replace(old, new, 1)
    else:  # TOML: top-level keys before the first table, tables at the end
        text = MINIMAL + new if new.startswith("[") else new + MINIMAL
    with pytest.raises(LayoutError) as info:
        parse_layout(text, source="bank.toml")
    assert str(info.value).startswith(f"Макет «bank.toml», ключ «{key}»: ")
    assert message in str(info.value)


def test_layout_with_toml_syntax_error():
    with pytest.raises(LayoutError, match=r"Макет «bank.toml»: ошибка синтаксиса TOML"):
        parse_layout("name = ", source="bank.toml")


def test_layout_file_not_utf8(tmp_path):
    path = tmp_path / "bank.toml"
    path.write_bytes(MINIMAL.replace("Банк", "Сбер").encode("cp1251"))
    with pytest.raises(LayoutError, match="UTF-8"):
        load_layout(path)


def test_layout_is_frozen():
    with pytest.raises(AttributeError):
        SBER.encoding = "utf-8"  # type: ignore[misc]
    with pytest.raises(TypeError):
        SBER.columns["amount"] = 1  # type: ignore[index]


def test_amount_decimal_sign_is_exact_money_not_float():
    # 0.1 + 0.2 in binary floats is 0.30000000000000004; as kopecks it stays exact
    result = parse(sber(paid(10), paid(20, operation_id="2")))
    assert result.total_kopecks == 30 == int(Decimal("0.30") * 100)


# --------------------------------------------------------------------------- the documentation


def doc_example(layout_name: str) -> str:
    """The first code block after the heading of ``layout_name`` in the registries doc."""
    doc = (Path(__file__).parents[2] / "docs" / "payment-registries.md").read_text(encoding="utf-8")
    section = doc.split(f"### `{layout_name}`", 1)[1]
    return section.split("```\n", 2)[1]


def test_documented_sberbank_example_reads():
    result = parse(doc_example("sberbank").replace("\n", "\r\n").encode("cp1251"))
    assert result.rejected == [] and len(result.payments) == 2
    assert result.trailer is not None and result.trailer.total_kopecks == 203456
    assert result.payments.period == [date(2025, 5, 1)] * 2


def test_documented_csv_example_reads():
    result = parse(doc_example("csv-utf8").encode("utf-8"), CSV)
    assert result.rejected == []
    assert list(result.payments.amount_kopecks) == [123456, 9950]
    assert result.payments.account == ["100200300", ""]


def test_header_row_with_columns_by_position_is_only_skipped():
    text = MINIMAL.replace(
        'amount_format = "rubles_dot"', 'amount_format = "rubles_dot"\nheader_row = true'
    )
    layout = parse_layout(text, source="bank.toml")
    result = parse("Дата;Операция;Счёт;Сумма\n15.06.2025;1;42;10.00\n".encode("cp1251"), layout)
    assert list(result.payments.line_no) == [2] and result.payments.account == ["42"]
    error = file_error("Дата;Операция\n".encode("cp1251"), layout)
    assert error.field == "header" and "нужен 4-й" in error.reason


def test_unclosed_quote_that_swallows_the_file_is_refused():
    data = csv_file('15.06.2025;1;"42;Иванов;;;10;0', *["15.06.2025;2;42;Петров;;;10;0"] * 6000)
    error = file_error(data, CSV)
    assert error.line_no == 2 and "CSV" in error.reason
