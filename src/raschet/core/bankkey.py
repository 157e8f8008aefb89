"""The control key of a Russian bank account against its BIC (rules.md §8.3).

Weights ``7 1 3`` repeat over 23 digits: a 3-digit prefix followed by the 20-digit account.
For an account in a credit institution the prefix is the last three digits of the BIC; for a
correspondent account or an account in a Bank of Russia division it is ``"0"`` followed by BIC
digits 5–6. The account is valid when the weighted sum of the products' last digits is a
multiple of 10.
"""

from __future__ import annotations

_WEIGHTS = ((7, 1, 3) * 8)[:23]


class BankDetailsError(ValueError):
    """BIC or account number is malformed or fails the control key."""


def _check_digits(value: str, length: int, what: str) -> None:
    if len(value) != length or not value.isdigit():
        raise BankDetailsError(f"{what} должен состоять из {length} цифр, получено {value!r}")


def _prefix(bic: str, *, correspondent: bool) -> str:
    return "0" + bic[4:6] if correspondent else bic[6:9]


def _weighted_sum(digits: str) -> int:
    return sum((int(d) * w) % 10 for d, w in zip(digits, _WEIGHTS, strict=True))


def account_key_valid(bic: str, account: str, *, correspondent: bool = False) -> bool:
    """True when the 20-digit ``account`` matches its control key for ``bic``."""
    _check_digits(bic, 9, "БИК")
    _check_digits(account, 20, "Номер счёта")
    return _weighted_sum(_prefix(bic, correspondent=correspondent) + account) % 10 == 0


def account_key(bic: str, account: str, *, correspondent: bool = False) -> int:
    """The control digit (the account's 9th digit) that makes ``account`` valid for ``bic``."""
    _check_digits(bic, 9, "БИК")
    _check_digits(account, 20, "Номер счёта")
    zeroed = account[:8] + "0" + account[9:]
    total = _weighted_sum(_prefix(bic, correspondent=correspondent) + zeroed)
    return ((total % 10) * 3) % 10


def validate_bank_account(bic: str, account: str, *, correspondent: bool = False) -> None:
    """Raise `BankDetailsError` with a Russian message if the account fails its key."""
    if not account_key_valid(bic, account, correspondent=correspondent):
        kind = "корреспондентский счёт" if correspondent else "расчётный счёт"
        expected = account_key(bic, account, correspondent=correspondent)
        raise BankDetailsError(
            f"{kind} {account} не проходит проверку контрольного ключа с БИК {bic} "
            f"(ожидалась цифра {expected} в 9-м разряде)"
        )
