"""The yearly heating correction (ПП 354 формула 3(2); rules.md §1.5): facts → core → lines.

In the organization's correction month (setting ``heating_correction_month``, January by
default) a run adds, for every account heated in a building whose heating is paid *evenly*
and whose building heat meter has a reading for every month of the previous calendar year,
a recalculation line for December of that year with the method ``heating_correction``:
the account's share of the year's actual cost less what it was charged for heating in the
year (`raschet.core.heating_correction`). Like every line it is written as the difference
with what is already posted, so running the month again adds nothing.

Where every premises of such a building has a heat meter with a current regular reading for
all twelve months of the year, the correction is формула 3(6) instead (ПП 354 п.42(1);
method ``heating_correction`` too, kept apart as `core.Method.HEATING_CORRECTION_METERED`):
the account's own heat-meter volumes of the year at the tariffs in force, plus its area-days
share of the year's common part ``Σ_m (V_D,m − Σ V_ИПУ,m) × T`` (zero when negative for
the year), less what it was charged (`raschet.core.heating_correction`). A premises' month
of volume goes to the accounts of the premises heated in that month, by their charged areas.
This does not depend on how the months were charged: a year metered whole is settled by
its meters even if the months were charged by формула 3(1).

Only a year whose twelve months were billed and closed here is corrected (otherwise what
was charged is unknown). Limits, said plainly: the account's area is today's (its charged
area, else the premises'); a building meter missing a month of the year gets no correction;
facts of the year changed after the correction month are not corrected again.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import numpy as np
from django.db.models import Q

from raschet.billing import diff
from raschet.billing.models import BillingRun, ChargeLine, LineKind, RunState
from raschet.billing.snapshot import FactsError, to_scaled
from raschet.core import billing as core
from raschet.core.fixedpoint import (
    AREA_SCALE,
    KOPECKS_SCALE,
    RATE_SCALE,
    VOLUME_SCALE,
    round_half_up_int,
)
from raschet.core.heating_correction import (
    metered_year_corrections,
    month_costs,
    year_corrections,
)
from raschet.core.money import format_rubles
from raschet.core.periods import Month
from raschet.housing.models import Account, Building, Premises
from raschet.metering.models import BuildingMeterReading, Reading, ReadingKind
from raschet.organizations.models import ClosedMonth
from raschet.tariffs.models import AccountService, Service, ServiceContract, Tariff

SETTING = "heating_correction_month"
DEFAULT_MONTH = 1


def correction_month(organization: Any) -> int:
    """The month the previous year's correction is posted in (1–12; rules.md §1.5)."""
    value = int((organization.billing_settings or {}).get(SETTING, DEFAULT_MONTH))
    if not 1 <= value <= 12:
        raise ValueError(f"{SETTING}: месяц от 1 до 12, а не {value}")
    return value


def _overlap_days(start: date, end: date | None, lo: date, hi: date) -> int:
    """Days of ``[start, end)`` inside ``[lo, hi)``."""
    a = max(start, lo)
    b = min(end or hi, hi)
    return max((b - a).days, 0)


CORRECTION_METHODS = (
    int(core.Method.HEATING_CORRECTION),
    int(core.Method.HEATING_CORRECTION_METERED),
)


def metered_year(building_ids: list[int], year: int) -> dict[int, dict[int, dict[date, int]]]:
    """Формула 3(6): per building, the heat-meter volume (VOLUME_SCALE) per premises and
    month of ``year`` — only buildings whose **every** premises has a current regular
    heat-meter reading for all twelve months (the readings `snapshot.load_heat_meters`
    counts)."""
    volumes: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for premises_id, period, volume in (
        Reading.objects.filter(
            meter__premises__building_id__in=building_ids,
            meter__service__code="heating",
            period__gte=date(year, 1, 1),
            period__lt=date(year + 1, 1, 1),
            is_current=True,
            kind=ReadingKind.REGULAR,
        )
        .exclude(state="rejected")
        .values_list("meter__premises_id", "period", "volume")
    ):
        volumes[premises_id][period] += to_scaled(volume, VOLUME_SCALE)
    premises_of: dict[int, list[int]] = defaultdict(list)
    for pid, bid in Premises.objects.filter(building_id__in=building_ids).values_list(
        "pk", "building_id"
    ):
        premises_of[bid].append(pid)
    return {
        bid: {p: dict(volumes[p]) for p in pids}
        for bid, pids in premises_of.items()
        if pids and all(len(volumes.get(p, {})) == 12 for p in pids)
    }


