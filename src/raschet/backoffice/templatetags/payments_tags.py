"""Template filters of the payments pages: ``{{ kopecks|rubles }}`` → ``1 234,56``."""

from __future__ import annotations

from decimal import Decimal

from django import template

from raschet.backoffice.numbers import ru_number
from raschet.core.money import kopecks_to_decimal

register = template.Library()


@register.filter
def rubles(kopecks: object) -> str:
    """Integer kopecks as rubles the Russian way (exact, through `Decimal`); ``—`` for none."""
    if kopecks is None or kopecks == "":
        return "—"
    if isinstance(kopecks, bool) or not isinstance(kopecks, int):
        return str(kopecks)
    return ru_number(kopecks_to_decimal(kopecks), 2)


@register.filter
def negate(value: object) -> object:
    """``-value`` for an int (the ledger's sign turned into the payer's); else unchanged."""
    if isinstance(value, int) and not isinstance(value, bool):
        return -value
    return value


@register.filter
def basis_points(value: object) -> str:
    """Hundredths of a percent as a percentage: ``150`` → ``1,50``."""
    if isinstance(value, bool) or not isinstance(value, int):
        return "—" if value in (None, "") else str(value)
    return ru_number(Decimal(value) / 100, 2)
