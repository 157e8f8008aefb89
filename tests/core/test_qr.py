"""ГОСТ Р 56042-2014 payment QR payload (rules.md §6)."""

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from raschet.core.qr import (
    MANDATORY_KEYS,
    SEPARATORS,
    QrPayee,
    QrPayloadError,
    qr_encoding,
    qr_parse,
    qr_payload,
)

# rules.md §6.3, verbatim.
EXAMPLE = (
    "ST00012|Name=ООО «УК Пример»|PersonalAcc=40702810938000000001|BankName=ПАО СБЕРБАНК"
    "|BIC=044525225|CorrespAcc=30101810400000000225|PayeeINN=7701000001|KPP=770101001"
    "|Sum=1234567|Purpose=Оплата ЖКУ за январь 2026, л/с 1234567|PersAcc=1234567"
    "|PaymPeriod=012026|LastName=Иванов|PayerAddress=г. Москва, ул. Ленина, д. 1, кв. 2"
    "|TechCode=02"
)

PAYEE = QrPayee(
    name="ООО «УК Пример»",
    personal_acc="40702810938000000001",
    bank_name="ПАО СБЕРБАНК",
    bic="044525225",
    corresp_acc="30101810400000000225",
    inn="7701000001",
    kpp="770101001",
)

PAYMENT = {
    "sum_kopecks": 1234567,
    "purpose": "Оплата ЖКУ за январь 2026, л/с 1234567",
    "pers_acc": "1234567",
    "paym_period": (1, 2026),
    "last_name": "Иванов",
    "payer_address": "г. Москва, ул. Ленина, д. 1, кв. 2",
}


def build(payee: QrPayee = PAYEE, **overrides: object) -> str:
    return qr_payload(payee, **{**PAYMENT, **overrides})  # type: ignore[arg-type]


def test_rules_example_reproduced_exactly():
    assert build() == EXAMPLE


def test_rules_example_sizes():
    # §6.3: 332 characters, 399 bytes in UTF-8, 332 bytes in windows-1251
    assert len(EXAMPLE) == 332
    assert len(EXAMPLE.encode("utf-8")) == 399
    cp = build(encoding="cp1251")
    assert cp == "ST00011" + EXAMPLE[7:]
    assert len(cp.encode("cp1251")) == 332
    assert qr_encoding(cp) == "cp1251"
    assert qr_encoding(EXAMPLE) == "utf-8"


def test_period_from_date_and_tuple():
    assert "|PaymPeriod=012026|" in build(paym_period=date(2026, 1, 31))
    assert "|PaymPeriod=112025|" in build(paym_period=(11, 2025))


def test_optional_payer_fields_omitted_when_empty():
    fields = qr_parse(build(last_name="", payer_address=""))
    assert "LastName" not in fields
    assert "PayerAddress" not in fields
    assert list(fields)[-1] == "TechCode"


def test_kpp_omitted_when_empty():
    fields = qr_parse(build(replace(PAYEE, kpp="")))
    assert "KPP" not in fields


def test_field_order_and_extra_before_techcode():
    payload = build(extra={"CounterId": "12345", "CounterVal": "678"})
    assert list(qr_parse(payload)) == [
        *MANDATORY_KEYS,
        "PayeeINN",
        "KPP",
        "Sum",
        "Purpose",
        "PersAcc",
        "PaymPeriod",
        "LastName",
        "PayerAddress",
        "CounterId",
        "CounterVal",
        "TechCode",
    ]
    assert payload.endswith("|CounterId=12345|CounterVal=678|TechCode=02")


def test_corresp_acc_zero_accepted():
    assert qr_parse(build(replace(PAYEE, corresp_acc="0")))["CorrespAcc"] == "0"


# --- separator ---------------------------------------------------------------------------


def test_separator_switches_when_value_contains_pipe():
    payload = build(purpose="Оплата | январь")
    assert payload.startswith("ST00012#Name=")
    assert "|" not in payload.replace("Оплата | январь", "")
    assert qr_parse(payload)["Purpose"] == "Оплата | январь"


