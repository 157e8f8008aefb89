"""Facts of a month for a batch of buildings → the arrays of `raschet.core.billing`.

The only place where the database meets the billing core. One query per table for the whole
batch; the month is cut into sub-periods (segments) at every date where the tariff, the
norm, the number of residents, the connected service or the account itself changes.

Residents (ПП 354 п.56(1), 56(2)): registered persons (permanent and temporary) plus persons
established by a temporary-residents act; when nobody lives there, the owners.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

from raschet.billing import explain
from raschet.billing.exemptions import BuildingExemptions, ExemptPeriod, load_exemptions, note
from raschet.billing.heat_meters import Substitute, heat_catch_ups, heat_substitutes
from raschet.billing.models import (
    Absence,
    ActState,
    BillingRun,
    ChargeLine,
    QualityAct,
    QualityKind,
    RunState,
)
from raschet.core import billing as core
from raschet.core.fixedpoint import (
    AREA_SCALE,
    NORM_SCALE,
    PERCENT_SCALE,
    RATE_SCALE,
    VOLUME_SCALE,
    prorate_cumulative,
    round_half_up_int,
)
from raschet.core.periods import Month
from raschet.housing.models import Account, Building, Premises, PremisesKind
from raschet.metering.models import (
    BuildingMeterReading,
    Meter,
    MeterState,
    MeterStateChange,
    Reading,
    ReadingKind,
)
from raschet.organizations.models import Organization
from raschet.registry.models import (
    BenefitCategory,
    Ownership,
    PersonBenefit,
    Registration,
    TemporaryResidentAct,
)
from raschet.tariffs.models import (
    ZONES_BY_COUNT,
    AccountService,
    Norm,
    Service,
    ServiceContract,
    Tariff,
    Zone,
)
from raschet.tariffs.selectors import norm_for

RULES: dict[str, core.Rule] = {
    "cold_water": core.Rule.VOLUME,
    "hot_water": core.Rule.VOLUME,
    "electricity": core.Rule.VOLUME,
    "gas": core.Rule.VOLUME,
    "wastewater": core.Rule.WASTEWATER,
    "heating": core.Rule.HEATING,
}
RESOURCES: dict[str, core.Resource] = {
    "cold_water": core.Resource.COLD_WATER,
    "hot_water": core.Resource.HOT_WATER,
    "wastewater": core.Resource.WASTEWATER,
    "electricity": core.Resource.ELECTRICITY,
    "gas": core.Resource.GAS,
    "heating": core.Resource.HEATING,
}
BASIS_RULES = {
    "volume": core.Rule.VOLUME,
    "area": core.Rule.AREA,
    "person": core.Rule.PERSON,
    "common": core.Rule.COMMON,
    "fixed": core.Rule.FIXED,
}
COEFFICIENT_SERVICES = {"cold_water", "hot_water", "electricity"}  # rules.md §1.3
ABSENCE_SERVICES = {"cold_water", "hot_water", "wastewater", "electricity", "gas", "solid_waste"}
AVERAGE_METHODS = (
    core.Method.AVERAGE_NOT_SUBMITTED,
    core.Method.AVERAGE_BROKEN,
    core.Method.AVERAGE_NO_ACCESS,
)
AVERAGE_BASE_MONTHS = 6


class FactsError(ValueError):
    """A fact needed for the charge is missing (e.g. no tariff): names account and service."""


def to_scaled(value: Decimal | None, scale: int) -> int:
    if value is None:
        return 0
    return int((Decimal(value) * scale).to_integral_value())


def engine_settings(organization: Organization) -> core.Settings:
    """The organization's overrides of the rules.md §14 defaults."""
    known = {f for f in core.Settings.__dataclass_fields__}
    values = {k: int(v) for k, v in (organization.billing_settings or {}).items() if k in known}
    return core.Settings(**values)


def history_start(month: Month, settings: core.Settings) -> date:
    """The oldest reading month that can still matter: the longest average spell, the six
    months of the average base before it, and the reading before those (for the span)."""
    longest = max(
        settings.missing_limit_residential,
        settings.missing_limit_non_residential,
        settings.broken_limit_residential,
        settings.broken_limit_non_residential,
        settings.no_access_limit,
    )
    m = month
    for _ in range(longest + AVERAGE_BASE_MONTHS + 1):
        m = m.previous()
    return m.start


def norm_basis_of(rule: core.Rule, rows: list[Norm]) -> str:
    """Which norm rows a line reads: per m² for heating, per m² of common area for common
    property; otherwise per person, unless the service's norm table (the building's own, else
    the organization's) is given per m² of the premises — the region's choice for solid
    waste, and gas for heating (rules.md §1.10)."""
    if rule == core.Rule.HEATING:
        return "per_m2"
    if rule == core.Rule.COMMON:
        return "per_m2_common"
    by_area = rows and all(r.basis == "per_m2" for r in rows)
    if rule in (core.Rule.VOLUME, core.Rule.WASTEWATER) and by_area:
        return "per_m2"
    return "per_person"


def season_months(start_month: int, count: int) -> set[int]:
    """Calendar months of the heating season: ``count`` months from ``start_month``."""
    return {(start_month - 1 + k) % 12 + 1 for k in range(count)}


@dataclass
class LineMeta:
    account_id: int
    service_id: int
    service_code: str
    payee_id: int | None
    rate: int | None  # the rate of the last segment (provenance)
    norm: int | None
    persons: int
    area: int
    average_months: int
    segments: int
    zones: int = 1


META_FIELDS = (
    "account_id",
    "service_id",
    "payee_id",
    "rate",
    "norm",
    "persons",
    "area",
    "average_months",
    "segments",
    "zones",
)
"""Provenance per line, as int64 arrays (−1: none for payee, rate and norm)."""


@dataclass
class Batch:
    month: Month
    lines: core.Lines
    parts: core.Parts
    segments: core.Segments
    benefits: core.Benefits
    meta: dict[str, Any]
    account_ids: list[int]
    settings: core.Settings = field(default_factory=core.Settings)
    # line index → why some of its days are not charged (capital-repair exemptions,
    # `raschet.billing.exemptions`); the derivation and the recalculation reason show it
    notes: dict[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.lines.rule)


ZONE_ORDER = [z.value for z in Zone]


def first_zone(zones: dict[str, Any]) -> str:
    """The zone whose tariff a single-rate charge uses: single, else the first by
    `Zone` order (day before night)."""
    if not zones:
        return Zone.SINGLE
    return min(zones, key=lambda z: ZONE_ORDER.index(z) if z in ZONE_ORDER else 99)


def averaged_by_zone(
    total: npt.NDArray[np.int64], weights: npt.NDArray[np.int64], fallback: npt.NDArray[np.int64]
) -> Any:
    """Σ averaged volumes posted for a line (``total``, per line) split over its meter's
    zones (columns in `ZONE_ORDER`), so each zone's catch-up is ``(R_new,z − R_last,z) −
    Σ V_avg,z`` at the zone's own tariff (rules.md §1.2 multi-rate meters, §14).

    A posted line keeps one volume, the sum of its zones; each averaged month billed every
    zone its own average of the same base (no reading came in between), so the sum is split
    by the base's per-zone averages (``weights``), with cumulative rounding — the zones add
    up to ``total`` exactly and each is within 1e-6 of the unit of what its months billed.
    A line without weights (no base any more) keeps everything on its ``fallback`` column,
    the meter's first zone (day, peak), as a single-rate meter would. Both snapshot paths
    call this, so they split alike.
    """
    n, z = weights.shape
    w = np.maximum(weights, 0).astype(np.int64)
    w_sum = w.sum(axis=1)
    first = (np.arange(z)[None, :] == np.asarray(fallback)[:, None]).astype(np.int64)
    w = np.where((w_sum == 0)[:, None], first, w)
    group = np.repeat(np.arange(n, dtype=np.int64), z)
    parts = prorate_cumulative(
        np.asarray(total, dtype=np.int64), w.reshape(-1), group, w.sum(axis=1)
    )
    return parts.reshape(n, z)


