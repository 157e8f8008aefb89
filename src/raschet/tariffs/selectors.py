"""Reads of services, payees, tariffs and norms in force on a date.

Pure reads with a fixed number of queries whatever the number of services: the account card
and, later, the billing snapshot ask for all services of an account (or a building) at once.

Override rule (models' docstring): a row with a building overrides the organization-wide row
for the same key — for tariffs the key is (service, zone), for norms (service, basis), i.e. a
building-specific norm table replaces the whole organization-wide table of that basis.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.db.models import Q

from raschet.housing.models import Account
from raschet.tariffs.models import (
    CAPITAL_REPAIR_CODE,
    AccountService,
    CapitalRepairMinimum,
    Norm,
    RateBasis,
    Service,
    ServiceContract,
    Tariff,
    Zone,
)

_ZONE_ORDER = {z: i for i, z in enumerate(Zone.values)}


def in_force(on: date) -> Q:
    """Rows whose half-open ``[valid_from, valid_to)`` contains ``on``."""
    return Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gt=on))


def account_services_on(account: Account, on: date) -> list[AccountService]:
    """Services connected to ``account`` on ``on``, in payment-document order."""
    return list(
        AccountService.objects.filter(in_force(on), account_id=account.pk)
        .select_related("service")
        .order_by("service__sort_order", "service__code")
    )


def _service_ids(services: Iterable[Service | int]) -> list[int]:
    return [s if isinstance(s, int) else s.pk for s in services]


def tariffs_for(
    *, organization_id: int, services: Iterable[Service | int], building_id: int | None, on: date
) -> dict[int, list[Tariff]]:
    """Tariffs in force on ``on`` per service id, one per zone, building rows first.

    ``services`` are Service objects or ids. One query.
    """
    rows = Tariff.objects.filter(
        in_force(on),
        organization_id=organization_id,
        service_id__in=_service_ids(services),
    ).filter(Q(building__isnull=True) | Q(building_id=building_id))
    chosen: dict[tuple[int, str], Tariff] = {}
    for row in rows:
        key = (row.service_id, row.zone)
        current = chosen.get(key)
        if current is None or (current.building_id is None and row.building_id is not None):
            chosen[key] = row
    result: dict[int, list[Tariff]] = defaultdict(list)
    for (service_id, _zone), row in chosen.items():
        result[service_id].append(row)
    for rows_of_service in result.values():
        rows_of_service.sort(key=lambda t: _ZONE_ORDER.get(t.zone, 99))
    return dict(result)


def norms_for(
    *, organization_id: int, services: Iterable[Service | int], building_id: int | None, on: date
) -> dict[int, list[Norm]]:
    """Norm tables in force on ``on`` per service id (all rows of the applicable tables).

    For each (service, basis) the building's table, when it has one, replaces the
    organization-wide table. Pick a row with `norm_for`. One query.
    """
    rows = list(
        Norm.objects.filter(
            in_force(on),
            organization_id=organization_id,
            service_id__in=_service_ids(services),
        )
        .filter(Q(building__isnull=True) | Q(building_id=building_id))
        .order_by("service_id", "basis", "rooms", "residents")
    )
    has_building_table = {(n.service_id, n.basis) for n in rows if n.building_id is not None}
    result: dict[int, list[Norm]] = defaultdict(list)
    for row in rows:
        own = (row.service_id, row.basis) in has_building_table
        if own == (row.building_id is not None):
            result[row.service_id].append(row)
    return dict(result)


def _fit(value: int | None, present: Sequence[int]) -> int | None:
    """The table value a flat with ``value`` rooms/residents falls into.

    The largest row also covers larger flats and households; a value below the smallest row
    uses the smallest one (models.Norm docstring).
    """
    if not present:
        return None
    if value is None:
        return min(present)
    return max(min(value, max(present)), min(present))


def norm_for(
    table: Sequence[Norm], *, basis: str, rooms: int | None, residents: int | None
) -> Norm | None:
    """The row of a norm table that applies to a flat with ``rooms`` and ``residents``.

    Rows with empty ``rooms``/``residents`` mean "any"; an exact row beats an "any" row.
    """
    rows = [n for n in table if n.basis == basis]
    if not rows:
        return None
    want_rooms = _fit(rooms, [n.rooms for n in rows if n.rooms is not None])
    want_residents = _fit(residents, [n.residents for n in rows if n.residents is not None])
    matching = [
        n
        for n in rows
        if (n.rooms is None or n.rooms == want_rooms)
        and (n.residents is None or n.residents == want_residents)
    ]
    if not matching:
        return None
    return max(matching, key=lambda n: (n.rooms is not None) + (n.residents is not None))


def contracts_for(
    *, organization_id: int, services: Iterable[Service | int], building_id: int, on: date
) -> dict[int, ServiceContract]:
    """The payee contract per service id for a building on ``on``. One query."""
    rows = ServiceContract.objects.filter(
        in_force(on),
        organization_id=organization_id,
        building_id=building_id,
        service_id__in=_service_ids(services),
    ).select_related("payee")
    return {row.service_id: row for row in rows}


def capital_repair_below_minimum(
    organization_id: int, start: date, end: date
) -> list[tuple[Tariff, CapitalRepairMinimum]]:
    """The ``capital_repair`` tariffs per m² in force on a day of ``[start, end)`` that are
    below the regional minimum in force on a day they share inside it (rules.md §2.2, ЖК
    ст.156 ч.8.1), each with that minimum — the highest one it is below. Two queries."""

    def overlap(qs: Any) -> Any:
        return qs.filter(valid_from__lt=end).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=start)
        )

    minimums = list(
        overlap(CapitalRepairMinimum.objects.filter(organization_id=organization_id)).order_by(
            "-rate", "valid_from"
        )
    )
    if not minimums:
        return []
    tariffs = (
        overlap(
            Tariff.objects.filter(
                organization_id=organization_id,
                service__code=CAPITAL_REPAIR_CODE,
                basis=RateBasis.PER_M2,
            )
        )
        .select_related("service", "building")
        .order_by("building_id", "valid_from", "pk")
    )
    out = []
    for tariff in tariffs:
        for minimum in minimums:
            shared_start = max(tariff.valid_from, minimum.valid_from, start)
            ends = [e for e in (tariff.valid_to, minimum.valid_to, end) if e is not None]
            if tariff.rate < minimum.rate and shared_start < min(ends):
                out.append((tariff, minimum))
                break
    return out
