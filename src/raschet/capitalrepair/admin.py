"""Admin of the capital repair funds, their spendings and the buildings' exempt periods:
corrections with history. The
everyday pages (settings from a date, payments for works, the statement) are the back
office's (`raschet.backoffice.capitalrepair`)."""

from __future__ import annotations

from django.contrib import admin

from raschet.capitalrepair.models import CapitalRepairExemption, CapitalRepairFund, FundSpending
from raschet.organizations.admin import ORGANIZATION_FILTER, InForceFilter, TenantScopedAdmin


@admin.register(CapitalRepairFund)
class CapitalRepairFundAdmin(TenantScopedAdmin):
    list_display = (
        "building",
        "fund_model",
        "payee",
        "account_owner",
        "special_account",
        "valid_from",
        "valid_to",
        "organization",
    )
    list_select_related = ("building", "payee", "account_owner", "organization")
    list_filter = (ORGANIZATION_FILTER, "fund_model", InForceFilter)
    search_fields = ("building__address", "special_account")
    autocomplete_fields = ("building",)


@admin.register(FundSpending)
class FundSpendingAdmin(TenantScopedAdmin):
    list_display = ("work", "paid_on", "amount_kopecks", "document", "organization")
    list_select_related = ("work", "organization")
    list_filter = (ORGANIZATION_FILTER,)
    search_fields = ("work__title", "work__building__address", "document")
    date_hierarchy = "paid_on"


@admin.register(CapitalRepairExemption)
class CapitalRepairExemptionAdmin(TenantScopedAdmin):
    """Exempt periods of buildings (ЖК ст.169 ч.2, ч.3, ст.170 ч.5.1): the billing run does
    not charge the contribution on their days; entering one for a closed month makes the
    next run post the difference as a recalculation."""

    list_display = (
        "building",
        "reason",
        "valid_from",
        "valid_to",
        "document",
        "document_date",
        "organization",
    )
    list_select_related = ("building", "organization")
    list_filter = (ORGANIZATION_FILTER, "reason", InForceFilter)
    search_fields = ("building__address", "document")
    autocomplete_fields = ("building",)