def _in_force(rows: list[Any], day: date) -> Any | None:
    for row in rows:
        if row.valid_from <= day and (row.valid_to is None or row.valid_to > day):
            return row
    return None


def _cuts(rows: list[Any], start: date, end: date) -> set[date]:
    out: set[date] = set()
    for row in rows:
        for d in (row.valid_from, row.valid_to):
            if d is not None and start < d < end:
                out.add(d)
    return out


@dataclass
class LineActs:
    """What the month's confirmed acts give one line (rules.md §1.8, §2.1)."""

    quality_units: int = 0
    cold_hours: int = 0
    maintenance_hours: int = 0  # within the yearly allowance
    upkeep_days: int = 0
    overcharge: int = 0  # kopecks

    def __bool__(self) -> bool:
        return any(
            (
                self.quality_units,
                self.cold_hours,
                self.maintenance_hours,
                self.upkeep_days,
                self.overcharge,
            )
        )


@dataclass
class ActFacts:
    """The confirmed acts of a month for a batch of buildings, summed per
    ``(building, account or None for the whole building, service)``; shared by both
    loaders, so both give every line the same figures."""

    units: dict[tuple[int, int | None, int], int] = field(default_factory=dict)
    interruptions: dict[tuple[int, int | None, int], list[core.InterruptionAct]] = field(
        default_factory=dict
    )
    service_codes: dict[int, str] = field(default_factory=dict)
    two_sources: dict[int, bool] = field(default_factory=dict)  # per building
    cold_hours: dict[tuple[int, int | None, int], int] = field(default_factory=dict)
    upkeep_days: dict[tuple[int, int | None, int], int] = field(default_factory=dict)
    overcharge: dict[tuple[int, int | None, int], int] = field(default_factory=dict)
    maintenance: dict[tuple[int, int | None, int], int] = field(default_factory=dict)
    maintenance_before: dict[tuple[int, int | None, int], int] = field(default_factory=dict)

    def pairs(self) -> set[tuple[int, int]]:
        """(building, service) pairs with any act: only their lines need `for_line`."""
        out = set()
        for table in (self.units, self.cold_hours, self.upkeep_days, self.overcharge):
            out |= {(b, sv) for b, _, sv in table}
        out |= {(b, sv) for b, _, sv in self.interruptions}
        out |= {(b, sv) for b, _, sv in self.maintenance}
        return out

    def for_line(self, building: int, account: int, service: int) -> LineActs:
        """The acts of the building and of the account, added up. Interruption acts are
        pooled, not added: the limits of Приложение 1 are the month's, so all interruptions
        of the line's month — the account's acts and the building's — are checked together
        (`raschet.core.billing.interruption_pools`, rules.md §14). Temperature acts add up
        (their reduction is per hour already). The ГВС maintenance outage is split against
        the yearly allowance of 14 days counted over the year's earlier acts of the building
        and of the account (ПП 354 Приложение 1 п.4): hours beyond it are an interruption
        (0.15 % per hour), all of them beyond a limit, so they are not pooled."""
        keys = ((building, None, service), (building, account, service))

        def total(table: dict[tuple[int, int | None, int], int]) -> int:
            return sum(table.get(k, 0) for k in keys)

        within, beyond = core.maintenance_split(
            total(self.maintenance_before), total(self.maintenance)
        )
        units = total(self.units)
        pooled = [act for k in keys for act in self.interruptions.get(k, [])]
        if pooled:
            units += core.pooled_interruption_units(
                self.service_codes[service], pooled, two_sources=self.two_sources[building]
            )
        if beyond:
            units += core.quality_units("maintenance", "hot_water", events_hours=[], hours=beyond)
        return LineActs(
            quality_units=units,
            cold_hours=total(self.cold_hours),
            maintenance_hours=within,
            upkeep_days=total(self.upkeep_days),
            overcharge=total(self.overcharge),
        )


def load_acts(building_ids: list[int], month: Month) -> ActFacts:
    """Confirmed acts of ``month`` (and the year's earlier ГВС maintenance outages) for the
    buildings. Drafts and rejected acts never count."""
    out = ActFacts()
    acts = QualityAct.objects.filter(
        building_id__in=building_ids,
        period__gte=month.start.replace(month=1),
        period__lte=month.start,
        state=ActState.CONFIRMED,
    ).select_related("service", "building")
    for qa in acts:
        key = (qa.building_id, qa.account_id, qa.service_id)
        if qa.kind == QualityKind.MAINTENANCE:
            table = out.maintenance if qa.period == month.start else out.maintenance_before
            table[key] = table.get(key, 0) + qa.hours
            continue
        if qa.period != month.start:
            continue
        if qa.kind == QualityKind.BELOW_40:
            out.cold_hours[key] = out.cold_hours.get(key, 0) + qa.hours
        elif qa.kind == QualityKind.UPKEEP_DAYS:
            out.upkeep_days[key] = out.upkeep_days.get(key, 0) + qa.days
        elif qa.kind == QualityKind.FINE:
            out.overcharge[key] = out.overcharge.get(key, 0) + to_scaled(qa.overcharge, 100)
        else:
            try:
                # the act alone is checked so that a bad one is named; interruptions are
                # pooled per line in `for_line`
                units = qa.units()
            except ValueError as exc:  # entered before `QualityAct.clean` refused such acts
                raise FactsError(
                    f"акт качества {qa.act_number or qa.pk} ({qa.service.name}, "
                    f"{qa.period:%m.%Y}) не может быть учтён: {exc}"
                ) from exc
            if qa.kind == QualityKind.INTERRUPTION:
                out.interruptions.setdefault(key, []).append(qa.interruption())
                out.service_codes[qa.service_id] = qa.service.code
                out.two_sources[qa.building_id] = bool(qa.building.electricity_two_sources)
            else:
                out.units[key] = out.units.get(key, 0) + units
    return out


@dataclass
class HeatMeters:
    """Heat meters of the premises (формула 3(3)): the month's volume per premises, and per
    building Σ of them when every premises of the building has one (otherwise absent).

    For heating paid evenly (формула 3(4), ПП 354 п.42(1)) the same of the previous calendar
    year: a premises' volume of the year when it has a reading for all twelve months, and
    per building Σ of them when every premises of the building has."""

    premises: dict[int, int] = field(default_factory=dict)
    buildings: dict[int, int] = field(default_factory=dict)
    # ПП 354 п.59, п.60: premises taken at an average or the norm instead of a reading
    substitutes: dict[int, Substitute] = field(default_factory=dict)
    # rules.md §14: Σ heat volumes a premises read this month was charged at its п.59
    # average since its last accepted reading, taken off its reading's volume (formula
    # 3(3)); ``buildings`` sums the volumes less these — what each premises is charged
    catch_up: dict[int, int] = field(default_factory=dict)
    buildings_catch_up: dict[int, int] = field(default_factory=dict)
    premises_last_year: dict[int, int] = field(default_factory=dict)
    buildings_last_year: dict[int, int] = field(default_factory=dict)


