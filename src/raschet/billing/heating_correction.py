"""The yearly heating correction (ПП 354 формула 3(2); rules.md §1.5): facts → core → lines.

In the organization's correction month (setting ``heating_correction_month``, January by
default) a run adds, for every account heated in a building whose heating is paid *evenly*
and whose building heat meter has a reading for every month of the previous calendar year,
a recalculation line for December of that year with the method ``heating_correction``:
the account's share of the year's actual cost less what it was charged for heating in the
year (`raschet.core.heating_correction`). Like every line it is written as the difference
with what is already posted, so running the month again adds nothing.

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
from raschet.core.fixedpoint import AREA_SCALE, RATE_SCALE, VOLUME_SCALE
from raschet.core.heating_correction import month_costs, year_corrections
from raschet.core.money import format_rubles
from raschet.core.periods import Month
from raschet.housing.models import Account, Building
from raschet.metering.models import BuildingMeterReading
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
    # pieces: (building index, month's volume, rate, days of the piece, days of the month)
    rows: list[tuple[int, int, int, int, int]] = []
    for k, bid in enumerate(full):
        own = [t for t in tariffs if t.building_id == bid]
        rates = own or [t for t in tariffs if t.building_id is None]
        for m in months:
            covered = 0
            for t in rates:
                d = _overlap_days(t.valid_from, t.valid_to, m.start, m.end)
                if d:
                    rate = to_scaled(t.rate, RATE_SCALE)
                    rows.append((k, volumes[bid][m.start], rate, d, m.days))
                    covered += d
            if covered != m.days:
                raise FactsError(
                    f"нет тарифа на отопление на весь {m} для годовой корректировки "
                    f"(дом {buildings[bid].address})"
                )
    arr = np.asarray(rows, dtype=np.int64)
    cost = month_costs(arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4], arr[:, 0], len(full))

    links = AccountService.objects.filter(
        service=heating, account__premises__building_id__in=full, valid_from__lt=y_end
    ).exclude(valid_to__lte=y_start)
    accounts = {
        a.pk: a
        for a in Account.objects.filter(premises__building_id__in=full).select_related("premises")
    }
    area_days: dict[int, int] = defaultdict(int)
    for link in links:
        acc = accounts[link.account_id]
        start = max(link.valid_from, acc.opened_on)
        end = min(x for x in (link.valid_to, acc.closed_on, y_end) if x is not None)
        days = _overlap_days(start, end, y_start, y_end)
        area = acc.area_m2 if acc.area_m2 is not None else acc.premises.area_total_m2
        area_days[acc.pk] += to_scaled(area, AREA_SCALE) * days
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
        if method == core.Method.HEATING_CORRECTION:
            if period == december:
                corrected[acc_id] += amount
        else:
            charged[acc_id] += amount
    ids = sorted(set(area_days) | set(charged))
    if not ids:
        return []
    index = {bid: k for k, bid in enumerate(full)}
    b_of = np.asarray([index[accounts[i].premises.building_id] for i in ids], dtype=np.int64)
    s_ob = np.asarray(
        [to_scaled(buildings[full[k]].area_total_m2, AREA_SCALE) for k in b_of.tolist()],
        dtype=np.int64,
    )
    delta = year_corrections(
        cost[b_of],
        np.asarray([area_days[i] for i in ids], dtype=np.int64),
        s_ob,
        np.full(len(ids), (y_end - y_start).days, dtype=np.int64),
        np.asarray([charged[i] for i in ids], dtype=np.int64),
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
        reason = (
            f"корректировка за {year} год (ПП 354 формула 3(2)): доля фактической стоимости "
            f"тепла дома {format_rubles(share)} ₽ − начислено за год "
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
                    method=int(core.Method.HEATING_CORRECTION),
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
