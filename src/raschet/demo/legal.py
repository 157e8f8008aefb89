"""Generators of legal identifiers with correct check digits (rules.md §8.2, §8.3).

The demo's organizations must pass the same validators as real ones, so the check digits
are computed here by the published rules rather than made up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from raschet.core.bankkey import account_key

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)


def inn10_check_digit(first9: str) -> int:
    """c10 = (Σ d_i·w_i mod 11) mod 10 for a legal entity's ИНН."""
    return sum(int(d) * w for d, w in zip(first9, _INN10_WEIGHTS, strict=True)) % 11 % 10


def inn10(rng: random.Random, *, tax_office: str) -> str:
    """A legal entity's ИНН registered in ``tax_office`` (4 digits, region first)."""
    body = tax_office + f"{rng.randrange(100000):05d}"
    return body + str(inn10_check_digit(body))


def ogrn_check_digit(first12: str) -> int:
    """c13 = (first 12 digits as an integer mod 11) mod 10."""
    return int(first12) % 11 % 10


def ogrn13(rng: random.Random, *, year: int, region: str) -> str:
    """An ОГРН: sign 1, two digits of the year, region, tax office and record number."""
    body = f"1{year % 100:02d}{region}{rng.randrange(10**7):07d}"
    return body + str(ogrn_check_digit(body))


def snils_check(first9: str) -> int:
    """СНИЛС control number: s = Σ d_i·(10−i), reduced per rules.md §8.2."""
    total = sum(int(d) * (9 - i) for i, d in enumerate(first9))
    if total < 100:
        return total
    if total in (100, 101):
        return 0
    rest = total % 101
    return 0 if rest == 100 else rest


def snils(rng: random.Random) -> str:
    """A СНИЛС formatted as ``123-456-789 01`` (numbers above 001-001-998 carry a check)."""
    first9 = f"{rng.randrange(2_000_000, 999_999_999):09d}"
    check = snils_check(first9)
    return f"{first9[:3]}-{first9[3:6]}-{first9[6:]} {check:02d}"


@dataclass(frozen=True)
class Bank:
    name: str
    bic: str

    @property
    def correspondent_account(self) -> str:
        """301 01 810 K 0000000 0XXX: the bank's account at the Bank of Russia."""
        raw = "30101810" + "0" + "00000000" + self.bic[-3:]
        key = account_key(self.bic, raw, correspondent=True)
        return raw[:8] + str(key) + raw[9:]

    def settlement_account(self, rng: random.Random, *, balance: str = "40702") -> str:
        """A ruble (810) account on ``balance`` with the control key in the 9th digit."""
        raw = balance + "810" + "0" + f"{rng.randrange(10**11):011d}"
        key = account_key(self.bic, raw)
        return raw[:8] + str(key) + raw[9:]


BANKS = (
    Bank("Тверской филиал АО «Банк Верхневолжье»", "042809701"),
    Bank("ПАО «Тверьпромбанк»", "042809811"),
    Bank("Московский филиал АО «Коммунальный банк»", "044525974"),
)
