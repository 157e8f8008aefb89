"""Meter readings in the resident portal (issue 8, point 3).

One page per linked account (`resident_account`: 404 unless the account is linked to the
resident): the meters of the account's premises that were in use while the account was open,
each with its last readings, a form to send today's reading of every zone, the history of the
last twelve months (date, value, volume) and a bar chart of the monthly volume drawn here as
inline SVG (no JavaScript).

Included: the reading is stored by `raschet.metering.services.reading_submit` with source
"portal", so every metering rule applies unchanged — lower than the previous reading, too
many digits, a removed meter, a closed billing month (refused, nothing stored), far above the
average (stored, flagged for an operator), the same value twice (stored once). The reading
window is the organization's cut-off day (rules.md §1.2, ПП 354 п.31 «е»): a reading received
after it counts for the next month, as `reading_submit` decides; a closed month refuses it.
Not included: photos of the meter, readings of a closed account (refused, as the API does),
readings dated another day than today (the resident reads the meter now).

Like the API, the resident sees only readings of the months the account was open: a new
payer of a flat does not see the previous payer's readings.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from raschet.core.periods import Month
from raschet.core.readings import billing_month_for
from raschet.housing.models import Account
from raschet.metering.models import Meter, MeterState, Reading, ReadingKind, ReadingSource
from raschet.metering.selectors import is_month_closed, meter_state_on, meters_in_use
from raschet.metering.services import ReadingOutcome, ReadingRejected, reading_submit
from raschet.portal.selectors import resident_account
from raschet.portal.views import LOGIN, branding
from raschet.tariffs.models import Zone

HISTORY_MONTHS = 12
"""The history and the chart cover the last twelve billing months (issue 8: «за год»)."""

VALUE_MAX_CHARS = 20
"""A typed reading longer than this is not a meter reading (the longest meter has 12 digits
and three decimals); refused before it reaches `Decimal`."""

ORIGIN_MAX = 200  # Reading.origin
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")

# Chart geometry, in SVG user units (the picture scales to the width of the screen).
CHART_WIDTH = 360
CHART_HEIGHT = 150
CHART_TOP = 14  # room for the value above the tallest bar
CHART_BOTTOM = 18  # room for the month under the bars
BAR_GAP = 4


@dataclass(frozen=True)
class Bar:
    """One month of the chart: its volume (None: no reading) and the rectangle to draw."""

    period: date
    volume: Decimal | None
    x: int
    y: int
    width: int
    height: int

    @property
    def label_x(self) -> int:
        return self.x + self.width // 2


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: int
    bars: list[Bar]
    peak: Decimal


@dataclass
class ZoneRow:
    """One zone of a meter in the form: its last reading and what the resident typed."""

    code: str
    label: str
    last: Reading | None
    typed: str = ""

    @property
    def field_name(self) -> str:
        return f"value-{self.code}"


@dataclass
class MeterCard:
    """A meter as the resident sees it: state today, zones, history and chart."""

    meter: Meter
    state: str
    state_label: str
    zones: list[ZoneRow]
    history: list[Reading]
    chart: Chart | None
    accepts: bool  # False for a meter removed by today: no form
    errors: list[str] = field(default_factory=list)

    @property
    def multi_zone(self) -> bool:
        return len(self.zones) > 1


def account_meters(account: Account, today: date) -> list[Meter]:
    """Meters of the account's premises in use at some time while the account was open
    (`meters_in_use` over the account's life), by service order and installation date."""
    end = account.closed_on or today + timedelta(days=1)
    return list(
        meters_in_use([account.organization_id], account.opened_on, end)
        .filter(premises_id=account.premises_id)
        .select_related("service")
        .order_by("service__sort_order", "service__code", "installed_on", "pk")
    )


def history_start(account: Account, today: date) -> date:
    """First billing month shown: twelve months back, not before the account was opened."""
    first = Month.of(today)
    for _i in range(HISTORY_MONTHS - 1):
        first = first.previous()
    return max(first.start, account.opened_on.replace(day=1))


def account_history(account: Account, meters: list[Meter], since: date) -> list[Reading]:
    """Current readings of ``meters`` from billing month ``since`` on, for the months the
    account was open, oldest first (one query)."""
    queryset = Reading.objects.filter(
        organization_id=account.organization_id,
        meter__in=[m.pk for m in meters],
        is_current=True,
        period__gte=since,
    )
    if account.closed_on is not None:
        queryset = queryset.filter(period__lt=account.closed_on)
    return list(queryset.order_by("period", "taken_on", "entered_at", "pk"))


def consumption_chart(readings: list[Reading], months: list[date]) -> Chart | None:
    """Bars of the monthly volume (all zones together) for ``months``; None without any
    volume. The initial reading of a new meter has no volume and is not a bar."""
    by_month: dict[date, Decimal] = {}
    for r in readings:
        if r.kind == ReadingKind.INITIAL or r.volume is None:
            continue
        by_month[r.period] = by_month.get(r.period, Decimal(0)) + r.volume
    if not by_month:
        return None
    peak = max(by_month.values())
    slot = CHART_WIDTH // len(months)
    baseline = CHART_HEIGHT - CHART_BOTTOM
    room = baseline - CHART_TOP
    bars = []
    for i, month in enumerate(months):
        volume = by_month.get(month)
        height = 0
        if volume is not None and peak > 0:
            height = max(1, int(volume * room / peak)) if volume > 0 else 0
        bars.append(
            Bar(
                period=month,
                volume=volume,
                x=i * slot + BAR_GAP // 2,
                y=baseline - height,
                width=slot - BAR_GAP,
                height=height,
            )
        )
    return Chart(CHART_WIDTH, CHART_HEIGHT, baseline, bars, peak)


def _months(since: date, today: date) -> list[date]:
    months = []
    month = Month.of(since)
    last = Month.of(today)
    while month.start <= last.start:
        months.append(month.start)
        month = month.next()
    return months


def meter_cards(account: Account, today: date) -> list[MeterCard]:
    """Everything the page shows of the account's meters: 2 queries plus one per meter for
    its state (`meter_state_on`, the rule's single home; a flat has a handful of meters)."""
    meters = account_meters(account, today)
    if not meters:
        return []
    since = history_start(account, today)
    readings = account_history(account, meters, since)
    by_meter: dict[int, list[Reading]] = defaultdict(list)
    for r in readings:
        by_meter[r.meter_id].append(r)
    months = _months(since, today)
    labels = dict(Zone.choices)
    states = dict(MeterState.choices)
    cards = []
    for meter in meters:
        own = by_meter.get(meter.pk, [])
        last: dict[str, Reading] = {}
        for r in own:
            if r.kind != ReadingKind.FINAL:
                last[r.zone] = r
        state = meter_state_on(meter, today)
        cards.append(
            MeterCard(
                meter=meter,
                state=state,
                state_label=str(states.get(state, state)),
                zones=[
                    ZoneRow(code=z, label=str(labels.get(z, z)), last=last.get(z))
                    for z in meter.zone_codes
                ],
                history=list(reversed(own)),
                chart=consumption_chart(own, months),
                accepts=state != MeterState.REMOVED,
            )
        )
    return cards


def _parse_value(text: str) -> Decimal | None:
    """A reading typed the Russian way (``123,456``) or with a dot; None if not a number.
    Only plain digits: no exponent (``1e999999`` would break the service's rounding check),
    no NaN. Negative values and more than three decimals are left to `reading_submit`'s
    messages."""
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if len(cleaned) > VALUE_MAX_CHARS or not _NUMBER.match(cleaned):
        return None
    return Decimal(cleaned)


def _meter_id(request: HttpRequest) -> int:
    """The meter id of the POST; a missing or malformed id answers 404 like a foreign one."""
    raw = request.POST.get("meter", "")
    if not raw.isdigit() or len(raw) > 18:
        raise Http404(_("No such meter"))
    return int(raw)


def _outcome_message(card: MeterCard, outcome: ReadingOutcome) -> str:
    zone = next((z.label for z in card.zones if z.code == outcome.zone), outcome.zone)
    prefix = f"{card.meter.service.name} № {card.meter.serial_number}"
    if card.multi_zone:
        prefix = f"{prefix}, {zone}"
    return f"{prefix}: {outcome.message}"


def _submit(request: HttpRequest, account: Account, card: MeterCard, today: date) -> bool:
    """Parse the zones of ``card`` from the POST and store them; errors go to ``card``."""
    values: dict[str, Decimal] = {}
    for zone in card.zones:
        raw = request.POST.get(zone.field_name, "").strip()
        zone.typed = raw[:VALUE_MAX_CHARS]  # shown back in the form
        if not raw:
            card.errors.append(_("Enter the reading of every zone of the meter"))
            return False
        value = _parse_value(raw)
        if value is None:
            card.errors.append(
                _("%(zone)s: enter the reading as a number, for example 123,456")
                % {"zone": zone.label}
            )
            return False
        values[zone.code] = value
    if account.closed_on is not None and today >= account.closed_on:
        card.errors.append(
            _("Account %(number)s is closed since %(date)s")
            % {"number": account.number, "date": f"{account.closed_on:%d.%m.%Y}"}
        )
        return False
    try:
        outcomes = reading_submit(
            meter=card.meter,
            values=values,
            taken_on=today,
            source=ReadingSource.PORTAL,
            today=today,
            user=request.user,
            origin=f"portal:{request.user.get_username()}"[:ORIGIN_MAX],
        )
    except ReadingRejected as exc:
        card.errors.append(str(exc))
        return False
    except IntegrityError:
        # A concurrent submission stored this month's reading first.
        card.errors.append(
            _(
                "Another request stored a reading of this meter at the same time; "
                "send this one again."
            )
        )
        return False
    for outcome in outcomes:
        level = messages.WARNING if outcome.status == "flagged" else messages.SUCCESS
        messages.add_message(request, level, _outcome_message(card, outcome))
    return True


@login_required(login_url=LOGIN)
def readings_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The readings page of account ``pk``; a POST sends one meter's reading (``meter`` and
    ``value-<zone>``). A meter that is not one of this account's answers 404."""
    account: Account = resident_account(request.user, pk)
    today = timezone.localdate()
    cards = meter_cards(account, today)
    if request.method == "POST":
        meter_id = _meter_id(request)
        card = next((c for c in cards if c.meter.pk == meter_id and c.accepts), None)
        if card is None:
            raise Http404(_("No such meter"))
        if _submit(request, account, card, today):
            return redirect("portal:readings", pk=account.pk)
    period = billing_month_for(today, account.organization.reading_cutoff_day).start
    open_ = account.closed_on is None or today < account.closed_on
    month_closed = is_month_closed(account.organization_id, period)
    return render(
        request,
        "portal/readings/readings.html",
        {
            "account": account,
            "brand": branding(account.organization),
            "cards": cards,
            "period": period,
            "cutoff_day": account.organization.reading_cutoff_day,
            "accepting": open_ and not month_closed,
            "account_open": open_,
            "month_closed": month_closed,
            "today": today,
        },
    )
