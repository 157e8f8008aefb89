"""Money as integer kopecks.

One rounding rule lives here: half-up to the kopeck (rules.md §0, §14 "Rounding"). Amounts are
`int` kopecks in Python and `int64` in arrays; decimals appear only at the edges (parsing user
input, printing). Nothing on a money path ever goes through a binary float.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

KOPECKS_PER_RUBLE = 100
_KOPECK = Decimal("0.01")
_AMOUNT_RE = re.compile(r"^[+-]?\d+(?:[.,]\d{1,2})?$")


class MoneyError(ValueError):
    """A string that is not an amount of money."""


def round_half_up(value: Decimal, exponent: Decimal = _KOPECK) -> Decimal:
    """Round a decimal half-up (away from zero on a tie) to ``exponent``."""
    return value.quantize(exponent, rounding=ROUND_HALF_UP)


def to_kopecks(rubles: Decimal) -> int:
    """Round an exact ruble amount half-up to whole kopecks."""
    return int(round_half_up(rubles * KOPECKS_PER_RUBLE, Decimal(1)))


def parse_rubles(text: str) -> int:
    """Parse ``"1 234,56"`` / ``"1234.56"`` / ``"-5"`` into kopecks.

    Spaces (also non-breaking) are thousands separators; a comma or a dot is the decimal
    separator; at most two fractional digits are accepted, because a third one would be a
    silent rounding of what somebody typed.
    """
    cleaned = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if not _AMOUNT_RE.match(cleaned):
        raise MoneyError(f"не сумма в рублях: {text!r}")
    try:
        value = Decimal(cleaned.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise MoneyError(f"не сумма в рублях: {text!r}") from exc
    return int(value * KOPECKS_PER_RUBLE)


def format_rubles(kopecks: int, *, thousands: str = "\u00a0", decimal: str = ",") -> str:
    """Format kopecks the Russian way: ``123456`` → ``"1 234,56"`` (non-breaking space)."""
    sign = "-" if kopecks < 0 else ""
    rubles, kop = divmod(abs(kopecks), KOPECKS_PER_RUBLE)
    grouped = f"{rubles:,}".replace(",", thousands)
    return f"{sign}{grouped}{decimal}{kop:02d}"


def kopecks_to_decimal(kopecks: int) -> Decimal:
    """Exact ruble value of an amount in kopecks."""
    return Decimal(kopecks) / KOPECKS_PER_RUBLE
