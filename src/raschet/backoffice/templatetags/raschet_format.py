"""Template filters of the back office: ``{{ value|ru_number }}``, ``{{ value|ru_number:2 }}``."""

from __future__ import annotations

from django import template

from raschet.backoffice.numbers import ru_number as _ru_number

register = template.Library()


@register.filter
def ru_number(value: object, places: int | str | None = None) -> str:
    return _ru_number(value, int(places) if places not in (None, "") else None)
