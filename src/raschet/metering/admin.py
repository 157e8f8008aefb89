"""Admin for meters and readings.

Readings are append-only: the admin shows them but never edits or deletes one; they are
entered through the readings services (operator sheet, file import, API, portal), where every
rule of the metering issue is checked.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from raschet.metering.models import (
    BuildingMeter,
    BuildingMeterReading,
    Meter,
    MeterStateChange,
    Reading,
)
from raschet.organizations.admin import ORGANIZATION_FILTER, TenantScopedAdmin, TenantScopedInline


class MeterStateChangeInline(TenantScopedInline):
    model = MeterStateChange
    fields = ("state", "since", "reason")
    show_change_link = False


@admin.register(Meter)
class MeterAdmin(TenantScopedAdmin):
    list_display = (
        "serial_number",
        "service",
        "premises",
        "zones",
        "installed_on",
        "verification_due",
        "removed_on",
    )
    list_filter = (ORGANIZATION_FILTER, "service__code", "zones", "removed_on")
    search_fields = ("serial_number", "premises__building__address", "premises__number")
    autocomplete_fields = ("premises", "replaces")
    list_select_related = ("service", "premises__building")
    date_hierarchy = "verification_due"
    inlines = [MeterStateChangeInline]


class ReadOnlyAdmin(TenantScopedAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Reading)
class ReadingAdmin(ReadOnlyAdmin):
    list_display = (
        "meter",
        "zone",
        "period",
        "kind",
        "value",
        "volume",
        "state",
        "source",
        "is_current",
        "taken_on",
        "entered_at",
        "entered_by",
    )
    list_filter = (ORGANIZATION_FILTER, "state", "source", "kind", "is_current", "period")
    search_fields = ("meter__serial_number", "meter__premises__building__address", "origin")
    list_select_related = ("meter__service", "entered_by")
    date_hierarchy = "period"


class BuildingMeterReadingInline(TenantScopedInline):
    model = BuildingMeterReading
    fields = ("period", "value", "volume", "source", "is_current", "entered_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(BuildingMeter)
class BuildingMeterAdmin(TenantScopedAdmin):
    list_display = ("serial_number", "service", "building", "installed_on", "verification_due")
    list_filter = (ORGANIZATION_FILTER, "service__code")
    search_fields = ("serial_number", "building__address")
    autocomplete_fields = ("building",)
    list_select_related = ("service", "building")
    inlines = [BuildingMeterReadingInline]
