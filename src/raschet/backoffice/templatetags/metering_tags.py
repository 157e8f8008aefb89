"""Template helpers of the metering pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def dictget(mapping: Any, key: Any) -> Any:
    """``{{ mapping|dictget:key }}``: a dict lookup with a variable key (``None`` if absent)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def zone_label(code: str) -> str:
    """The tariff zone's name in the current language (``day`` → «День»)."""
    from raschet.tariffs.models import Zone

    try:
        return str(Zone(code).label)
    except ValueError:
        return code
