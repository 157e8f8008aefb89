"""Numbers written the Russian way: ``1 234,56`` (a no-break space between thousands).

Kept here rather than in django.contrib.humanize so the back office adds no app and the rule
is one function the history diff and the templates share.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

NBSP = "\u00a0"


def ru_number(value: object, places: int | None = None) -> str:
    """Format an int or Decimal: groups of three, comma before the fraction.

    ``places`` fixes the fraction (rounded half-up, as money is); without it a Decimal keeps
    its significant fraction but at least two places (``54,00``, ``0,0234``), an int none.
    Anything else (``None``, text) is returned as ``str`` unchanged, ``None`` as ``—``.
    """
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        number = Decimal(value)
        if places is None:
            places = 0
    elif isinstance(value, Decimal):
        number = value
    else:
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            return str(value)
    if not number.is_finite():
        return str(value)
    if places is None:
        exponent = number.normalize().as_tuple().exponent
        if not isinstance(exponent, int):  # unreachable for finite numbers
            return str(value)
        places = max(2, -exponent)
    quantum = Decimal(1).scaleb(-places)
    number = number.quantize(quantum, rounding="ROUND_HALF_UP")
    sign = "-" if number < 0 else ""
    text = f"{abs(number):,.{places}f}"
    whole, _dot, fraction = text.partition(".")
    whole = whole.replace(",", NBSP)
    return f"{sign}{whole},{fraction}" if fraction else f"{sign}{whole}"
