"""The write phase: a checked `Plan` → rows, parents before children, inside the caller's
transaction.

PostgreSQL gets text `COPY` with lines formatted here a chunk at a time (`pgcopy`); the ids
of new parent rows are taken from the table's sequence beforehand (one query per table), so
children can be formatted without reading anything back. SQLite gets `bulk_create` and
reads new ids back by natural key. Bulk writes bypass django-simple-history: the
`ImportBatch` row is the audit record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Max, Model

from raschet.housing.models import Account, Building, Premises
from raschet.importers import pgcopy
from raschet.importers.housing.plan import Plan, TablePlan
from raschet.organizations.models import Organization
from raschet.registry.models import Ownership, Person, Registration
from raschet.tariffs.models import AccountService, Service
from raschet.tariffs.services import services_install_catalogue

Progress = Callable[[int], None]
_BATCH = 2000
_COPY_CHUNK = 20_000


@dataclass(frozen=True)
class _Step:
    """One table: its references, computed from the plan key and values by ``lead``."""

    model: type[Model]
    name: str
    lead_columns: tuple[str, ...]  # attnames filled from ids/the key, not from the values
    lead: Callable[[Any, dict[str, Any]], tuple[Any, ...]]
    natural: tuple[str, ...] | None  # lookups of the natural key (SQLite id read-back)
    order: Callable[[tuple[Any, ...]], Any] | None = None  # COPY order, from the lead values


def plan_write(*, plan: Plan, organization: Organization, progress: Progress) -> None:
    ids = plan.ids
    services = plan.service_ids
    if plan.install_catalogue:
        services_install_catalogue(organization=organization)
        services = {s.code: s.pk for s in Service.objects.filter(organization=organization)}
    persons = ids["persons"]
    b_ids, p_ids, a_ids = ids["buildings"], ids["premises"], ids["accounts"]
    steps = [
        _Step(Building, "buildings", (), lambda k, v: (), ("address",)),
        _Step(Premises, "premises", ("building_id",), lambda k, v: (b_ids[v["building_ref"]],),
              ("building__address", "number")),
        _Step(Account, "accounts", ("premises_id",), lambda k, v: (p_ids[v["premises_ref"]],),
              ("number",)),
        _Step(Person, "persons", (), lambda k, v: (),
              ("last_name", "first_name", "middle_name", "birth_date")),
        _Step(Ownership, "ownerships", ("premises_id", "person_id", "valid_from"),
              lambda k, v: (p_ids[k[0]], persons[k[1]], k[2]), None),
        _Step(Registration, "registrations", ("account_id", "person_id", "valid_from"),
              lambda k, v: (a_ids[k[0]], persons[k[1]], k[2]), None),
        _Step(AccountService, "account_services", ("account_id", "service_id", "valid_from"),
              lambda k, v: (a_ids[k[0]], services[k[1]], k[2]), None,
              # Grouped by service, the GiST exclusion index takes 700,000 rows in about
              # half the time it needs in account order (docs/benchmarks.md).
              order=lambda lead: (lead[1], lead[0])),
    ]  # fmt: skip
    done = 0
    for step in steps:
        tp = plan.tables[step.name]
        id_map = ids.get(step.name)
        if tp.creates:
            if connection.vendor == "postgresql":
                _copy_creates(step, tp, organization, id_map, progress, done)
            else:
                _bulk_create(step, tp, organization, id_map)
        _update(step, tp, ids)
        done += len(tp.creates) + len(tp.updates)
        progress(done)


def _bulk_create(
    step: _Step, tp: TablePlan, org: Organization, id_map: dict[Any, int] | None
) -> None:
    manager = step.model._default_manager  # type: ignore[attr-defined]
    before = manager.aggregate(m=Max("id"))["m"] or 0
    manager.bulk_create(
        [
            step.model(
                organization=org,
                **{
                    **{a: val for a, val in vals.items() if not a.endswith("_ref")},
                    **dict(zip(step.lead_columns, step.lead(key, vals), strict=True)),
                },
            )
            for key, vals in tp.creates
        ],
        batch_size=_BATCH,
    )
    if step.natural is not None and id_map is not None:
        new = manager.filter(organization=org, id__gt=before).values_list("id", *step.natural)
        for r in new.iterator(chunk_size=20_000):
            key = r[1] if len(r) == 2 else tuple(r[1:])
            id_map.setdefault(key, r[0])


def _update(step: _Step, tp: TablePlan, ids: dict[str, dict[Any, int]]) -> None:
    groups: dict[tuple[str, ...], list[Model]] = {}
    for pk, changed in tp.updates:
        vals = dict(changed)
        if "building_ref" in vals:
            vals["building_id"] = ids["buildings"][vals.pop("building_ref")]
        if "premises_ref" in vals:
            vals["premises_id"] = ids["premises"][vals.pop("premises_ref")]
        groups.setdefault(tuple(sorted(vals)), []).append(step.model(pk=pk, **vals))
    manager = step.model._default_manager  # type: ignore[attr-defined]
    for fields, objs in groups.items():
        manager.bulk_update(objs, list(fields), batch_size=500)


def _reserve_ids(table: str, count: int) -> list[int]:
    """``count`` ids from the table's identity sequence, so rows can be sent with their ids."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [connection.ops.quote_name(table), count],
        )
        return [r[0] for r in cursor.fetchall()]


