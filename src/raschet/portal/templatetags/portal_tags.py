"""Template filters of the portal: ``{{ kopecks|portal_rubles }}`` → ``1 234,56``."""

from __future__ import annotations

from django import template

from raschet.core.money import format_rubles

register = template.Library()


@register.filter
def portal_rubles(kopecks: object) -> str:
    """Integer kopecks as rubles the Russian way; ``—`` for anything else."""
    if isinstance(kopecks, bool) or not isinstance(kopecks, int):
        return "—"
    return format_rubles(kopecks)


@register.filter
def portal_abs(value: object) -> object:
    """The absolute value of an int (a balance shown with its word: debt or advance)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value)
    return value