def test_separator_skips_every_taken_candidate():
    payload = build(purpose="a|b#c;d:e^f", last_name="_~")
    assert payload[7] == "{"
    assert qr_parse(payload)["Purpose"] == "a|b#c;d:e^f"
    assert qr_parse(payload)["LastName"] == "_~"


def test_no_free_separator_is_an_error():
    with pytest.raises(QrPayloadError, match="разделител"):
        build(purpose=SEPARATORS[:10], last_name=SEPARATORS[10:])


# --- limits -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "ok", "bad", "key"),
    [
        ("name", "Я" * 160, "Я" * 161, "Name"),
        ("bank_name", "Б" * 45, "Б" * 46, "BankName"),
    ],
)
def test_payee_text_limits(field, ok, bad, key):
    # cp1251: one byte a letter, so the 300-byte mandatory block does not interfere
    assert qr_parse(build(replace(PAYEE, **{field: ok}), encoding="cp1251"))[key] == ok
    with pytest.raises(QrPayloadError, match=rf"поле {key}: длиннее"):
        build(replace(PAYEE, **{field: bad}), encoding="cp1251")


def test_name_at_160_fits_in_cp1251_but_not_utf8_mandatory_block():
    payee = replace(PAYEE, name="Я" * 160)
    assert qr_parse(build(payee, encoding="cp1251"))["Name"] == "Я" * 160
    with pytest.raises(QrPayloadError, match=r"обязательная часть.*\d+ байт в utf-8.*300"):
        build(payee)


def test_mandatory_block_limit_is_bytes_not_chars():
    block = EXAMPLE.split("|PayeeINN=")[0]
    assert block.endswith("|CorrespAcc=30101810400000000225")
    fixed_bytes = len(block.encode()) - len(PAYEE.name.encode())
    assert fixed_bytes == 125
    # 87 two-byte letters: 299 bytes; 88: 301 bytes in UTF-8 but 213 in cp1251
    assert qr_parse(build(replace(PAYEE, name="Я" * 87)))["Name"] == "Я" * 87
    with pytest.raises(QrPayloadError, match="занимает 301 байт в utf-8"):
        build(replace(PAYEE, name="Я" * 88))
    assert qr_parse(build(replace(PAYEE, name="Я" * 88), encoding="cp1251"))["Name"] == "Я" * 88
    # ASCII: 175 bytes of room, but Name's own limit of 160 characters comes first
    with pytest.raises(QrPayloadError, match="поле Name: длиннее 160"):
        build(replace(PAYEE, name="n" * 175))


def test_purpose_limit():
    assert qr_parse(build(purpose="П" * 210))["Purpose"] == "П" * 210
    with pytest.raises(QrPayloadError, match="поле Purpose: длиннее 210"):
        build(purpose="П" * 211)


@pytest.mark.parametrize("inn", ["770100000", "77010000011", "7701000001234", "77010000ab", ""])
def test_inn_form(inn):
    with pytest.raises(QrPayloadError, match="поле PayeeINN: должно состоять из 10 или 12 цифр"):
        build(replace(PAYEE, inn=inn))


def test_inn_of_twelve_digits_accepted():
    assert qr_parse(build(replace(PAYEE, inn="500100732259")))["PayeeINN"] == "500100732259"


@pytest.mark.parametrize("kpp", ["77010100", "7701010011", "77010100X", "77ab01001"])
def test_kpp_form(kpp):
    with pytest.raises(QrPayloadError, match="поле KPP"):
        build(replace(PAYEE, kpp=kpp))


def test_kpp_letters_in_reason_code_accepted():
    assert qr_parse(build(replace(PAYEE, kpp="7701AB001")))["KPP"] == "7701AB001"


