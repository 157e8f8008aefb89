"""Admin for organizations and staff, and the tenant scoping every reference-data admin uses.

The scoping lives here, not in `raschet.backoffice`, because domain apps' admin modules may
not import the delivery layer (import-linter contract); they import this module instead.

A non-superuser sees, opens, picks and changes only rows of
`organizations_for_user(request.user)`: changelists, change/delete/history pages, foreign-key
choices (selects, autocompletes and raw-id lookups) and list filters are all narrowed. Objects
of other organizations answer like missing ones (redirect to the index or 404).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from raschet.organizations.models import Membership, Organization
from raschet.organizations.selectors import organization_ids_for_user
from raschet.organizations.services import membership_grant, membership_revoke


def _organization_field(model: type[models.Model]) -> models.ForeignKey | None:
    try:
        field = model._meta.get_field("organization")
    except FieldDoesNotExist:  # not tenant-owned
        return None
    return field if isinstance(field, models.ForeignKey) else None


def scope_queryset(request: Any, queryset: models.QuerySet) -> models.QuerySet:
    """``queryset`` narrowed to the organizations ``request.user`` may see."""
    ids = organization_ids_for_user(request.user)
    if ids is None:
        return queryset
    model = queryset.model
    if issubclass(model, Organization):
        return queryset.filter(pk__in=ids)
    if _organization_field(model) is not None:
        return queryset.filter(organization_id__in=ids)
    return queryset


def _instance_organization(instance: models.Model) -> Organization | None:
    try:
        return instance.organization  # type: ignore[attr-defined]
    except (AttributeError, ObjectDoesNotExist):  # not tenant-owned, or not chosen yet
        return None


class TenantScopedModelForm(forms.ModelForm):
    """The form of every tenant-scoped admin.

    That linked objects belong to the row's organization is the model's rule
    (`TenantModel.clean()`, run by the form's ``full_clean``), not repeated here.
    """


def _limit_foreign_key(request: Any, db_field: models.ForeignKey, kwargs: dict) -> None:
    """Narrow a foreign key's choices to the user's organizations (select, autocomplete,
    raw id: the queryset is also what the submitted value is validated against)."""
    if "queryset" in kwargs:
        kwargs["queryset"] = scope_queryset(request, kwargs["queryset"])
        return
    related = db_field.remote_field.model
    if related is Organization or _organization_field(related) is not None:
        kwargs["queryset"] = scope_queryset(request, related._default_manager.all())


class TenantScopedInline(admin.TabularInline):
    """An inline whose rows take the parent's organization and whose choices are scoped."""

    extra = 0
    show_change_link = True
    exclude = ("organization",)
    form = TenantScopedModelForm

    def get_queryset(self, request: Any) -> models.QuerySet:
        return scope_queryset(request, super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        _limit_foreign_key(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_formset(self, request: Any, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        parent = obj

        class ScopedFormSet(formset):  # type: ignore[misc, valid-type]
            def _construct_form(self, i: int, **form_kwargs: Any) -> Any:
                form = super()._construct_form(i, **form_kwargs)
                # The row inherits the parent's organization before validation, so that
                # model.clean() and the link check see it.
                owner = getattr(self.instance, "organization_id", None) or getattr(
                    parent, "organization_id", None
                )
                if owner is not None and getattr(form.instance, "organization_id", None) is None:
                    form.instance.organization_id = owner
                return form

        return ScopedFormSet


class TenantScopedAdmin(SimpleHistoryAdmin):
    """Base of every reference-data admin: change history plus tenant scoping."""

    form = TenantScopedModelForm
    list_per_page = 50
    show_full_result_count = False  # a second COUNT(*) over 100k rows buys nothing

    def get_queryset(self, request: Any) -> models.QuerySet:
        queryset = scope_queryset(request, super().get_queryset(request))
        # The changelist skips list_select_related when the queryset already selects
        # something (as subclasses do for __str__), so apply it here once for all.
        if isinstance(self.list_select_related, list | tuple) and self.list_select_related:
            queryset = queryset.select_related(*self.list_select_related)
        return queryset

    def formfield_for_foreignkey(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        _limit_foreign_key(request, db_field, kwargs)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if (
            db_field.name == "organization"
            and field is not None
            and not request.user.is_superuser
            and field.queryset.count() == 1
        ):
            field.initial = field.queryset.first()
            field.empty_label = None
        return field

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        parent = form.instance
        for row in formset.forms:
            instance = row.instance
            if hasattr(instance, "organization_id") and instance.organization_id is None:
                instance.organization_id = getattr(parent, "organization_id", None)
        super().save_formset(request, form, formset, change)

    # History pages: simple-history looks objects up without our queryset (and falls back to
    # the last historical record of a deleted object), so check the scope first.
    def _check_history_scope(self, request: Any, object_id: str) -> None:
        ids = organization_ids_for_user(request.user)
        if ids is None:
            return
        pk = unquote(object_id)
        if self.get_queryset(request).filter(pk=pk).exists():
            return
        history = self.model.history.filter(pk=pk)  # type: ignore[attr-defined]
        field = "id" if issubclass(self.model, Organization) else "organization_id"
        record = history.order_by("-history_date").values(field).first()
        if record is None or record[field] not in ids:
            raise Http404

    def history_view(self, request: Any, object_id: str, extra_context: Any = None) -> Any:
        self._check_history_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: Any, object_id: str, version_id: str, extra_context: Any = None
    ) -> Any:
        self._check_history_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


ORGANIZATION_FILTER = ("organization", admin.RelatedOnlyFieldListFilter)


class InForceFilter(admin.SimpleListFilter):
    """Effective-dated rows in force today (in the configured time zone) or not."""

    title = _("in force")
    parameter_name = "in_force"

    def lookups(self, request: Any, model_admin: Any) -> Any:
        return (("yes", _("in force today")), ("no", _("ended or future")))

    def queryset(self, request: Any, queryset: Any) -> Any:
        today: date = timezone.localdate()
        active = Q(valid_from__lte=today) & (Q(valid_to__isnull=True) | Q(valid_to__gt=today))
        if self.value() == "yes":
            return queryset.filter(active)
        if self.value() == "no":
            return queryset.exclude(active)
        return queryset


@admin.register(Organization)
class OrganizationAdmin(TenantScopedAdmin):
    """Organizations. ``full_clean`` (field validators and `Organization.clean`: ИНН/ОГРН
    check digits, bank keys) runs in the model form, so errors show on the form."""

    list_display = ("name", "short_name", "code", "kind", "inn", "served_by")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_select_related = ("served_by",)
    list_filter = ("kind",)
    search_fields = ("name", "short_name", "code", "inn", "ogrn")
    fieldsets = (
        (None, {"fields": ("code", "kind", "name", "short_name", "served_by")}),
        (_("Legal details"), {"fields": ("inn", "kpp", "ogrn", "legal_address")}),
        (
            _("Bank details"),
            {"fields": ("bank_name", "bic", "settlement_account", "correspondent_account")},
        ),
        (_("Contacts"), {"fields": ("phone", "email", "website", "office_hours")}),
        (_("Portal"), {"fields": ("brand_name", "logo", "color_primary", "color_accent")}),
        (_("Settings"), {"fields": ("reading_cutoff_day",)}),
    )


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    """Staff roles. Adding one goes through `membership_grant`, which also puts the user in
    the role's permission group; an existing membership is only viewed or deleted."""

    list_display = ("user", "organization", "role")
    list_select_related = ("user", "organization")
    list_filter = (ORGANIZATION_FILTER, "role")
    search_fields = ("user__username", "user__last_name", "user__email", "organization__name")
    autocomplete_fields = ("user",)

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        if obj is not None:
            return ("user", "organization", "role")
        return ()

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        if change:
            return
        granted = membership_grant(user=obj.user, organization=obj.organization, role=obj.role)
        obj.pk = granted.pk

    def delete_model(self, request: Any, obj: Any) -> None:
        membership_revoke(membership=obj)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for membership in queryset.select_related("user"):
            membership_revoke(membership=membership)
