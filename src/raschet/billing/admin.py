"""Admin for the operator-entered acts of billing (temporary absence, quality acts) and a
read-only view of billing runs.

An act changes the charges of the months it covers. For a closed month the change is found
by the act's entry time (`raschet.billing.changes`) and recalculated in the next open month,
which only works for a *new* act: editing or deleting an act that touches a closed month would
go unnoticed (its entry time stays, a deleted row leaves no trace). Such acts are therefore
read-only here; a correction is a new act. Acts of open months are edited freely: the next
run recomputes the open month whole.

Runs are computed, posted and closed on the back-office billing pages; the admin only lists
them and links there.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from raschet.billing.models import Absence, BillingRun, QualityAct
from raschet.organizations.admin import (
    ORGANIZATION_FILTER,
    TenantScopedAdmin,
    TenantScopedModelForm,
)
from raschet.organizations.selectors import closed_months_between


def _absence_closed_months(absence: Absence) -> list[date]:
    if absence.left_on is None or absence.returned_on is None:
        return []
    return closed_months_between(absence.organization_id, absence.left_on, absence.returned_on)


def _act_closed_months(act: QualityAct) -> list[date]:
    if act.period is None:
        return []
    return closed_months_between(act.organization_id, act.period, act.period)


def _closed_message(months: list[date]) -> str:
    return _(
        "The act concerns the closed month(s) %(months)s: it cannot be changed or deleted. "
        "Enter a new act instead; the change is recalculated in the next open month."
    ) % {"months": ", ".join(f"{m:%m.%Y}" for m in months)}


class _LogEntryHistory:
    """Acts and runs keep no django-simple-history table: the history page is Django's own
    (the admin's log entries), scoped like every other page."""

    object_history_template = None

    def history_view(self, request: Any, object_id: str, extra_context: Any = None) -> Any:
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():  # type: ignore[attr-defined]
            raise Http404
        return admin.ModelAdmin.history_view(self, request, object_id, extra_context)  # type: ignore[arg-type]

    def history_form_view(
        self, request: Any, object_id: str, version_id: str, extra_context: Any = None
    ) -> Any:
        raise Http404


class _ClosedMonthGuard:
    """Acts touching a closed month are read-only (see the module docstring)."""

    def closed_months(self, obj: Any) -> list[date]:
        raise NotImplementedError

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        if obj is not None and self.closed_months(obj):
            return False
        return super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        if obj is not None and self.closed_months(obj):
            return False
        return super().has_delete_permission(request, obj)  # type: ignore[misc]


class AbsenceForm(TenantScopedModelForm):
    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        left_on, returned_on = cleaned.get("left_on"), cleaned.get("returned_on")
        if self.instance.pk is not None and left_on is not None and returned_on is not None:
            months = closed_months_between(self.instance.organization_id, left_on, returned_on)
            if months:
                raise ValidationError(_closed_message(months))
        return cleaned


@admin.register(Absence)
class AbsenceAdmin(_LogEntryHistory, _ClosedMonthGuard, TenantScopedAdmin):
    form = AbsenceForm
    list_display = (
        "account",
        "persons",
        "left_on",
        "returned_on",
        "applied_on",
        "documents",
        "entered_at",
    )
    list_filter = (ORGANIZATION_FILTER, "left_on")
    search_fields = ("=account__number", "account__payer_name", "documents")
    autocomplete_fields = ("account",)
    list_select_related = ("account",)
    date_hierarchy = "left_on"
    fields = (
        "organization",
        "account",
        "persons",
        "left_on",
        "returned_on",
        "applied_on",
        "documents",
    )

    def closed_months(self, obj: Any) -> list[date]:
        return _absence_closed_months(obj)


class QualityActForm(TenantScopedModelForm):
    class Meta:
        help_texts = {
            "period": gettext_lazy("Any day of the month: the act is stored for the whole month"),
            "events_hours": gettext_lazy(
                "Interruptions: the hours of each one, e.g. [5, 12]; the total is their sum. "
                "Solid waste: the hours of each deviation from the removal schedule"
            ),
        }

    def clean_days(self) -> int:
        return self.cleaned_data.get("days") or 0  # only upkeep acts give days

    def clean_overcharge(self) -> Any:
        return self.cleaned_data.get("overcharge") or 0  # only fine acts give an amount

    def clean_period(self) -> date | None:
        period = self.cleaned_data.get("period")
        return period.replace(day=1) if period is not None else None

    def clean_events_hours(self) -> Any:
        value = self.cleaned_data.get("events_hours")
        if value in (None, ""):
            return []
        ok = isinstance(value, list) and all(
            isinstance(h, int) and not isinstance(h, bool) and 0 <= h <= 744 for h in value
        )
        if not ok:
            raise ValidationError(
                _("Give a list of whole hours from 0 to 744, e.g. [5, 12]"), code="invalid"
            )
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        account, building = cleaned.get("account"), cleaned.get("building")
        if (
            account is not None
            and building is not None
            and account.premises.building_id != building.pk
        ):
            self.add_error("account", _("The account is not in this building"))
        if self.instance.pk is not None and cleaned.get("period") is not None:
            new = QualityAct(
                organization_id=self.instance.organization_id, period=cleaned["period"]
            )
            months = _act_closed_months(new)
            if months:
                raise ValidationError(_closed_message(months))
        return cleaned


@admin.register(QualityAct)
class QualityActAdmin(_LogEntryHistory, _ClosedMonthGuard, TenantScopedAdmin):
    form = QualityActForm
    list_display = (
        "period",
        "building",
        "account",
        "service",
        "kind",
        "hours",
        "degrees",
        "act_number",
        "state",
        "entered_at",
    )
    list_filter = (ORGANIZATION_FILTER, "state", "kind", "period")
    search_fields = ("building__address", "=account__number", "act_number")
    autocomplete_fields = ("building", "account")
    list_select_related = ("building", "account", "service")
    date_hierarchy = "period"
    fields = (
        "organization",
        "building",
        "account",
        "service",
        "period",
        "kind",
        "events_hours",
        "hours",
        "degrees",
        "temperature_c",
        "dead_end_accident",
        "days",
        "overcharge",
        "act_number",
        "state",
    )
    readonly_fields = ("state",)

    def closed_months(self, obj: Any) -> list[date]:
        return _act_closed_months(obj)


@admin.register(BillingRun)
class BillingRunAdmin(_LogEntryHistory, TenantScopedAdmin):
    """Runs, read-only: they are computed, posted and closed on the back-office pages."""

    list_display = (
        "__str__",
        "organization",
        "period",
        "state",
        "trial",
        "accounts_done",
        "accounts_total",
        "lines_count",
        "created_at",
        "posted_at",
        "open_in_back_office",
    )
    list_filter = (ORGANIZATION_FILTER, "state", "trial", "period")
    list_select_related = ("organization",)
    date_hierarchy = "period"
    exclude = ("report",)  # shown on the back-office page, laid out

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("back office"))
    def open_in_back_office(self, obj: BillingRun) -> str:
        try:
            url = reverse("backoffice:billing_run", args=[obj.pk])
        except NoReverseMatch:  # the back office is not installed
            return "—"
        return format_html('<a href="{}">{}</a>', url, _("open the run"))
