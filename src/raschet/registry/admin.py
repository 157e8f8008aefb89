"""Admin for the passport registry: people, ownership, registrations, benefits."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from raschet.organizations.admin import (
    ORGANIZATION_FILTER,
    InForceFilter,
    TenantScopedAdmin,
    TenantScopedInline,
)
from raschet.registry.models import (
    BenefitCategory,
    Ownership,
    Person,
    PersonBenefit,
    Registration,
    TemporaryResidentAct,
)


class PersonOwnershipInline(TenantScopedInline):
    model = Ownership
    fields = ("premises", "share_numerator", "share_denominator", "valid_from", "valid_to")
    autocomplete_fields = ("premises",)

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("premises__building")


class PersonRegistrationInline(TenantScopedInline):
    model = Registration
    fields = ("account", "kind", "relation", "valid_from", "valid_to")
    autocomplete_fields = ("account",)

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("account")


class PersonBenefitInline(TenantScopedInline):
    model = PersonBenefit
    fields = ("category", "document", "valid_from", "valid_to")


@admin.register(Person)
class PersonAdmin(TenantScopedAdmin):
    list_display = ("__str__", "birth_date", "snils", "phone", "organization")
    list_select_related = ("organization",)
    list_filter = (ORGANIZATION_FILTER,)
    search_fields = ("last_name", "first_name", "middle_name", "=snils", "=inn", "phone")
    fieldsets = (
        (
            None,
            {"fields": ("organization", "last_name", "first_name", "middle_name")},
        ),
        (
            _("Documents"),
            {
                "fields": (
                    "birth_date",
                    "birth_place",
                    "snils",
                    "inn",
                    "identity_document",
                    "citizenship",
                )
            },
        ),
        (_("Contacts"), {"fields": ("phone", "email")}),
    )
    inlines = (PersonOwnershipInline, PersonRegistrationInline, PersonBenefitInline)


@admin.register(Ownership)
class OwnershipAdmin(TenantScopedAdmin):
    list_display = ("premises", "person", "share", "valid_from", "valid_to", "organization")
    list_select_related = ("premises__building", "person", "organization")
    list_filter = (ORGANIZATION_FILTER, InForceFilter, "valid_from")
    search_fields = (
        "premises__building__address",
        "=premises__number",
        "person__last_name",
        "title_document",
    )
    autocomplete_fields = ("premises", "person")


@admin.register(Registration)
class RegistrationAdmin(TenantScopedAdmin):
    list_display = (
        "person",
        "account",
        "kind",
        "relation",
        "valid_from",
        "valid_to",
        "organization",
    )
    list_select_related = ("person", "account", "organization")
    list_filter = (ORGANIZATION_FILTER, InForceFilter, "kind", "relation", "valid_from")
    search_fields = (
        "person__last_name",
        "person__first_name",
        "=account__number",
        "account__premises__building__address",
    )
    autocomplete_fields = ("account", "person")


@admin.register(TemporaryResidentAct)
class TemporaryResidentActAdmin(TenantScopedAdmin):
    list_display = ("account", "persons", "act_number", "act_date", "valid_from", "valid_to")
    list_select_related = ("account",)
    list_filter = (ORGANIZATION_FILTER, InForceFilter, "valid_from")
    search_fields = ("=account__number", "act_number", "account__premises__building__address")
    autocomplete_fields = ("account",)


@admin.register(BenefitCategory)
class BenefitCategoryAdmin(TenantScopedAdmin):
    list_display = ("name", "code", "percent", "covers", "model", "organization")
    list_select_related = ("organization",)
    list_filter = (ORGANIZATION_FILTER, "covers", "model")
    search_fields = ("name", "code")


@admin.register(PersonBenefit)
class PersonBenefitAdmin(TenantScopedAdmin):
    list_display = ("person", "category", "document", "valid_from", "valid_to", "organization")
    list_select_related = ("person", "category", "organization")
    list_filter = (
        ORGANIZATION_FILTER,
        InForceFilter,
        ("category", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("person__last_name", "person__first_name", "category__name", "document")
    autocomplete_fields = ("person",)
