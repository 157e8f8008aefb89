"""Admin of the exchange: an organization's own file layouts, and the exchange log (read only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from raschet.exchange.models import ExchangeLayout, ExchangeRun
from raschet.organizations.admin import TenantScopedAdmin


@admin.register(ExchangeLayout)
class ExchangeLayoutAdmin(TenantScopedAdmin):
    list_display = ("name", "title", "organization", "direction", "format", "encoding")
    list_filter = ("direction", "format")
    search_fields = ("name", "title")


@admin.register(ExchangeRun)
class ExchangeRunAdmin(TenantScopedAdmin):
    list_display = (
        "created_at",
        "organization",
        "direction",
        "state",
        "period",
        "office",
        "file_name",
        "rows",
        "errors",
        "created_by",
    )
    list_filter = ("direction", "state")
    search_fields = ("file_name", "sha256", "office")
    exclude = ("error_list",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
