"""Admin for meters and readings.

Readings are append-only: the admin shows them but never edits or deletes one; they are
entered through the readings services (operator sheet, file import, API, portal), where every
rule of the metering issue is checked.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from raschet.metering.models import (
    BuildingMeter,
    BuildingMeterReading,
    Meter,
    MeterStateChange,
    Reading,
)
from raschet.metering.selectors import is_month_closed
from raschet.metering.services import building_reading_submit
from raschet.organizations.admin import (
    ORGANIZATION_FILTER,
    TenantScopedAdmin,
    TenantScopedInline,
    TenantScopedModelForm,
)


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


class BuildingMeterReadingForm(TenantScopedModelForm):
    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        meter, period = cleaned.get("building_meter"), cleaned.get("period")
        if cleaned.get("value") is None and cleaned.get("volume") is None:
            raise ValidationError(_("Give the reading or the volume of the month"))
        if (
            meter is not None
            and period is not None
            and is_month_closed(meter.organization_id, period.replace(day=1))
        ):
            raise ValidationError(
                _("The billing month %(month)s is closed") % {"month": f"{period:%m.%Y}"}
            )
        return cleaned


@admin.register(BuildingMeterReading)
class BuildingMeterReadingAdmin(TenantScopedAdmin):
    """Building meter readings are added here and never edited: a new value for the same
    month supersedes the old one through `building_reading_submit`."""

    form = BuildingMeterReadingForm

    list_display = (
        "building_meter",
        "period",
        "value",
        "volume",
        "source",
        "is_current",
        "entered_at",
        "entered_by",
    )
    list_filter = (ORGANIZATION_FILTER, "is_current", "period")
    search_fields = ("building_meter__serial_number", "building_meter__building__address")
    list_select_related = ("building_meter__building", "building_meter__service", "entered_by")
    autocomplete_fields = ("building_meter",)
    fields = ("building_meter", "period", "value", "volume")

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def save_model(self, request: Any, obj: BuildingMeterReading, form: Any, change: bool) -> None:
        saved = building_reading_submit(
            building_meter=obj.building_meter,
            period=obj.period,
            source="operator",
            value=obj.value,
            volume=obj.volume,
            user=request.user,
        )
        obj.pk = saved.pk


@admin.register(BuildingMeter)
class BuildingMeterAdmin(TenantScopedAdmin):
    list_display = ("serial_number", "service", "building", "installed_on", "verification_due")
    list_filter = (ORGANIZATION_FILTER, "service__code")
    search_fields = ("serial_number", "building__address")
    autocomplete_fields = ("building",)
    list_select_related = ("service", "building")
    inlines = [BuildingMeterReadingInline]
