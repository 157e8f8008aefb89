"""Admin of credit control: the key-rate table and special periods (federal data, edited by
a superuser), and the tenant-scoped notices, disputes and instalment plans."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from raschet.debt.models import (
    DebtorNotice,
    Dispute,
    Instalment,
    InstalmentPlan,
    KeyRate,
    SpecialPeriod,
)
from raschet.organizations.admin import TenantScopedAdmin


class _FederalData(admin.ModelAdmin):  # type: ignore[type-arg]
    """Shared by every organization: only a superuser changes it."""

    def has_add_permission(self, request: Any) -> bool:
        return bool(request.user.is_superuser)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


@admin.register(KeyRate)
class KeyRateAdmin(_FederalData):
    list_display = ("effective_from", "rate_hundredths", "note")
    date_hierarchy = "effective_from"


@admin.register(SpecialPeriod)
class SpecialPeriodAdmin(_FederalData):
    list_display = ("start", "end", "kind", "rate_hundredths", "debts_due_before", "act")
    list_filter = ("kind",)


@admin.register(DebtorNotice)
class DebtorNoticeAdmin(TenantScopedAdmin):
    list_display = ("created_at", "account", "channel", "state", "debt_kopecks", "reason")
    list_filter = ("channel", "state")
    search_fields = ("account__number",)
    exclude = ("pdf",)
    readonly_fields = (
        "account", "created_by", "channel", "state", "reason", "debt_kopecks",
        "months_overdue", "email", "error",
    )  # fmt: skip

    def has_add_permission(self, request: Any) -> bool:
        return False


@admin.register(Dispute)
class DisputeAdmin(TenantScopedAdmin):
    list_display = ("account", "opened_on", "closed_on", "subject")
    search_fields = ("account__number", "subject")
    raw_id_fields = ("account",)


class InstalmentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Instalment
    extra = 0
    fields = ("due_on", "amount_kopecks")


@admin.register(InstalmentPlan)
class InstalmentPlanAdmin(TenantScopedAdmin):
    list_display = ("account", "agreed_on", "debt_kopecks", "state")
    list_filter = ("state",)
    search_fields = ("account__number",)
    raw_id_fields = ("account",)
    inlines = [InstalmentInline]