def _copy_creates(
    step: _Step,
    tp: TablePlan,
    org: Organization,
    id_map: dict[Any, int] | None,
    progress: Progress,
    done: int,
) -> None:
    """Text `COPY` of the creates: constant columns are formatted once, the rest per row."""
    model = step.model
    table = model._meta.db_table  # type: ignore[attr-defined]
    creates = tp.creates
    if step.order is not None:  # before ids are reserved: they follow this order
        order, lead_of = step.order, step.lead
        creates = sorted(creates, key=lambda kv: order(lead_of(*kv)))
    given: set[str] = set()
    for _, vals in creates:
        given.update(vals)
    skip = {"organization_id", *step.lead_columns}
    fields = [
        f
        for f in model._meta.concrete_fields  # type: ignore[attr-defined]
        if not f.primary_key and f.attname not in skip
    ]
    varying = [(f.attname, f.get_default()) for f in fields if f.attname in given]
    constant = [f for f in fields if f.attname not in given]
    suffix = "".join("\t" + pgcopy.field(f.get_default()) for f in constant) + "\n"
    columns = ["organization_id", *step.lead_columns, *(a for a, _ in varying)]
    columns += [f.attname for f in constant]
    org_text = str(org.pk)
    new_ids: list[int] | None = None
    if step.natural is not None and id_map is not None:
        new_ids = _reserve_ids(table, len(creates))
        for (key, _), pk in zip(creates, new_ids, strict=True):
            id_map.setdefault(key, pk)
        columns.insert(0, "id")
    lead, field = step.lead, pgcopy.field

    def chunks() -> Iterator[str]:
        for start in range(0, len(creates), _COPY_CHUNK):
            part = creates[start : start + _COPY_CHUNK]
            lines = []
            for key, vals in part:
                get = vals.get
                cells = [org_text, *[field(x) for x in lead(key, vals)]]
                cells += [field(get(a, d)) for a, d in varying]
                lines.append("\t".join(cells) + suffix)
            if new_ids is not None:
                pks = new_ids[start : start + len(part)]
                lines = [f"{pk}\t{line}" for pk, line in zip(pks, lines, strict=True)]
            yield "".join(lines)
            progress(done + start + len(part))

    column_of = {f.attname: str(f.column) for f in model._meta.concrete_fields}  # type: ignore[attr-defined]
    pgcopy.copy_chunks(table, [column_of[c] for c in columns], chunks())