def heated_individually(premises: Premises, month: Month) -> bool:
    """Whether the premises is heated by its own installation in the month (rules.md §1.5,
    last row): from the first whole month on or after ``individual_heating_from`` — a month
    in which the change happens is still heated from the building's system (the project's
    default; a conversion is a project carried out over days, ПП 354 п.40)."""
    since = premises.individual_heating_from
    return since is not None and since <= month.start


def load_heat_meters(
    building_ids: list[int],
    month: Month,
    settings: core.Settings | None = None,
    season_start: int = 10,
) -> HeatMeters:
    """The month's heat-meter volumes (VOLUME_SCALE) of the buildings' premises: a premises
    counts as metered when a heating meter of it has a current regular reading for the
    month; in a building heated in season, a premises whose meter has none is taken at the
    average of the heating-season months or, after the п.59 limits, at the norm
    (`raschet.billing.heat_meters`). Shared by both loaders."""
    out = HeatMeters()
    rows = (
        Reading.objects.filter(
            meter__premises__building_id__in=building_ids,
            meter__service__code="heating",
            period=month.start,
            is_current=True,
            kind=ReadingKind.REGULAR,
        )
        .exclude(state="rejected")
        .exclude(meter__premises__individual_heating_from__lte=month.start)
        .values_list("meter__premises_id", "meter__premises__building_id", "volume")
    )
    by_building: dict[int, set[int]] = defaultdict(set)
    for premises_id, building_id, volume in rows:
        out.premises[premises_id] = out.premises.get(premises_id, 0) + to_scaled(
            volume, VOLUME_SCALE
        )
        by_building[building_id].add(premises_id)
    # rules.md §14 "Late readings after averaged months": a heat meter's reading is
    # cumulative (its volume the difference from the last accepted one), so after months
    # charged at the п.59 average the averages are taken off (`heat_catch_ups`)
    season = set(
        Building.objects.filter(pk__in=list(by_building), heating_mode="season").values_list(
            "pk", flat=True
        )
    )
    if season:
        out.catch_up = heat_catch_ups(
            premises=list(
                Premises.objects.filter(
                    pk__in=[p for b in season for p in by_building[b]]
                ).order_by("pk")
            ),
            month=month,
            settings=settings or core.Settings(),
            season_start=season_start,
        )
    # формула 3(4): the previous calendar year, for the buildings heated evenly
    year_rows = (
        Reading.objects.filter(
            meter__premises__building_id__in=building_ids,
            meter__premises__building__heating_mode="evenly",
            meter__service__code="heating",
            period__gte=date(month.year - 1, 1, 1),
            period__lt=date(month.year, 1, 1),
            is_current=True,
            kind=ReadingKind.REGULAR,
        )
        .exclude(state="rejected")
        .exclude(meter__premises__individual_heating_from__lte=month.start)
        .values_list("meter__premises_id", "meter__premises__building_id", "period", "volume")
    )
    year_volume: dict[int, int] = defaultdict(int)
    year_months: dict[int, set[date]] = defaultdict(set)
    year_building: dict[int, set[int]] = defaultdict(set)
    for premises_id, building_id, period, volume in year_rows:
        year_volume[premises_id] += to_scaled(volume, VOLUME_SCALE)
        year_months[premises_id].add(period)
        year_building[building_id].add(premises_id)
    for premises_id, months in year_months.items():
        if len(months) == 12:
            out.premises_last_year[premises_id] = year_volume[premises_id]
    if not by_building and not year_building:
        return out
    # a premises heated by its own installation (rules.md §1.5) takes no heat from the
    # building's system: formulas 3(3)/3(4) do not wait for a heat meter there
    counts: dict[int, int] = defaultdict(int)
    for bid in (
        Premises.objects.filter(building_id__in=list(set(by_building) | set(year_building)))
        .exclude(individual_heating_from__lte=month.start)
        .values_list("building_id", flat=True)
    ):
        counts[bid] += 1
    # ПП 354 п.59, п.60 (rules.md §1.4): a premises meter without a reading in a building
    # heated in season whose other premises were read — its average or its norm
    gaps = [
        bid
        for bid, metered in by_building.items()
        if len(metered) < counts[bid]
        and Building.objects.filter(pk=bid, heating_mode="season").exists()
    ]
    if gaps:
        unread = list(
            Premises.objects.filter(building_id__in=gaps)
            .exclude(individual_heating_from__lte=month.start)
            .exclude(pk__in=list(out.premises))
        )
        out.substitutes = heat_substitutes(
            premises=unread,
            read=set(out.premises),
            month=month,
            settings=settings or core.Settings(),
            season_start=season_start,
        )
        for p in unread:
            if p.pk in out.substitutes:
                by_building[p.building_id].add(p.pk)
    # ПП 354 п.42(1), формула 3(3): Σ V_ИПУ is the heat "determined by the premises' meters"
    # of the month — for a premises read after averaged months the volume it is charged this
    # month (the reading's volume less the averages, which entered Σ V_ИПУ of their months
    # already), so over the months the building's common part counts the meter's volume
    # once: the core takes ``buildings_catch_up`` off ``buildings`` (the difference may be < 0)
    for bid, metered in by_building.items():
        if len(metered) == counts[bid]:
            out.buildings[bid] = sum(
                out.premises[p] if p in out.premises else out.substitutes[p].volume for p in metered
            )
            out.buildings_catch_up[bid] = sum(out.catch_up.get(p, 0) for p in metered)
    for pid, sub in out.substitutes.items():
        out.premises.setdefault(pid, sub.volume)
    for bid, metered in year_building.items():
        whole = [p for p in metered if p in out.premises_last_year]
        if len(whole) == counts[bid]:
            out.buildings_last_year[bid] = sum(out.premises_last_year[p] for p in whole)
    return out


def cold_water_rate(
    tariffs: dict[tuple[int, int | None, str], list[Tariff]],
    services: dict[int, Service],
    building_id: int,
    month: Month,
) -> int:
    """The cold-water tariff (RATE_SCALE) the hours of hot water below 40 °C are billed at
    (ПП 354 Приложение 1 п.5): the building's own single-rate tariff, else the
    organization's, in force on the last day of the month."""
    cold = _service_by_code(services, "cold_water")
    last_day = month.end - timedelta(days=1)
    if cold is not None:
        for bid in (building_id, None):
            rows = [
                t for (sid, b, _z), ts in tariffs.items() if sid == cold.pk and b == bid for t in ts
            ]
            if not rows:
                continue
            zone = first_zone({t.zone: t for t in rows})
            tariff = _in_force([t for t in rows if t.zone == zone], last_day)
            if tariff is not None:
                return to_scaled(tariff.rate, RATE_SCALE)
    raise FactsError(
        f"нет тарифа на холодную воду на {last_day:%d.%m.%Y}: часы горячей воды ниже 40 °C "
        "оплачиваются по нему (ПП 354 Приложение 1 п.5)"
    )


