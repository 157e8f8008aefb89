"""Operator pages of the metering issue: the building readings sheet, missing readings,
flagged readings to confirm, meters whose verification is due.

Views parse the request, call selectors and services, and render; every rule lives in
`raschet.metering.services`.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from raschet.backoffice.views import admin_context, parse_day
from raschet.core.periods import Month
from raschet.core.readings import billing_month_for
from raschet.housing.models import Building
from raschet.metering.models import Meter, Reading, ReadingSource
from raschet.metering.selectors import (
    building_sheet,
    flagged_readings,
    meters_missing_readings,
    meters_with_verification_due,
)
from raschet.metering.services import ReadingRejected, reading_confirm, reading_submit
from raschet.organizations.selectors import organizations_for_user

PAGE_SIZE = 100


def _org_ids(request: HttpRequest) -> list[int]:
    return list(organizations_for_user(request.user).values_list("pk", flat=True))


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _parse_month(raw: str | None, default: Month) -> tuple[Month, str | None]:
    if not raw:
        return default, None
    try:
        return Month.parse(raw), None
    except ValueError:
        return default, _("Cannot read the month %(value)s: expected YYYY-MM") % {"value": raw}


@staff_member_required
def readings_sheet_view(request: HttpRequest, building_pk: int) -> HttpResponse:
    """A building's readings for one month, entered row by row from the keyboard."""
    _need(request, "metering.add_reading")
    ids = _org_ids(request)
    building = get_object_or_404(Building, pk=building_pk, organization_id__in=ids)
    taken_on, error1 = parse_day(request.GET.get("taken_on"))
    received_on, error2 = parse_day(request.GET.get("received_on"))
    period = billing_month_for(received_on, building.organization.reading_cutoff_day)
    rows = building_sheet(building.pk, ids, period.start)
    context = admin_context(request, _("Readings: %(address)s") % {"address": building.address})
    context.update(
        {
            "building": building,
            "rows": rows,
            "period": period,
            "taken_on": taken_on,
            "received_on": received_on,
            "errors": [e for e in (error1, error2) if e],
            "entered": sum(1 for r in rows if len(r.current) == len(r.zones)),
        }
    )
    return render(request, "backoffice/metering/sheet.html", context)


@staff_member_required
@require_POST
def reading_submit_view(request: HttpRequest, meter_pk: int) -> JsonResponse:
    """One meter's readings from the sheet; answers JSON for the row's inline message."""
    if not request.user.has_perm("metering.add_reading"):
        return JsonResponse(
            {"ok": False, "message": _("No permission to enter readings")}, status=403
        )
    meter = Meter.objects.filter(pk=meter_pk, organization_id__in=_org_ids(request)).first()
    if meter is None:
        raise Http404
    today = timezone.localdate()
    taken_on, error1 = parse_day(request.POST.get("taken_on"))
    received_on, error2 = parse_day(request.POST.get("received_on"))
    if error1 or error2:
        return JsonResponse({"ok": False, "message": error1 or error2}, status=400)
    values: dict[str, Decimal] = {}
    for zone in meter.zone_codes:
        raw = (request.POST.get(f"value_{zone}") or "").strip().replace(" ", "").replace(",", ".")
        if not raw:
            return JsonResponse(
                {"ok": False, "message": _("Enter the reading of every zone")}, status=400
            )
        try:
            values[zone] = Decimal(raw)
        except InvalidOperation:
            return JsonResponse(
                {"ok": False, "message": _("Not a number: %(value)s") % {"value": raw}}, status=400
            )
        if not values[zone].is_finite():
            return JsonResponse(
                {"ok": False, "message": _("Not a number: %(value)s") % {"value": raw}}, status=400
            )
    try:
        outcomes = reading_submit(
            meter=meter,
            values=values,
            taken_on=taken_on,
            received_on=received_on,
            source=ReadingSource.OPERATOR,
            today=today,
            user=request.user,
            origin=f"sheet:{request.user.get_username()}",
        )
    except ReadingRejected as exc:
        return JsonResponse({"ok": False, "message": str(exc)}, status=422)
    worst = next((o for o in outcomes if o.status == "flagged"), outcomes[0])
    volumes = {
        o.zone: (
            f"{o.reading.volume:.3f}".replace(".", ",") if o.reading.volume is not None else ""
        )
        for o in outcomes
    }
    return JsonResponse(
        {"ok": True, "status": worst.status, "message": str(worst.message), "volumes": volumes}
    )


@staff_member_required
def missing_readings_view(request: HttpRequest) -> HttpResponse:
    """Meters with no reading for the month (they will be billed by the average or norm)."""
    _need(request, "metering.view_reading")
    month, error = _parse_month(request.GET.get("period"), Month.of(timezone.localdate()))
    meters = meters_missing_readings(_org_ids(request), month.start)
    building = request.GET.get("building")
    if building and building.isdigit():
        meters = meters.filter(premises__building_id=int(building))
    page = Paginator(meters, PAGE_SIZE).get_page(request.GET.get("page"))
    context = admin_context(
        request, _("Missing readings for %(month)s") % {"month": month.start.strftime("%m.%Y")}
    )
    context.update({"page": page, "month": month, "errors": [error] if error else []})
    return render(request, "backoffice/metering/missing.html", context)


@staff_member_required
def flagged_readings_view(request: HttpRequest) -> HttpResponse:
    """Readings far above the average, for an operator to check and confirm."""
    _need(request, "metering.view_reading")
    page = Paginator(flagged_readings(_org_ids(request)), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = admin_context(request, _("Flagged readings"))
    context.update({"page": page})
    return render(request, "backoffice/metering/flagged.html", context)


@staff_member_required
@require_POST
def reading_confirm_view(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "metering.change_meter")
    reading = get_object_or_404(Reading, pk=pk, organization_id__in=_org_ids(request))
    try:
        reading_confirm(reading=reading, user=request.user)
    except ReadingRejected as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Reading confirmed: %(reading)s") % {"reading": reading})
    return redirect("backoffice:readings_flagged")


@staff_member_required
def verification_due_view(request: HttpRequest) -> HttpResponse:
    """Meters whose verification (поверка) is due within ``?days=N`` (default 30)."""
    _need(request, "metering.view_meter")
    raw = request.GET.get("days", "30")
    days = int(raw) if raw.isdigit() and 0 <= int(raw) <= 3650 else 30
    today = timezone.localdate()
    meters = meters_with_verification_due(_org_ids(request), today + timedelta(days=days))
    page = Paginator(meters, PAGE_SIZE).get_page(request.GET.get("page"))
    context = admin_context(
        request, _("Meter verification due within %(days)s days") % {"days": days}
    )
    context.update({"page": page, "days": days, "today": today})
    return render(request, "backoffice/metering/verification.html", context)