def correction_rows(run: BillingRun, building_ids: list[int]) -> list[tuple[Any, ...]]:
    """Recalculation rows (`diff.LINE_COLUMNS`) of the year's heating correction for the
    buildings, when ``run`` is in the correction month; none otherwise."""
    organization = run.organization
    if run.period.month != correction_month(organization):
        return []
    year = run.period.year - 1
    y_start, y_end = date(year, 1, 1), date(year + 1, 1, 1)
    heating = Service.objects.filter(organization=organization, code="heating").first()
    if heating is None:
        return []
    closed = ClosedMonth.objects.filter(
        organization=organization, month__gte=y_start, month__lt=y_end
    ).count()
    if closed < 12:
        return []  # the year was not billed whole here: nothing to correct against
    buildings = {
        b.pk: b
        for b in Building.objects.filter(pk__in=building_ids, heating_mode="evenly").order_by("pk")
    }
    volumes: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for bid, period, volume in BuildingMeterReading.objects.filter(
        building_meter__building_id__in=list(buildings),
        building_meter__service=heating,
        is_current=True,
        period__gte=y_start,
        period__lt=y_end,
    ).values_list("building_meter__building_id", "period", "volume"):
        volumes[bid][period] += to_scaled(volume, VOLUME_SCALE)
    months = [Month(year, m) for m in range(1, 13)]
    full = [bid for bid in buildings if all(m.start in volumes[bid] for m in months)]
    if not full:
        return []
    tariffs = list(
        Tariff.objects.filter(service=heating, zone="single", valid_from__lt=y_end)
        .filter(Q(building_id__in=full) | Q(building__isnull=True))
        .exclude(valid_to__lte=y_start)
    )
    # the tariff pieces of each month: (rate, days of the piece)
    month_rates: dict[tuple[int, date], list[tuple[int, int]]] = {}
    for bid in full:
        own = [t for t in tariffs if t.building_id == bid]
        rates = own or [t for t in tariffs if t.building_id is None]
        for m in months:
            found = []
            for t in rates:
                d = _overlap_days(t.valid_from, t.valid_to, m.start, m.end)
                if d:
                    found.append((to_scaled(t.rate, RATE_SCALE), d))
            if sum(d for _, d in found) != m.days:
                raise FactsError(
                    f"нет тарифа на отопление на весь {m} для годовой корректировки "
                    f"(дом {buildings[bid].address})"
                )
            month_rates[(bid, m.start)] = found

    def costs(
        volume_of: dict[tuple[int, date], int],
        groups: list[int],
        group_buildings: list[int],
        *,
        signed: bool = False,
    ) -> Any:
        """Σ of the groups' monthly volumes at their buildings' tariff pieces, 1e-8 kopeck
        per group; ``volume_of`` maps (group, month start) to the month's volume."""
        rows = [
            (k, volume_of.get((g, m.start), 0), rate, d, m.days)
            for k, (g, bid) in enumerate(zip(groups, group_buildings, strict=True))
            for m in months
            for rate, d in month_rates[(bid, m.start)]
        ]
        arr = np.asarray(rows, dtype=np.int64).reshape(-1, 5)
        return month_costs(
            arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4], arr[:, 0], len(groups), signed=signed
        )

    cost = costs({(bid, m): v for bid in full for m, v in volumes[bid].items()}, full, full)

    links = AccountService.objects.filter(
        service=heating, account__premises__building_id__in=full, valid_from__lt=y_end
    ).exclude(valid_to__lte=y_start)
    accounts = {
        a.pk: a
        for a in Account.objects.filter(premises__building_id__in=full).select_related("premises")
    }
    area_days: dict[int, int] = defaultdict(int)
    heated: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for link in links:
        acc = accounts[link.account_id]
        start = max(link.valid_from, acc.opened_on)
        end = min(x for x in (link.valid_to, acc.closed_on, y_end) if x is not None)
        days = _overlap_days(start, end, y_start, y_end)
        area = acc.area_m2 if acc.area_m2 is not None else acc.premises.area_total_m2
        area_days[acc.pk] += to_scaled(area, AREA_SCALE) * days
        heated[acc.pk].append((start, end))
    own_cost, common_cost = _metered_costs(full, year, months, accounts, heated, volumes, costs)
    posted_runs = list(
        BillingRun.objects.filter(organization=organization, state=RunState.POSTED).values_list(
            "pk", flat=True
        )
    )
    charged: dict[int, int] = defaultdict(int)
    corrected: dict[int, int] = defaultdict(int)
    december = date(year, 12, 1)
    for acc_id, period, method, amount in ChargeLine.objects.filter(
        run_id__in=posted_runs,
        service_id=heating.pk,
        account_id__in=list(accounts),
        corrects_period__gte=y_start,
        corrects_period__lt=y_end,
    ).values_list("account_id", "corrects_period", "method", "amount"):
        if method in CORRECTION_METHODS:
            if period == december:
                corrected[acc_id] += amount
        else:
            charged[acc_id] += amount

    # a premises heated by its own installation in any month of the year paid the
    # common-property share, not формула 3(1): it is not corrected by формула 3(2)/3(6)
    # (docs/billing.md, «Premises heated individually»); the others' shares keep S_ob whole
    def centrally_heated(account_id: int) -> bool:
        since = accounts[account_id].premises.individual_heating_from
        return since is None or since > date(year, 12, 1)

    ids = sorted(a for a in set(area_days) | set(charged) if centrally_heated(a))
    if not ids:
        return []
    index = {bid: k for k, bid in enumerate(full)}
    b_of = np.asarray([index[accounts[i].premises.building_id] for i in ids], dtype=np.int64)
    s_ob = np.asarray(
        [to_scaled(buildings[full[k]].area_total_m2, AREA_SCALE) for k in b_of.tolist()],
        dtype=np.int64,
    )
    a_days = np.asarray([area_days[i] for i in ids], dtype=np.int64)
    y_days = np.full(len(ids), (y_end - y_start).days, dtype=np.int64)
    paid = np.asarray([charged[i] for i in ids], dtype=np.int64)
    by_meters = np.asarray([i in own_cost for i in ids], dtype=bool)
    own_year = np.asarray([own_cost.get(i, 0) for i in ids], dtype=np.int64)
    common = np.asarray(
        [common_cost.get(accounts[i].premises.building_id, 0) for i in ids], dtype=np.int64
    )
    delta = np.where(
        by_meters,
        metered_year_corrections(own_year, common, a_days, s_ob, y_days, paid),
        year_corrections(cost[b_of], a_days, s_ob, y_days, paid),
    )
    payees = {
        c.building_id: c.payee_id
        for c in ServiceContract.objects.filter(
            building_id__in=full, service=heating, valid_from__lt=Month.of(run.period).end
        ).exclude(valid_to__lte=run.period)
    }
    out = []
    for k, acc_id in enumerate(ids):
        new = int(delta[k]) - corrected[acc_id]
        if new == 0:
            continue
        acc = accounts[acc_id]
        area = acc.area_m2 if acc.area_m2 is not None else acc.premises.area_total_m2
        share = int(delta[k]) + charged[acc_id]
        method = core.Method.HEATING_CORRECTION
        reason = (
            f"корректировка за {year} год (ПП 354 формула 3(2)): доля фактической стоимости "
            f"тепла дома {format_rubles(share)} ₽ − начислено за год "
            f"{format_rubles(charged[acc_id])} ₽"
        )
        if by_meters[k]:
            method = core.Method.HEATING_CORRECTION_METERED
            by_own = round_half_up_int(own_cost[acc_id], KOPECKS_SCALE)
            reason = (
                f"корректировка за {year} год (ПП 354 формула 3(6)): по прибору учёта тепла "
                f"помещения {format_rubles(by_own)} ₽ + доля общедомового потребления "
                f"{format_rubles(share - by_own)} ₽ − начислено за год "
                f"{format_rubles(charged[acc_id])} ₽"
            )
        out.append(
            diff.line_row(
                run,
                account_id=acc_id,
                service_id=heating.pk,
                payee_id=payees.get(acc.premises.building_id),
                corrects=december,
                kind=LineKind.RECALCULATION,
                fig=diff.Figures(
                    method=int(method),
                    volume=0,
                    coefficient_volume=0,
                    rate=None,
                    norm=None,
                    persons=0,
                    area=to_scaled(area, AREA_SCALE),
                    average_months=0,
                    segments=1,
                    amount=new,
                    coefficient_amount=0,
                    reduction=0,
                    benefit=0,
                ),
                reason=reason,
            )
        )
    return out