@dataclass
class MonthFacts:
    """Every fact of the month for a batch of buildings, loaded with one query per table."""

    organization: Organization
    month: Month
    settings: core.Settings
    season_start: int
    social: tuple[int, int, int]
    buildings: dict[int, Building]
    accounts: list[Account]
    services: dict[int, Service]
    links: dict[int, list[AccountService]]
    tariffs: dict[tuple[int, int | None, str], list[Tariff]]
    norms: dict[tuple[int, int | None], list[Norm]]
    payees: dict[tuple[int, int], int]
    registrations: dict[int, list[Registration]]
    resident_acts: dict[int, list[TemporaryResidentAct]]
    owners: dict[int, list[Ownership]]
    meters: dict[tuple[int, int], list[Meter]]
    states: dict[int, list[MeterStateChange]]
    readings: dict[tuple[int, str], list[tuple[date, int, str]]]
    building_volume: dict[tuple[int, int], int]
    last_year: dict[tuple[int, int], int]
    absences: dict[int, list[Absence]]
    acts: ActFacts
    heat: HeatMeters
    carry: dict[tuple[int, int], int]
    benefits_by_person: dict[int, list[PersonBenefit]]
    categories: dict[int, BenefitCategory]
    averaged: dict[tuple[int, int, date], int]
    exemptions: dict[int, BuildingExemptions] = field(default_factory=dict)


def _grouped(rows: Any, key: Any) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        out[key(row)].append(row)
    return out


def load_facts(
    *,
    organization: Organization,
    month: Month,
    building_ids: list[int],
    account_ids: list[int] | None = None,
) -> MonthFacts:
    """Load the facts of ``month`` for the accounts of ``building_ids`` (or only
    ``account_ids`` of them)."""
    org_id = organization.pk
    start, end = month.start, month.end

    def during(qs: Any) -> Any:
        return qs.filter(valid_from__lt=end).exclude(valid_to__lte=start)

    account_qs = Account.objects.filter(premises__building_id__in=building_ids, opened_on__lt=end)
    if account_ids is not None:
        account_qs = account_qs.filter(pk__in=account_ids)
    accounts = list(
        account_qs.exclude(closed_on__lte=start)
        .select_related("premises")
        .order_by("premises__building_id", "pk")
    )
    account_ids = [a.pk for a in accounts]
    premises_ids = sorted({a.premises_id for a in accounts})
    registrations = _grouped(
        during(Registration.objects.filter(account_id__in=account_ids)), lambda r: r.account_id
    )
    meter_list = list(
        Meter.objects.filter(premises_id__in=premises_ids, installed_on__lt=end).exclude(
            removed_on__lte=start
        )
    )
    meter_ids = [m.pk for m in meter_list]
    readings: dict[tuple[int, str], list[tuple[date, int, str]]] = defaultdict(list)
    for mid, zone, period, volume, kind in (
        Reading.objects.filter(
            meter_id__in=meter_ids,
            is_current=True,
            period__gte=history_start(month, engine_settings(organization)),
            period__lte=start,
        )
        .exclude(state="rejected")
        .order_by("period")
        .values_list("meter_id", "zone", "period", "volume", "kind")
    ):
        readings[(mid, zone)].append((period, to_scaled(volume, VOLUME_SCALE), kind))

    building_volume: dict[tuple[int, int], int] = defaultdict(int)
    last_year: dict[tuple[int, int], int] = defaultdict(int)
    prev_year = start.year - 1
    for bid, sid, period, volume in BuildingMeterReading.objects.filter(
        building_meter__building_id__in=building_ids,
        is_current=True,
        period__gte=date(prev_year, 1, 1),
        period__lte=start,
    ).values_list("building_meter__building_id", "building_meter__service_id", "period", "volume"):
        scaled = to_scaled(volume, VOLUME_SCALE)
        if period == start:
            building_volume[(bid, sid)] += scaled
        if period.year == prev_year:
            last_year[(bid, sid)] += scaled

    person_ids = {r.person_id for rs in registrations.values() for r in rs}
    extra = organization.billing_settings or {}
    return MonthFacts(
        organization=organization,
        month=month,
        settings=engine_settings(organization),
        season_start=int(extra.get("heating_season_start_month", 10)),
        social=(
            to_scaled(organization.social_norm_single_m2, AREA_SCALE),
            to_scaled(organization.social_norm_two_m2, AREA_SCALE),
            to_scaled(organization.social_norm_per_person_m2, AREA_SCALE),
        ),
        buildings={b.pk: b for b in Building.objects.filter(pk__in=building_ids)},
        accounts=accounts,
        services={s.pk: s for s in Service.objects.filter(organization_id=org_id)},
        links=_grouped(
            during(AccountService.objects.filter(account_id__in=account_ids)),
            lambda r: r.account_id,
        ),
        tariffs=_grouped(
            during(Tariff.objects.filter(organization_id=org_id)),
            lambda t: (t.service_id, t.building_id, t.zone),
        ),
        norms=_grouped(
            during(Norm.objects.filter(organization_id=org_id)),
            lambda n: (n.service_id, n.building_id),
        ),
        payees={
            (c.building_id, c.service_id): c.payee_id
            for c in during(ServiceContract.objects.filter(building_id__in=building_ids))
        },
        registrations=registrations,
        resident_acts=_grouped(
            during(TemporaryResidentAct.objects.filter(account_id__in=account_ids)),
            lambda t: t.account_id,
        ),
        owners=_grouped(
            during(Ownership.objects.filter(premises_id__in=premises_ids)),
            lambda o: o.premises_id,
        ),
        meters=_grouped(meter_list, lambda m: (m.premises_id, m.service_id)),
        states=_grouped(
            MeterStateChange.objects.filter(meter_id__in=meter_ids, since__lt=end).order_by(
                "since", "pk"
            ),
            lambda sc: sc.meter_id,
        ),
        readings=readings,
        building_volume=dict(building_volume),
        last_year=dict(last_year),
        absences=_grouped(
            Absence.objects.filter(
                account_id__in=account_ids, left_on__lt=end, returned_on__gt=start
            ),
            lambda ab: ab.account_id,
        ),
        acts=load_acts(building_ids, month),
        heat=load_heat_meters(
            building_ids,
            month,
            engine_settings(organization),
            int(extra.get("heating_season_start_month", 10)),
        ),
        carry=_carry(organization, building_ids, month),
        benefits_by_person=_grouped(
            during(PersonBenefit.objects.filter(person_id__in=person_ids)),
            lambda pb: pb.person_id,
        ),
        categories={c.pk: c for c in BenefitCategory.objects.filter(organization_id=org_id)},
        averaged=_posted_averages(org_id, account_ids, month),
        exemptions=load_exemptions(org_id, building_ids, month),
    )


def _carry(organization: Organization, building_ids: list[int], month: Month) -> Any:
    from raschet.billing.common_carry import load_common_carry

    return load_common_carry(organization, building_ids, month)


def load_batch_general(
    *,
    organization: Organization,
    month: Month,
    building_ids: list[int],
    account_ids: list[int] | None = None,
) -> Batch:
    """The general (object-by-object) path for any account, however complex its month."""
    facts = load_facts(
        organization=organization, month=month, building_ids=building_ids, account_ids=account_ids
    )
    builder = _Builder(facts)
    for account in facts.accounts:
        builder.add_account(account)
    return builder.batch()


def load_batch(
    *, organization: Organization, month: Month, building_ids: list[int], fast: bool = True
) -> Batch:
    """The core's arrays for ``month`` and the accounts of ``building_ids``.

    Plain accounts go through the vectorised path (`raschet.billing.snapshot_fast`), the
    rest through the general builder; ``fast=False`` sends every account the general way.
    """
    if not fast:
        return load_batch_general(organization=organization, month=month, building_ids=building_ids)
    from raschet.billing.snapshot_fast import FastLoader

    quick = FastLoader(organization, month, building_ids).build()
    general = (
        load_batch_general(
            organization=organization,
            month=month,
            building_ids=building_ids,
            account_ids=quick.complex_accounts,
        )
        if quick.complex_accounts
        else None
    )
    first = Batch(
        month=month,
        lines=quick.lines,
        parts=quick.parts,
        segments=quick.segments,
        benefits=quick.benefits,
        meta=quick.meta,
        account_ids=sorted(set(quick.meta["account_id"].tolist())),
        settings=engine_settings(organization),
    )
    if general is None:
        return first
    return concat(first, general)


