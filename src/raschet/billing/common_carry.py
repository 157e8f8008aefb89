"""Carry-over of a negative common-property volume (rules.md §1.6, §12 point 3, §14).

By default a month whose building meter shows less than the premises' volumes charges 0 for
common property and that is all. With the organization setting
``common_negative_carry_over: 1`` the negative difference is carried: it is taken off the
next months' ``V_D − Σ V_u`` until it is used up (`raschet.core.billing.common_carry_out`).

The carried volume is settled when a month is closed — its posted figures are final then —
and stored for the next month (`CommonCarry`); a run reads the row of its month. A
correction of a closed month (a recalculation) does not change what was carried.
"""

# ruff: noqa: S608 - the SQL here joins fixed table names and placeholders, never input
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection

from raschet.billing.models import BillingRun, ChargeLine, CommonCarry, RunState
from raschet.billing.snapshot import BASIS_RULES, RESOURCES, RULES, to_scaled
from raschet.core import billing as core
from raschet.core.fixedpoint import VOLUME_SCALE
from raschet.core.periods import Month
from raschet.housing.models import Account, Building, Premises
from raschet.metering.models import BuildingMeterReading
from raschet.tariffs.models import Service

SETTING = "common_negative_carry_over"


def enabled(organization: Any) -> bool:
    return bool(int((organization.billing_settings or {}).get(SETTING, 0)))


def load_common_carry(organization: Any, building_ids: list[int], month: Month) -> dict[Any, int]:
    """``{(building, common service): volume carried into the month}`` (VOLUME_SCALE); empty
    when the organization does not carry. Shared by both loaders."""
    if not enabled(organization):
        return {}
    return {
        (bid, sid): to_scaled(volume, VOLUME_SCALE)
        for bid, sid, volume in CommonCarry.objects.filter(
            building_id__in=building_ids, period=month.start
        ).values_list("building_id", "service_id", "volume")
    }


def _resource(service: Service) -> int:
    return int(RESOURCES.get(service.resource or service.code, core.Resource.OTHER))


def common_carry_close(*, organization: Any, month: Month) -> None:
    """Settle the month's carried volumes into the next month (called by the month close)."""
    if not enabled(organization):
        return
    services = list(Service.objects.filter(organization=organization))
    common = [s for s in services if s.basis == "common"]
    if not common:
        return
    by_code = {s.code: s for s in services}
    individual = [
        s
        for s in services
        if RULES.get(s.code, BASIS_RULES.get(s.basis)) in (core.Rule.VOLUME, core.Rule.WASTEWATER)
    ]
    buildings = list(
        Building.objects.filter(organization=organization).values_list("pk", flat=True)
    )
    # V_D of the month per (building, metered service)
    volumes: dict[tuple[int, int], int] = defaultdict(int)
    for bid, sid, volume in BuildingMeterReading.objects.filter(
        building_meter__building_id__in=buildings, is_current=True, period=month.start
    ).values_list("building_meter__building_id", "building_meter__service_id", "volume"):
        volumes[(bid, sid)] += to_scaled(volume, VOLUME_SCALE)
    # Σ V_u of the month per (building, resource): the posted individual volumes
    posted = list(
        BillingRun.objects.filter(organization=organization, state=RunState.POSTED).values_list(
            "pk", flat=True
        )
    )
    sums: dict[tuple[int, int], int] = defaultdict(int)
    if posted and individual:
        runs = ", ".join(["%s"] * len(posted))
        svc = ", ".join(["%s"] * len(individual))
        sql = (
            f"SELECT p.building_id, c.service_id, SUM(c.volume) "
            f"FROM {ChargeLine._meta.db_table} c "
            f"JOIN {Account._meta.db_table} a ON a.id = c.account_id "
            f"JOIN {Premises._meta.db_table} p ON p.id = a.premises_id "
            f"WHERE c.run_id IN ({runs}) AND c.corrects_period = %s AND c.service_id IN ({svc}) "
            f"GROUP BY p.building_id, c.service_id"
        )
        resource_of = {s.pk: _resource(s) for s in individual}
        with connection.cursor() as cursor:
            cursor.execute(sql, [*posted, month.start, *[s.pk for s in individual]])
            for bid, sid, total in cursor.fetchall():
                sums[(int(bid), resource_of[int(sid)])] += int(total or 0)
    carried = {
        (bid, sid): to_scaled(v, VOLUME_SCALE)
        for bid, sid, v in CommonCarry.objects.filter(
            organization=organization, period=month.start
        ).values_list("building_id", "service_id", "volume")
    }
    keys, carry_in, difference = [], [], []
    for c in common:
        resource_service = by_code.get(c.resource)
        for bid in buildings:
            # the loader's choice: the service's own building meter, else the resource's
            own = (bid, c.pk) in volumes
            meter = c.pk if own or resource_service is None else resource_service.pk
            before = carried.get((bid, c.pk), 0)
            if (bid, meter) not in volumes:
                if before:  # no reading this month: the carry waits
                    keys.append((bid, c.pk))
                    carry_in.append(before)
                    difference.append(0)
                continue
            keys.append((bid, c.pk))
            carry_in.append(before)
            difference.append(volumes[(bid, meter)] - sums.get((bid, _resource(c)), 0))
    if not keys:
        return
    out = core.common_carry_out(
        np.asarray(carry_in, dtype=np.int64), np.asarray(difference, dtype=np.int64)
    )
    nxt = month.next().start
    CommonCarry.objects.bulk_create(
        CommonCarry(
            organization=organization,
            building_id=bid,
            service_id=sid,
            period=nxt,
            volume=Decimal(int(v)).scaleb(-6),
        )
        for (bid, sid), v in zip(keys, out.tolist(), strict=True)
        if v > 0
    )