def test_sum_limits():
    assert qr_parse(build(sum_kopecks=1))["Sum"] == "1"
    assert qr_parse(build(sum_kopecks=10**18 - 1))["Sum"] == "9" * 18
    with pytest.raises(QrPayloadError, match="поле Sum: сумма длиннее 18 цифр"):
        build(sum_kopecks=10**18)
    for bad in (0, -100):
        with pytest.raises(QrPayloadError, match="поле Sum: сумма должна быть больше нуля"):
            build(sum_kopecks=bad)
    for not_int in (True, 12.5, "100"):
        with pytest.raises(QrPayloadError, match="поле Sum: сумма задаётся целым числом копеек"):
            build(sum_kopecks=not_int)


@pytest.mark.parametrize(
    "acc", ["4070281093800000000", "407028109380000000011", "4070A810938000000001"]
)
def test_personal_acc_form(acc):
    with pytest.raises(QrPayloadError, match="поле PersonalAcc: должно состоять из 20 цифр"):
        build(replace(PAYEE, personal_acc=acc))


@pytest.mark.parametrize("bic", ["04452522", "0445252250", "04452522X"])
def test_bic_form(bic):
    with pytest.raises(QrPayloadError, match="поле BIC: должно состоять из 9 цифр"):
        build(replace(PAYEE, bic=bic))


@pytest.mark.parametrize("corr", ["3010181040000000022", "301018104000000002255", ""])
def test_corresp_acc_form(corr):
    with pytest.raises(QrPayloadError, match="поле CorrespAcc: должно состоять из 20 цифр"):
        build(replace(PAYEE, corresp_acc=corr))


def test_wrong_account_key_refused():
    with pytest.raises(QrPayloadError, match=r"поле PersonalAcc: .*40702810138000000001.*цифра 9"):
        build(replace(PAYEE, personal_acc="40702810138000000001"))


def test_wrong_corresp_acc_key_refused():
    with pytest.raises(QrPayloadError, match=r"поле CorrespAcc: .*30101810500000000225"):
        build(replace(PAYEE, corresp_acc="30101810500000000225"))


def test_account_of_another_bank_refused():
    # Valid for 044525225 but checked against another BIC's last three digits.
    with pytest.raises(QrPayloadError, match="поле PersonalAcc"):
        build(replace(PAYEE, bic="044525974", corresp_acc="0"))


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"purpose": ""}, "Purpose"),
        ({"pers_acc": ""}, "PersAcc"),
        ({"purpose": "строка\nвторая"}, "Purpose"),
        ({"last_name": "Иванов\t"}, "LastName"),
    ],
)
def test_empty_or_control_characters_refused(overrides, key):
    with pytest.raises(QrPayloadError, match=f"поле {key}: (не заполнено|содержит управляющий)"):
        build(**overrides)


@pytest.mark.parametrize(("field", "key"), [("name", "Name"), ("bank_name", "BankName")])
def test_empty_mandatory_text_refused(field, key):
    with pytest.raises(QrPayloadError, match=f"поле {key}: не заполнено"):
        build(replace(PAYEE, **{field: ""}))


@pytest.mark.parametrize("period", [(0, 2026), (13, 2026), (1, 26)])
def test_bad_period_refused(period):
    with pytest.raises(QrPayloadError, match="поле PaymPeriod"):
        build(paym_period=period)


def test_cp1251_refuses_unencodable_text_and_names_field():
    with pytest.raises(QrPayloadError, match=r"поле LastName: символ '中'.*cp1251"):
        build(last_name="Ivanov 中", encoding="cp1251")
    with pytest.raises(QrPayloadError, match=r"поле Purpose: символ '😀'"):
        build(purpose="Оплата 😀", encoding="cp1251")
    assert qr_parse(build(purpose="Оплата 😀"))["Purpose"] == "Оплата 😀"


def test_unknown_encoding_refused():
    with pytest.raises(QrPayloadError, match="кодировка 'koi8-r' не поддерживается"):
        build(encoding="koi8-r")