def concat(a: Batch, b: Batch) -> Batch:
    """One batch of the lines of two (indexes of ``b`` shifted past ``a``)."""
    n_lines, n_parts = len(a.lines.rule), len(a.parts.line)

    def cat(x: Any, y: Any, shift: int = 0) -> Any:
        return np.concatenate([x, y + shift]) if shift else np.concatenate([x, y])

    lines = core.Lines(
        **{
            name: cat(getattr(a.lines, name), getattr(b.lines, name))
            for name in core.Lines.__dataclass_fields__
            if name not in ("own_heating", "heat_meter_catch_up", "heat_meters_catch_up_total")
        },
        own_heating=cat(a.lines.own_heating_flags, b.lines.own_heating_flags),
        heat_meter_catch_up=cat(a.lines.heat_catch_up, b.lines.heat_catch_up),
        heat_meters_catch_up_total=cat(a.lines.heat_catch_up_total, b.lines.heat_catch_up_total),
    )
    role_a = a.parts.role if a.parts.role is not None else np.zeros(n_parts, dtype=np.int8)
    role_b = (
        b.parts.role if b.parts.role is not None else np.zeros(len(b.parts.line), dtype=np.int8)
    )
    parts = core.Parts(
        line=cat(a.parts.line, b.parts.line, n_lines),
        meter_volume=cat(a.parts.meter_volume, b.parts.meter_volume),
        average_volume=cat(a.parts.average_volume, b.parts.average_volume),
        role=cat(role_a, role_b),
    )
    segments = core.Segments(
        part=cat(a.segments.part, b.segments.part, n_parts),
        days=cat(a.segments.days, b.segments.days),
        rate=cat(a.segments.rate, b.segments.rate),
        norm=cat(a.segments.norm, b.segments.norm),
        persons=cat(a.segments.persons, b.segments.persons),
    )
    benefits = core.Benefits(
        line=cat(a.benefits.line, b.benefits.line, n_lines),
        covered=cat(a.benefits.covered, b.benefits.covered),
        percent=cat(a.benefits.percent, b.benefits.percent),
        base=cat(a.benefits.base, b.benefits.base),
        social_norm_area=cat(a.benefits.social_norm_area, b.benefits.social_norm_area),
        norm=cat(a.benefits.norm, b.benefits.norm),
        cash=cat(a.benefits.cash_flags, b.benefits.cash_flags),
    )
    return Batch(
        month=a.month,
        lines=lines,
        parts=parts,
        segments=segments,
        benefits=benefits,
        meta={k: cat(a.meta[k], b.meta[k]) for k in META_FIELDS},
        account_ids=sorted(set(a.account_ids) | set(b.account_ids)),
        settings=a.settings,
        notes={**a.notes, **{k + n_lines: text for k, text in b.notes.items()}},
    )


@dataclass
class MeterInputs:
    condition: core.MeterCondition = core.MeterCondition.NONE
    spell: int = 0
    reading_present: bool = False
    average_months: int = 0
    zones: list[str] = field(default_factory=lambda: [Zone.SINGLE])
    volumes: dict[str, int] = field(default_factory=dict)
    averages: dict[str, int] = field(default_factory=dict)
    # rules.md §14: Σ volumes billed by average since the last accepted reading, per zone
    # (this account's own lines: already its share of a shared premises)
    averaged: dict[str, int] = field(default_factory=dict)
    # provenance for the derivation only (`raschet.billing.derivation`): the month the last
    # accepted reading is of, and Σ averaged volumes taken off this month's readings
    last_reading: date | None = None
    averaged_taken: int = 0


