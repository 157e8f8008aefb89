"""The heat volume of a premises whose heat meter has no reading of the month, for формула
3(3) (ПП 354 п.59, п.60; rules.md §1.4, §1.5): facts from the database, the rule in
`raschet.core.heating_meters`. Used by `raschet.billing.snapshot.load_heat_meters`, which
both loaders share.

Conventions (docs/billing.md, «Heat meters: a missing reading»):
- only the heating-season months count — for the average's base (the last six season months
  with a reading before the spell, at least three) and for the spell's months against the
  «а»/«б»/«в» limits (a month out of season bills no heating);
- the norm after the limit is ``N_T × S_i`` (the building's heating norm per m² in force on
  the month's last day, or the organization's), without the increasing coefficient;
- the condition of the premises' meters is read as for every other meter (broken, lost,
  verification expired → «а»; no access → «в»; otherwise «б»);
- the catch-up when the reading arrives (rules.md §14, `heat_catch_ups`): a heat meter's
  reading is cumulative, its ``volume`` the difference from the previous accepted one, so it
  covers the averaged months too; they are taken off it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from raschet.billing.models import BillingRun, ChargeLine, RunState
from raschet.core import billing as core
from raschet.core.fixedpoint import AREA_SCALE, NORM_SCALE, VOLUME_SCALE, round_half_up_int
from raschet.core.heating_meters import HeatBasis, heat_meter_volumes
from raschet.core.periods import Month
from raschet.housing.models import Account, Building, Premises, PremisesKind
from raschet.metering.models import Meter, MeterStateChange, Reading, ReadingKind
from raschet.tariffs.models import Norm, Service

HISTORY_MONTHS = 36
"""How far back the base of a heating-season average is looked for (six season months)."""


@dataclass(frozen=True)
class Substitute:
    """A premises' heat volume taken instead of a reading (for the line's derivation)."""

    volume: int  # VOLUME_SCALE
    basis: HeatBasis
    base_months: int


def _season(start_month: int, count: int) -> set[int]:
    return {(start_month - 1 + k) % 12 + 1 for k in range(count)}


def heat_substitutes(
    *,
    premises: list[Premises],
    read: set[int],
    month: Month,
    settings: core.Settings,
    season_start: int,
) -> dict[int, Substitute]:
    """The heat volume of each premises of ``premises`` (all of one season-mode building
    set, individually heated ones excluded) that has a heating meter but is not in ``read``
    (premises with a current reading of the month); a premises without a basis is absent."""
    ids = [p.pk for p in premises]
    meters: dict[int, list[Meter]] = defaultdict(list)
    for m in Meter.objects.filter(
        premises_id__in=ids, service__code="heating", installed_on__lt=month.end
    ).exclude(removed_on__lte=month.start):
        meters[m.premises_id].append(m)
    wanted = [p for p in premises if p.pk in meters and p.pk not in read]
    if not wanted:
        return {}
    meter_ids = [m.pk for p in wanted for m in meters[p.pk]]
    states: dict[int, list[MeterStateChange]] = defaultdict(list)
    for sc in MeterStateChange.objects.filter(meter_id__in=meter_ids, since__lt=month.end).order_by(
        "since", "pk"
    ):
        states[sc.meter_id].append(sc)
    history: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    earliest = date(month.start.year - HISTORY_MONTHS // 12, month.start.month, 1)
    for premises_id, period, read_volume in (
        Reading.objects.filter(
            meter_id__in=meter_ids,
            period__gte=earliest,
            period__lt=month.start,
            is_current=True,
            kind=ReadingKind.REGULAR,
        )
        .exclude(state="rejected")
        .values_list("meter__premises_id", "period", "volume")
    ):
        history[premises_id][period] += int((read_volume or Decimal(0)) * VOLUME_SCALE)
    buildings = {b.pk: b for b in Building.objects.filter(pk__in={p.building_id for p in wanted})}
    norms = _heating_norms(month, buildings)

    from raschet.billing.snapshot import _condition  # the one reading of a meter's state

    rows: list[tuple[int, int, bool, int, int, int, int]] = []
    for p in wanted:
        b = buildings[p.building_id]
        in_season = _season(season_start, b.heating_season_months or 0)
        condition, since = _condition(meters[p.pk], states, month.end)
        season_before = [m for m in history[p.pk] if m.month in in_season]
        if condition in (core.MeterCondition.BROKEN, core.MeterCondition.NO_ACCESS) and since:
            spell_from = Month.of(since).start
        else:
            last = max(history[p.pk], default=None)
            spell_from = (
                _next_month(last)
                if last
                else Month.of(min(m.installed_on for m in meters[p.pk])).start
            )
        spell = _season_months_between(spell_from, month.start, in_season) + 1
        base = sorted(m for m in season_before if m < spell_from)[-6:]
        norm = norms.get(b.pk)
        # N_T × S_i: the norm (NORM_SCALE) × the area (1e-2 m²) → VOLUME_SCALE
        norm_volume = (
            -1
            if norm is None
            else round_half_up_int(
                norm * int(p.area_total_m2 * AREA_SCALE), AREA_SCALE * NORM_SCALE // VOLUME_SCALE
            )
        )
        rows.append(
            (
                p.pk,
                int(condition),
                p.kind == PremisesKind.RESIDENTIAL,
                spell,
                sum(history[p.pk][m] for m in base),
                len(base),
                norm_volume,
            )
        )
    cols = list(zip(*rows, strict=True))
    volume, basis = heat_meter_volumes(
        reading_present=np.zeros(len(rows), dtype=np.bool_),
        reading_volume=np.zeros(len(rows), dtype=np.int64),
        condition=np.asarray(cols[1], dtype=np.int8),
        residential=np.asarray(cols[2], dtype=np.bool_),
        spell_months=np.asarray(cols[3], dtype=np.int64),
        base_volume=np.asarray(cols[4], dtype=np.int64),
        base_months=np.asarray(cols[5], dtype=np.int64),
        norm_volume=np.asarray(cols[6], dtype=np.int64),
        settings=settings,
    )
    return {
        row[0]: Substitute(int(v), HeatBasis(int(k)), row[5])
        for row, v, k in zip(rows, volume.tolist(), basis.tolist(), strict=True)
        if k != HeatBasis.NONE
    }


def heat_catch_ups(
    *,
    premises: list[Premises],
    month: Month,
    settings: core.Settings,
    season_start: int,
) -> dict[int, int]:
    """Σ of the heat volumes (VOLUME_SCALE) each premises of ``premises`` (read in ``month``,
    in a building heated in season) was charged at its п.59 average in the season months
    since its last accepted reading — what rules.md §14 "Late readings after averaged
    months" takes off the reading's volume (``R_new − R_last_accepted``, the difference of
    the cumulative readings). A premises without such months is absent.

    The averaged volumes are not kept on the posted lines (a heating line's volume is the own
    volume plus the share of the common part), so each is recomputed from the same base by
    `heat_substitutes` as of its month — no reading came in between, so the base, the spell
    and the limits are those the month was billed with — and counted only for a month whose
    posted heating line of the premises says формула 3(3) (`core.Method.HEATING_INDIVIDUAL`):
    a month billed by формула 3 or the norm charged no average of this meter. Months past
    the п.59 limit (billed at the norm, п.60) are not averaged and are not taken off, as for
    every other meter (`raschet.billing.snapshot._posted_averages`).
    """
    # the usual case first: a reading last month leaves no month in between
    previous = month.previous().start
    read_before = set(
        Reading.objects.filter(
            meter__premises_id__in=[p.pk for p in premises],
            meter__service__code="heating",
            period=previous,
            is_current=True,
            kind__in=[ReadingKind.REGULAR, ReadingKind.INITIAL],
        )
        .exclude(state="rejected")
        .values_list("meter__premises_id", flat=True)
    )
    premises = [p for p in premises if p.pk not in read_before]
    ids = [p.pk for p in premises]
    if not ids:
        return {}
    earliest = date(month.start.year - HISTORY_MONTHS // 12, month.start.month, 1)
    last: dict[int, date] = {}
    for premises_id, period in (
        Reading.objects.filter(
            meter__premises_id__in=ids,
            meter__service__code="heating",
            period__gte=earliest,
            period__lt=month.start,
            is_current=True,
            kind__in=[ReadingKind.REGULAR, ReadingKind.INITIAL],
        )
        .exclude(state="rejected")
        .values_list("meter__premises_id", "period")
    ):
        last[premises_id] = max(last.get(premises_id, period), period)
    buildings = {b.pk: b for b in Building.objects.filter(pk__in={p.building_id for p in premises})}
    gaps: dict[int, list[date]] = {}
    for p in premises:
        if p.pk not in last:
            continue
        in_season = _season(season_start, buildings[p.building_id].heating_season_months or 0)
        months, m = [], _next_month(last[p.pk])
        while m < month.start:
            if m.month in in_season:
                months.append(m)
            m = _next_month(m)
        if months:
            gaps[p.pk] = months
    if not gaps:
        return {}
    account_premises = dict(
        Account.objects.filter(premises_id__in=list(gaps)).values_list("pk", "premises_id")
    )
    orgs = {p.organization_id for p in premises}
    posted = BillingRun.objects.filter(organization_id__in=orgs, state=RunState.POSTED).values_list(
        "pk", flat=True
    )
    heating_services = Service.objects.filter(organization_id__in=orgs, code="heating")
    billed: set[tuple[int, date]] = {
        (account_premises[account_id], period)
        for account_id, period in ChargeLine.objects.filter(
            run_id__in=list(posted),
            account_id__in=list(account_premises),
            service_id__in=list(heating_services.values_list("pk", flat=True)),
            method=int(core.Method.HEATING_INDIVIDUAL),
            corrects_period__in=sorted({m for ms in gaps.values() for m in ms}),
        ).values_list("account_id", "corrects_period")
    }
    by_pk = {p.pk: p for p in premises}
    # one `heat_substitutes` a gap month for all the premises billed by 3(3) in it (its
    # reads are per call, not per premises)
    by_month: dict[date, list[Premises]] = defaultdict(list)
    for pid, months in gaps.items():
        for m in months:
            if (pid, m) in billed:
                by_month[m].append(by_pk[pid])
    out: dict[int, int] = defaultdict(int)
    for m, wanted in sorted(by_month.items()):
        subs = heat_substitutes(
            premises=wanted, read=set(), month=Month.of(m), settings=settings,
            season_start=season_start,
        )  # fmt: skip
        for pid, sub in subs.items():
            if sub.basis == HeatBasis.AVERAGE:
                out[pid] += sub.volume
    return {pid: total for pid, total in out.items() if total}


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _season_months_between(first: date, before: date, season: set[int]) -> int:
    """Heating-season months in ``[first, before)``."""
    count, m = 0, first
    while m < before:
        count += m.month in season
        m = _next_month(m)
    return count


def _heating_norms(month: Month, buildings: dict[int, Building]) -> dict[int, int]:
    """The heating norm per m² (NORM_SCALE) in force on the month's last day, per building:
    the building's own, otherwise the organization's."""
    last = month.end - timedelta(days=1)
    rows = (
        Norm.objects.filter(
            service__code="heating",
            basis="per_m2",
            organization_id__in={b.organization_id for b in buildings.values()},
            valid_from__lte=last,
        )
        .exclude(valid_to__lte=last)
        .order_by("valid_from")
    )
    own: dict[int, int] = {}
    general: dict[int, int] = {}
    for n in rows:
        value = int(n.value * NORM_SCALE)
        if n.building_id is None:
            general[n.organization_id] = value
        else:
            own[n.building_id] = value
    out: dict[int, int] = {}
    for b in buildings.values():
        if b.pk in own:
            out[b.pk] = own[b.pk]
        elif b.organization_id in general:
            out[b.pk] = general[b.organization_id]
    return out