def _metered_costs(
    full: list[int],
    year: int,
    months: list[Month],
    accounts: dict[int, Account],
    heated: dict[int, list[tuple[date, date]]],
    volumes: dict[int, dict[date, int]],
    costs: Any,
) -> tuple[dict[int, int], dict[int, int]]:
    """Формула 3(6): per account of a building metered the whole year, its own heat-meter
    cost of the year; per such building, the year's common cost ``Σ (V_D − Σ V_ИПУ) × T``
    (signed). Both in 1e-8 kopeck; empty when no building is metered whole."""
    metered = metered_year(full, year)
    if not metered:
        return {}, {}
    buildings = sorted(metered)
    common_volume = {
        (bid, m.start): volumes[bid][m.start] - sum(v[m.start] for v in metered[bid].values())
        for bid in buildings
        for m in months
    }
    common = costs(common_volume, buildings, buildings, signed=True)
    # a premises' month goes to its accounts heated in that month, by their charged areas
    own_volume: dict[tuple[int, date], int] = {}
    owners: list[int] = []
    for acc_id in sorted(heated):
        acc = accounts[acc_id]
        if acc.premises.building_id in metered:
            owners.append(acc_id)
    for bid in buildings:
        for pid, by_month in metered[bid].items():
            acc_ids = [a for a in owners if accounts[a].premises_id == pid]
            for m in months:
                sharing = [
                    a
                    for a in acc_ids
                    if any(_overlap_days(s, e, m.start, m.end) for s, e in heated[a])
                ]
                areas = {a: to_scaled(accounts[a].charged_area_m2, AREA_SCALE) for a in sharing}
                whole = sum(areas.values())
                for a in sharing:
                    if len(sharing) == 1:
                        own_volume[(a, m.start)] = by_month[m.start]
                    elif whole:
                        own_volume[(a, m.start)] = round_half_up_int(
                            by_month[m.start] * areas[a], whole
                        )
                    else:
                        own_volume[(a, m.start)] = round_half_up_int(
                            by_month[m.start], len(sharing)
                        )
    if not owners:
        return {}, {}
    own = costs(own_volume, owners, [accounts[a].premises.building_id for a in owners])
    return (
        {a: int(own[k]) for k, a in enumerate(owners)},
        {bid: int(common[k]) for k, bid in enumerate(buildings)},
    )