class _Builder:
    """Turns the month's facts into rows of lines, parts, segments and benefits."""

    def __init__(self, facts: MonthFacts) -> None:
        self.f = facts
        self.L: dict[str, list[int]] = defaultdict(list)
        self.P: dict[str, list[int]] = defaultdict(list)
        self.S: dict[str, list[int]] = defaultdict(list)
        self.B: dict[str, list[int]] = defaultdict(list)
        self.meta: list[LineMeta] = []
        self.notes: dict[int, str] = {}
        self._persons: dict[tuple[int, date], int] = {}
        self._zones: dict[tuple[int, int], dict[str, list[Tariff]]] = {}
        self._norm_rows: dict[tuple[Any, ...], Norm | None] = {}

    # -- residents (ПП 354 п.56(1), 56(2))
    def persons_on(self, account: Account, day: date) -> int:
        key = (account.pk, day)
        if key not in self._persons:
            self._persons[key] = self._count_persons(account, day)
        return self._persons[key]

    def _count_persons(self, account: Account, day: date) -> int:
        f = self.f
        regs = f.registrations.get(account.pk, [])
        n = len({r.person_id for r in regs if _in_force([r], day)})
        n += sum(t.persons for t in f.resident_acts.get(account.pk, []) if _in_force([t], day))
        if n == 0:
            owners = f.owners.get(account.premises_id, [])
            n = len({o.person_id for o in owners if _in_force([o], day)})
        return n

    def absent_person_days(self, account: Account, a_start: date, a_end: date) -> int:
        """Σ persons × absent days inside the month: more than 5 full days in a row, the days
        of departure and return not counted (ПП 354 п.90; rules.md §1.7)."""
        total = 0
        for ab in self.f.absences.get(account.pk, []):
            away_from = ab.left_on.toordinal() + 1
            away_to = ab.returned_on.toordinal()  # exclusive: the return day does not count
            if away_to - away_from <= 5:
                continue
            inside = min(away_to, a_end.toordinal()) - max(away_from, a_start.toordinal())
            total += max(0, inside) * ab.persons
        return total

    def add_account(self, account: Account) -> None:
        f = self.f
        month = f.month
        a_start = max(month.start, account.opened_on)
        a_end = min(month.end, account.closed_on) if account.closed_on else month.end
        if a_end <= a_start:
            return
        by_service = _grouped(f.links.get(account.pk, []), lambda r: r.service_id)
        for service_id, links in sorted(by_service.items()):
            self.add_line(account, service_id, links, a_start, a_end)

    def zone_tariffs(self, service_id: int, building_id: int) -> dict[str, list[Tariff]]:
        key = (service_id, building_id)
        if key not in self._zones:
            self._zones[key] = self._zone_tariffs(service_id, building_id)
        return self._zones[key]

    def _zone_tariffs(self, service_id: int, building_id: int) -> dict[str, list[Tariff]]:
        out: dict[str, list[Tariff]] = {}
        for (sid, bid, zone), rows in self.f.tariffs.items():
            if sid != service_id or bid not in (None, building_id):
                continue
            if bid is None and (service_id, building_id, zone) in self.f.tariffs:
                continue  # the building's own tariff overrides the organization's
            out[zone] = sorted(rows, key=lambda t: t.valid_from)
        return out

    def meter_share(self, account: Account) -> tuple[int, int]:
        """The account's share of its premises' meters when several accounts share them:
        by residents in a communal flat (ПП 354 формула 7), else by the accounts' areas
        (owners billed separately by share); ``(1, 1)`` for a premises of one account."""
        sharing = [a for a in self.f.accounts if a.premises_id == account.premises_id]
        if len(sharing) < 2:
            return 1, 1
        last = self.f.month.end - timedelta(days=1)
        if account.premises.is_communal_flat:
            persons = {a.pk: self.persons_on(a, last) for a in sharing}
            if sum(persons.values()) > 0:
                return persons[account.pk], sum(persons.values())
        areas = {a.pk: to_scaled(a.area_m2, AREA_SCALE) for a in sharing}
        if all(areas.values()):
            return areas[account.pk], sum(areas.values())
        return 1, len(sharing)

    def heat_share(self, account: Account, volume: int) -> int:
        """The account's part of its premises' heat-meter volume: the whole, or shared by the
        accounts' charged areas when several accounts share the premises."""
        sharing = [a for a in self.f.accounts if a.premises_id == account.premises_id]
        if len(sharing) < 2:
            return volume
        areas = {a.pk: to_scaled(a.charged_area_m2, AREA_SCALE) for a in sharing}
        return round_half_up_int(volume * areas[account.pk], sum(areas.values()))

    def heating_area(self, account: Account, area: int) -> tuple[int, int]:
        """The area heating is charged on, as ``num / den`` in 1e-2 m²: the account's own,
        or in a communal flat the flat's total area × the room's living area / the living
        areas of the flat's rooms (ПП 354 формула 8) — when every account of the flat open in
        the month has its room's living area."""
        premises = account.premises
        if not premises.is_communal_flat:
            return area, 1
        rooms = [a for a in self.f.accounts if a.premises_id == account.premises_id]
        if len(rooms) < 2 or any(a.living_area_m2 is None for a in rooms):
            return area, 1
        living = sum(to_scaled(a.living_area_m2, AREA_SCALE) for a in rooms)
        flat = to_scaled(premises.area_total_m2, AREA_SCALE)
        return flat * to_scaled(account.living_area_m2, AREA_SCALE), living

    def meter_inputs(self, premises_id: int, service_id: int, account_id: int) -> MeterInputs:
        """Condition, readings and average of the premises' meters for the month."""
        f = self.f
        start = f.month.start
        installed = f.meters.get((premises_id, service_id), [])
        out = MeterInputs()
        if not installed:
            return out
        out.condition, since = _condition(installed, f.states, f.month.end)
        out.zones = list(ZONES_BY_COUNT[max(m.zones for m in installed)])
        out.volumes = defaultdict(int)
        history: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        last_reading: date | None = None
        seen: set[date] = set()  # months with any reading before this one, initial included
        for m in installed:
            for z in out.zones:
                for period, vol, kind in f.readings.get((m.pk, z), []):
                    if period < start:
                        seen.add(period)
                    if kind == ReadingKind.INITIAL:
                        last_reading = max(last_reading or period, period)
                    elif period == start:
                        out.reading_present = True
                        out.volumes[z] += vol
                    elif period < start:
                        history[period][z] += vol
                        last_reading = max(last_reading or period, period)
        # The average base: the last six months with readings before the spell began
        # (rules.md §14 "Average base"); a reading after a gap covers the months since the
        # previous one.
        base_end = (
            min(start, since) if (out.condition == core.MeterCondition.BROKEN and since) else start
        )
        months_with = sorted(p for p in history if p < base_end)[-AVERAGE_BASE_MONTHS:]
        span = 0
        base_averages: dict[str, int] = {}
        if months_with:
            earlier = [p for p in seen if p < months_with[0]]
            span = _months_between(max(earlier), months_with[-1]) if earlier else len(months_with)
            for z in out.zones:
                total = sum(history[p][z] for p in months_with)
                base_averages[z] = int(
                    core.average_volume(
                        np.asarray([total], dtype=np.int64), np.asarray([span], dtype=np.int64)
                    )[0]
                )
        if not (out.reading_present and out.condition == core.MeterCondition.WORKING):
            # (charged by the reading: no average is needed or shown)
            out.average_months = span
            out.averages = base_averages
        if (out.condition == core.MeterCondition.BROKEN and since is not None) or (
            out.condition == core.MeterCondition.NO_ACCESS and since is not None
        ):
            out.spell = _months_between(Month.of(since).start, start) + 1
        elif out.condition == core.MeterCondition.WORKING and not out.reading_present:
            ref = last_reading or Month.of(min(m.installed_on for m in installed)).start
            out.spell = _months_between(ref, start)
        averaged = f.averaged.get((account_id, service_id, last_reading or start), 0)
        if out.reading_present and averaged:
            # rules.md §14: readings after averaged months — what the average billed, per
            # zone; `add_line` takes it off the (shared) metered volume
            order = sorted(out.zones, key=ZONE_ORDER.index)
            split = averaged_by_zone(
                np.asarray([averaged], dtype=np.int64),
                np.asarray([[base_averages.get(z, 0) for z in order]], dtype=np.int64),
                np.asarray([order.index(out.zones[0])], dtype=np.int64),
            )[0]
            out.averaged = {z: int(v) for z, v in zip(order, split, strict=True)}
        if out.reading_present:
            # provenance for the derivation only (`raschet.billing.derivation`)
            out.last_reading = last_reading
            out.averaged_taken = averaged
        return out

    def add_line(
        self,
        account: Account,
        service_id: int,
        links: list[AccountService],
        a_start: date,
        a_end: date,
    ) -> None:
        f = self.f
        month = f.month
        premises = account.premises
        building = f.buildings[premises.building_id]
        service = f.services[service_id]
        code = service.code
        rule = RULES.get(code, BASIS_RULES.get(service.basis, core.Rule.FIXED))
        link = links[-1]
        l_start = max(a_start, min(lk.valid_from for lk in links))
        ends = [lk.valid_to for lk in links]
        l_end = a_end if any(e is None for e in ends) else min(a_end, max(e for e in ends if e))
        if l_end <= l_start:
            return
        zones = self.zone_tariffs(service_id, premises.building_id)
        norm_rows = f.norms.get((service_id, premises.building_id)) or f.norms.get(
            (service_id, None), []
        )
        cuts = {l_start, l_end}
        for rows in zones.values():
            cuts |= _cuts(rows, l_start, l_end)
        cuts |= _cuts(norm_rows, l_start, l_end)
        cuts |= _cuts(f.registrations.get(account.pk, []), l_start, l_end)
        cuts |= _cuts(f.resident_acts.get(account.pk, []), l_start, l_end)
        # capital-repair exemptions (rules.md §2.2): their days are left out like the days
        # outside the account's opening, the rest charged by days
        exempt = f.exemptions.get(building.pk)
        if exempt is not None and not exempt.applies_to(service_id):
            exempt = None
        if exempt is not None:
            cuts |= exempt.cuts(l_start, l_end)
        exempt_days: dict[ExemptPeriod, int] = defaultdict(int)
        bounds = sorted(cuts)

        configured = link.method == "meter"
        inputs = MeterInputs()
        if configured and rule == core.Rule.VOLUME:
            inputs = self.meter_inputs(premises.pk, service_id, account.pk)
            num, den = self.meter_share(account)
            if den and num != den:
                for values in (inputs.volumes, inputs.averages):
                    for z in list(values):
                        values[z] = round_half_up_int(values[z] * num, den)  # half-up
            # rules.md §14 catch-up: the premises' volume since the last accepted reading ×
            # the share (формула 7) − Σ this account's own averaged volumes, zone by zone
            for z, v in inputs.averaged.items():
                inputs.volumes[z] = inputs.volumes.get(z, 0) - v
        if len(inputs.zones) > 1:
            single = Zone.SINGLE if Zone.SINGLE in zones else inputs.zones[0]
            specs = [(z, core.PartRole.METER_ONLY) for z in inputs.zones]
            specs.append((single, core.PartRole.NORM_ONLY))
        else:
            specs = [(first_zone(zones), core.PartRole.BOTH)]

        norm_basis = norm_basis_of(rule, norm_rows)
        line_no = len(self.meta)
        last_rate: int | None = None
        last_norm: int | None = None
        last_persons = 0
        n_segments = 0
        first_part = len(self.P["line"])
        for zone, role in specs:
            zone_rows = zones.get(zone)
            if zone_rows is None:
                raise FactsError(
                    f"ЛС {account.number}: нет тарифа на услугу «{service.name}» в {month}"
                )
            part_no = len(self.P["line"])
            self.P["line"].append(line_no)
            # a single part reads the meter's own zone, whatever the tariff zone is
            meter_zone = zone if role == core.PartRole.METER_ONLY else inputs.zones[0]
            self.P["meter_volume"].append(
                0 if role == core.PartRole.NORM_ONLY else inputs.volumes.get(meter_zone, 0)
            )
            self.P["average_volume"].append(
                0 if role == core.PartRole.NORM_ONLY else inputs.averages.get(meter_zone, 0)
            )
            self.P["role"].append(int(role))
            for seg_start, seg_end in pairwise(bounds):
                free = exempt.period_on(seg_start) if exempt is not None else None
                if free is not None:
                    if part_no == first_part:
                        exempt_days[free] += (seg_end - seg_start).days
                    continue
                tariff = _in_force(zone_rows, seg_start)
                if tariff is None:
                    raise FactsError(
                        f"ЛС {account.number}: нет тарифа на услугу «{service.name}» "
                        f"на {seg_start:%d.%m.%Y}"
                    )
                persons = self.persons_on(account, seg_start)
                norm_key = (id(norm_rows), norm_basis, premises.rooms, persons, seg_start)
                if norm_key not in self._norm_rows:
                    self._norm_rows[norm_key] = norm_for(
                        [x for x in norm_rows if _in_force([x], seg_start)],
                        basis=norm_basis,
                        rooms=premises.rooms,
                        residents=persons,
                    )
                norm_row = self._norm_rows[norm_key]
                last_rate = to_scaled(tariff.rate, RATE_SCALE)
                last_norm = to_scaled(norm_row.value, NORM_SCALE) if norm_row else None
                last_persons = persons
                self.S["part"].append(part_no)
                self.S["days"].append((seg_end - seg_start).days)
                self.S["rate"].append(last_rate)
                self.S["norm"].append(last_norm or 0)
                self.S["persons"].append(persons)
                if part_no == first_part:
                    n_segments += 1  # sub-periods of the month, not parts × sub-periods

        area_value = account.area_m2 if account.area_m2 is not None else premises.area_total_m2
        area = to_scaled(area_value, AREA_SCALE)
        residents = self.persons_on(account, l_end - timedelta(days=1))
        meter_key = service_id
        if rule == core.Rule.COMMON and (building.pk, service_id) not in f.building_volume:
            resource = _service_by_code(f.services, service.resource)
            meter_key = resource.pk if resource is not None else service_id
        has_volume = rule in (core.Rule.HEATING, core.Rule.COMMON)
        L = self.L
        L["account"].append(account.pk)
        L["rule"].append(int(rule))
        L["residential"].append(premises.kind == PremisesKind.RESIDENTIAL)
        L["configured_meter"].append(configured)
        # a service no meter can measure (solid waste) is "without a meter because none can
        # be installed": its norm charge is recalculated for absence (п.148(44))
        L["meter_possible"].append(link.meter_possible and service.metered)
        L["coefficient_service"].append(code in COEFFICIENT_SERVICES)
        L["condition"].append(int(inputs.condition))
        L["reading_present"].append(inputs.reading_present)
        L["spell_months"].append(inputs.spell)
        L["average_months"].append(inputs.average_months)
        L["area"].append(area)
        L["residents"].append(residents)
        L["days_in_month"].append(month.days)
        L["resource"].append(int(RESOURCES.get(service.resource or code, core.Resource.OTHER)))
        L["building"].append(building.pk)
        L["building_area"].append(to_scaled(building.area_total_m2, AREA_SCALE))
        L["building_common_area"].append(to_scaled(building.area_common_m2, AREA_SCALE))
        L["building_volume"].append(
            f.building_volume.get((building.pk, meter_key), -1) if has_volume else -1
        )
        L["building_volume_last_year"].append(
            f.last_year.get((building.pk, service_id), -1) if rule == core.Rule.HEATING else -1
        )
        L["heating_mode"].append(
            int(
                {"season": core.HeatingMode.SEASON, "evenly": core.HeatingMode.EVENLY}.get(
                    building.heating_mode, core.HeatingMode.NONE
                )
            )
        )
        L["heating_in_season"].append(
            month.month in season_months(f.season_start, building.heating_season_months or 0)
        )
        L["heating_season_months"].append(building.heating_season_months or 0)
        L["common_mode"].append(
            int(
                core.CommonMode.ACTUAL
                if building.common_property_mode == "actual"
                else core.CommonMode.NORM_CAP
            )
        )
        L["absence_service"].append(code in ABSENCE_SERVICES)
        L["absence_person_days"].append(self.absent_person_days(account, a_start, a_end))
        acts = f.acts.for_line(building.pk, account.pk, service_id)
        L["quality_units"].append(acts.quality_units)
        L["cold_hours"].append(acts.cold_hours)
        L["cold_rate"].append(
            cold_water_rate(f.tariffs, f.services, building.pk, month) if acts.cold_hours else 0
        )
        L["maintenance_hours"].append(acts.maintenance_hours)
        L["upkeep_days"].append(acts.upkeep_days)
        L["overcharge"].append(acts.overcharge)
        L["norm_by_area"].append(
            norm_basis == "per_m2" and rule in (core.Rule.VOLUME, core.Rule.WASTEWATER)
        )
        h_num, h_den = self.heating_area(account, area) if rule == core.Rule.HEATING else (area, 1)
        L["heating_area_num"].append(h_num)
        L["heating_area_den"].append(h_den)
        own_heat, heat_total = -1, f.heat.buildings.get(building.pk, -1)
        heat_catch_up = 0
        if rule == core.Rule.HEATING and heat_total >= 0:
            own_heat = self.heat_share(account, f.heat.premises.get(premises.pk, 0))
            # rules.md §14: the averages the account's share of the premises was charged
            heat_catch_up = self.heat_share(account, f.heat.catch_up.get(premises.pk, 0))
        L["heat_meter_volume"].append(own_heat)
        L["heat_meter_catch_up"].append(heat_catch_up)
        substitute = f.heat.substitutes.get(premises.pk)
        if own_heat >= 0 and substitute is not None:
            self.notes[line_no] = explain.heat_substitute_note(
                int(substitute.basis), substitute.base_months
            )
        elif own_heat >= 0 and heat_catch_up:
            self.notes[line_no] = explain.heat_catch_up_note(own_heat, heat_catch_up)
        L["heat_meters_total"].append(heat_total if rule == core.Rule.HEATING else -1)
        L["heat_meters_catch_up_total"].append(
            f.heat.buildings_catch_up.get(building.pk, 0) if own_heat >= 0 else 0
        )
        own_year, year_total = -1, f.heat.buildings_last_year.get(building.pk, -1)
        if rule != core.Rule.HEATING:
            year_total = -1
        elif year_total >= 0:
            own_year = self.heat_share(account, f.heat.premises_last_year.get(premises.pk, 0))
        L["heat_meter_volume_last_year"].append(own_year)
        L["heat_meters_total_last_year"].append(year_total)
        L["common_carry"].append(
            f.carry.get((building.pk, service_id), 0) if rule == core.Rule.COMMON else 0
        )
        L["own_heating"].append(rule == core.Rule.HEATING and heated_individually(premises, month))
        if h_den != 1:
            area = round_half_up_int(h_num, h_den)  # provenance: the area heating is charged on
        self.add_benefits(account, line_no, code, l_end, residents, last_norm)
        if exempt_days:
            self.notes[line_no] = note(exempt_days)
        self.meta.append(
            LineMeta(
                account_id=account.pk,
                service_id=service_id,
                service_code=code,
                payee_id=f.payees.get((premises.building_id, service_id)),
                rate=last_rate,
                norm=last_norm,
                persons=last_persons,
                area=area,
                average_months=inputs.average_months,
                segments=n_segments,
                zones=len(inputs.zones),
            )
        )

    def add_benefits(
        self,
        account: Account,
        line_no: int,
        code: str,
        l_end: date,
        residents: int,
        norm: int | None,
    ) -> None:
        """Benefits of the persons registered on the line's last day (rules.md §4.2)."""
        f = self.f
        last_day = l_end - timedelta(days=1)
        by_category: dict[int, int] = defaultdict(int)
        for r in f.registrations.get(account.pk, []):
            if not _in_force([r], last_day):
                continue
            for pb in f.benefits_by_person.get(r.person_id, []):
                if _in_force([pb], last_day):
                    by_category[pb.category_id] += 1
        for cat_id, count in sorted(by_category.items()):
            cat = f.categories[cat_id]
            base = (cat.service_bases or {}).get(code)
            if not base:
                continue
            self.B["line"].append(line_no)
            self.B["covered"].append(residents if cat.covers == "family" else count)
            self.B["percent"].append(to_scaled(cat.percent, PERCENT_SCALE))
            self.B["base"].append(int(BENEFIT_BASES[base]))
            self.B["social_norm_area"].append(core.social_norm_area(residents, *f.social))
            self.B["norm"].append(norm or 0)
            self.B["cash"].append(int(cat.is_cash))
            self.B["category"].append(cat_id)  # provenance: the derivation names it

    def batch(self) -> Batch:
        def arr(d: dict[str, list[int]], key: str, dtype: Any = np.int64) -> Any:
            return np.asarray(d.get(key, []), dtype=dtype)

        L, P, S, B = self.L, self.P, self.S, self.B
        bool_keys = {
            "residential",
            "configured_meter",
            "meter_possible",
            "coefficient_service",
            "reading_present",
            "heating_in_season",
            "absence_service",
            "norm_by_area",
            "own_heating",
        }
        int8_keys = {"rule", "condition", "resource", "heating_mode", "common_mode"}
        line_kwargs = {
            name: arr(
                L,
                name,
                np.bool_ if name in bool_keys else np.int8 if name in int8_keys else np.int64,
            )
            for name in core.Lines.__dataclass_fields__
        }
        return Batch(
            month=self.f.month,
            lines=core.Lines(**line_kwargs),
            parts=core.Parts(
                line=arr(P, "line"),
                meter_volume=arr(P, "meter_volume"),
                average_volume=arr(P, "average_volume"),
                role=arr(P, "role", np.int8),
            ),
            segments=core.Segments(
                part=arr(S, "part"),
                days=arr(S, "days"),
                rate=arr(S, "rate"),
                norm=arr(S, "norm"),
                persons=arr(S, "persons"),
            ),
            benefits=core.Benefits(
                line=arr(B, "line"),
                covered=arr(B, "covered"),
                percent=arr(B, "percent"),
                base=arr(B, "base", np.int8),
                social_norm_area=arr(B, "social_norm_area"),
                norm=arr(B, "norm"),
                cash=arr(B, "cash", np.bool_),
            ),
            meta={
                name: np.asarray(
                    [-1 if getattr(m, name) is None else int(getattr(m, name)) for m in self.meta],
                    dtype=np.int64,
                )
                for name in META_FIELDS
            },
            account_ids=[a.pk for a in self.f.accounts],
            settings=self.f.settings,
            notes=dict(self.notes),
        )


