"""Admin for the housing stock: buildings, premises, personal accounts.

A building may have hundreds of flats and an organization a hundred thousand accounts, so
premises and accounts are never rendered as select options: they are picked by autocomplete,
and a building links to its premises' changelist instead of inlining them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from raschet.housing.models import Account, Building, BuildingWork, Premises
from raschet.organizations.admin import ORGANIZATION_FILTER, TenantScopedAdmin, TenantScopedInline
from raschet.registry.models import Ownership, Registration, TemporaryResidentAct
from raschet.tariffs.models import AccountService


def account_card_url(account_pk: int) -> str | None:
    """The back office's account card, when the back office is installed."""
    try:
        return reverse("backoffice:account_card", args=[account_pk])
    except NoReverseMatch:
        return None


class BuildingWorkInline(TenantScopedInline):
    model = BuildingWork
    fields = ("title", "kind", "planned_year", "state", "cost", "contractor", "done_on")


@admin.register(Building)
class BuildingAdmin(TenantScopedAdmin):
    list_display = (
        "address",
        "organization",
        "year_built",
        "floors",
        "area_total_m2",
        "heating_mode",
        "common_property_mode",
        "premises_link",
    )
    list_select_related = ("organization",)
    list_filter = (ORGANIZATION_FILTER, "heating_mode", "common_property_mode")
    search_fields = ("address", "fias_guid")
    fieldsets = (
        (None, {"fields": ("organization", "address", "fias_guid")}),
        (_("Passport"), {"fields": ("year_built", "floors", "entrances")}),
        (
            _("Areas"),
            {
                "fields": (
                    "area_total_m2",
                    "area_residential_m2",
                    "area_non_residential_m2",
                    "area_common_m2",
                )
            },
        ),
        (
            _("Charging"),
            {
                "fields": (
                    "heating_mode",
                    "heating_season_months",
                    "common_property_mode",
                    "electricity_two_sources",
                )
            },
        ),
    )
    readonly_fields = ("premises_link",)
    inlines = (BuildingWorkInline,)

    @admin.display(description=_("premises"))
    def premises_link(self, obj: Building) -> str:
        if obj.pk is None:
            return "—"
        url = reverse("admin:housing_premises_changelist")
        links = format_html('<a href="{}?building__id__exact={}">{}</a>', url, obj.pk, _("list"))
        try:
            sheet = reverse("backoffice:readings_sheet", args=[obj.pk])
            fund = reverse("backoffice:capitalrepair_fund", args=[obj.pk])
        except NoReverseMatch:
            return links
        return format_html(
            '{} · <a href="{}">{}</a> · <a href="{}">{}</a>',
            links, sheet, _("readings sheet"), fund, _("capital repair fund"),
        )  # fmt: skip


class AccountInline(TenantScopedInline):
    model = Account
    fields = ("number", "payer_name", "tenure", "opened_on", "closed_on", "area_m2")


class OwnershipInline(TenantScopedInline):
    model = Ownership
    fields = (
        "person",
        "share_numerator",
        "share_denominator",
        "valid_from",
        "valid_to",
        "title_document",
    )
    autocomplete_fields = ("person",)


@admin.register(Premises)
class PremisesAdmin(TenantScopedAdmin):
    list_display = (
        "building",
        "number",
        "kind",
        "area_total_m2",
        "area_living_m2",
        "rooms",
        "is_communal_flat",
        "organization",
    )
    list_select_related = ("building", "organization")
    list_filter = (ORGANIZATION_FILTER, "kind", "is_communal_flat", "rooms")
    search_fields = ("building__address", "=number")
    autocomplete_fields = ("building",)
    inlines = (AccountInline, OwnershipInline)

    def get_queryset(self, request: Any) -> Any:
        # __str__ shows the address: autocompletes and raw-id labels must not query per row.
        return super().get_queryset(request).select_related("building")

    def get_search_results(self, request: Any, queryset: Any, search_term: str) -> Any:
        """ "Ленина 5 12" finds flat 12 at an address containing "Ленина 5"."""
        head, _sep, tail = search_term.strip().rpartition(" ")
        if head and tail and any(c.isdigit() for c in tail):
            narrowed = queryset.filter(building__address__icontains=head, number=tail)
            if narrowed.exists():
                return narrowed, False
        return super().get_search_results(request, queryset, search_term)


class AccountOpenFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: Any, model_admin: Any) -> Any:
        return (("open", _("open")), ("closed", _("closed")))

    def queryset(self, request: Any, queryset: Any) -> Any:
        if self.value() == "open":
            return queryset.filter(closed_on__isnull=True)
        if self.value() == "closed":
            return queryset.filter(closed_on__isnull=False)
        return queryset


class RegistrationInline(TenantScopedInline):
    model = Registration
    fields = ("person", "kind", "relation", "valid_from", "valid_to")
    autocomplete_fields = ("person",)


class TemporaryResidentActInline(TenantScopedInline):
    model = TemporaryResidentAct
    fields = ("persons", "act_number", "act_date", "valid_from", "valid_to")


class AccountServiceInline(TenantScopedInline):
    model = AccountService
    fields = ("service", "method", "meter_possible", "zones", "valid_from", "valid_to")

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("service")


@admin.register(Account)
class AccountAdmin(TenantScopedAdmin):
    list_display = (
        "number",
        "payer_name",
        "premises",
        "tenure",
        "opened_on",
        "closed_on",
        "organization",
        "card_link",
    )
    list_select_related = ("premises__building", "organization")
    list_filter = (ORGANIZATION_FILTER, AccountOpenFilter, "tenure", "opened_on")
    search_fields = (
        "=number",
        "payer_name",
        "gis_account_id",
        "premises__building__address",
        "=premises__number",
    )
    autocomplete_fields = ("premises",)
    date_hierarchy = None
    fieldsets = (
        (None, {"fields": ("organization", "number", "premises", "payer_name", "tenure")}),
        (_("Dates"), {"fields": ("opened_on", "closed_on")}),
        (_("Charging"), {"fields": ("area_m2", "living_area_m2", "gis_account_id")}),
        (_("Contacts"), {"fields": ("email", "phone")}),
    )
    inlines = (RegistrationInline, TemporaryResidentActInline, AccountServiceInline)
    change_form_template = "admin/housing/account/change_form_card.html"

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("premises__building")

    @admin.display(description=_("card"))
    def card_link(self, obj: Account) -> str:
        url = account_card_url(obj.pk)
        if url is None:
            return "—"
        return format_html('<a href="{}">{}</a>', url, _("Account card"))

    def change_view(
        self, request: Any, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        extra = dict(extra_context or {})
        if object_id.isdigit():
            extra["account_card_url"] = account_card_url(int(object_id))
        return super().change_view(request, object_id, form_url, extra)
