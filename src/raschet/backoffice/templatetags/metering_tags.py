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
