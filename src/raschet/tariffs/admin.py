"""Admin for the service catalogue, payees, tariffs, norms and connected services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from raschet.organizations.admin import ORGANIZATION_FILTER, InForceFilter, TenantScopedAdmin
from raschet.tariffs.models import (
    AccountService,
    CapitalRepairMinimum,
    Norm,
    Service,
    ServiceContract,
    Tariff,
)

SERVICE_FILTER = ("service", admin.RelatedOnlyFieldListFilter)


@admin.register(Service)
class ServiceAdmin(TenantScopedAdmin):
    list_display = (
        "name",
        "code",
        "kind",
        "unit",
        "basis",
        "metered",
        "max_zones",
        "sort_order",
        "organization",
    )
    list_select_related = ("organization",)
    list_filter = (ORGANIZATION_FILTER, "kind", "basis", "unit", "metered")
    search_fields = ("name", "code")


@admin.register(ServiceContract)
class ServiceContractAdmin(TenantScopedAdmin):
    list_display = (
        "building",
        "service",
        "payee",
        "contract_number",
        "valid_from",
        "valid_to",
        "organization",
    )
    list_select_related = ("building", "service", "payee", "organization")
    list_filter = (ORGANIZATION_FILTER, InForceFilter, SERVICE_FILTER)
    search_fields = ("building__address", "service__name", "payee__name", "contract_number")
    autocomplete_fields = ("building",)


class _RateAdmin(TenantScopedAdmin):
    """Tariffs and norms: an empty building means every building of the organization."""

    list_select_related = ("service", "building", "organization")
    search_fields = ("service__name", "=service__code", "building__address", "decision")
    autocomplete_fields = ("building",)

    @admin.display(description=_("building"), ordering="building__address")
    def building_or_all(self, obj: Any) -> str:
        return obj.building.address if obj.building_id else str(_("all buildings"))


@admin.register(Tariff)
class TariffAdmin(_RateAdmin):
    list_display = (
        "service",
        "building_or_all",
        "zone",
        "basis",
        "rate",
        "valid_from",
        "valid_to",
        "decision",
        "organization",
    )
    list_filter = (
        ORGANIZATION_FILTER,
        InForceFilter,
        SERVICE_FILTER,
        "zone",
        "basis",
        "valid_from",
    )


@admin.register(Norm)
class NormAdmin(_RateAdmin):
    list_display = (
        "service",
        "building_or_all",
        "basis",
        "rooms",
        "residents",
        "value",
        "valid_from",
        "valid_to",
        "organization",
    )
    list_filter = (ORGANIZATION_FILTER, InForceFilter, SERVICE_FILTER, "basis", "valid_from")


@admin.register(AccountService)
class AccountServiceAdmin(TenantScopedAdmin):
    list_display = (
        "account",
        "service",
        "method",
        "meter_possible",
        "zones",
        "valid_from",
        "valid_to",
        "organization",
    )
    list_select_related = ("account", "service", "organization")
    list_filter = (
        ORGANIZATION_FILTER,
        InForceFilter,
        SERVICE_FILTER,
        "method",
        "meter_possible",
    )
    search_fields = ("=account__number", "account__payer_name", "service__name")
    autocomplete_fields = ("account",)


@admin.register(CapitalRepairMinimum)
class CapitalRepairMinimumAdmin(TenantScopedAdmin):
    """The region's minimum capital repair contribution per period (ЖК ст.156 ч.8.1)."""

    list_display = ("rate", "valid_from", "valid_to", "act", "organization")
    list_select_related = ("organization",)
    list_filter = (ORGANIZATION_FILTER, InForceFilter, "valid_from")
    search_fields = ("act",)