BENEFIT_BASES = {
    "per_person_share": core.BenefitBase.PER_PERSON_SHARE,
    "social_norm_area": core.BenefitBase.SOCIAL_NORM_AREA,
    "consumption_norm": core.BenefitBase.CONSUMPTION_NORM,
}


def _service_by_code(services: dict[int, Service], code: str) -> Service | None:
    for s in services.values():
        if s.code == code:
            return s
    return None


def _months_between(earlier: date | None, later: date) -> int:
    if earlier is None:
        return 0
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _condition(
    installed: list[Meter], states: dict[int, list[MeterStateChange]], end: date
) -> tuple[core.MeterCondition, date | None]:
    """Condition of the premises' meters at the end of the month, and since when."""
    worst = core.MeterCondition.WORKING
    since: date | None = None
    last_day = end.fromordinal(end.toordinal() - 1)
    for m in installed:
        state: str = MeterState.WORKING
        st_since: date | None = None
        for sc in states[m.pk]:
            if sc.since <= last_day:
                state, st_since = sc.state, sc.since
        due = m.verification_due
        if due is not None and due <= last_day and state == MeterState.WORKING:
            state, st_since = MeterState.VERIFICATION_EXPIRED, m.verification_due
        if state in (MeterState.BROKEN, MeterState.VERIFICATION_EXPIRED):
            worst, since = core.MeterCondition.BROKEN, st_since
        elif state == MeterState.NO_ACCESS and worst == core.MeterCondition.WORKING:
            worst, since = core.MeterCondition.NO_ACCESS, st_since
    return worst, since