def test_extra_checks():
    with pytest.raises(QrPayloadError, match="поле Sum: поле заполняется само"):
        build(extra={"Sum": "1"})
    with pytest.raises(QrPayloadError, match="поле TechCode: поле заполняется само"):
        build(extra={"TechCode": "01"})
    with pytest.raises(QrPayloadError, match="имя поля должно состоять из латинских"):
        build(extra={"Счётчик": "1"})
    with pytest.raises(QrPayloadError, match="поле OKTMO: длиннее 11"):
        build(extra={"OKTMO": "1" * 12})
    with pytest.raises(QrPayloadError, match="поле DocIdx: не заполнено"):
        build(extra={"DocIdx": ""})
    assert qr_parse(build(extra={"OKTMO": "1" * 11}))["OKTMO"] == "1" * 11


# --- parsing ------------------------------------------------------------------------------


def test_parse_example():
    fields = qr_parse(EXAMPLE)
    assert fields["Name"] == "ООО «УК Пример»"
    assert fields["Sum"] == "1234567"
    assert fields["PayerAddress"] == "г. Москва, ул. Ленина, д. 1, кв. 2"
    assert fields["TechCode"] == "02"
    assert len(fields) == 14


def test_parse_tolerates_trailing_separator():
    assert qr_parse(EXAMPLE + "|") == qr_parse(EXAMPLE)


def test_parse_refuses_wrong_order():
    swapped = EXAMPLE.replace("|BIC=044525225|CorrespAcc=30101810400000000225", "").replace(
        "|BankName=", "|CorrespAcc=30101810400000000225|BIC=044525225|BankName="
    )
    with pytest.raises(QrPayloadError, match="первыми должны идти поля"):
        qr_parse(swapped)
    with pytest.raises(QrPayloadError, match="первыми должны идти поля"):
        qr_parse("ST00012|Name=x|PersonalAcc=1")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("", "служебный блок"),
        ("ST0002|Name=x", "служебный блок"),
        ("ST00019|Name=x", "неизвестный код кодировки"),
        ("ST00012|Name=x|junk|PersonalAcc=1", "не вида Ключ=Значение"),
        ("ST00012|Name=x|Name=y", "указано дважды"),
    ],
)
def test_parse_refuses_malformed(payload, message):
    with pytest.raises(QrPayloadError, match=message):
        qr_parse(payload)


def test_parse_value_may_contain_equals_sign():
    payload = build(purpose="a=b")
    assert qr_parse(payload)["Purpose"] == "a=b"


# --- round trip ---------------------------------------------------------------------------

_text = st.text(
    alphabet=st.sampled_from("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЯЁabcXYZ0189 .,-«»№=|#;"),
    min_size=1,
    max_size=60,
)


@given(
    name=_text,
    purpose=_text,
    last_name=st.one_of(st.just(""), _text),
    sum_kopecks=st.integers(min_value=1, max_value=10**18 - 1),
    month=st.integers(min_value=1, max_value=12),
    year=st.integers(min_value=2000, max_value=2100),
    encoding=st.sampled_from(["utf-8", "cp1251"]),
)
def test_parse_inverts_payload(name, purpose, last_name, sum_kopecks, month, year, encoding):
    payee = replace(PAYEE, name=name)
    payload = qr_payload(
        payee,
        sum_kopecks=sum_kopecks,
        purpose=purpose,
        pers_acc="ЛС-001",
        paym_period=(month, year),
        last_name=last_name,
        encoding=encoding,
    )
    assert payload.encode(encoding).decode(encoding) == payload
    fields = qr_parse(payload)
    assert fields["Name"] == name
    assert fields["Purpose"] == purpose
    assert fields.get("LastName", "") == last_name
    assert fields["Sum"] == str(sum_kopecks)
    assert fields["PaymPeriod"] == f"{month:02d}{year}"
    assert fields["PersonalAcc"] == PAYEE.personal_acc
    assert list(fields)[:5] == list(MANDATORY_KEYS)
    assert fields["TechCode"] == "02"
    assert payload[7] not in name + purpose + last_name
