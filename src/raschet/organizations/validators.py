"""Legal identifiers of organizations (rules.md §8.2, §8.3).

ИНН, ОГРН and СНИЛС are checked with python-stdnum; the bank account key is checked by the
pure core (`raschet.core.bankkey`). Messages are Russian and name the field's value.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

from raschet.core.bankkey import BankDetailsError, validate_bank_account

_KPP_RE = re.compile(r"^\d{4}[\dA-Z]{2}\d{3}$")
_BIC_RE = re.compile(r"^\d{9}$")


def validate_inn(value: str) -> None:
    try:
        stdnum_inn.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            "ИНН %(value)s неверен: должно быть 10 или 12 цифр с верным контрольным числом",
            code="inn",
            params={"value": value},
        ) from exc


def validate_legal_inn(value: str) -> None:
    """An organization's ИНН: 10 digits (legal entity) or 12 (individual entrepreneur)."""
    validate_inn(value)


def validate_kpp(value: str) -> None:
    if not _KPP_RE.match(value):
        raise ValidationError(
            "КПП %(value)s неверен: 9 знаков, 4 цифры, 2 цифры или латинские буквы, 3 цифры",
            code="kpp",
            params={"value": value},
        )


def validate_ogrn(value: str) -> None:
    try:
        stdnum_ogrn.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            "ОГРН %(value)s неверен: 13 цифр (ОГРНИП — 15) с верной контрольной цифрой",
            code="ogrn",
            params={"value": value},
        ) from exc


def validate_snils(value: str) -> None:
    """СНИЛС checksum (rules.md §8.2): 11 digits, separators allowed."""
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"\d{11}", digits):
        raise ValidationError(
            "СНИЛС %(value)s неверен: нужно 11 цифр", code="snils", params={"value": value}
        )
    total = sum(int(d) * (9 - i) for i, d in enumerate(digits[:9]))
    if total < 100:
        check = total
    elif total in (100, 101):
        check = 0
    else:
        check = total % 101
        check = 0 if check == 100 else check
    if check != int(digits[9:]):
        raise ValidationError(
            "СНИЛС %(value)s неверен: не сходится контрольное число",
            code="snils",
            params={"value": value},
        )


def validate_bic(value: str) -> None:
    if not _BIC_RE.match(value):
        raise ValidationError(
            "БИК %(value)s неверен: нужно 9 цифр", code="bic", params={"value": value}
        )


def validate_bank_details(
    *, bic: str, settlement_account: str, correspondent_account: str
) -> dict[str, list[str]]:
    """Field → error list for the bank details block (empty when valid or not filled)."""
    errors: dict[str, list[str]] = {}
    if not (bic or settlement_account or correspondent_account):
        return errors
    try:
        validate_bic(bic)
    except ValidationError as exc:
        errors["bic"] = list(exc.messages)
        return errors
    if settlement_account:
        try:
            validate_bank_account(bic, settlement_account)
        except BankDetailsError as exc:
            errors["settlement_account"] = [str(exc)]
    if correspondent_account:
        try:
            validate_bank_account(bic, correspondent_account, correspondent=True)
        except BankDetailsError as exc:
            errors["correspondent_account"] = [str(exc)]
    return errors
