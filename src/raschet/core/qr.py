"""Payment QR payload for the ЕПД, ГОСТ Р 56042-2014 (rules.md §6).

Included: building the text that goes into the QR code — the service block ``ST0001`` + encoding
digit + separator (§6.1), the five mandatory keys in their fixed order (Name, PersonalAcc,
BankName, BIC, CorrespAcc), then the keys a ЖКУ payment needs (PayeeINN, KPP, Sum, Purpose,
PersAcc, PaymPeriod, LastName, PayerAddress), any extra keys, and ``TechCode=02`` (ЖКХ) last
(§6.2). Every field is checked against the lengths of §6.2, the payee account against its BIC
with the control key (§8.3, `raschet.core.bankkey`), the mandatory block against 300 bytes, and
the text against the chosen encoding — all before anything is returned. `qr_parse` reads such a
payload back (for tests and for checking a scanned code).

Not included: drawing the QR image (a renderer takes the string, encodes it with
`QR_ENCODINGS[encoding]` and uses error correction level M), KOI8-R (encoding digit 3), the
budget/tax fields' semantics (they may be passed through ``extra``), and the ИНН check digit
(§8.2) — only its form is checked here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Final, Literal

from raschet.core.bankkey import BankDetailsError, validate_bank_account

QrEncoding = Literal["utf-8", "cp1251"]

# Encoding name → the digit written in the service block (§6.1).
QR_ENCODINGS: Final[Mapping[str, str]] = {"cp1251": "1", "utf-8": "2"}
_DIGIT_TO_ENCODING: Final[Mapping[str, str]] = {"1": "cp1251", "2": "utf-8", "3": "koi8-r"}

SERVICE_PREFIX: Final = "ST0001"
MANDATORY_KEYS: Final = ("Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc")
# The order tried when a value contains "|" (QRCoder's list, §6.1).
SEPARATORS: Final = "|#;:^_~{}!$%&()*+,/@"
MANDATORY_BLOCK_MAX_BYTES: Final = 300
TECH_CODE_HOUSING: Final = "02"

# Lengths of the additional (budget) keys that may arrive through ``extra`` (§6.2).
_EXTRA_MAX_LENGTH: Final[Mapping[str, int]] = {
    "PayerINN": 12,
    "DrawerStatus": 2,
    "CBC": 20,
    "OKTMO": 11,
    "PaytReason": 2,
    "TaxPeriod": 10,
    "DocNo": 15,
    "DocDate": 10,
    "TaxPaytKind": 2,
}
_RESERVED_KEYS: Final = frozenset(
    (
        *MANDATORY_KEYS,
        "PayeeINN",
        "KPP",
        "Sum",
        "Purpose",
        "PersAcc",
        "PaymPeriod",
        "LastName",
        "PayerAddress",
        "TechCode",
    )
)
_KEY_RE: Final = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_KPP_RE: Final = re.compile(r"^\d{4}[\dA-Z]{2}\d{3}$")  # §8.2
_CONTROL_RE: Final = re.compile(r"[\x00-\x1f\x7f]")
_SUM_MAX_DIGITS: Final = 18
_NO_EXTRA: Final[Mapping[str, str]] = MappingProxyType({})


class QrPayloadError(ValueError):
    """A field cannot go into a ГОСТ Р 56042-2014 payload; the message names the field."""


@dataclass(frozen=True, slots=True)
class QrPayee:
    """The payee's requisites printed in every QR code of an organization (§6.2).

    ``corresp_acc`` is ``"0"`` when the bank has no correspondent account; ``kpp`` may be empty
    (an individual entrepreneur has none).
    """

    name: str
    personal_acc: str
    bank_name: str
    bic: str
    corresp_acc: str
    inn: str
    kpp: str


def _fail(key: str, problem: str) -> QrPayloadError:
    return QrPayloadError(f"QR-код (ГОСТ Р 56042-2014), поле {key}: {problem}")


def _text(key: str, value: str, *, max_length: int | None = None, required: bool = True) -> str:
    if required and not value:
        raise _fail(key, "не заполнено")
    if _CONTROL_RE.search(value):
        raise _fail(key, "содержит управляющий символ (перевод строки, табуляцию и т. п.)")
    if max_length is not None and len(value) > max_length:
        raise _fail(key, f"длиннее {max_length} символов ({len(value)})")
    return value


def _digits(key: str, value: str, lengths: Iterable[int], description: str) -> str:
    if not value.isascii() or not value.isdigit() or len(value) not in set(lengths):
        raise _fail(key, f"должно состоять из {description}, получено {value!r}")
    return value


def _bank_fields(payee: QrPayee) -> list[tuple[str, str]]:
    name = _text("Name", payee.name, max_length=160)
    personal_acc = _digits("PersonalAcc", payee.personal_acc, (20,), "20 цифр")
    bank_name = _text("BankName", payee.bank_name, max_length=45)
    bic = _digits("BIC", payee.bic, (9,), "9 цифр")
    corresp_acc = payee.corresp_acc
    if corresp_acc != "0":
        _digits("CorrespAcc", corresp_acc, (20,), "20 цифр (или «0», если его нет)")
    try:
        validate_bank_account(bic, personal_acc)
    except BankDetailsError as exc:
        raise _fail("PersonalAcc", str(exc)) from exc
    if corresp_acc != "0":
        try:
            validate_bank_account(bic, corresp_acc, correspondent=True)
        except BankDetailsError as exc:
            raise _fail("CorrespAcc", str(exc)) from exc
    return [
        ("Name", name),
        ("PersonalAcc", personal_acc),
        ("BankName", bank_name),
        ("BIC", bic),
        ("CorrespAcc", corresp_acc),
    ]


def _period(value: tuple[int, int] | date) -> str:
    if isinstance(value, date):
        month, year = value.month, value.year
    else:
        month, year = value
    if not 1 <= month <= 12 or not 1000 <= year <= 9999:
        raise _fail("PaymPeriod", f"нет такого месяца: {month}.{year}")
    return f"{month:02d}{year:04d}"


def _sum(value: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail("Sum", f"сумма задаётся целым числом копеек, получено {value!r}")
    if value <= 0:
        raise _fail("Sum", f"сумма должна быть больше нуля, получено {value} коп.")
    text = str(value)
    if len(text) > _SUM_MAX_DIGITS:
        raise _fail("Sum", f"сумма длиннее {_SUM_MAX_DIGITS} цифр ({len(text)})")
    return text


def _extra_fields(extra: Mapping[str, str]) -> list[tuple[str, str]]:
    fields = []
    for key, value in extra.items():
        if not _KEY_RE.match(key):
            raise _fail(key, "имя поля должно состоять из латинских букв и цифр")
        if key in _RESERVED_KEYS:
            raise _fail(key, "поле заполняется само, его нельзя передать в дополнительных")
        fields.append((key, _text(key, value, max_length=_EXTRA_MAX_LENGTH.get(key))))
    return fields


def _choose_separator(values: Iterable[str]) -> str:
    used = set("".join(values))
    for candidate in SEPARATORS:
        if candidate not in used:
            return candidate
    raise QrPayloadError(
        "QR-код (ГОСТ Р 56042-2014): значения полей содержат все допустимые разделители "
        f"({' '.join(SEPARATORS)}); уберите из них хотя бы символ «|»"
    )


def _check_encodable(fields: Iterable[tuple[str, str]], encoding: str) -> None:
    for key, value in fields:
        try:
            value.encode(encoding)
        except UnicodeEncodeError as exc:
            bad = value[exc.start : exc.end]
            raise _fail(
                key, f"символ {bad!r} не представим в кодировке {encoding}; выберите UTF-8"
            ) from exc


def qr_payload(
    payee: QrPayee,
    *,
    sum_kopecks: int,
    purpose: str,
    pers_acc: str,
    paym_period: tuple[int, int] | date,
    last_name: str = "",
    payer_address: str = "",
    encoding: QrEncoding = "utf-8",
    extra: Mapping[str, str] = _NO_EXTRA,
) -> str:
    """The ГОСТ Р 56042-2014 text for one ЕПД (rules.md §6).

    ``paym_period`` is ``(month, year)`` or any date in the month; it is written ``MMYYYY``.
    ``pers_acc`` is the payer's ЛС/ЕЛС at the payee. ``last_name`` and ``payer_address`` are left
    out when empty; ``extra`` keys go after them, before ``TechCode=02``. The separator is ``|``
    unless some value contains it (§6.1). Raises `QrPayloadError` naming the field.
    """
    if encoding not in QR_ENCODINGS:
        raise QrPayloadError(
            f"QR-код (ГОСТ Р 56042-2014): кодировка {encoding!r} не поддерживается "
            "(возможны utf-8 и cp1251)"
        )
    mandatory = _bank_fields(payee)
    inn = _digits("PayeeINN", payee.inn, (10, 12), "10 или 12 цифр")
    kpp = payee.kpp
    if kpp and not _KPP_RE.match(kpp):
        raise _fail("KPP", f"должно состоять из 9 знаков вида ЧЧЧЧXXЧЧЧ, получено {kpp!r}")
    additional: list[tuple[str, str]] = [("PayeeINN", inn)]
    if kpp:
        additional.append(("KPP", kpp))
    additional += [
        ("Sum", _sum(sum_kopecks)),
        ("Purpose", _text("Purpose", purpose, max_length=210)),
        ("PersAcc", _text("PersAcc", pers_acc)),
        ("PaymPeriod", _period(paym_period)),
    ]
    for key, value in (("LastName", last_name), ("PayerAddress", payer_address)):
        if _text(key, value, required=False):
            additional.append((key, value))
    additional += _extra_fields(extra)
    additional.append(("TechCode", TECH_CODE_HOUSING))

    fields = mandatory + additional
    _check_encodable(fields, encoding)
    separator = _choose_separator(value for _, value in fields)
    head = SERVICE_PREFIX + QR_ENCODINGS[encoding] + separator
    mandatory_block = head + separator.join(f"{k}={v}" for k, v in mandatory)
    size = len(mandatory_block.encode(encoding))
    if size > MANDATORY_BLOCK_MAX_BYTES:
        raise QrPayloadError(
            "QR-код (ГОСТ Р 56042-2014): обязательная часть (служебный блок и поля Name, "
            f"PersonalAcc, BankName, BIC, CorrespAcc) занимает {size} байт в {encoding}, "
            f"допустимо не более {MANDATORY_BLOCK_MAX_BYTES}; сократите Name или BankName"
        )
    return head + separator.join(f"{k}={v}" for k, v in fields)


def qr_encoding(payload: str) -> str:
    """The Python codec name declared by a payload's service block (``"utf-8"``, ...)."""
    _service_block(payload)
    return _DIGIT_TO_ENCODING[payload[6]]