def _posted_averages(
    org_id: int, account_ids: list[int], month: Month
) -> dict[tuple[int, int, date], int]:
    """Σ averaged volumes posted for months after each possible last-reading month.

    Keyed by (account, service, last reading month): the volume billed by average for the
    months after it and before ``month`` (rules.md §14 "Late readings after averaged
    months"). Built as a running sum over the posted lines.
    """
    posted = BillingRun.objects.filter(organization_id=org_id, state=RunState.POSTED).values_list(
        "pk", flat=True
    )
    rows = ChargeLine.objects.filter(
        run_id__in=list(posted),
        account_id__in=account_ids,
        method__in=[int(m) for m in AVERAGE_METHODS],
        corrects_period__lt=month.start,
        corrects_period__gte=month.start.replace(year=month.start.year - 2),
    ).values_list("account_id", "service_id", "corrects_period", "volume")
    per: dict[tuple[int, int], dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for acc, svc, period, volume in rows:
        per[(acc, svc)][period] += volume
    out: dict[tuple[int, int, date], int] = {}
    for (acc, svc), months in per.items():
        for last in {p.replace(day=1) for p in _all_months(month)}:
            total = sum(v for p, v in months.items() if p > last)
            if total:
                out[(acc, svc, last)] = total
    return out


def _all_months(month: Month) -> list[date]:
    out = []
    m = month.previous()
    for _ in range(25):
        out.append(m.start)
        m = m.previous()
    return out
