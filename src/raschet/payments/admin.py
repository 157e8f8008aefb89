"""Admin of the payments app: payment sources and the payees' commission contracts are edited
here; payments, registry imports and fiscal documents are only looked at (they are written by
the services — imports, the cash desk, assigning and reversing on the back-office pages — and
a payment is never changed by hand: a wrong one is reversed, rules.md §7.2, style.md §8).

Every list is narrowed to the user's organizations (`TenantScopedAdmin`). These models keep
no django-simple-history table, so their history page is Django's own log.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from raschet.core.money import format_rubles
from raschet.organizations.admin import (
    ORGANIZATION_FILTER,
    InForceFilter,
    TenantScopedAdmin,
    TenantScopedModelForm,
)
from raschet.payments import formats
from raschet.payments.models import (
    FiscalDocument,
    PayeeCommission,
    Payment,
    PaymentSource,
    RegistryImport,
)


class _LogEntryHistory:
    """The history page is the admin's log entries, scoped like every other page."""

    object_history_template = None

    def history_view(self, request: Any, object_id: str, extra_context: Any = None) -> Any:
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():  # type: ignore[attr-defined]
            raise Http404
        return admin.ModelAdmin.history_view(self, request, object_id, extra_context)  # type: ignore[arg-type]

    def history_form_view(
        self, request: Any, object_id: str, version_id: str, extra_context: Any = None
    ) -> Any:
        raise Http404


class _ReadOnly:
    """Written by the services only."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


def _office_link(name: str, pk: int, text: str) -> str:
    try:
        url = reverse(f"backoffice:{name}", args=[pk])
    except NoReverseMatch:  # the back office is not installed
        return "—"
    return format_html('<a href="{}">{}</a>', url, text)


class PaymentSourceForm(TenantScopedModelForm):
    def clean_layout(self) -> str:
        layout = (self.cleaned_data.get("layout") or "").strip()
        if layout and layout not in formats.available_layouts():
            raise forms.ValidationError(
                _("No layout %(name)s; there are: %(names)s")
                % {"name": layout, "names": ", ".join(formats.available_layouts())}
            )
        return layout


@admin.register(PaymentSource)
class PaymentSourceAdmin(_LogEntryHistory, TenantScopedAdmin):
    form = PaymentSourceForm
    list_display = ("name", "code", "channel", "layout", "agent_inn", "is_active", "organization")
    list_filter = (ORGANIZATION_FILTER, "channel", "is_active")
    list_select_related = ("organization",)
    search_fields = ("name", "=code", "=agent_inn")
    fields = (
        "organization", "code", "name", "channel", "layout", "agent_inn", "target_service",
        "is_active",
    )  # fmt: skip


@admin.register(PayeeCommission)
class PayeeCommissionAdmin(_LogEntryHistory, TenantScopedAdmin):
    """The commission a payee's contract withholds (in 0.01 %: 150 = 1.50 %), by dates."""

    list_display = (
        "payee",
        "percent",
        "contract_number",
        "valid_from",
        "valid_to",
        "organization",
    )
    list_filter = (ORGANIZATION_FILTER, InForceFilter)
    list_select_related = ("payee", "organization")
    search_fields = ("payee__name", "contract_number")
    fields = (
        "organization",
        "payee",
        "commission_basis_points",
        "contract_number",
        "valid_from",
        "valid_to",
    )

    @admin.display(description=gettext_lazy("commission, %"), ordering="commission_basis_points")
    def percent(self, obj: PayeeCommission) -> str:
        whole, hundredths = divmod(obj.commission_basis_points, 100)
        return f"{whole},{hundredths:02d}"


@admin.register(Payment)
class PaymentAdmin(_ReadOnly, _LogEntryHistory, TenantScopedAdmin):
    list_display = (
        "paid_on",
        "amount",
        "account_number",
        "payer_name",
        "source",
        "operation_id",
        "state",
        "open_in_back_office",
    )
    list_filter = (ORGANIZATION_FILTER, "state", "paid_on")
    list_select_related = ("source",)
    search_fields = ("=account_number", "=operation_id", "payer_name")
    exclude = ("account", "registry", "shift", "created_by")  # raw keys, shown on the page

    @admin.display(description=gettext_lazy("amount, ₽"), ordering="amount_kopecks")
    def amount(self, obj: Payment) -> str:
        return format_rubles(obj.amount_kopecks)

    @admin.display(description=gettext_lazy("back office"))
    def open_in_back_office(self, obj: Payment) -> str:
        return _office_link("payment_detail", obj.pk, _("open the payment"))


@admin.register(RegistryImport)
class RegistryImportAdmin(_ReadOnly, _LogEntryHistory, TenantScopedAdmin):
    list_display = (
        "imported_at",
        "filename",
        "source",
        "state",
        "lines",
        "accepted",
        "duplicates",
        "unidentified",
        "rejected",
        "imported_by",
        "open_in_back_office",
    )
    list_filter = (ORGANIZATION_FILTER, "state")
    list_select_related = ("source", "imported_by")
    search_fields = ("filename", "=sha256")
    exclude = ("report",)  # laid out on the back-office page

    @admin.display(description=gettext_lazy("back office"))
    def open_in_back_office(self, obj: RegistryImport) -> str:
        return _office_link("payments_registry", obj.pk, _("open the report"))


@admin.register(FiscalDocument)
class FiscalDocumentAdmin(_ReadOnly, _LogEntryHistory, TenantScopedAdmin):
    list_display = ("pk", "payment", "settlement_sign", "state", "created_at", "registered_at")
    list_filter = (ORGANIZATION_FILTER, "state")
    list_select_related = ("payment",)
    search_fields = ("=fiscal_sign",)
    raw_id_fields = ("payment",)