def _service_block(payload: str) -> str:
    if len(payload) < 8 or not payload.startswith(SERVICE_PREFIX):
        raise QrPayloadError(
            f"не QR-код ГОСТ Р 56042-2014: служебный блок должен начинаться с {SERVICE_PREFIX}"
        )
    if payload[6] not in _DIGIT_TO_ENCODING:
        raise QrPayloadError(
            f"QR-код ГОСТ Р 56042-2014: неизвестный код кодировки {payload[6]!r} "
            "(ожидались 1, 2, 3)"
        )
    return payload[7]


def qr_parse(payload: str) -> dict[str, str]:
    """Split a (decoded) payload into ``{key: value}`` in the order written.

    Reads the separator from the service block (§6.1). Refuses a payload whose first five keys
    are not Name, PersonalAcc, BankName, BIC, CorrespAcc in that order, a part without ``=``, and
    a key given twice. A single trailing separator is tolerated. Values are not re-validated.
    """
    separator = _service_block(payload)
    parts = payload[8:].split(separator)
    if parts and parts[-1] == "":
        parts.pop()
    result: dict[str, str] = {}
    for position, part in enumerate(parts, start=1):
        key, eq, value = part.partition("=")
        if not eq or not key:
            raise QrPayloadError(
                f"QR-код ГОСТ Р 56042-2014: часть {position} ({part!r}) не вида Ключ=Значение"
            )
        if key in result:
            raise QrPayloadError(f"QR-код ГОСТ Р 56042-2014: поле {key} указано дважды")
        result[key] = value
    first = tuple(result)[: len(MANDATORY_KEYS)]
    if first != MANDATORY_KEYS:
        raise QrPayloadError(
            "QR-код ГОСТ Р 56042-2014: первыми должны идти поля "
            f"{', '.join(MANDATORY_KEYS)}, а идут {', '.join(first) or 'никакие'}"
        )
    return result
